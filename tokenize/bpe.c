/* bpe.c: byte-level BPE of one pre-tokenized piece, as tiktoken defines it: start from the
 * piece's bytes and repeatedly merge the adjacent pair whose concatenation has the lowest
 * rank (the leftmost on ties) until no adjacent pair is a token.
 *
 * Paths: a piece that is itself a token is one id (the whole-piece shortcut, which is what
 * most English words take); a short piece that needed merging before is taken from a
 * per-thread cache; pieces up to 64 bytes merge in small stack arrays (a scan per merge,
 * which beats the heap's bookkeeping at these lengths); longer ones use a heap and a
 * linked list, O(n log n); huge ones (a 10 MB run of one letter) sweep ranks in
 * bpe_sweep.c. No input makes encoding quadratic. Pair lookups go through the pair table
 * (wn_tok_pair), keyed by the two ids, so no bytes are hashed while merging.
 */
#include "tokenize/tok_internal.h"

#include "core/buf.h"
#include "tokenize/u64heap.h"

#include <stdlib.h>
#include <string.h>

#define NO_PAIR UINT32_MAX
#define SMALL_PIECE 64
#define MEDIUM_PIECE 256
#define LARGE_PIECE 65536 /* beyond: bpe_sweep.c */

static inline uint32_t pair_rank(const wn_tok *t, uint32_t a, uint32_t b)
{
    int64_t r = wn_tok_pair(t, a, b);
    return r < 0 ? NO_PAIR : (uint32_t)r;
}

static size_t emit(wn_tok_ids *out, const uint32_t *ids, size_t m)
{
    if (out) {
        wn_tok_ids_reserve(out, m);
        memcpy(out->ids + out->len, ids, m * sizeof *ids);
        out->len += m;
    }
    return m;
}

/* Short pieces: the parts in an array, each adjacent pair kept as one key,
 * rank << POS_BITS | position, so the smallest key is the merge BPE makes next (lowest rank,
 * then leftmost) and finding it is a plain minimum, without a data-dependent branch. When a
 * merge removes a part, the pairs after it move down one position: their keys drop by 1.
 * NO_KEY (less at most SMALL_PIECE such drops) marks a pair that is not a token. */
#define POS_BITS 6
#define NO_KEY 0xFFFFFFFFu
_Static_assert(SMALL_PIECE <= 1 << POS_BITS, "positions must fit in POS_BITS");
_Static_assert((uint64_t)WN_TOK_MAX_IDS << POS_BITS < 0x80000000u, "keys stay below NO_KEY");

static inline uint32_t pair_key(const wn_tok *t, uint32_t a, uint32_t b, size_t pos)
{
    int64_t r = wn_tok_pair(t, a, b);
    return r < 0 ? NO_KEY : (uint32_t)r << POS_BITS | (uint32_t)pos;
}

static size_t bpe_small(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    uint32_t id[SMALL_PIECE], key[SMALL_PIECE]; /* key[i]: merge of id[i], id[i+1] */
    size_t m = n;
    for (size_t i = 0; i < n; i++)
        id[i] = t->byte_id[p[i]];
    for (size_t i = 0; i + 1 < m; i++) {
        uint32_t r = t->byte_pair[p[i] * 256 + p[i + 1]];
        key[i] = r == NO_PAIR ? NO_KEY : r << POS_BITS | (uint32_t)i;
    }
    key[n - 1] = NO_KEY; /* the last part has no pair; it is shifted, never scanned */
    while (m > 1) {
        uint32_t low = key[0];
        for (size_t i = 1; i + 1 < m; i++)
            low = key[i] < low ? key[i] : low;
        if (low >= 0x80000000u)
            break; /* no adjacent pair is a token */
        size_t best = low & ((1u << POS_BITS) - 1);
        id[best] = low >> POS_BITS;
        for (size_t i = best + 1; i + 1 < m; i++) {
            id[i] = id[i + 1];
            key[i] = key[i + 1] - 1;
        }
        m--;
        if (best + 1 < m)
            key[best] = pair_key(t, id[best], id[best + 1], best);
        if (best > 0)
            key[best - 1] = pair_key(t, id[best - 1], id[best], best - 1);
    }
    return emit(out, id, m);
}

/* Longer pieces: parts form a linked list over byte positions (a part is named by the
 * position of its first byte, so list order is position order); rank[i] is the merge of
 * part i with its successor. Heap entries whose rank no longer matches are stale. The
 * heap never holds more than 3n entries: n-1 initial pairs and two per merge. */
typedef struct bpe_work {
    uint32_t *id, *next, *prev, *rank;
    uint64_t *heap;
} bpe_work;

static size_t bpe_heap(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out,
                       bpe_work w)
{
    uint32_t *id = w.id, *next = w.next, *prev = w.prev, *rank = w.rank;
    wn_u64heap h = { w.heap, 0, 3 * n };
    const uint32_t END = UINT32_MAX;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_id[p[i]];
        next[i] = i + 1 < n ? (uint32_t)(i + 1) : END;
        prev[i] = i ? (uint32_t)(i - 1) : END;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        rank[i] = t->byte_pair[p[i] * 256 + p[i + 1]];
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
    return emit(out, id, m);
}

static size_t bpe_medium(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    uint32_t id[MEDIUM_PIECE], next[MEDIUM_PIECE], prev[MEDIUM_PIECE], rank[MEDIUM_PIECE];
    uint64_t heap_store[3 * MEDIUM_PIECE];
    return bpe_heap(t, p, n, out, (bpe_work){ id, next, prev, rank, heap_store });
}

static size_t bpe_large(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    bpe_work w = { wn_xmalloc(n * sizeof *w.id), wn_xmalloc(n * sizeof *w.next),
                   wn_xmalloc(n * sizeof *w.prev), wn_xmalloc(n * sizeof *w.rank),
                   wn_xmalloc(3 * n * sizeof *w.heap) };
    size_t m = bpe_heap(t, p, n, out, w);
    free(w.id);
    free(w.next);
    free(w.prev);
    free(w.rank);
    free(w.heap);
    return m;
}

/* Per-thread cache of short pieces: text repeats its words, and one cache line read costs
 * far less than a vocabulary probe in a table of megabytes, let alone merging again. An
 * entry is a piece of up to 16 bytes (its key's two words and length are the whole piece,
 * so a hit is exactly what BPE would give) with its ids, whole-token or merged. Keyed by
 * the tokenizer's serial too. In static thread-local storage: nothing to allocate or free,
 * nothing shared. */
#define CACHE_SLOTS 16384
#define CACHE_BYTES 16
#define CACHE_IDS 10
typedef struct cache_entry {
    uint64_t w0, w1;
    uint32_t serial; /* 0 = empty */
    uint8_t len, n_ids;
    uint32_t ids[CACHE_IDS];
} cache_entry;
static _Thread_local cache_entry g_cache[CACHE_SLOTS];

void wn_tok_cache_clear(void)
{
    memset(g_cache, 0, sizeof g_cache);
}

static inline cache_entry *cache_slot(const wn_tok_key *k)
{
    return &g_cache[(k->hash >> 40) & (CACHE_SLOTS - 1)];
}

void wn_tok_prefetch(const wn_tok *t, const wn_tok_key *k)
{
    __builtin_prefetch(cache_slot(k));
    __builtin_prefetch(&t->vocab[k->hash & t->vocab_mask]);
}

size_t wn_tok_bpe_heap(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    return n <= MEDIUM_PIECE ? bpe_medium(t, p, n, out) : bpe_large(t, p, n, out);
}

static size_t bpe_any(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    if (n <= SMALL_PIECE)
        return bpe_small(t, p, n, out);
    if (n <= MEDIUM_PIECE)
        return bpe_medium(t, p, n, out);
    if (n <= LARGE_PIECE)
        return bpe_large(t, p, n, out);
    return wn_tok_bpe_sweep(t, p, n, out);
}

size_t wn_tok_bpe_piece(const wn_tok *t, const uint8_t *p, size_t n, const wn_tok_key *k,
                        wn_tok_ids *out)
{
    if (n == 1) {
        if (out)
            wn_tok_ids_push1(out, t->byte_id[p[0]]);
        return 1;
    }
    cache_entry *e = NULL;
    if (n <= CACHE_BYTES) {
        e = cache_slot(k);
        if (e->w0 == k->w0 && e->w1 == k->w1 && e->len == n && e->serial == t->serial)
            return emit(out, e->ids, e->n_ids);
    }
    uint32_t ids_small[SMALL_PIECE];
    wn_tok_ids tmp = { ids_small, 0, SMALL_PIECE }; /* large enough: never reallocated */
    wn_tok_ids *dst = out ? out : &tmp;
    size_t before = dst->len, m;
    int64_t whole = wn_tok_lookup_key(t, p, n, k);
    if (whole >= 0) {
        wn_tok_ids_push1(dst, (wn_tok_id)whole);
        m = 1;
    } else if (!out && n > SMALL_PIECE) {
        return bpe_any(t, p, n, NULL);
    } else {
        m = bpe_any(t, p, n, dst);
    }
    if (e && m <= CACHE_IDS) {
        e->serial = t->serial;
        e->w0 = k->w0;
        e->w1 = k->w1;
        e->len = (uint8_t)n;
        e->n_ids = (uint8_t)m;
        memcpy(e->ids, dst->ids + before, m * sizeof *e->ids);
    }
    return m;
}
