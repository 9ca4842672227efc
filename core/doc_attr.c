/* doc_attr.c: a document's attributes; see doc.h.
 *
 * The attributes a document was read with stay in their jansson object; the ones set since
 * go to a flat array of entries, one allocation per document, with no JSON built: a
 * filter chain sets ~35 per document, and as jansson arrays and reals they cost ~6
 * allocations each. The array behaves as the object would: setting a name again replaces
 * the entry in place, and a name the object already holds keeps the object's position when
 * written (json_dump.c merges the two). wn_doc_attr_json turns the array into the object
 * for readers that need the whole map.
 */
#include "core/doc.h"
#include "core/buf.h"
#include "core/utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Enough for the default filter chain's signals: one allocation per document. */
enum { FIRST_CAP = 64 };

/* Eight bytes per multiply: FNV-1a waited on a multiply per byte of names such as
 * "gopher_rep.dup_para_char_frac" (~100 cycles a name, ~35 names set a document: 2.4% of
 * the filter chain on prose). Only compared in memory, never stored. */
static uint32_t name_hash(const char *s)
{
    size_t n = strlen(s), i = 0;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n, w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 29;
    }
    /* the tail: the last 8 bytes again (copying the n - i left into a zeroed word made
     * the load wait for the copy's byte stores), or the bytes of a name shorter than 8 */
    if (n >= 8) {
        memcpy(&w, s + n - 8, 8);
    } else {
        for (w = 0; i < n; i++)
            w = w << 8 | (unsigned char)s[i];
    }
    h = (h ^ w) * 0x94D049BB133111EBull;
    return (uint32_t)(h ^ h >> 32);
}

/* A bit per name hash's low 8 bits in d->attr_names: a filter chain sets ~35 new names a
 * document, and a clear bit says a name is new without scanning the entries before it
 * (~600 entry compares a document: 3% of the chain on short paragraphs). 256 bits, not 64:
 * with 64, the ~35 names had set ~40% of the bits by a document's last signals, and a new
 * name found its bit set, and scanned every entry, once in four on average (~50
 * instructions a set on prose, callgrind); with 256, once in fifteen. */
static bool name_seen(const wn_doc *d, uint32_t h)
{
    return d->attr_names[h >> 6 & 3] >> (h & 63) & 1;
}

static void name_mark(wn_doc *d, uint32_t h)
{
    d->attr_names[h >> 6 & 3] |= 1ull << (h & 63);
}

/* The entry named `name` among those set, or NULL: past the bit test, out of line, so that
 * a new name's path (the filter chain's ~35 signals a document) saves no registers for it. */
static __attribute__((noinline)) wn_attr *find_scan(const wn_doc *d, const char *name,
                                                    uint32_t h)
{
    for (uint32_t i = 0; i < d->n_attr; i++) {
        wn_attr *a = &d->attr[i];
        if (a->hash == h && (a->name == name || !strcmp(a->name, name)))
            return a;
    }
    return NULL;
}

static inline wn_attr *find(const wn_doc *d, const char *name, uint32_t h)
{
    return name_seen(d, h) ? find_scan(d, name, h) : NULL;
}

const wn_attr *wn_doc_attr_find(const wn_doc *d, const char *name)
{
    return d->n_attr ? find(d, name, name_hash(name)) : NULL;
}

uint32_t wn_doc_attr_name_hash(const char *name)
{
    return name_hash(name);
}

static void clear_value(wn_attr *a)
{
    if (a->kind == WN_ATTR_JSON)
        json_decref(a->v.json);
    a->kind = WN_ATTR_LABEL;
    a->v.label = NULL;
}

static __attribute__((noinline)) void grow(wn_doc *d)
{
    d->cap_attr = d->cap_attr ? 2 * d->cap_attr : FIRST_CAP;
    d->attr = wn_xrealloc(d->attr, d->cap_attr * sizeof *d->attr);
}

/* A new entry for `name` (`h` its name_hash) at the end, naming a copy of `name` when
 * `copy`. */
static inline wn_attr *append(wn_doc *d, const char *name, uint32_t h, bool copy)
{
    if (d->n_attr == d->cap_attr)
        grow(d);
    wn_attr *a = &d->attr[d->n_attr++];
    name_mark(d, h);
    *a = (wn_attr){.name = copy ? wn_xstrdup(name) : name, .own_name = copy, .hash = h};
    return a;
}

/* entry_hashed for a name whose bit is set: out of line, as find_scan */
static __attribute__((noinline)) wn_attr *entry_seen(wn_doc *d, const char *name, uint32_t h,
                                                     bool copy)
{
    wn_attr *a = find_scan(d, name, h);
    if (!a)
        return append(d, name, h, copy);
    clear_value(a);
    return a;
}

/* The entry for `name` (`h` its name_hash), its old value cleared: the existing one (its
 * position kept, as json_object_set keeps a key's), or a new one at the end, naming a copy
 * of `name` when `copy`. */
static inline wn_attr *entry_hashed(wn_doc *d, const char *name, uint32_t h, bool copy)
{
    return name_seen(d, h) ? entry_seen(d, name, h, copy) : append(d, name, h, copy);
}

static wn_attr *entry(wn_doc *d, const char *name, bool copy)
{
    return entry_hashed(d, name, name_hash(name), copy);
}

static bool is_utf8(const char *s)
{
    size_t n = strlen(s);
    return wn_utf8_valid_prefix(s, n) == n;
}

void wn_doc_attr_set_signal(wn_doc *d, const char *name, size_t n_chars, double score)
{
    wn_doc_attr_set_signal_hashed(d, name, name_hash(name), n_chars, score);
}

void wn_doc_attr_set_signal_hashed(wn_doc *d, const char *name, uint32_t hash, size_t n_chars,
                                   double score)
{
    wn_attr *a = entry_hashed(d, name, hash, false);
    a->kind = WN_ATTR_SIGNAL;
    a->n_chars = n_chars;
    a->v.score = score;
}

void wn_doc_attr_put_signal(wn_doc *d, const char *name, size_t n_chars, double score)
{
    if (!is_utf8(name))
        return;
    wn_attr *a = entry(d, name, true);
    a->kind = WN_ATTR_SIGNAL;
    a->n_chars = n_chars;
    a->v.score = score;
}

void wn_doc_attr_set_label(wn_doc *d, const char *name, const char *value)
{
    if (!is_utf8(value))
        return;
    wn_attr *a = entry(d, name, false);
    a->kind = WN_ATTR_LABEL;
    a->v.label = value;
}

void wn_doc_attr_set_score(wn_doc *d, const char *name, double score)
{
    if (!isfinite(score) || !is_utf8(name))
        return;
    wn_attr *a = entry(d, name, true);
    a->kind = WN_ATTR_SIGNAL;
    a->n_chars = wn_utf8_count(d->text.ptr, d->text.len);
    a->v.score = score;
}

void wn_doc_attr_set(wn_doc *d, const char *name, json_t *value)
{
    if (!value)
        return;
    if (!is_utf8(name)) {
        json_decref(value);
        return;
    }
    wn_attr *a = entry(d, name, true);
    a->kind = WN_ATTR_JSON;
    a->v.json = value;
}

json_t *wn_attr_json(const wn_attr *a)
{
    switch (a->kind) {
    case WN_ATTR_SIGNAL: {
        json_t *span = json_array();
        json_array_append_new(span, json_integer(0));
        json_array_append_new(span, json_integer((json_int_t)a->n_chars));
        json_array_append_new(span, json_real(a->v.score)); /* NULL, not added, if not finite */
        json_t *spans = json_array();
        json_array_append_new(spans, span);
        return spans;
    }
    case WN_ATTR_LABEL:
        return json_string(a->v.label);
    default:
        return json_incref(a->v.json);
    }
}

void wn_doc_attr_add_span(wn_doc *d, const char *name, size_t start, size_t end, double score)
{
    if (!is_utf8(name))
        return;
    wn_attr *a = d->n_attr ? find(d, name, name_hash(name)) : NULL;
    json_t *list;
    if (a) {
        list = wn_attr_json(a);
        wn_doc_attr_set(d, name, list); /* the entry now holds JSON, to append to */
    } else {
        list = d->attributes ? json_object_get(d->attributes, name) : NULL;
    }
    if (!json_is_array(list)) {
        list = json_array();
        wn_doc_attr_set(d, name, list);
    }
    json_array_append_new(list, json_pack("[I,I,f]", (json_int_t)start, (json_int_t)end, score));
}

/* What a reader sees of a JSON value: a span list reads as its first span's score. */
static const json_t *scalar(const json_t *v)
{
    if (!json_is_array(v))
        return v;
    const json_t *span = json_array_get(v, 0);
    return json_is_array(span) ? json_array_get(span, 2) : NULL;
}

/* The JSON value for `name` when it is one (*a NULL), or the entry (*a set). */
static const json_t *lookup(const wn_doc *d, const char *name, const wn_attr **a)
{
    *a = wn_doc_attr_find(d, name);
    if (*a)
        return (*a)->kind == WN_ATTR_JSON ? (*a)->v.json : NULL;
    return d->attributes ? json_object_get(d->attributes, name) : NULL;
}

int wn_doc_attr_get_score(const wn_doc *d, const char *name, double *out)
{
    const wn_attr *a;
    const json_t *v = scalar(lookup(d, name, &a));
    if (a && a->kind == WN_ATTR_SIGNAL) {
        if (!isfinite(a->v.score))
            return -1; /* stored as [[0, n_chars]]: no score */
        *out = a->v.score;
        return 0;
    }
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

const char *wn_doc_attr_get_string(const wn_doc *d, const char *name)
{
    const wn_attr *a;
    const json_t *v = scalar(lookup(d, name, &a));
    if (a && a->kind == WN_ATTR_LABEL)
        return a->v.label;
    return json_string_value(v);
}

bool wn_doc_attr_any(const wn_doc *d)
{
    return d->n_attr || (d->attributes && json_object_size(d->attributes));
}

static void release_entries(wn_doc *d)
{
    for (uint32_t i = 0; i < d->n_attr; i++) {
        clear_value(&d->attr[i]);
        if (d->attr[i].own_name)
            free((char *)d->attr[i].name);
    }
    d->n_attr = 0;
    memset(d->attr_names, 0, sizeof d->attr_names);
}

json_t *wn_doc_attr_json(wn_doc *d)
{
    if (!d->n_attr)
        return d->attributes;
    if (!d->attributes)
        d->attributes = json_object();
    for (uint32_t i = 0; i < d->n_attr; i++)
        json_object_set_new_nocheck(d->attributes, d->attr[i].name, wn_attr_json(&d->attr[i]));
    release_entries(d);
    return d->attributes;
}

/* A document's entries are written once each, by the chain's signals, ~35 over its
 * filters: each filter's few went to lines the filters between had let fall out of the
 * cache (language ID's tables pass through it for every document), and they waited on
 * those lines (a store per new line). Prefetched before the filter runs, the lines come in
 * while it works: the filters after language ID -3.5% on prose (their summed times). */
void wn_doc_attr_prefetch(const wn_doc *d, size_t n)
{
    if (!d->attr)
        return;
    size_t last = d->n_attr + n < d->cap_attr ? d->n_attr + n : d->cap_attr;
    const char *p = (const char *)(d->attr + d->n_attr), *end = (const char *)(d->attr + last);
    for (; p < end; p += 64)
        __builtin_prefetch(p, 1, 3);
}

void wn_doc_attr_release(wn_doc *d)
{
    release_entries(d);
    free(d->attr);
    d->attr = NULL;
    d->cap_attr = 0;
}
