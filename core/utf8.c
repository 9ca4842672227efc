/* utf8.c: see utf8.h. */
#include "core/utf8.h"

#include <stdint.h>
#include <string.h>

const uint8_t wn_hex_digits[256] = {
    ['0'] = WN_HEX_DIGIT | 0,  ['1'] = WN_HEX_DIGIT | 1,  ['2'] = WN_HEX_DIGIT | 2,
    ['3'] = WN_HEX_DIGIT | 3,  ['4'] = WN_HEX_DIGIT | 4,  ['5'] = WN_HEX_DIGIT | 5,
    ['6'] = WN_HEX_DIGIT | 6,  ['7'] = WN_HEX_DIGIT | 7,  ['8'] = WN_HEX_DIGIT | 8,
    ['9'] = WN_HEX_DIGIT | 9,  ['a'] = WN_HEX_DIGIT | 10, ['b'] = WN_HEX_DIGIT | 11,
    ['c'] = WN_HEX_DIGIT | 12, ['d'] = WN_HEX_DIGIT | 13, ['e'] = WN_HEX_DIGIT | 14,
    ['f'] = WN_HEX_DIGIT | 15, ['A'] = WN_HEX_DIGIT | 10, ['B'] = WN_HEX_DIGIT | 11,
    ['C'] = WN_HEX_DIGIT | 12, ['D'] = WN_HEX_DIGIT | 13, ['E'] = WN_HEX_DIGIT | 14,
    ['F'] = WN_HEX_DIGIT | 15,
};

size_t wn_utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0; /* overlong, or a surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

size_t wn_utf8_valid_prefix(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, eight bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = wn_utf8_seq_len(p + i, n - i);
        if (!k)
            return i;
        i += k;
    }
    return n;
}

/* Length of the maximal subpart of an ill-formed sequence at p: the lead byte plus the
 * continuation bytes that could still have been part of a valid sequence. */
static size_t invalid_subpart(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t need = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 1;
    if (need == 1)
        return 1;
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
    size_t k = 1;
    if (k < n && p[k] >= lo && p[k] <= hi) {
        k++;
        while (k < need && k < n && (p[k] & 0xC0) == 0x80)
            k++;
    }
    return k;
}

size_t wn_utf8_repair(const char *s, size_t n, wn_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, replaced = 0;
    wn_buf_grow(out, n);
    while (i < n) {
        size_t ok = wn_utf8_valid_prefix((const char *)p + i, n - i);
        wn_buf_append(out, p + i, ok);
        i += ok;
        if (i >= n)
            break;
        i += invalid_subpart(p + i, n - i);
        wn_buf_append(out, "\xEF\xBF\xBD", 3);
        replaced++;
    }
    return replaced;
}

/* The value of the \uXXXX escape at p (6 bytes available), or -1. */
static long json_escape_at(const char *p, size_t n)
{
    if (n < 6 || p[0] != '\\' || p[1] != 'u')
        return -1;
    return wn_json_hex4((const unsigned char *)p + 2);
}

size_t wn_json_unicode_repair(const char *s, size_t n, wn_buf *out)
{
    wn_buf raw = WN_BUF_INIT;
    size_t replaced = wn_utf8_repair(s, n, &raw);
    const char *p = raw.data;
    size_t m = raw.len, i = 0;
    wn_buf_grow(out, m);
    while (i < m) {
        const char *bs = memchr(p + i, '\\', m - i);
        if (!bs) {
            wn_buf_append(out, p + i, m - i);
            break;
        }
        size_t at = (size_t)(bs - p);
        wn_buf_append(out, p + i, at - i);
        long v = json_escape_at(p + at, m - at);
        if (v < 0xD800 || v > 0xDFFF) { /* not a surrogate (or another escape): as is */
            size_t k = at + 2 <= m ? 2 : m - at;
            wn_buf_append(out, p + at, k);
            i = at + k;
            continue;
        }
        long low = v <= 0xDBFF ? json_escape_at(p + at + 6, m - at - 6) : -1;
        if (low >= 0xDC00 && low <= 0xDFFF) { /* a pair: as is */
            wn_buf_append(out, p + at, 12);
            i = at + 12;
            continue;
        }
        wn_buf_appends(out, "\\ufffd");
        replaced++;
        i = at + 6;
    }
    wn_buf_release(&raw);
    return replaced;
}
