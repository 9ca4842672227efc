/* stats.c: per-thread statistics and their JSON form; see stats.h.
 *
 * Drops, errors, sums and histograms are few per stage, so they live in small arrays with a
 * linear lookup. Free-form counts (e.g. one per web domain) can be many, so they get a hash
 * index as well.
 */
#include "core/stats.h"
#include "core/buf.h"
#include "core/jsonl.h"
#include "core/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Open addressing over `counts` by name; slots hold index+1, 0 = empty. */
typedef struct wn_count_index {
    uint32_t *slots;
    size_t cap;
} count_index;

void wn_stats_init(wn_stats *s, const char *stage)
{
    memset(s, 0, sizeof *s);
    s->stage = wn_xstrdup(stage ? stage : "");
}

static void free_counts(wn_count *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(c[i].name);
    free(c);
}

void wn_stats_release(wn_stats *s)
{
    free(s->stage);
    free_counts(s->drops, s->n_drops);
    free_counts(s->counts, s->n_counts);
    for (size_t i = 0; i < s->n_errors; i++) {
        free(s->errors[i].name);
        free(s->errors[i].sample_file);
        free(s->errors[i].sample_detail);
    }
    free(s->errors);
    for (size_t i = 0; i < s->n_sums; i++)
        free(s->sums[i].name);
    free(s->sums);
    for (size_t i = 0; i < s->n_hists; i++) {
        free(s->hists[i].name);
        free(s->hists[i].bins);
    }
    free(s->hists);
    if (s->count_index)
        free(s->count_index->slots);
    free(s->count_index);
    memset(s, 0, sizeof *s);
}

static count_index *index_of(wn_stats *s)
{
    if (!s->count_index)
        s->count_index = wn_xcalloc(1, sizeof(count_index));
    return s->count_index;
}

static wn_count *find_count(wn_count **arr, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*arr)[i].name, name) == 0)
            return &(*arr)[i];
    *arr = wn_xrealloc(*arr, (*n + 1) * sizeof **arr);
    wn_count *c = &(*arr)[(*n)++];
    memset(c, 0, sizeof *c);
    c->name = wn_xstrdup(name);
    return c;
}

void wn_stats_drop(wn_stats *s, const char *reason, uint64_t bytes, uint64_t chars)
{
    wn_count *c = find_count(&s->drops, &s->n_drops, reason);
    c->docs++;
    c->bytes += bytes;
    c->chars += chars;
}

void wn_stats_count(wn_stats *s, const char *name, uint64_t docs, uint64_t bytes, uint64_t chars)
{
    count_index *ix = index_of(s);
    if (ix->cap < 2 * (s->n_counts + 1)) {
        size_t cap = ix->cap ? ix->cap * 2 : 64;
        while (cap < 2 * (s->n_counts + 1))
            cap *= 2;
        free(ix->slots);
        ix->slots = wn_xcalloc(cap, sizeof *ix->slots);
        ix->cap = cap;
        for (size_t i = 0; i < s->n_counts; i++) {
            size_t h = XXH3_64bits(s->counts[i].name, strlen(s->counts[i].name)) & (cap - 1);
            while (ix->slots[h])
                h = (h + 1) & (cap - 1);
            ix->slots[h] = (uint32_t)i + 1;
        }
    }
    size_t len = strlen(name);
    size_t h = XXH3_64bits(name, len) & (ix->cap - 1);
    wn_count *c = NULL;
    while (ix->slots[h]) {
        wn_count *cand = &s->counts[ix->slots[h] - 1];
        if (strcmp(cand->name, name) == 0) {
            c = cand;
            break;
        }
        h = (h + 1) & (ix->cap - 1);
    }
    if (!c) {
        if (s->n_counts == s->cap_counts) { /* doubling: a shard has thousands of domains */
            s->cap_counts = s->cap_counts ? 2 * s->cap_counts : 64;
            s->counts = wn_xrealloc(s->counts, s->cap_counts * sizeof *s->counts);
        }
        c = &s->counts[s->n_counts++];
        memset(c, 0, sizeof *c);
        c->name = wn_xstrndup(name, len);
        ix->slots[h] = (uint32_t)s->n_counts;
    }
    c->docs += docs;
    c->bytes += bytes;
    c->chars += chars;
}

void wn_stats_error(wn_stats *s, const char *kind, const char *file, uint64_t offset,
                    const char *fmt, ...)
{
    wn_errkind *e = NULL;
    for (size_t i = 0; i < s->n_errors; i++)
        if (strcmp(s->errors[i].name, kind) == 0)
            e = &s->errors[i];
    if (!e) {
        s->errors = wn_xrealloc(s->errors, (s->n_errors + 1) * sizeof *s->errors);
        e = &s->errors[s->n_errors++];
        memset(e, 0, sizeof *e);
        e->name = wn_xstrdup(kind);
    }
    if (e->count++ == 0) {
        wn_buf b = WN_BUF_INIT;
        va_list ap;
        va_start(ap, fmt);
        wn_buf_vappendf(&b, fmt, ap);
        va_end(ap);
        e->sample_file = wn_xstrdup(file ? file : "");
        e->sample_offset = offset;
        e->sample_detail = wn_buf_detach(&b, NULL);
        wn_warn("%s: '%s' at offset %llu: %s (further '%s' errors are only counted)", kind,
                e->sample_file, (unsigned long long)offset, e->sample_detail, kind);
    }
}

void wn_stats_add(wn_stats *s, const char *name, double value)
{
    for (size_t i = 0; i < s->n_sums; i++)
        if (strcmp(s->sums[i].name, name) == 0) {
            s->sums[i].value += value;
            return;
        }
    s->sums = wn_xrealloc(s->sums, (s->n_sums + 1) * sizeof *s->sums);
    s->sums[s->n_sums].name = wn_xstrdup(name);
    s->sums[s->n_sums++].value = value;
}

/* Is h the histogram `name` names? `is_const`: name is a string constant, so the address
 * h was last found by names it too. */
static bool hist_is(wn_hist *h, const char *name, bool is_const)
{
    if (is_const && h->id == name)
        return true;
    if (strcmp(h->name, name) != 0)
        return false;
    if (is_const)
        h->id = name;
    return true;
}

/* stages add their signals in the same order for every document: the histogram after the
 * one found last on this thread is tried first (a filter chain adds ~35 per document) */
static _Thread_local const wn_stats *hint_stats;
static _Thread_local size_t hint;

/* find_hist past the hint: out of line, so that the hint's path saves no registers for it
 * (the prologue and epilogue were half of find_hist's ~40 instructions a signal) */
static __attribute__((noinline)) wn_hist *find_hist_scan(wn_stats *s, const char *name,
                                                         double lo, double hi, int nbins,
                                                         bool is_const)
{
    for (size_t i = 0; i < s->n_hists; i++)
        if (hist_is(&s->hists[i], name, is_const)) {
            hint_stats = s;
            hint = i + 1;
            return &s->hists[i];
        }
    s->hists = wn_xrealloc(s->hists, (s->n_hists + 1) * sizeof *s->hists);
    wn_hist *h = &s->hists[s->n_hists++];
    h->name = wn_xstrdup(name);
    h->id = is_const ? name : NULL;
    h->lo = lo;
    h->hi = hi > lo ? hi : lo + 1;
    h->nbins = nbins > 0 ? nbins : 1;
    h->bins = wn_xcalloc((size_t)h->nbins, sizeof *h->bins);
    h->n = 0;
    h->sum = 0;
    return h;
}

static inline wn_hist *find_hist(wn_stats *s, const char *name, double lo, double hi, int nbins,
                                 bool is_const)
{
    if (hint_stats == s && hint < s->n_hists && hist_is(&s->hists[hint], name, is_const))
        return &s->hists[hint++];
    return find_hist_scan(s, name, lo, hi, nbins, is_const);
}

void wn_stats_hist(wn_stats *s, const char *name, double lo, double hi, int nbins, double value)
{
    wn_hist_add(find_hist(s, name, lo, hi, nbins, false), value);
}

void wn_stats_hist_const(wn_stats *s, const char *name, double lo, double hi, int nbins,
                         double value)
{
    wn_hist_add(find_hist(s, name, lo, hi, nbins, true), value);
}

wn_hist *wn_stats_hist_find_const(wn_stats *s, const char *name, double lo, double hi,
                                  int nbins)
{
    return find_hist(s, name, lo, hi, nbins, true);
}

uint64_t wn_stats_drops_total(const wn_stats *s)
{
    uint64_t t = 0;
    for (size_t i = 0; i < s->n_drops; i++)
        t += s->drops[i].docs;
    return t;
}

uint64_t wn_stats_errors_total(const wn_stats *s)
{
    uint64_t t = 0;
    for (size_t i = 0; i < s->n_errors; i++)
        t += s->errors[i].count;
    return t;
}

uint64_t wn_stats_drop_docs(const wn_stats *s, const char *reason)
{
    for (size_t i = 0; i < s->n_drops; i++)
        if (strcmp(s->drops[i].name, reason) == 0)
            return s->drops[i].docs;
    return 0;
}

uint64_t wn_stats_error_count(const wn_stats *s, const char *kind)
{
    for (size_t i = 0; i < s->n_errors; i++)
        if (strcmp(s->errors[i].name, kind) == 0)
            return s->errors[i].count;
    return 0;
}

double wn_stats_sum(const wn_stats *s, const char *name)
{
    for (size_t i = 0; i < s->n_sums; i++)
        if (strcmp(s->sums[i].name, name) == 0)
            return s->sums[i].value;
    return 0;
}

void wn_stats_merge(wn_stats *into, const wn_stats *from)
{
    into->docs_in += from->docs_in;
    into->bytes_in += from->bytes_in;
    into->docs_out += from->docs_out;
    into->bytes_out += from->bytes_out;
    into->seconds += from->seconds;
    for (size_t i = 0; i < from->n_drops; i++) {
        wn_count *c = find_count(&into->drops, &into->n_drops, from->drops[i].name);
        c->docs += from->drops[i].docs;
        c->bytes += from->drops[i].bytes;
        c->chars += from->drops[i].chars;
    }
    for (size_t i = 0; i < from->n_counts; i++)
        wn_stats_count(into, from->counts[i].name, from->counts[i].docs, from->counts[i].bytes,
                       from->counts[i].chars);
    /* a crawl's worth of shards merged: bounded now and then (not at every merge: pruning
     * sorts the counters) */
    if (into->n_counts > 8 * WN_STATS_FAMILY_MAX)
        wn_stats_prune_counts(into, WN_STATS_FAMILY_MAX);
    for (size_t i = 0; i < from->n_errors; i++) {
        const wn_errkind *fe = &from->errors[i];
        wn_errkind *e = NULL;
        for (size_t k = 0; k < into->n_errors; k++)
            if (strcmp(into->errors[k].name, fe->name) == 0)
                e = &into->errors[k];
        if (!e) {
            into->errors = wn_xrealloc(into->errors, (into->n_errors + 1) * sizeof *into->errors);
            e = &into->errors[into->n_errors++];
            memset(e, 0, sizeof *e);
            e->name = wn_xstrdup(fe->name);
            e->sample_file = wn_xstrdup(fe->sample_file ? fe->sample_file : "");
            e->sample_offset = fe->sample_offset;
            e->sample_detail = wn_xstrdup(fe->sample_detail ? fe->sample_detail : "");
        }
        e->count += fe->count;
    }
    for (size_t i = 0; i < from->n_sums; i++)
        wn_stats_add(into, from->sums[i].name, from->sums[i].value);
    for (size_t i = 0; i < from->n_hists; i++) {
        const wn_hist *fh = &from->hists[i];
        wn_hist *h = find_hist(into, fh->name, fh->lo, fh->hi, fh->nbins, false);
        if (h->nbins == fh->nbins)
            for (int b = 0; b < h->nbins; b++)
                h->bins[b] += fh->bins[b];
        h->n += fh->n;
        h->sum += fh->sum;
    }
}

/* ---- bounding families of counters ----
 * Free-form counters come in families named "<family>:<key>", and some have a key per web
 * domain ("lost:<host>", "pii.seen:<host>"): a crawl has millions of domains, so one shard's
 * statistics, and more so those of a whole crawl merged, would grow without end. A family of
 * more than `max` counters keeps the keys that are among the `max` with most documents in
 * any family (so a domain kept for its PII hits keeps its "pii.seen" count, and the rates
 * stay computable); the rest of it is summed into "<family>:(other)", so totals still add
 * up. */

typedef struct ranked {
    const wn_count *c;
    size_t family_len; /* bytes up to and including the first ':', 0 = none */
} ranked;

static int by_family_then_docs(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    size_t la = a->family_len, lb = b->family_len;
    int f = memcmp(a->c->name, b->c->name, la < lb ? la : lb);
    if (f || la != lb)
        return f ? f : (la < lb ? -1 : 1);
    if (a->c->docs != b->c->docs)
        return a->c->docs > b->c->docs ? -1 : 1;
    return strcmp(a->c->name, b->c->name);
}

static bool same_family(const ranked *a, const ranked *b)
{
    return a->family_len == b->family_len && !memcmp(a->c->name, b->c->name, a->family_len);
}

static int str_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* keep[i] for counter c[i]; returns false (keep all) when no family is over `max`. The
 * "(other)" sums of the families over it go to *others (names allocated). */
static bool prune_plan(const wn_count *c, size_t n, size_t max, bool *keep, wn_count **others,
                       size_t *n_others)
{
    *others = NULL;
    *n_others = 0;
    if (n <= max)
        return false;
    ranked *r = wn_xmalloc(n * sizeof *r);
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(c[i].name, ':');
        r[i] = (ranked){ &c[i], colon ? (size_t)(colon - c[i].name) + 1 : 0 };
    }
    qsort(r, n, sizeof *r, by_family_then_docs);
    /* the keys among the first `max` of each family */
    const char **top = wn_xmalloc(n * sizeof *top);
    size_t n_top = 0;
    bool any_over = false;
    for (size_t i = 0, j; i < n; i = j) {
        size_t ranked_keys = 0; /* "(other)", a sum of keys, takes no place (idempotence) */
        for (j = i; j < n && same_family(&r[j], &r[i]); j++) {
            const char *key = r[j].c->name + r[j].family_len;
            if (strcmp(key, "(other)") && ranked_keys++ < max)
                top[n_top++] = key;
        }
        any_over |= r[i].family_len && ranked_keys > max;
    }
    if (!any_over) {
        free(top);
        free(r);
        return false;
    }
    qsort(top, n_top, sizeof *top, str_cmp);
    for (size_t i = 0; i < n; i++) {
        const char *colon = strchr(c[i].name, ':');
        const char *key = colon ? colon + 1 : c[i].name;
        keep[i] = !colon || !strcmp(key, "(other)") ||
                  bsearch(&key, top, n_top, sizeof *top, str_cmp) != NULL;
    }
    /* a family within max keeps all; one over it sums what it loses into its "(other)" */
    for (size_t i = 0, j; i < n; i = j) {
        size_t fl = r[i].family_len;
        for (j = i + 1; j < n && same_family(&r[j], &r[i]); j++)
            ;
        if (!fl || j - i <= max) {
            for (size_t k = i; k < j; k++)
                keep[r[k].c - c] = true;
            continue;
        }
        wn_count other = { 0 };
        for (size_t k = i; k < j; k++) {
            if (keep[r[k].c - c])
                continue;
            other.docs += r[k].c->docs;
            other.bytes += r[k].c->bytes;
            other.chars += r[k].c->chars;
        }
        wn_buf name = WN_BUF_INIT;
        wn_buf_append(&name, r[i].c->name, fl);
        wn_buf_appends(&name, "(other)");
        other.name = wn_buf_detach(&name, NULL);
        *others = wn_xrealloc(*others, (*n_others + 1) * sizeof **others);
        (*others)[(*n_others)++] = other;
    }
    free(top);
    free(r);
    return true;
}

void wn_stats_prune_counts(wn_stats *s, size_t max)
{
    bool *keep = wn_xmalloc((s->n_counts ? s->n_counts : 1) * sizeof *keep);
    wn_count *others;
    size_t n_others;
    if (!prune_plan(s->counts, s->n_counts, max, keep, &others, &n_others)) {
        free(keep);
        return;
    }
    wn_count *old = s->counts;
    size_t n_old = s->n_counts;
    s->counts = NULL;
    s->n_counts = s->cap_counts = 0;
    if (s->count_index) { /* rebuilt by the next wn_stats_count */
        free(s->count_index->slots);
        s->count_index->slots = NULL;
        s->count_index->cap = 0;
    }
    for (size_t i = 0; i < n_old; i++)
        if (keep[i])
            wn_stats_count(s, old[i].name, old[i].docs, old[i].bytes, old[i].chars);
    for (size_t i = 0; i < n_others; i++)
        wn_stats_count(s, others[i].name, others[i].docs, others[i].bytes, others[i].chars);
    free_counts(old, n_old);
    free_counts(others, n_others);
    free(keep);
}

static json_t *count_json(const wn_count *c)
{
    return json_pack("{s:I,s:I,s:I}", "docs", (json_int_t)c->docs, "bytes", (json_int_t)c->bytes,
                     "chars", (json_int_t)c->chars);
}

/* The counters as a JSON object; with `max`, families bounded as wn_stats_prune_counts does. */
static json_t *counts_json(const wn_count *c, size_t n, size_t max)
{
    json_t *o = json_object();
    bool *keep = wn_xmalloc((n ? n : 1) * sizeof *keep);
    wn_count *others = NULL;
    size_t n_others = 0;
    bool pruned = max && prune_plan(c, n, max, keep, &others, &n_others);
    for (size_t i = 0; i < n; i++)
        if (!pruned || keep[i])
            json_object_set_new(o, c[i].name, count_json(&c[i]));
    for (size_t i = 0; i < n_others; i++) { /* added to an "(other)" the input already had */
        wn_count sum = others[i];
        const json_t *had = json_object_get(o, sum.name);
        if (had) {
            sum.docs += (uint64_t)json_integer_value(json_object_get(had, "docs"));
            sum.bytes += (uint64_t)json_integer_value(json_object_get(had, "bytes"));
            sum.chars += (uint64_t)json_integer_value(json_object_get(had, "chars"));
        }
        json_object_set_new(o, sum.name, count_json(&sum));
    }
    free_counts(others, n_others);
    free(keep);
    return o;
}

json_t *wn_stats_to_json(const wn_stats *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "stage", json_string(s->stage));
    json_object_set_new(j, "docs_in", json_integer((json_int_t)s->docs_in));
    json_object_set_new(j, "bytes_in", json_integer((json_int_t)s->bytes_in));
    json_object_set_new(j, "docs_out", json_integer((json_int_t)s->docs_out));
    json_object_set_new(j, "bytes_out", json_integer((json_int_t)s->bytes_out));
    json_object_set_new(j, "seconds", json_real(s->seconds));
    json_object_set_new(j, "drops", counts_json(s->drops, s->n_drops, 0));
    json_t *errs = json_object();
    for (size_t i = 0; i < s->n_errors; i++) {
        const wn_errkind *e = &s->errors[i];
        json_object_set_new(errs, e->name,
                            json_pack("{s:I,s:{s:s,s:I,s:s}}", "count", (json_int_t)e->count, "sample",
                                      "file", e->sample_file ? e->sample_file : "", "offset",
                                      (json_int_t)e->sample_offset, "detail",
                                      e->sample_detail ? e->sample_detail : ""));
    }
    json_object_set_new(j, "errors", errs);
    json_t *sums = json_object();
    for (size_t i = 0; i < s->n_sums; i++)
        json_object_set_new(sums, s->sums[i].name, json_real(s->sums[i].value));
    json_object_set_new(j, "sums", sums);
    json_object_set_new(j, "counts", counts_json(s->counts, s->n_counts, WN_STATS_FAMILY_MAX));
    json_t *hists = json_object();
    for (size_t i = 0; i < s->n_hists; i++) {
        const wn_hist *h = &s->hists[i];
        json_t *bins = json_array();
        for (int b = 0; b < h->nbins; b++)
            json_array_append_new(bins, json_integer((json_int_t)h->bins[b]));
        json_object_set_new(hists, h->name,
                            json_pack("{s:f,s:f,s:I,s:f,s:o}", "lo", h->lo, "hi", h->hi, "n",
                                      (json_int_t)h->n, "sum", h->sum, "bins", bins));
    }
    json_object_set_new(j, "histograms", hists);
    return j;
}

static uint64_t jint(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

int wn_stats_from_json(wn_stats *s, const json_t *j)
{
    if (!json_is_object(j))
        return -1;
    json_t *st = json_object_get(j, "stage");
    wn_stats_init(s, json_is_string(st) ? json_string_value(st) : "");
    s->docs_in = jint(j, "docs_in");
    s->bytes_in = jint(j, "bytes_in");
    s->docs_out = jint(j, "docs_out");
    s->bytes_out = jint(j, "bytes_out");
    s->seconds = json_number_value(json_object_get(j, "seconds"));
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(j, "drops"), k, v) {
        wn_count *c = find_count(&s->drops, &s->n_drops, k);
        c->docs += jint(v, "docs");
        c->bytes += jint(v, "bytes");
        c->chars += jint(v, "chars");
    }
    json_object_foreach(json_object_get(j, "counts"), k, v)
        wn_stats_count(s, k, jint(v, "docs"), jint(v, "bytes"), jint(v, "chars"));
    json_object_foreach(json_object_get(j, "errors"), k, v) {
        json_t *sample = json_object_get(v, "sample");
        s->errors = wn_xrealloc(s->errors, (s->n_errors + 1) * sizeof *s->errors);
        wn_errkind *e = &s->errors[s->n_errors++];
        memset(e, 0, sizeof *e);
        e->name = wn_xstrdup(k);
        e->count = jint(v, "count");
        json_t *f = json_object_get(sample, "file"), *d = json_object_get(sample, "detail");
        e->sample_file = wn_xstrdup(json_is_string(f) ? json_string_value(f) : "");
        e->sample_detail = wn_xstrdup(json_is_string(d) ? json_string_value(d) : "");
        e->sample_offset = jint(sample, "offset");
    }
    json_object_foreach(json_object_get(j, "sums"), k, v)
        wn_stats_add(s, k, json_number_value(v));
    json_object_foreach(json_object_get(j, "histograms"), k, v) {
        json_t *bins = json_object_get(v, "bins");
        wn_hist *h = find_hist(s, k, json_number_value(json_object_get(v, "lo")),
                               json_number_value(json_object_get(v, "hi")), (int)json_array_size(bins), false);
        for (int b = 0; b < h->nbins; b++)
            h->bins[b] += (uint64_t)json_integer_value(json_array_get(bins, (size_t)b));
        h->n += jint(v, "n");
        h->sum += json_number_value(json_object_get(v, "sum"));
    }
    return 0;
}

int wn_stats_write(const wn_stats *s, const char *path)
{
    return wn_json_write_file(path, wn_stats_to_json(s), WN_STATS_JSON_FLAGS);
}

static int cmp_drop_desc(const void *a, const void *b)
{
    const wn_count *x = a, *y = b;
    if (x->docs != y->docs)
        return x->docs < y->docs ? 1 : -1;
    return strcmp(x->name, y->name);
}

void wn_stats_print_summary(const wn_stats *s, FILE *f)
{
    double mb_in = s->bytes_in / 1e6;
    fprintf(f, "  %-10s in %llu docs (%.1f MB) -> kept %llu docs (%.1f MB)", s->stage,
            (unsigned long long)s->docs_in, mb_in, (unsigned long long)s->docs_out, s->bytes_out / 1e6);
    if (s->seconds > 0)
        fprintf(f, "  %.1f MB/s", mb_in / s->seconds);
    fputc('\n', f);
    wn_count *sorted = wn_xmalloc((s->n_drops + 1) * sizeof *sorted);
    if (s->n_drops)
        memcpy(sorted, s->drops, s->n_drops * sizeof *sorted);
    qsort(sorted, s->n_drops, sizeof *sorted, cmp_drop_desc);
    for (size_t i = 0; i < s->n_drops; i++)
        fprintf(f, "    removed %-36s %8llu docs %10.2f MB\n", sorted[i].name,
                (unsigned long long)sorted[i].docs, sorted[i].bytes / 1e6);
    free(sorted);
    for (size_t i = 0; i < s->n_errors; i++)
        fprintf(f, "    error   %-36s %8llu      (first: '%s' offset %llu: %s)\n", s->errors[i].name,
                (unsigned long long)s->errors[i].count, s->errors[i].sample_file,
                (unsigned long long)s->errors[i].sample_offset, s->errors[i].sample_detail);
    /* documents kept but worth a look (a page declared UTF-8 that is not, a chunked body
     * kept raw...): sums named "warn.*" */
    for (size_t i = 0; i < s->n_sums; i++)
        if (!strncmp(s->sums[i].name, "warn.", 5))
            fprintf(f, "    warning %-36s %8.0f docs\n", s->sums[i].name + 5, s->sums[i].value);
}
