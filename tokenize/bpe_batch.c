/* bpe_batch.c: BPE of a batch of neighbouring pieces with their merges interleaved.
 *
 * Merging a short piece is bound by memory latency, not arithmetic: each merge looks up two
 * new pairs in the 4 MB pair table, mostly cache misses, and the next merge cannot be chosen
 * before they arrive. Pieces are independent, though, so the short pieces of a batch that
 * need merging each get a lane and the lanes take turns: a lane merges, prefetches the slots
 * of its two new pairs and yields; by its next turn the slots have arrived. The misses of
 * several pieces then overlap instead of queueing. Every lane runs exactly bpe.c's small-piece
 * algorithm (lowest rank, leftmost on ties), so the ids are the same; only the order in which
 * independent pieces are worked on changes. Results are emitted in piece order.
 */
#include "tokenize/tok_internal.h"

#include <string.h>

/* A pair is kept as one key, rank << POS_BITS | position, so that the smallest key is the
 * merge BPE makes next (lowest rank, then leftmost) and the scan for it is a plain minimum
 * without a data-dependent branch. A position shifts down by one when a merge before it
 * removes a part, which is subtracting 1 from its key. NONE (and NONE minus up to
 * WN_TOK_LANE_BYTES shifts) marks a pair that is not a token. */
#define POS_BITS 6
#define NONE 0xFFFFFFFFu
#define IS_NONE(k) ((k) >= 0x80000000u)
_Static_assert(WN_TOK_LANE_BYTES <= 1 << POS_BITS, "positions must fit in POS_BITS");
_Static_assert((uint64_t)WN_TOK_MAX_IDS << POS_BITS < 0x80000000u, "keys must stay below NONE");

typedef struct lane {
    uint32_t id[WN_TOK_LANE_BYTES];
    uint32_t key[WN_TOK_LANE_BYTES]; /* key[i]: the merge of id[i] and id[i+1] */
    uint32_t m;                      /* current number of parts */
    int32_t merged_at; /* part merged on the last turn, whose two pairs are pending; -1 */
    int fresh;         /* merged here (not a whole token or a cache hit): cache it */
} lane;

static inline uint32_t pair_key(const wn_tok *t, uint32_t a, uint32_t b, uint32_t pos)
{
    int64_t r = wn_tok_pair(t, a, b);
    return r < 0 ? NONE : (uint32_t)r << POS_BITS | pos;
}

static void lane_start(const wn_tok *t, lane *l, const uint8_t *p, size_t n)
{
    l->m = (uint32_t)n;
    l->merged_at = -1;
    l->fresh = 1;
    for (size_t i = 0; i < n; i++)
        l->id[i] = t->byte_id[p[i]];
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t r = t->byte_pair[p[i] * 256 + p[i + 1]];
        l->key[i] = r == UINT32_MAX ? NONE : r << POS_BITS | (uint32_t)i;
    }
    l->key[n - 1] = NONE; /* the last part has no pair; shifted down, never scanned */
}

/* One turn: settle the pairs the last merge created, then make the next merge and prefetch
 * its new pairs. Returns 0 when the piece is done. */
static int lane_turn(const wn_tok *t, lane *l)
{
    uint32_t *id = l->id, *key = l->key, m = l->m;
    if (l->merged_at >= 0) {
        uint32_t b = (uint32_t)l->merged_at;
        if (b + 1 < m)
            key[b] = pair_key(t, id[b], id[b + 1], b);
        if (b > 0)
            key[b - 1] = pair_key(t, id[b - 1], id[b], b - 1);
    }
    if (m < 2)
        return 0;
    uint32_t low = key[0];
    for (uint32_t i = 1; i + 1 < m; i++)
        low = key[i] < low ? key[i] : low;
    if (IS_NONE(low))
        return 0;
    uint32_t best = low & ((1u << POS_BITS) - 1);
    id[best] = low >> POS_BITS;
    for (uint32_t i = best + 1; i + 1 < m; i++) {
        id[i] = id[i + 1];
        key[i] = key[i + 1] - 1; /* NONE stays NONE-like: at most 64 shifts */
    }
    l->m = --m;
    l->merged_at = (int32_t)best;
    if (best + 1 < m)
        wn_tok_pair_prefetch(t, id[best], id[best + 1]);
    if (best > 0)
        wn_tok_pair_prefetch(t, id[best - 1], id[best]);
    return 1;
}

size_t wn_tok_bpe_short(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    lane l;
    lane_start(t, &l, p, n);
    while (lane_turn(t, &l))
        ;
    return wn_tok_ids_emit(out, l.id, l.m);
}

size_t wn_tok_bpe_batch(const wn_tok *t, const uint8_t *s, const size_t *start,
                        const uint64_t *hash, int k, wn_tok_ids *out)
{
    lane lanes[WN_TOK_BATCH];
    int8_t lane_of[WN_TOK_BATCH]; /* piece -> lane, or -1: a long piece, done in bpe.c */
    int active[WN_TOK_BATCH], n_active = 0, n_lanes = 0;
    for (int i = 0; i < k; i++) {
        const uint8_t *p = s + start[i];
        size_t n = start[i + 1] - start[i], m;
        lane *l = &lanes[n_lanes];
        l->fresh = 0;
        int64_t whole = n == 1 ? t->byte_id[p[0]] : wn_tok_lookup_hashed(t, p, n, hash[i]);
        const uint32_t *hit;
        if (whole >= 0) {
            l->id[0] = (uint32_t)whole;
            l->m = 1;
        } else if ((hit = wn_tok_cache_get(t, p, n, hash[i], &m)) != NULL) {
            memcpy(l->id, hit, m * sizeof *hit); /* copied: a lane may reuse the entry */
            l->m = (uint32_t)m;
        } else if (n <= WN_TOK_LANE_BYTES) {
            lane_start(t, l, p, n);
            active[n_active++] = n_lanes;
        } else {
            lane_of[i] = -1;
            continue;
        }
        lane_of[i] = (int8_t)n_lanes++;
    }
    while (n_active) {
        int kept = 0;
        for (int a = 0; a < n_active; a++)
            if (lane_turn(t, &lanes[active[a]]))
                active[kept++] = active[a]; /* a finished lane leaves the turn order */
        n_active = kept;
    }
    size_t count = 0;
    for (int i = 0; i < k; i++) {
        const uint8_t *p = s + start[i];
        size_t n = start[i + 1] - start[i];
        if (lane_of[i] < 0) {
            count += wn_tok_bpe_piece(t, p, n, hash[i], out);
            continue;
        }
        const lane *l = &lanes[lane_of[i]];
        if (l->fresh)
            wn_tok_cache_put(t, p, n, hash[i], l->id, l->m);
        count += wn_tok_ids_emit(out, l->id, l->m);
    }
    return count;
}
