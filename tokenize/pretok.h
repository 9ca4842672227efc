/* pretok.h: the Llama 3 pre-tokenizer, the regex
 *
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *   | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * written out as the leftmost-first matcher it is, so that each piece costs one pass over
 * its characters (a regex engine backtracks over whitespace runs; this never rescans more
 * than one run twice). Each alternative below carries the branch it implements.
 *
 * In a header, inline: it runs once per piece (every few bytes), and a call per piece costs
 * more than the matching itself does for most words.
 */
#ifndef WN_TOK_PRETOK_H
#define WN_TOK_PRETOK_H

#include "tokenize/tok_internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Length of the well-formed UTF-8 sequence at s (Unicode Table 3-7), 0 if ill-formed. */
static inline size_t utf8_decode(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b >= 0xC2 && b <= 0xDF) {
        if (avail < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b >= 0xE0 && b <= 0xEF) {
        if (avail < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if ((b == 0xE0 && s[1] < 0xA0) || (b == 0xED && s[1] > 0x9F))
            return 0; /* overlong, surrogate */
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        if (avail < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80)
            return 0;
        if ((b == 0xF0 && s[1] < 0x90) || (b == 0xF4 && s[1] > 0x8F))
            return 0; /* overlong, above U+10FFFF */
        *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
              ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

/* The length of the character at s (avail bytes readable) when it is a well-formed two-byte
 * one or a three-byte one with a lead byte E1..EC (no overlong or surrogate form to rule
 * out: Cyrillic, Greek, Arabic, Hebrew, most CJK, kana, Hangul...), its code point in *cp;
 * else 0 (utf8_decode decides). Inline in the loops over a word's characters outside ASCII,
 * where utf8_decode is a call per character: multilingual +2% in letters_end, +2% again in
 * premerging and cutting (sixth session). */
static inline size_t utf8_decode_common(const uint8_t *s, size_t avail, uint32_t *cp)
{
    uint8_t b = s[0];
    if (b >= 0xC2 && b <= 0xDF && avail >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (b >= 0xE1 && b <= 0xEC && avail >= 3 && (s[1] & 0xC0) == 0x80 &&
        (s[2] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    return 0;
}

/* utf8_decode, with the common characters decoded inline (loops over characters outside
 * ASCII). */
static inline size_t utf8_decode_quick(const uint8_t *s, size_t avail, uint32_t *cp)
{
    size_t l = utf8_decode_common(s, avail, cp);
    return l ? l : utf8_decode(s, avail, cp);
}

/* Class of the character at s[i] and its length in bytes. An ill-formed byte is one
 * character of class OTHER (see tokenizer.h). */
static inline unsigned char_at(const wn_tok_classes *c, const uint8_t *s, size_t n, size_t i,
                               size_t *len)
{
    uint8_t b = s[i];
    if (b < 0x80) {
        *len = 1;
        return c->ascii[b];
    }
    uint32_t cp;
    size_t l = utf8_decode(s + i, n - i, &cp);
    if (l == 0) {
        *len = 1;
        return WN_TC_OTHER;
    }
    *len = l;
    return c->blocks[(size_t)c->stage1[cp >> 8] * 256 + (cp & 255)];
}

static inline int is_space_class(unsigned k)
{
    return k == WN_TC_SPACE || k == WN_TC_CRLF || k == WN_TC_WS;
}

static inline int is_other_class(unsigned k)
{
    return k == WN_TC_OTHER || k == WN_TC_APOS;
}

/* Number of ASCII letters [A-Za-z] at the start of s[0..16) (16 if all are). A byte of a
 * multi-byte character is not one. With SSE2 (x86-64's baseline), all 16 bytes are classed
 * at once: a word's end is then one count of trailing bits instead of a loop whose exit,
 * at a different length each word, the branch predictor keeps getting wrong. */
static inline unsigned ascii_letters16(const uint8_t *s)
{
#if defined(__SSE2__)
    /* b is a letter when (b | 0x20) - 'a' <= 25 unsigned, for every byte b (bytes >= 0x80
     * land at 63 or more): x <= 25 is min(x, 25) == x, SSE2's unsigned byte compare. */
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i t = _mm_sub_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    __m128i is_letter = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(25)), t);
    unsigned not_letter = ~(unsigned)_mm_movemask_epi8(is_letter) & 0xFFFF;
    return not_letter ? (unsigned)__builtin_ctz(not_letter) : 16;
#else
    unsigned k = 0;
    while (k < 16 && (unsigned)((s[k] | 0x20) - 'a') < 26)
        k++;
    return k;
#endif
}

static inline size_t letters_end(const wn_tok_classes *c, const uint8_t *s, size_t n, size_t i)
{
    while (i + 16 <= n) {
        unsigned k = ascii_letters16(s + i);
        i += k;
        if (k == 16)
            continue;
        if (s[i] < 0x80)
            return i;
        /* characters outside ASCII (a Cyrillic or CJK word): one by one until ASCII again,
         * a common one told a letter by one bit of a bitmap, not the two-level class table
         * (tenth session: multilingual +0.9%) */
        do {
            uint32_t cp;
            size_t l = utf8_decode_common(s + i, n - i, &cp);
            bool letter = l ? (c->bmp_letters[cp >> 6] >> (cp & 63)) & 1
                            : char_at(c, s, n, i, &l) == WN_TC_LETTER;
            if (!letter)
                return i;
            i += l;
        } while (i < n && s[i] >= 0x80);
    }
    while (i < n) {
        size_t l;
        if (s[i] < 0x80) { /* ASCII fast path */
            if (c->ascii[s[i]] != WN_TC_LETTER)
                break;
            i++;
            continue;
        }
        if (char_at(c, s, n, i, &l) != WN_TC_LETTER)
            break;
        i += l;
    }
    return i;
}

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at s[q] (just after the apostrophe): length matched or 0.
 * Case-insensitive matching follows Unicode simple case folding, under which 's' also
 * matches U+017F LATIN SMALL LETTER LONG S. */
static inline size_t contraction(const uint8_t *s, size_t n, size_t q)
{
    if (q >= n)
        return 0;
    uint8_t a = s[q];
    if (a >= 'A' && a <= 'Z')
        a += 32;
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 1;
    if (a == 0xC5 && q + 1 < n && s[q + 1] == 0xBF)
        return 2;
    if (q + 1 < n) {
        uint8_t b = s[q + 1];
        if (b >= 'A' && b <= 'Z')
            b += 32;
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            return 2;
    }
    return 0;
}

/* End of the piece that starts at s[p] (p < n). */
static inline size_t wn_tok_next_piece(const wn_tok_classes *c, const uint8_t *s, size_t n,
                                       size_t p)
{
    size_t l0, l1 = 0;
    unsigned c0 = char_at(c, s, n, p, &l0);
    size_t q = p + l0;

    /* (?i:'s|'t|'re|'ve|'m|'ll|'d) */
    if (c0 == WN_TC_APOS) {
        size_t k = contraction(s, n, q);
        if (k)
            return q + k;
    }
    /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (c0 == WN_TC_LETTER)
        return letters_end(c, s, n, q);
    unsigned c1 = WN_TC_CRLF; /* class of the next character; "none" acts as \r here */
    if (q < n)
        c1 = char_at(c, s, n, q, &l1);
    if (c0 != WN_TC_CRLF && c0 != WN_TC_NUMBER && q < n && c1 == WN_TC_LETTER)
        return letters_end(c, s, n, q + l1);
    /* \p{N}{1,3} */
    if (c0 == WN_TC_NUMBER) {
        size_t e = q;
        for (int k = 0; k < 2 && e < n; k++) {
            size_t l;
            if (char_at(c, s, n, e, &l) != WN_TC_NUMBER)
                break;
            e += l;
        }
        return e;
    }
    /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
    size_t e = SIZE_MAX;
    if (is_other_class(c0))
        e = q;
    else if (c0 == WN_TC_SPACE && q < n && is_other_class(c1))
        e = q + l1;
    if (e != SIZE_MAX) {
        while (e < n) {
            size_t l;
            if (!is_other_class(char_at(c, s, n, e, &l)))
                break;
            e += l;
        }
        while (e < n && (s[e] == '\r' || s[e] == '\n'))
            e++;
        return e;
    }
    /* c0 is white space. Scan its run once: \s*[\r\n]+ ends after the run's last \r or \n;
     * otherwise \s+(?!\S) takes the run but its last character when a non-space follows
     * (all of it at the end of the text), and \s+ takes a lone one. */
    size_t last_start = p, after_nl = 0;
    e = p;
    while (e < n) {
        size_t l;
        unsigned k = char_at(c, s, n, e, &l);
        if (!is_space_class(k))
            break;
        last_start = e;
        if (k == WN_TC_CRLF)
            after_nl = e + 1;
        e += l;
    }
    if (after_nl)
        return after_nl;
    if (e == n)
        return n;
    if (last_start > p)
        return last_start;
    return e;
}

#endif
