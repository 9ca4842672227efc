/* doc.c: the document record; see doc.h. */
#include "core/doc.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void wn_doc_init(wn_doc *d)
{
    memset(d, 0, sizeof *d);
}

static void str_free(wn_str *s)
{
    free(s->ptr);
    s->ptr = NULL;
    s->len = 0;
}

void wn_doc_release(wn_doc *d)
{
    str_free(&d->id);
    str_free(&d->text);
    str_free(&d->source);
    str_free(&d->url);
    str_free(&d->added);
    str_free(&d->created);
    json_decref(d->metadata);
    json_decref(d->attributes);
    json_decref(d->record);
    wn_doc_attr_release(d);
    wn_doc_init(d);
}

void wn_str_set(wn_str *f, const char *s, size_t n)
{
    free(f->ptr);
    f->ptr = wn_xstrndup(s ? s : "", s ? n : 0);
    f->len = s ? n : 0;
}

void wn_str_take(wn_str *f, char *s, size_t n)
{
    free(f->ptr);
    f->ptr = s;
    f->len = n;
}

size_t wn_utf8_count(const char *s, size_t n)
{
    /* Count bytes that are not continuation bytes: exact for valid UTF-8, and each invalid
     * byte >= 0xC0 or < 0x80 counts once, matching how a replacing decoder would count. */
    size_t cont = 0, i = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (; i + 8 <= n; i += 8) { /* eight bytes at a time: a continuation byte is 10xxxxxx */
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* one bit per continuation byte, summed by a multiply: without -mpopcnt,
         * __builtin_popcountll is a libgcc call */
        uint64_t c = w & ~(w << 1) & 0x8080808080808080ull;
        cont += (size_t)(((c >> 7) * 0x0101010101010101ull) >> 56);
    }
    for (; i < n; i++)
        cont += (p[i] & 0xC0) == 0x80;
    return n - cont;
}

void wn_doc_meta_set(wn_doc *d, const char *key, json_t *value)
{
    if (!d->metadata)
        d->metadata = json_object();
    json_object_set_new(d->metadata, key, value);
}

void wn_batch_init(wn_batch *b)
{
    memset(b, 0, sizeof *b);
}

wn_doc *wn_batch_push(wn_batch *b)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->docs = wn_xrealloc(b->docs, b->cap * sizeof *b->docs);
    }
    wn_doc *d = &b->docs[b->n++];
    wn_doc_init(d);
    return d;
}

void wn_batch_clear(wn_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        wn_doc_release(&b->docs[i]);
    b->n = 0;
}

void wn_batch_release(wn_batch *b)
{
    wn_batch_clear(b);
    free(b->docs);
    wn_batch_init(b);
}
