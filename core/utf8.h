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

/* Length of the run at the start of p (n bytes) of bytes a JSON string holds as they are:
 * anything but '"', '\\' and control bytes, and, with `ascii`, bytes >= 0x80 (to check
 * them as UTF-8). Eight bytes at a time. */
static inline size_t wn_json_run(const unsigned char *p, size_t n, bool ascii)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w, q, b;
        memcpy(&w, p + i, 8);
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
    while (i < n && p[i] >= 0x20 && (p[i] < 0x80 || !ascii) && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

/* Length of the run at the start of p (n bytes) of printable ASCII other than '"' and '\\',
 * the bytes a JSON string holds as they are. */
static inline size_t wn_json_plain_prefix(const unsigned char *p, size_t n)
{
    return wn_json_run(p, n, true);
}

#endif
