/* bpe_sweep.c: BPE of huge pieces (a 10 MB run of one letter, a megabyte of base64
 * letters) by sweeping one rank at a time.
 *
 * BPE merges the pair of lowest (rank, position) first. Every pair of the lowest rank r is
 * therefore merged left to right before any higher rank, and a merge never creates a pair
 * of rank r again (the new pair contains token r plus more bytes, so it is another token).
 * So instead of a heap of every pair, keep one position list per rank and a small heap of
 * the ranks that have one; sweep the lowest rank's positions in order. A merge may create a
 * pair of LOWER rank (about 50,000 Llama 3 tokens have a part of higher rank): then the
 * sweep stops, puts its remaining positions back, and the lower rank goes first, exactly as
 * the heap order requires. The lists are read sequentially, so the work is cache-friendly,
 * unlike a heap of tens of millions of entries. Same result as bpe.c's heap (tested).
 */
#include "tokenize/tok_internal.h"

#include "core/buf.h"
#include "tokenize/u64heap.h"

#include <stdlib.h>
#include <string.h>

#define END UINT32_MAX
#define NO_RANK UINT32_MAX

typedef struct pos_list {
    uint32_t *pos;
    size_t start, n, cap; /* live entries are pos[start .. n) */
    size_t sorted_end;    /* pos[start .. sorted_end) is known to be in order */
    int queued;           /* its rank is in the rank heap */
} pos_list;

typedef struct sweep {
    const wn_tok *t;
    uint32_t *id, *next, *prev, *rank;
    pos_list *lists;  /* by rank */
    wn_u64heap heap;  /* ranks with a queued list */
} sweep;

static void rank_heap_push(sweep *s, uint32_t r)
{
    if (s->heap.n == s->heap.cap) {
        s->heap.cap = s->heap.cap ? 2 * s->heap.cap : 256;
        s->heap.a = wn_xrealloc(s->heap.a, s->heap.cap * sizeof *s->heap.a);
    }
    wn_u64heap_push(&s->heap, r);
}

static void add_pair(sweep *s, uint32_t r, uint32_t pos)
{
    pos_list *l = &s->lists[r];
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->pos = wn_xrealloc(l->pos, l->cap * sizeof *l->pos);
    }
    l->pos[l->n++] = pos;
    if (!l->queued) {
        l->queued = 1;
        rank_heap_push(s, r);
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t pair_at(const sweep *s, uint32_t i)
{
    if (s->next[i] == END)
        return NO_RANK;
    int64_t r = wn_tok_pair(s->t, s->id[i], s->id[s->next[i]]);
    return r < 0 ? NO_RANK : (uint32_t)r;
}

/* Merge part i with its successor into token r; queue the two new pairs. Returns 1 if one
 * of them has a rank below r. */
static int merge(sweep *s, uint32_t i, uint32_t r)
{
    uint32_t j = s->next[i];
    s->id[i] = r;
    s->next[i] = s->next[j];
    if (s->next[j] != END)
        s->prev[s->next[j]] = i;
    s->rank[j] = NO_RANK;
    int lower = 0;
    s->rank[i] = pair_at(s, i);
    if (s->rank[i] != NO_RANK) {
        add_pair(s, s->rank[i], i);
        lower |= s->rank[i] < r;
    }
    uint32_t k = s->prev[i];
    if (k != END) {
        s->rank[k] = pair_at(s, k);
        if (s->rank[k] != NO_RANK) {
            add_pair(s, s->rank[k], k);
            lower |= s->rank[k] < r;
        }
    }
    return lower;
}

size_t wn_tok_bpe_sweep(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    sweep s = { .t = t };
    s.id = wn_xmalloc(n * sizeof *s.id);
    s.next = wn_xmalloc(n * sizeof *s.next);
    s.prev = wn_xmalloc(n * sizeof *s.prev);
    s.rank = wn_xmalloc(n * sizeof *s.rank);
    s.lists = wn_xcalloc(t->n_ranks, sizeof *s.lists);
    for (size_t i = 0; i < n; i++) {
        s.id[i] = t->byte_id[p[i]];
        s.next[i] = i + 1 < n ? (uint32_t)(i + 1) : END;
        s.prev[i] = i ? (uint32_t)(i - 1) : END;
    }
    for (size_t i = 0; i < n; i++) {
        s.rank[i] = i + 1 < n ? t->byte_pair[p[i] * 256 + p[i + 1]] : NO_RANK;
        if (s.rank[i] != NO_RANK)
            add_pair(&s, s.rank[i], (uint32_t)i);
    }
    while (s.heap.n) {
        uint32_t r = (uint32_t)wn_u64heap_pop(&s.heap);
        pos_list *l = &s.lists[r];
        l->queued = 0;
        /* Positions arrive in order within one sweep but from several sweeps: sort what is
         * new (a resumed sweep's remainder is already in order). */
        uint32_t *v = l->pos + l->start;
        size_t m = l->n - l->start, done = l->sorted_end > l->start ? l->sorted_end - l->start : 0;
        for (size_t k = done ? done : 1; k < m; k++)
            if (v[k] < v[k - 1]) {
                qsort(v, m, sizeof *v, cmp_u32);
                break;
            }
        size_t k = 0;
        int lower = 0;
        while (k < m && !lower) {
            uint32_t i = v[k++];
            if (s.rank[i] == r) /* else stale: the pair changed since it was queued */
                lower = merge(&s, i, r);
        }
        if (lower && k < m) {
            /* A lower rank appeared: it goes first; this rank resumes later. No pair of rank
             * r was added meanwhile, so the rest stays sorted. */
            l->start += k;
            l->sorted_end = l->n;
            l->queued = 1;
            rank_heap_push(&s, r);
        } else {
            free(l->pos);
            memset(l, 0, sizeof *l);
        }
    }
    size_t m = 0;
    for (uint32_t i = 0; i != END; i = s.next[i])
        s.id[m++] = s.id[i];
    wn_tok_ids_emit(out, s.id, m);
    for (size_t r = 0; r < t->n_ranks; r++)
        free(s.lists[r].pos);
    free(s.lists);
    free(s.heap.a);
    free(s.id);
    free(s.next);
    free(s.prev);
    free(s.rank);
    return m;
}
