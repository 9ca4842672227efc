/* bpe_small.h: BPE of a short piece (at most WN_TOK_SMALL_PIECE bytes) in stack arrays.
 * Inline, in a header: the encoder runs it for every short piece it has not cached, and
 * bpe.c for the rest. */
#ifndef WN_TOK_BPE_SMALL_H
#define WN_TOK_BPE_SMALL_H

#include "tokenize/tok_internal.h"

#define WN_TOK_SMALL_PIECE 64

/* The parts are in an array, each adjacent pair kept as one key,
 * rank << POS_BITS | position, so the smallest key is the merge BPE makes next (lowest rank,
 * then leftmost) and finding it is a plain minimum, without a data-dependent branch. When a
 * merge removes a part, the pairs after it move down one position: their keys drop by 1.
 * NO_KEY (less at most WN_TOK_SMALL_PIECE such drops) marks a pair that is not a token. */
#define WN_TOK_POS_BITS 6
#define WN_TOK_NO_KEY 0xFFFFFFFFu
_Static_assert(WN_TOK_SMALL_PIECE <= 1 << WN_TOK_POS_BITS, "positions must fit in POS_BITS");
_Static_assert((uint64_t)WN_TOK_MAX_IDS << WN_TOK_POS_BITS < 0x80000000u,
               "keys stay below NO_KEY");

/* The key of the pair (a, b) at pos, from the merge table's slots (tok_internal.h): NO_KEY
 * for a pair that is not a merge. Without a branch on the slot just read: 43% of the pairs
 * BPE looks up are not merges, so that branch was mispredicted often, and each time the
 * lookups issued after it were thrown away (sixth session: keying a piece's pairs +2%
 * multilingual, +3% Brown; seventh: with the keys of new pairs taken a step late, the merges
 * of ASCII pieces too). */
static inline uint32_t wn_tok_pair_key_masked(const wn_tok *t, uint32_t a, uint32_t b, size_t pos)
{
    uint64_t key = ((uint64_t)a << WN_TOK_ID_BITS) | b;
    uint64_t v = wn_tok_pair_slot_value(t, key);
    uint32_t miss = (uint32_t)(v >> WN_TOK_ID_BITS != key); /* 0 or 1 */
    uint32_t found = (uint32_t)(v & (WN_TOK_MAX_IDS - 1)) << WN_TOK_POS_BITS | (uint32_t)pos;
    return found | (0u - miss);
}

/* True when p[0..n) has a byte outside ASCII: only then can characters merge early. */
static inline bool wn_tok_has_high_byte(const uint8_t *p, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= p[i];
    return any >= 0x80;
}

/* wn_tok_has_high_byte for a piece of at most 16 bytes whose key is k (wn_tok_key_make): the
 * key's words are its bytes, zero-padded, so one test instead of a loop over the bytes, whose
 * exit the branch predictor misses at a different length each piece. */
static inline bool wn_tok_key_has_high_byte(const wn_tok_key *k)
{
    return ((k->w0 | k->w1) & 0x8080808080808080ull) != 0;
}

/* BPE from the parts id[0..m), whose pairs' keys are key[0..m-1) (key[m-1] is NO_KEY).
 * The keys of the two pairs a merge makes join key[] a step late (seventh session): the next
 * scan takes the minimum of the other keys, which it need not wait for, and a new key wins
 * only through a branch the CPU predicts as not taken (78% of the merges after a piece's
 * first are not of a pair just made), so the next merge's lookups are issued while these are
 * still in flight instead of after them (multilingual +3.7%, then +2.8% with the ASCII
 * pieces' merges keyed the same way, Brown +2%). high (a constant at each call) is set for
 * pieces with characters outside ASCII: the parts after a merge then move down in the loop
 * itself rather than in a memmove call GCC makes of it, faster for those pieces and slower
 * for the encoder's inline copy on English (measured). */
static inline size_t wn_tok_bpe_small_run(const wn_tok *t, uint32_t *id, uint32_t *key, size_t m,
                                          bool high)
{
    /* the keys of the two pairs the last merge made, not yet in key[], which holds NO_KEY
     * at pl and pr; m - 1 (past the pairs) stands for a pair that does not exist */
    uint32_t kl = WN_TOK_NO_KEY, kr = WN_TOK_NO_KEY;
    size_t pl = m - 1, pr = m - 1;
    while (m > 1) {
        uint32_t low = key[0];
        for (size_t i = 1; i + 1 < m; i++)
            low = key[i] < low ? key[i] : low;
        uint32_t fresh = kl < kr ? kl : kr;
        if (__builtin_expect(fresh < low, 0)) {
            __asm__ volatile("" : "+r"(fresh)); /* a branch, predicted: not a cmov */
            low = fresh;
        }
        key[pl] = kl;
        key[pr] = kr;
        kl = kr = WN_TOK_NO_KEY;
        pl = pr = m - 1;
        if (low >= 0x80000000u)
            break; /* no adjacent pair is a token */
        size_t best = low & ((1u << WN_TOK_POS_BITS) - 1);
        id[best] = low >> WN_TOK_POS_BITS;
        for (size_t i = best + 1; i + 1 < m; i++) {
            uint32_t next = id[i + 1];
            if (high)
                __asm__("" : "+r"(next)); /* not a copy GCC can turn into memmove */
            id[i] = next;
            key[i] = key[i + 1] - 1;
        }
        m--;
        pl = pr = m - 1;
        if (best + 1 < m) {
            kr = wn_tok_pair_key_masked(t, id[best], id[best + 1], best);
            pr = best;
            key[best] = WN_TOK_NO_KEY;
        }
        if (best > 0) {
            kl = wn_tok_pair_key_masked(t, id[best - 1], id[best], best - 1);
            pl = best - 1;
            key[best - 1] = WN_TOK_NO_KEY;
        }
    }
    return m;
}

/* key[0..m) for the parts id[0..m): each adjacent pair's, then NO_KEY. */
static inline void wn_tok_key_parts(const wn_tok *t, const uint32_t *id, uint32_t *key, size_t m)
{
    for (size_t i = 0; i + 1 < m; i++)
        key[i] = wn_tok_pair_key_masked(t, id[i], id[i + 1], i);
    key[m - 1] = WN_TOK_NO_KEY;
}

/* BPE from the parts id[0..m) (1 <= m <= WN_TOK_SMALL_PIECE), e.g. characters merged early. */
static inline size_t wn_tok_bpe_small_parts_as(const wn_tok *t, uint32_t *id, size_t m,
                                               bool high)
{
    uint32_t key[WN_TOK_SMALL_PIECE];
    wn_tok_key_parts(t, id, key, m);
    return wn_tok_bpe_small_run(t, id, key, m, high);
}

static inline size_t wn_tok_bpe_small_parts(const wn_tok *t, uint32_t *id, size_t m)
{
    return wn_tok_bpe_small_parts_as(t, id, m, false);
}

/* wn_tok_bpe_small for a piece with characters outside ASCII, which may merge some of them
 * before BPE starts (premerge.c). Out of line (bpe.c): the encoder's loop stays small. */
size_t wn_tok_bpe_small_premerged(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id);

/* wn_tok_bpe_small out of line (bpe.c), for callers other than the encoder's piece loop,
 * which keeps the one inline copy. */
size_t wn_tok_bpe_small_ids(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id);

/* wn_tok_bpe_small where the caller knows whether p[0..n) has a byte outside ASCII (high). */
static inline size_t wn_tok_bpe_small_known(const wn_tok *t, const uint8_t *p, size_t n,
                                            uint32_t *id, bool high)
{
    if (t->premerge.blocks && high)
        return wn_tok_bpe_small_premerged(t, p, n, id);
    size_t m = n;
    if (t->premerge.ascii) {
        m = wn_tok_premerge_ascii_parts(t, p, n, id);
    } else { /* a table of every split (tests): BPE from the bytes */
        for (size_t i = 0; i < n; i++)
            id[i] = t->byte_id[p[i]];
    }
    return wn_tok_bpe_small_parts(t, id, m);
}

/* BPE of p[0..n), 2 <= n <= WN_TOK_SMALL_PIECE, into id[0..n); returns the number of ids.
 * One call of the merge loop, so that the compiler keeps it inline in the encoder's loop. */
static inline size_t wn_tok_bpe_small(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    return wn_tok_bpe_small_known(t, p, n, id, wn_tok_has_high_byte(p, n));
}

#endif
