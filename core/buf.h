/* buf.h: a growable byte buffer (after git's strbuf).
 *
 * Invariants: data[len] == '\0' whenever data != NULL, so a buffer can be handed to C
 * string functions, but every API here works on (pointer, length) and text may hold NULs.
 * The buffer owns data; wn_buf_release frees it and leaves an empty buffer.
 * Allocation failure aborts (wn_xmalloc): a pipeline that cannot allocate cannot go on.
 *
 *   wn_buf b = WN_BUF_INIT;
 *   wn_buf_append(&b, "abc", 3);
 *   wn_buf_appendf(&b, " %d", 42);
 *   use(b.data, b.len);
 *   wn_buf_release(&b);
 */
#ifndef WN_BUF_H
#define WN_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>

typedef struct wn_buf {
    char *data;
    size_t len;
    size_t cap;
} wn_buf;

#define WN_BUF_INIT { NULL, 0, 0 }

void *wn_xmalloc(size_t n);
void *wn_xcalloc(size_t n, size_t size);
void *wn_xrealloc(void *p, size_t n);
char *wn_xstrndup(const char *s, size_t n);
char *wn_xstrdup(const char *s);

/* Make room for at least `extra` more bytes (plus the terminating NUL). */
void wn_buf_grow(wn_buf *b, size_t extra);
void wn_buf_append(wn_buf *b, const void *data, size_t n);
void wn_buf_appendc(wn_buf *b, char c);
void wn_buf_appends(wn_buf *b, const char *s);
/* v in decimal, as printf's "%lld" writes it, without printf's cost (a call per number). */
void wn_buf_append_int(wn_buf *b, int64_t v);
void wn_buf_appendf(wn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wn_buf_vappendf(wn_buf *b, const char *fmt, va_list ap);
/* Keep the allocation, forget the contents. */
void wn_buf_reset(wn_buf *b);
void wn_buf_release(wn_buf *b);
/* Hand the contents to the caller (who frees them) and leave the buffer empty. */
char *wn_buf_detach(wn_buf *b, size_t *len);

/* Writes u in decimal at out (room for 20 bytes), returning how many bytes: for loops that
 * grow their buffer once and write many numbers (wn_buf_append_int writes one). */
static inline size_t wn_decimal(uint64_t u, char *out)
{
    char tmp[20], *p = tmp + sizeof tmp;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t n = (size_t)(tmp + sizeof tmp - p);
    memcpy(out, p, n);
    return n;
}

/* Whether a buffer reused from one document to the next (any element type), with room for
 * cap elements of which it just held len, is to be freed rather than kept: when over keep
 * and less than half used. Kept whatever it held, each such buffer grows to the biggest
 * document it ever held, so memory grows with the corpus (the runner's output slots, line
 * dedup's and tokenize's per-document slots). */
static inline bool wn_buf_oversized(size_t cap, size_t len, size_t keep)
{
    return cap > keep && cap / 2 > len;
}

#endif
