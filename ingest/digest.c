/* digest.c: WARC-Block-Digest and WARC-Payload-Digest checking with nettle's hashes. Writers use base32 SHA-1
 * (Heritrix, wget, warcio, Common Crawl); warcio also writes sha256/sha512, base16 and base64,
 * which the value's length tells apart (a SHA-1 is 32 characters in base32, 40 in base16, 27 in
 * base64). */
#include "ingest/digest.h"

#include <nettle/base16.h>
#include <nettle/base64.h>
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

/* Decode exactly n bytes from the len base32 characters at s (RFC 4648, any case, no
 * padding; nettle has base16 and base64 but no base32): the bits left over at the end must be
 * fewer than a character's. */
static bool decode_base32(const char *s, size_t len, uint8_t *out, size_t n)
{
    if (len != (8 * n + 4) / 5)
        return false;
    uint32_t bits = 0;
    int nbits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = s[i] ? strchr(base32_alphabet, toupper((unsigned char)s[i])) : NULL;
        if (!p)
            return false;
        bits = (bits << 5) | (uint32_t)(p - base32_alphabet);
        nbits += 5;
        if (nbits >= 8) {
            nbits -= 8;
            if (o < n)
                out[o++] = (uint8_t)(bits >> nbits);
        }
        bits &= (1u << nbits) - 1;
    }
    return o == n;
}

/* Decode exactly `n` bytes from the `len` characters at s: base16, base32 or base64 (standard
 * or URL-safe; warcio accepts all of them), told apart by the length, which differs for every
 * digest size here. False when the length or a character does not fit. */
static bool decode(const char *s, size_t len, uint8_t *out, size_t n)
{
    while (len && s[len - 1] == '=')
        len--;
    size_t got = 0;
    if (len == 2 * n) {
        struct base16_decode_ctx ctx;
        base16_decode_init(&ctx);
        return base16_decode_update(&ctx, &got, out, len, s) && base16_decode_final(&ctx) &&
               got == n;
    }
    if (len == (8 * n + 5) / 6) {
        /* unpadded, so base64_decode_final (which wants whole groups) is not asked */
        uint8_t room[BASE64_DECODE_LENGTH(2 * MAX_DIGEST)];
        for (int url = 0; url < 2; url++) {
            struct base64_decode_ctx ctx;
            if (url)
                base64url_decode_init(&ctx);
            else
                base64_decode_init(&ctx);
            if (base64_decode_update(&ctx, &got, room, len, s) && got == n) {
                memcpy(out, room, n);
                return true;
            }
        }
        return false;
    }
    return decode_base32(s, len, out, n);
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

wn_digest_result wn_warc_digest_check(const char *value, const void *data, size_t len,
                                      char *actual, size_t actual_len)
{
    const char *colon = strchr(value, ':');
    if (!colon)
        return WN_DIGEST_UNREADABLE;
    const struct nettle_hash *h = lookup(value, (size_t)(colon - value));
    if (!h)
        return WN_DIGEST_UNKNOWN_ALGORITHM;
    uint8_t want[MAX_DIGEST], got[MAX_DIGEST];
    if (!decode(colon + 1, strlen(colon + 1), want, h->digest_size))
        return WN_DIGEST_UNREADABLE;
    /* the largest context of the hashes above is SHA-512's (~216 bytes) */
    union { uint64_t align; uint8_t bytes[512]; } ctx;
    if (h->context_size > sizeof ctx.bytes)
        return WN_DIGEST_UNKNOWN_ALGORITHM;
    h->init(&ctx);
    h->update(&ctx, len, data);
    h->digest(&ctx, h->digest_size, got);
    if (!memcmp(want, got, h->digest_size))
        return WN_DIGEST_MATCH;
    if (actual && actual_len) {
        int k = snprintf(actual, actual_len, "%s:", h->name);
        if (k > 0 && (size_t)k < actual_len)
            encode_base32(got, h->digest_size, actual + k, actual_len - (size_t)k);
    }
    return WN_DIGEST_MISMATCH;
}
