/* annotate_sample.c: bottom-k seeded sampling in two streaming passes; see annotate_sample.h. */
#include "classify/annotate_sample.h"
#include "core/io.h"
#include "core/log.h"
#include "core/source.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

uint64_t wn_ann_sample_key(const char *id, size_t id_len, const char *text, size_t text_len,
                           uint64_t seed)
{
    return id_len ? XXH3_64bits_withSeed(id, id_len, seed)
                  : XXH3_64bits_withSeed(text, text_len, seed);
}

typedef struct pick {
    uint64_t key, ord; /* ord: position in the stream of all documents */
} pick;

static int pick_less(const pick *a, const pick *b)
{
    return a->key < b->key || (a->key == b->key && a->ord < b->ord);
}

/* Max-heap on (key, ord): the root is the largest kept, the first to go. */
static void heap_sift_down(pick *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && pick_less(&h[m], &h[l])) m = l;
        if (r < n && pick_less(&h[m], &h[r])) m = r;
        if (m == i)
            return;
        pick t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static void heap_push(pick *h, size_t *n, pick p)
{
    size_t i = (*n)++;
    h[i] = p;
    while (i > 0 && pick_less(&h[(i - 1) / 2], &h[i])) {
        pick t = h[i]; h[i] = h[(i - 1) / 2]; h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static int by_ord(const void *a, const void *b)
{
    const pick *x = a, *y = b;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

typedef int (*doc_fn)(void *ctx, uint64_t ord, wn_doc *d);

/* Calls fn on every document of every input, in order. Returns the number of inputs that
 * opened, or -1 if fn failed. */
static long walk(char **inputs, size_t n_inputs, const wn_jsonl_opts *jopts, wn_stats *stats,
                 doc_fn fn, void *ctx)
{
    wn_batch batch;
    wn_batch_init(&batch);
    uint64_t ord = 0;
    long opened = 0;
    for (size_t f = 0; f < n_inputs; f++) {
        wn_source *src = wn_jsonl_source_open(inputs[f], (void *)jopts, stats);
        if (!src)
            continue;
        opened++;
        size_t got;
        while ((got = wn_source_next(src, &batch, 1024, (size_t)64 << 20, stats)) > 0) {
            for (size_t i = 0; i < batch.n; i++)
                if (fn(ctx, ord++, &batch.docs[i]) < 0) {
                    wn_source_close(src);
                    wn_batch_release(&batch);
                    return -1;
                }
            wn_batch_clear(&batch);
        }
        wn_source_close(src);
    }
    wn_batch_release(&batch);
    return opened;
}

typedef struct pass1 {
    pick *heap;
    size_t n, k;
    uint64_t seed;
} pass1;

static int keep_smallest(void *ctx, uint64_t ord, wn_doc *d)
{
    pass1 *p = ctx;
    pick c = {wn_ann_sample_key(d->id.ptr, d->id.len, d->text.ptr, d->text.len, p->seed), ord};
    if (p->n < p->k) {
        heap_push(p->heap, &p->n, c);
    } else if (p->k > 0 && pick_less(&c, &p->heap[0])) {
        p->heap[0] = c;
        heap_sift_down(p->heap, p->n, 0);
    }
    return 0;
}

typedef struct pass2 {
    const pick *picks;
    size_t n, next;
    wn_out *out;
    wn_buf line;
} pass2;

static int write_picked(void *ctx, uint64_t ord, wn_doc *d)
{
    pass2 *p = ctx;
    if (p->next >= p->n || p->picks[p->next].ord != ord)
        return 0;
    p->next++;
    wn_buf_reset(&p->line);
    wn_jsonl_write(&p->line, d, 0);
    if (wn_out_write(p->out, p->line.data, p->line.len) < 0) {
        wn_error("cannot write '%s'", wn_out_path(p->out));
        return -1;
    }
    return 0;
}

long long wn_ann_sample_write(char **inputs, size_t n_inputs, const wn_jsonl_opts *jopts,
                              uint64_t seed, size_t k, const char *out_path, wn_stats *stats)
{
    pass1 p1 = {wn_xcalloc(k ? k : 1, sizeof(pick)), 0, k, seed};
    long opened = walk(inputs, n_inputs, jopts, stats, keep_smallest, &p1);
    if (opened <= 0) {
        wn_error("no input could be read");
        free(p1.heap);
        return -1;
    }
    qsort(p1.heap, p1.n, sizeof(pick), by_ord);

    char err[512];
    pass2 p2 = {p1.heap, p1.n, 0, NULL, WN_BUF_INIT};
    p2.out = wn_out_open(out_path, WN_COMP_AUTO, 0, err, sizeof err);
    if (!p2.out) {
        wn_error("cannot write '%s': %s", out_path, err);
        free(p1.heap);
        return -1;
    }
    /* The second pass reads the same bytes again; its counts would double the first's. */
    wn_stats again;
    wn_stats_init(&again, "annotate.sample");
    long rc = walk(inputs, n_inputs, jopts, &again, write_picked, &p2);
    wn_stats_release(&again);
    wn_buf_release(&p2.line);
    long long written = (long long)p2.next;
    if (rc < 0 || p2.next != p2.n) {
        if (rc >= 0)
            wn_error("inputs changed while sampling: %zu of %zu chosen documents found again",
                     p2.next, p2.n);
        wn_out_abort(p2.out);
        written = -1;
    } else if (wn_out_commit(p2.out, err, sizeof err) != 0) {
        wn_error("cannot write '%s': %s", out_path, err);
        written = -1;
    }
    free(p1.heap);
    return written;
}
