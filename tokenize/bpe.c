/* bpe.c: byte-level BPE of one pre-tokenized piece, as tiktoken defines it: start from the
 * piece's bytes and repeatedly merge the adjacent pair whose concatenation has the lowest
 * rank (the leftmost on ties) until no adjacent pair is a token.
 *
 * Only pieces that are not themselves tokens come here (the whole-piece shortcut and the
 * piece cache are encode.c's). Pieces up to 64 bytes merge in small stack arrays (a scan
 * per merge, which beats the heap's bookkeeping at these lengths); longer ones are BPE of
 * short windows spliced where two share a token (bpe_windows.c), exact and 3-50x faster
 * than one heap for the whole. Where the windows share no token, a heap and a linked list,
 * O(n log n), or for huge pieces a sweep of ranks (bpe_sweep.c). No input makes encoding
 * quadratic. A piece of up to 256 bytes with
 * characters outside ASCII starts from its characters where premerge.c shows BPE would
 * have merged them first anyway; when that leaves more than 12 parts (long Cyrillic or
 * Greek words), its merges run in AVX-512 registers where the CPU has them (bpe_vec.c).
 * Pair lookups go through the pair table (wn_tok_pair), keyed by the two ids, so no bytes
 * are hashed while merging.
 */
#include "tokenize/bpe_small.h"
#include "tokenize/bpe_vec.h"
#include "tokenize/tok_internal.h"

#include "core/buf.h"
#include "tokenize/u64heap.h"

#include <stdlib.h>
#include <string.h>

#define NO_PAIR UINT32_MAX
#define MEDIUM_PIECE 256
#define LARGE_PIECE 65536 /* beyond: bpe_sweep.c */

static inline uint32_t pair_rank(const wn_tok *t, uint32_t a, uint32_t b)
{
    int64_t r = wn_tok_pair(t, a, b);
    return r < 0 ? NO_PAIR : (uint32_t)r;
}

/* Pieces of more parts than this merge in vector registers when the CPU can (bpe_vec.c):
 * on the multilingual corpus's pieces alone, the vector loop takes the BPE (premerging and
 * keying included) of 13-16 parts in 2-5% less time than the scalar one and of 17 to 64
 * parts in 15-22% less, but of 9-12 parts in the same or up to 8% more (twelfth session,
 * tok20); one predictable branch a piece. */
#define WN_TOK_VEC_MIN_PARTS 12

/* BPE of the parts id[0..m) of a piece with characters outside ASCII. */
static size_t bpe_parts_high(const wn_tok *t, uint32_t *id, size_t m)
{
    if (m > WN_TOK_VEC_MIN_PARTS && wn_tok_bpe_vec_ok())
        return wn_tok_bpe_vec_parts(t, id, m);
    return wn_tok_bpe_small_parts_as(t, id, m, true);
}

size_t wn_tok_bpe_small_premerged(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    return bpe_parts_high(t, id, wn_tok_premerge_parts(t, p, n, id));
}

size_t wn_tok_bpe_small_ids(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    return wn_tok_bpe_small(t, p, n, id);
}

static size_t bpe_small(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    uint32_t id[WN_TOK_SMALL_PIECE];
    return wn_tok_ids_emit(out, id, wn_tok_bpe_small(t, p, n, id));
}

/* Longer pieces: parts form a linked list over byte positions (a part is named by the
 * position of its first byte, so list order is position order); rank[i] is the merge of
 * part i with its successor. Heap entries whose rank no longer matches are stale. The
 * heap never holds more than 3n entries: n-1 initial pairs and two per merge. */
typedef struct bpe_work {
    uint32_t *id, *next, *prev, *rank;
    uint64_t *heap;
} bpe_work;

/* The parts start as the bytes p[0..n), or, when p is NULL, as the n parts already in w.id
 * (characters merged early, premerge.c). The ids end in w.id[0..m); returns m. */
static size_t bpe_heap(const wn_tok *t, const uint8_t *p, size_t n, bpe_work w)
{
    uint32_t *id = w.id, *next = w.next, *prev = w.prev, *rank = w.rank;
    wn_u64heap h = { w.heap, 0, 3 * n };
    const uint32_t END = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        if (p)
            id[i] = t->byte_id[p[i]];
        next[i] = i + 1 < n ? (uint32_t)(i + 1) : END;
        prev[i] = i ? (uint32_t)(i - 1) : END;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        rank[i] = p ? t->byte_pair[p[i] * 256 + p[i + 1]] : pair_rank(t, id[i], id[i + 1]);
        if (rank[i] != NO_PAIR)
            wn_u64heap_push(&h, (uint64_t)rank[i] << 32 | i);
    }
    rank[n - 1] = NO_PAIR;
    while (h.n) {
        uint64_t top = wn_u64heap_pop(&h);
        uint32_t i = (uint32_t)top, r = (uint32_t)(top >> 32);
        if (rank[i] != r)
            continue; /* stale */
        uint32_t j = next[i];
        id[i] = r;
        next[i] = next[j];
        if (next[j] != END)
            prev[next[j]] = i;
        rank[j] = NO_PAIR; /* j is gone */
        rank[i] = next[i] != END ? pair_rank(t, id[i], id[next[i]]) : NO_PAIR;
        if (rank[i] != NO_PAIR)
            wn_u64heap_push(&h, (uint64_t)rank[i] << 32 | i);
        uint32_t k = prev[i];
        if (k != END) {
            rank[k] = pair_rank(t, id[k], id[i]);
            if (rank[k] != NO_PAIR)
                wn_u64heap_push(&h, (uint64_t)rank[k] << 32 | k);
        }
    }
    size_t m = 0;
    for (uint32_t i = 0; i != END; i = next[i])
        id[m++] = id[i]; /* compacting in place is safe: m <= i */
    return m;
}

/* BPE of p[0..n), WN_TOK_SMALL_PIECE < n <= MEDIUM_PIECE, into id[0..n): a piece with
 * characters outside ASCII (a CJK sentence is one piece) has its characters merged early,
 * then the parts' BPE, in stack arrays when few. */
static size_t bpe_medium_ids(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    uint32_t next[MEDIUM_PIECE], prev[MEDIUM_PIECE], rank[MEDIUM_PIECE];
    uint64_t heap_store[3 * MEDIUM_PIECE];
    bpe_work w = { id, next, prev, rank, heap_store };
    if (!t->premerge.blocks || !wn_tok_has_high_byte(p, n))
        return bpe_heap(t, p, n, w);
    size_t m = wn_tok_premerge_parts(t, p, n, id);
    if (m <= WN_TOK_SMALL_PIECE)
        return bpe_parts_high(t, id, m);
    return bpe_heap(t, NULL, m, w);
}

size_t wn_tok_bpe_ids(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    if (n <= 1) {
        if (n)
            id[0] = t->byte_id[p[0]];
        return n;
    }
    if (n <= WN_TOK_SMALL_PIECE)
        return wn_tok_bpe_small(t, p, n, id);
    if (n <= MEDIUM_PIECE)
        return bpe_medium_ids(t, p, n, id);
    uint32_t next[WN_TOK_BPE_IDS_MAX], prev[WN_TOK_BPE_IDS_MAX], rank[WN_TOK_BPE_IDS_MAX];
    uint64_t heap_store[3 * WN_TOK_BPE_IDS_MAX];
    return bpe_heap(t, p, n, (bpe_work){ id, next, prev, rank, heap_store });
}

static size_t bpe_medium(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    uint32_t id[MEDIUM_PIECE];
    return wn_tok_ids_emit(out, id, bpe_medium_ids(t, p, n, id));
}

static size_t bpe_large(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    bpe_work w = { wn_xmalloc(n * sizeof *w.id), wn_xmalloc(n * sizeof *w.next),
                   wn_xmalloc(n * sizeof *w.prev), wn_xmalloc(n * sizeof *w.rank),
                   wn_xmalloc(3 * n * sizeof *w.heap) };
    size_t m = wn_tok_ids_emit(out, w.id, bpe_heap(t, p, n, w));
    free(w.id);
    free(w.next);
    free(w.prev);
    free(w.rank);
    free(w.heap);
    return m;
}

size_t wn_tok_bpe_heap(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    if (n > MEDIUM_PIECE)
        return bpe_large(t, p, n, out);
    uint32_t id[MEDIUM_PIECE], next[MEDIUM_PIECE], prev[MEDIUM_PIECE], rank[MEDIUM_PIECE];
    uint64_t heap_store[3 * MEDIUM_PIECE];
    return wn_tok_ids_emit(out, id,
                           bpe_heap(t, p, n, (bpe_work){ id, next, prev, rank, heap_store }));
}

size_t wn_tok_bpe_merge(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    if (n <= WN_TOK_SMALL_PIECE)
        return bpe_small(t, p, n, out);
    size_t m = wn_tok_bpe_windows(t, p, n, out);
    if (m != SIZE_MAX)
        return m;
    if (n <= MEDIUM_PIECE)
        return bpe_medium(t, p, n, out);
    if (n <= LARGE_PIECE)
        return bpe_large(t, p, n, out);
    return wn_tok_bpe_sweep(t, p, n, out);
}
