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

/* Length of the valid sequence starting at p (n bytes available), or 0 if invalid. */
size_t wn_utf8_seq_len(const unsigned char *p, size_t n);
/* Offset of the first invalid byte, or n when all of s is valid. */
size_t wn_utf8_valid_prefix(const char *s, size_t n);
/* Append s to out with invalid bytes replaced by U+FFFD; returns how many replacements. */
size_t wn_utf8_repair(const char *s, size_t n, wn_buf *out);

#endif
