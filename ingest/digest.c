/* digest.c: WARC-Block-Digest checking with nettle's hashes. Writers use base32 SHA-1
 * (Heritrix, wget, warcio, Common Crawl); warcio also writes sha256/sha512, base16 and base64,
 * which the value's length tells apart (a SHA-1 is 32 characters in base32, 40 in base16, 27 in
 * base64). */
#include "ingest/digest.h"

#include <nettle/nettle-meta.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_DIGEST 64 /* SHA-512 */

static const struct {
    const char *name;
    const struct nettle_hash *hash;
} algorithms[] = {
    { "sha1", &nettle_sha1 },     { "sha-1", &nettle_sha1 },
    { "sha256", &nettle_sha256 }, { "sha-256", &nettle_sha256 },
    { "sha512", &nettle_sha512 }, { "sha-512", &nettle_sha512 },
};

static const struct nettle_hash *lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof algorithms / sizeof algorithms[0]; i++)
        if (strlen(algorithms[i].name) == n && !strncasecmp(algorithms[i].name, name, n))
            return algorithms[i].hash;
    return NULL;
}

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* A base32 (5 bits a character, any case) or base64 (6 bits, standard or URL-safe alphabet)
 * character's value, or -1. */
static int base32_value(int c)
{
    const char *p = c ? strchr(base32_alphabet, toupper(c)) : NULL;
    return p ? (int)(p - base32_alphabet) : -1;
}

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decode the `len` characters at s, `width` bits each, into exactly n bytes; the bits left
 * over at the end must be fewer than a character's. */
static bool decode_bits(const char *s, size_t len, int width, int (*value)(int), uint8_t *out,
                        size_t n)
{
    if (len != (8 * n + (size_t)width - 1) / (size_t)width)
        return false;
    uint32_t bits = 0;
    int nbits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = value((unsigned char)s[i]);
        if (v < 0)
            return false;
        bits = (bits << width) | (uint32_t)v;
        nbits += width;
        if (nbits >= 8) {
            nbits -= 8;
            if (o < n)
                out[o++] = (uint8_t)(bits >> nbits);
        }
        bits &= (1u << nbits) - 1;
    }
    return o == n;
}

/* Decode exactly `n` bytes from the `len` characters at s: base16, base32 or base64 (warcio
 * accepts all three), told apart by the length, which differs for every digest size here.
 * False when the length or a character does not fit. */
static bool decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    while (len && s[len - 1] == '=')
        len--;
    if (len == 2 * n) {
        for (size_t i = 0; i < n; i++) {
            unsigned v = 0;
            for (int k = 0; k < 2; k++) {
                int c = tolower((unsigned char)s[2 * i + k]);
                if (!isxdigit(c))
                    return false;
                v = v * 16 + (unsigned)(isdigit(c) ? c - '0' : c - 'a' + 10);
            }
            out[i] = (uint8_t)v;
        }
        return true;
    }
    return decode_bits(s, len, 5, base32_value, out, n) || decode_bits(s, len, 6, base64_value, out, n);
}

static void encode_base32(const uint8_t *d, size_t n, char *out, size_t outlen)
{
    uint32_t bits = 0;
    int nbits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        bits = (bits << 8) | d[i];
        nbits += 8;
        while (nbits >= 5 && o + 1 < outlen) {
            nbits -= 5;
            out[o++] = base32_alphabet[(bits >> nbits) & 31];
        }
    }
    if (nbits && o + 1 < outlen)
        out[o++] = base32_alphabet[(bits << (5 - nbits)) & 31];
    out[o] = '\0';
}

wn_block_digest_result wn_block_digest_check(const char *value, const void *block, size_t len,
                                             char *actual, size_t actual_len)
{
    const char *colon = strchr(value, ':');
    if (!colon)
        return WN_BLOCK_DIGEST_UNREADABLE;
    const struct nettle_hash *h = lookup(value, (size_t)(colon - value));
    if (!h)
        return WN_BLOCK_DIGEST_UNKNOWN_ALGORITHM;
    uint8_t want[MAX_DIGEST], got[MAX_DIGEST];
    if (!decode(colon + 1, strlen(colon + 1), want, h->digest_size))
        return WN_BLOCK_DIGEST_UNREADABLE;
    /* the largest context of the hashes above is SHA-512's (~216 bytes) */
    union { uint64_t align; uint8_t bytes[512]; } ctx;
    if (h->context_size > sizeof ctx.bytes)
        return WN_BLOCK_DIGEST_UNKNOWN_ALGORITHM;
    h->init(&ctx);
    h->update(&ctx, len, block);
    h->digest(&ctx, h->digest_size, got);
    if (!memcmp(want, got, h->digest_size))
        return WN_BLOCK_DIGEST_MATCH;
    if (actual && actual_len) {
        int k = snprintf(actual, actual_len, "%s:", h->name);
        if (k > 0 && (size_t)k < actual_len)
            encode_base32(got, h->digest_size, actual + k, actual_len - (size_t)k);
    }
    return WN_BLOCK_DIGEST_MISMATCH;
}
