/* extsort.c: memory-bounded sort into run files, and the k-way merge of runs. */
#include "dedup/extsort.h"

#include "core/args.h"
#include "core/buf.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wn_extsort {
    wn_extsort_opts o;
    char *buf;
    size_t cap, n;     /* records */
    unsigned run;
    char **runs;
    size_t n_runs;
};

void wn_strv_push(char ***v, size_t *n, const char *s)
{
    *v = wn_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = wn_xstrdup(s);
}

static int u64_cmp(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

size_t wn_u64_sort_unique(uint64_t *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, u64_cmp);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1]) v[k++] = v[i];
    return k;
}

size_t wn_u64_find(const uint64_t *v, size_t n, uint64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == x ? lo : SIZE_MAX;
}

wn_extsort *wn_extsort_new(const wn_extsort_opts *o)
{
    wn_extsort *s = wn_xcalloc(1, sizeof *s);
    s->o = *o;
    /* own copies: callers may free theirs before wn_extsort_finish */
    s->o.prefix = wn_xstrdup(o->prefix);
    s->o.suffix = wn_xstrdup(o->suffix);
    s->o.config = wn_xstrdup(o->config);
    if (s->o.n_parts == 0) s->o.n_parts = 1;
    /* Half the budget: glibc's qsort is a merge sort into a malloc'd copy of the array, so
     * sorting a full buffer peaked at twice --memory (line dedup, 16x bench: 115 MB of
     * records, 230 MB on the heap). */
    s->cap = (size_t)(o->mem_bytes / 2 / o->rec_size);
    if (s->cap < 1) s->cap = 1;
    s->buf = wn_xmalloc(s->cap * o->rec_size);
    return s;
}

/* Sort the buffer and write each partition's records to its own run file. */
static void free_sorter(wn_extsort *s)
{
    free((char *)s->o.prefix);
    free((char *)s->o.suffix);
    free((char *)s->o.config);
    free(s->runs);
    free(s->buf);
    free(s);
}

static int spill(wn_extsort *s, char *err, size_t errlen)
{
    if (s->n == 0) return 0;
    size_t rs = s->o.rec_size;
    qsort(s->buf, s->n, rs, s->o.cmp);
    for (unsigned p = 0; p < s->o.n_parts; p++) {
        wn_buf path = WN_BUF_INIT;
        wn_buf_appendf(&path, "%s-p%05u-r%04u%s", s->o.prefix, p, s->run, s->o.suffix);
        wn_dedup_file *f = NULL;
        size_t written = 0;
        for (size_t i = 0; i < s->n; i++) {
            const char *rec = s->buf + i * rs;
            if (s->o.part && s->o.n_parts > 1 && s->o.part(rec, s->o.n_parts) != p) continue;
            if (!f) {
                f = wn_dedup_file_create(path.data, s->o.kind, s->o.config, (uint32_t)rs, p,
                                         s->o.n_parts, err, errlen);
                if (!f) { wn_buf_release(&path); return -1; }
            }
            if (wn_dedup_file_write(f, rec, rs, 1)) {
                snprintf(err, errlen, "cannot write '%s'", path.data);
                wn_dedup_file_abort(f);
                wn_buf_release(&path);
                return -1;
            }
            written++;
        }
        if (f) {
            if (wn_dedup_file_commit(f, err, errlen)) { wn_buf_release(&path); return -1; }
            wn_strv_push(&s->runs, &s->n_runs, path.data);
        }
        wn_buf_release(&path);
    }
    s->run++;
    s->n = 0;
    return 0;
}

int wn_extsort_add(wn_extsort *s, const void *rec, char *err, size_t errlen)
{
    if (s->n == s->cap && spill(s, err, errlen)) return -1;
    memcpy(s->buf + s->n * s->o.rec_size, rec, s->o.rec_size);
    s->n++;
    return 0;
}

int wn_extsort_finish(wn_extsort *s, char ***runs, size_t *n_runs, char *err, size_t errlen)
{
    if (spill(s, err, errlen)) { wn_extsort_abort(s); return -1; }
    for (size_t i = 0; i < s->n_runs; i++) {
        wn_strv_push(runs, n_runs, s->runs[i]);
        free(s->runs[i]);
    }
    free_sorter(s);
    return 0;
}

void wn_extsort_abort(wn_extsort *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_runs; i++) {
        remove(s->runs[i]);
        free(s->runs[i]);
    }
    free_sorter(s);
}

/* ---- merge: a binary min-heap of run cursors ---- */

/* bytes read per run at a time (4096 records of 24 bytes): a byte budget, so runs of
 * large records (semantic rows, 1 KB) do not multiply merge memory */
enum { MERGE_BLOCK_BYTES = 98304 };

typedef struct cursor {
    wn_dedup_file *f;
    char *block;
    size_t n, pos;
    size_t index; /* run position: the tie-break */
} cursor;

struct wn_merge {
    cursor *c;
    size_t n_c;
    size_t *heap, n_heap;
    size_t rec_size, block_recs;
    wn_rec_cmp cmp;
    char *last;      /* copy of the record handed out */
    char err[512];
    bool failed;
};

static const char *cur_rec(const wn_merge *m, size_t i)
{
    const cursor *c = &m->c[i];
    return c->block + c->pos * m->rec_size;
}

static bool heap_less(const wn_merge *m, size_t a, size_t b)
{
    int r = m->cmp(cur_rec(m, a), cur_rec(m, b));
    return r < 0 || (r == 0 && m->c[a].index < m->c[b].index);
}

static void sift_down(wn_merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < m->n_heap && heap_less(m, m->heap[l], m->heap[best])) best = l;
        if (r < m->n_heap && heap_less(m, m->heap[r], m->heap[best])) best = r;
        if (best == i) return;
        size_t t = m->heap[i]; m->heap[i] = m->heap[best]; m->heap[best] = t;
        i = best;
    }
}

/* Make sure cursor i has a record; false at its end (or on error, flagged in m). */
static bool fill(wn_merge *m, size_t i)
{
    cursor *c = &m->c[i];
    if (c->pos < c->n) return true;
    long got = wn_dedup_file_read(c->f, c->block, m->block_recs);
    if (got < 0) {
        snprintf(m->err, sizeof m->err, "%s", wn_dedup_file_error(c->f));
        m->failed = true;
        return false;
    }
    c->n = (size_t)got;
    c->pos = 0;
    return got > 0;
}

wn_merge *wn_merge_open(char **runs, size_t n_runs, wn_dedup_kind kind, const char *config,
                        size_t rec_size, wn_rec_cmp cmp, char *err, size_t errlen)
{
    wn_merge *m = wn_xcalloc(1, sizeof *m);
    m->rec_size = rec_size;
    m->block_recs = rec_size < MERGE_BLOCK_BYTES ? MERGE_BLOCK_BYTES / rec_size : 1;
    m->cmp = cmp;
    m->c = wn_xcalloc(n_runs ? n_runs : 1, sizeof *m->c);
    m->heap = wn_xcalloc(n_runs ? n_runs : 1, sizeof *m->heap);
    m->last = wn_xmalloc(rec_size);
    for (size_t i = 0; i < n_runs; i++) {
        cursor *c = &m->c[m->n_c];
        c->f = wn_dedup_file_open(runs[i], kind, config, err, errlen);
        if (!c->f) { wn_merge_close(m); return NULL; }
        m->n_c++;
        if (wn_dedup_file_header(c->f)->record_size != rec_size) {
            snprintf(err, errlen, "'%s' has records of %u bytes, expected %zu", runs[i],
                     wn_dedup_file_header(c->f)->record_size, rec_size);
            wn_merge_close(m);
            return NULL;
        }
        c->block = wn_xmalloc(m->block_recs * rec_size);
        c->index = i;
        if (fill(m, m->n_c - 1)) m->heap[m->n_heap++] = m->n_c - 1;
        else if (m->failed) {
            snprintf(err, errlen, "%s", m->err);
            wn_merge_close(m);
            return NULL;
        }
    }
    for (size_t i = m->n_heap; i-- > 0;) sift_down(m, i);
    return m;
}

const void *wn_merge_next(wn_merge *m)
{
    if (m->n_heap == 0 || m->failed) return NULL;
    size_t top = m->heap[0];
    memcpy(m->last, cur_rec(m, top), m->rec_size);
    m->c[top].pos++;
    if (!fill(m, top)) {
        if (m->failed) return NULL;
        m->heap[0] = m->heap[--m->n_heap];
    }
    if (m->n_heap) sift_down(m, 0);
    return m->last;
}

const char *wn_merge_error(const wn_merge *m) { return m->failed ? m->err : NULL; }

void wn_merge_close(wn_merge *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_c; i++) {
        wn_dedup_file_close(m->c[i].f);
        free(m->c[i].block);
    }
    free(m->c);
    free(m->heap);
    free(m->last);
    free(m);
}

void wn_dedup_glob(const char *pattern, char ***out, size_t *n)
{
    glob_t g;
    *out = NULL;
    *n = 0;
    if (glob(pattern, 0, NULL, &g) != 0) return;
    for (size_t i = 0; i < g.gl_pathc; i++) wn_strv_push(out, n, g.gl_pathv[i]);
    globfree(&g);
}

void wn_dedup_remove_glob(const char *pattern)
{
    char **v;
    size_t n;
    wn_dedup_glob(pattern, &v, &n);
    for (size_t i = 0; i < n; i++) remove(v[i]);
    wn_free_strv(v, n);
}
