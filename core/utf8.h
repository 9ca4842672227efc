/* utf8.h: UTF-8 validation and repair.
 *
 * "Valid" follows RFC 3629 (no overlongs, no surrogates, nothing above U+10FFFF). Repair
 * replaces each maximal invalid subpart by U+FFFD, as the Unicode standard recommends and
 * as Python's errors="replace" and WHATWG decoders do, so counts agree with theirs.
 */
#ifndef WN_UTF8_H
#define WN_UTF8_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Length of the valid sequence starting at p (n bytes available), or 0 if invalid. */
size_t wn_utf8_seq_len(const unsigned char *p, size_t n);
/* Offset of the first invalid byte, or n when all of s is valid. */
size_t wn_utf8_valid_prefix(const char *s, size_t n);
/* Append s to out with invalid bytes replaced by U+FFFD; returns how many replacements. */
size_t wn_utf8_repair(const char *s, size_t n, wn_buf *out);
/* Append the JSON text s to out with what a strict parser refuses for its Unicode alone
 * replaced by U+FFFD: bytes that are not UTF-8, and \u escapes of surrogates that do not
 * pair (Python's json.dumps writes them for text decoded with surrogateescape). Returns how
 * many replacements (0: out holds s unchanged). */
size_t wn_json_unicode_repair(const char *s, size_t n, wn_buf *out);

/* Each byte's value as a hex digit, with WN_HEX_DIGIT set; 0 for a byte that is no digit. */
#define WN_HEX_DIGIT 0x10
extern const uint8_t wn_hex_digits[256];

/* The value of the four hex digits at p (4 bytes readable: a \u escape's), or -1 when one
 * is not a hex digit. Four table reads and no branch: json.dumps escapes every character
 * outside ASCII by default, so in such a JSONL file a Japanese or Russian text is all
 * escapes, and a test of each digit's range was a tenth of `winnow tokenize`'s time. */
static inline long wn_json_hex4(const unsigned char *p)
{
    unsigned a = wn_hex_digits[p[0]], b = wn_hex_digits[p[1]], c = wn_hex_digits[p[2]],
             d = wn_hex_digits[p[3]];
    if (!(a & b & c & d & WN_HEX_DIGIT))
        return -1;
    return (long)((a & 15) << 12 | (b & 15) << 8 | (c & 15) << 4 | (d & 15));
}

/* Length of the run at the start of p (n bytes) of bytes a JSON string holds as they are:
 * anything but '"', '\\' and control bytes, and, with `ascii`, bytes >= 0x80 (to check
 * them as UTF-8). With `out` (room for n bytes), the run is also copied there, as it is
 * read: whole words are stored, so out[run..] up to the end of the last word read holds
 * bytes past the run, which the caller writes over. Sixteen bytes at a time (SSE2, which
 * every x86-64 has), else eight: the text's runs are ~60 bytes (a newline escaped), and
 * a copy a run in the loop costs less than a memcpy call a run after it. */
static inline size_t wn_json_copy_run(const unsigned char *p, size_t n, bool ascii, char *out)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1F), zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        if (out)
            _mm_storeu_si128((__m128i *)(void *)(out + i), v);
        /* subs_epu8(v, 0x1F) is 0 exactly for the bytes <= 0x1F */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                    _mm_cmpeq_epi8(_mm_subs_epu8(v, ctl), zero));
        unsigned m = (unsigned)_mm_movemask_epi8(stop) | (ascii ? (unsigned)_mm_movemask_epi8(v) : 0u);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w, q, b;
        memcpy(&w, p + i, 8);
        if (out)
            memcpy(out + i, &w, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        /* a byte < 0x20, == '"' or == '\\' (or >= 0x80) sets its high bit here */
        uint64_t stop = (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) |
                         (ascii ? w : 0)) & highs;
        if (stop) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* the lowest flagged byte is a true stop (a borrow only flags bytes above one):
             * no byte loop for the rest of the word (text escapes a newline every ~60 bytes) */
            return i + (size_t)__builtin_ctzll(stop) / 8;
#else
            break;
#endif
        }
    }
    for (; i < n && p[i] >= 0x20 && (p[i] < 0x80 || !ascii) && p[i] != '"' && p[i] != '\\'; i++)
        if (out)
            out[i] = (char)p[i];
    return i;
}

/* wn_json_copy_run without the copy. */
static inline size_t wn_json_run(const unsigned char *p, size_t n, bool ascii)
{
    return wn_json_copy_run(p, n, ascii, NULL);
}

/* Past the JSON white space (space, tab, newline, carriage return) at p, up to end. */
static inline const unsigned char *wn_json_skip_space(const unsigned char *p,
                                                      const unsigned char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Length of the run at the start of p (n bytes) of printable ASCII other than '"' and '\\',
 * the bytes a JSON string holds as they are. */
static inline size_t wn_json_plain_prefix(const unsigned char *p, size_t n)
{
    return wn_json_run(p, n, true);
}

#endif
