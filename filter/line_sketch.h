/* line_sketch.h: a cheap key of a line's bytes, for filters that look for repeated lines
 * (gopher_repetition, fineweb). Equal lines have equal sketches and unequal lines rarely
 * do, so a text whose lines' sketches all differ repeats no line, found without hashing
 * every line's bytes; a shared sketch sends the text to the exact count.
 */
#ifndef WN_FILTER_LINE_SKETCH_H
#define WN_FILTER_LINE_SKETCH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The sketch of p[0 .. n): its length and first and last 8 bytes (fewer when shorter),
 * mixed so that the low bits (a table's index) depend on all of them. */
static inline uint64_t wn_line_sketch(const char *p, size_t n)
{
    uint64_t head = 0, tail = 0;
    if (n >= 8) {
        memcpy(&head, p, 8);
        memcpy(&tail, p + n - 8, 8);
    } else {
        memcpy(&head, p, n);
    }
    uint64_t x = (head ^ (tail << 29 | tail >> 35) ^ n) * 0xD6E8FEB86659FD93ull;
    return x ^ x >> 32;
}

#endif
