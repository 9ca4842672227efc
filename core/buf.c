/* buf.c: growable byte buffer; see buf.h. */
#include "core/buf.h"
#include "core/log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *wn_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        wn_fatal("out of memory allocating %zu bytes", n);
    return p;
}

void *wn_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        wn_fatal("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *wn_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        wn_fatal("out of memory reallocating %zu bytes", n);
    return q;
}

char *wn_xstrndup(const char *s, size_t n)
{
    char *p = wn_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *wn_xstrdup(const char *s)
{
    return wn_xstrndup(s, strlen(s));
}

void wn_buf_grow(wn_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len) /* a size read from bad input: never wrap around */
        wn_fatal("out of memory growing a buffer by %zu bytes", extra);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap < ((size_t)1 << 30) ? cap * 2 : cap + cap / 2;
    b->data = wn_xrealloc(b->data, cap);
    b->cap = cap;
}

void wn_buf_append(wn_buf *b, const void *data, size_t n)
{
    wn_buf_grow(b, n);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void wn_buf_appendc(wn_buf *b, char c)
{
    wn_buf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void wn_buf_append_int(wn_buf *b, int64_t v)
{
    wn_buf_grow(b, 21);
    if (v < 0)
        b->data[b->len++] = '-';
    b->len += wn_decimal(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, b->data + b->len);
    b->data[b->len] = '\0';
}

void wn_buf_appends(wn_buf *b, const char *s)
{
    wn_buf_append(b, s, strlen(s));
}

void wn_buf_vappendf(wn_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    wn_buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void wn_buf_appendf(wn_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wn_buf_vappendf(b, fmt, ap);
    va_end(ap);
}

void wn_buf_reset(wn_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void wn_buf_release(wn_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *wn_buf_detach(wn_buf *b, size_t *len)
{
    if (!b->data)
        wn_buf_grow(b, 0), b->data[0] = '\0';
    char *p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
