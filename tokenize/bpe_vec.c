/* bpe_vec.c: wn_tok_bpe_small_run (bpe_small.h) with the pairs' keys in 16-lane AVX-512
 * registers, one to four of them (up to 64 parts). The scalar loop's merge costs a scan of
 * all m keys (a chain of m - 1 dependent minimums) and a shift of the parts after it; here
 * the minimum is a vector minimum and its reduction, and the shift one two-source permute
 * per register, whatever m. Same keys (rank << POS_BITS | pos) and the same late join of
 * the two new pairs' keys, so the same ids (test_tokenizer's test_vector_merge_loop runs
 * both on the same pieces). */
#include "tokenize/bpe_vec.h"

#include "tokenize/bpe_small.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VEC 1
#else
#define HAVE_VEC 0
#endif

bool wn_tok_bpe_vec_use = true;

bool wn_tok_bpe_vec_ok(void)
{
#if HAVE_VEC
    return wn_tok_bpe_vec_use && __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

#if HAVE_VEC
#define VEC_TARGET __attribute__((target("avx512f")))
#define LANES 16

/* The 16 lanes of register r of a 64-lane mask. */
#define LANES_OF(mask64, r) ((__mmask16)((mask64) >> (LANES * (r))))

/* The loop for nr registers (nr a constant in each caller, so the register arrays stay in
 * registers): id[0..m) the parts, key[0..m) their pairs' keys (key[m-1] NO_KEY); the merged
 * parts back in id[0..return). */
VEC_TARGET __attribute__((always_inline)) static inline size_t
vec_run(const wn_tok *t, uint32_t *id, const uint32_t *key, size_t m, const int nr)
{
    /* the parts in memory, where a merge's four reads of them are scalar loads (the
     * permuted registers stored back whole, aligned: each load is forwarded from one store);
     * a lane of zeros before and after, read for the neighbours a merge at an end lacks */
    uint32_t store[LANES + 4 * LANES + LANES] __attribute__((aligned(64)));
    uint32_t *part = store + LANES;
    const __m512i no_key = _mm512_set1_epi32((int)WN_TOK_NO_KEY);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __m512i k[4];
    uint64_t in_piece = m == 64 ? ~0ull : (1ull << m) - 1;
    for (int r = 0; r < nr; r++) {
        __mmask16 lanes = LANES_OF(in_piece, r);
        k[r] = _mm512_mask_loadu_epi32(no_key, lanes, key + LANES * r);
        _mm512_store_si512(part + LANES * r, _mm512_maskz_loadu_epi32(lanes, id + LANES * r));
    }
    store[LANES - 1] = 0;
    _mm512_store_si512(part + LANES * nr, _mm512_setzero_si512());
    /* the keys of the two pairs the last merge made, and the lanes they join (a step late,
     * as in the scalar loop: the next minimum does not wait for their lookups) */
    uint32_t kl = WN_TOK_NO_KEY, kr = WN_TOK_NO_KEY;
    uint64_t at_l = 0, at_r = 0;
    while (m > 1) {
        /* the minimum in every lane (min with the lanes swapped at 256, 128, 64, 32 bits):
         * the shift's masks come from it by compares, without a trip through a register */
        __m512i low_v = k[0];
        for (int r = 1; r < nr; r++)
            low_v = _mm512_min_epu32(low_v, k[r]);
        low_v = _mm512_min_epu32(low_v, _mm512_shuffle_i32x4(low_v, low_v, 0x4E));
        low_v = _mm512_min_epu32(low_v, _mm512_shuffle_i32x4(low_v, low_v, 0xB1));
        low_v = _mm512_min_epu32(low_v, _mm512_shuffle_epi32(low_v, _MM_PERM_BADC));
        low_v = _mm512_min_epu32(low_v, _mm512_shuffle_epi32(low_v, _MM_PERM_CDAB));
        uint32_t low = (uint32_t)_mm512_cvtsi512_si32(low_v);
        uint32_t fresh = kl < kr ? kl : kr;
        if (__builtin_expect(fresh < low, 0)) {
            __asm__ volatile("" : "+r"(fresh)); /* a branch, predicted: not a cmov */
            low = fresh;
            low_v = _mm512_set1_epi32((int)fresh);
        }
        __m512i vkl = _mm512_set1_epi32((int)kl), vkr = _mm512_set1_epi32((int)kr);
        for (int r = 0; r < nr; r++) {
            k[r] = _mm512_mask_mov_epi32(k[r], LANES_OF(at_l, r), vkl);
            k[r] = _mm512_mask_mov_epi32(k[r], LANES_OF(at_r, r), vkr);
        }
        if (low >= 0x80000000u)
            break; /* no adjacent pair is a token */
        size_t best = low & ((1u << WN_TOK_POS_BITS) - 1);
        uint32_t merged = low >> WN_TOK_POS_BITS;
        uint32_t left = part[best - 1], right = part[best + 2];
        /* lanes after best take their right neighbour's part and key (less one position);
         * best takes the merged part; best - 1 and best wait for their new keys */
        uint64_t at = 1ull << best;
        __m512i best_v = _mm512_and_si512(low_v, _mm512_set1_epi32((1 << WN_TOK_POS_BITS) - 1));
        __m512i v[4], vmerged = _mm512_set1_epi32((int)merged);
        for (int r = 0; r < nr; r++)
            v[r] = _mm512_mask_mov_epi32(_mm512_load_si512(part + LANES * r), LANES_OF(at, r),
                                         vmerged);
        for (int r = 0; r < nr; r++) {
            __m512i lane = _mm512_add_epi32(iota, _mm512_set1_epi32(LANES * r));
            __mmask16 shifted = _mm512_cmpgt_epu32_mask(lane, best_v);
            __mmask16 waiting = _mm512_cmple_epu32_mask(lane, best_v) &
                                _mm512_cmpge_epu32_mask(_mm512_add_epi32(lane, one), best_v);
            __m512i idx = _mm512_mask_add_epi32(iota, shifted, iota, one);
            __m512i next_k = r + 1 < nr ? k[r + 1] : no_key;
            __m512i next_v = r + 1 < nr ? v[r + 1] : v[r];
            k[r] = _mm512_permutex2var_epi32(k[r], idx, next_k);
            k[r] = _mm512_mask_sub_epi32(k[r], shifted, k[r], one);
            k[r] = _mm512_mask_mov_epi32(k[r], waiting, no_key);
            _mm512_store_si512(part + LANES * r, _mm512_permutex2var_epi32(v[r], idx, next_v));
        }
        m--;
        /* both looked up, the one past an end then NO_KEY: no branch on best, which the
         * predictor cannot know */
        uint32_t no_right = 0u - (uint32_t)(best + 1 >= m), no_left = 0u - (uint32_t)(best == 0);
        kr = wn_tok_pair_key_masked(t, merged, right, best) | no_right;
        kl = wn_tok_pair_key_masked(t, left, merged, best - 1) | no_left;
        at_r = at & (0ull - (uint64_t)(best + 1 < m));
        at_l = at >> 1;
    }
    in_piece = m == 64 ? ~0ull : (1ull << m) - 1;
    for (int r = 0; r < nr; r++)
        _mm512_mask_storeu_epi32(id + LANES * r, LANES_OF(in_piece, r),
                                 _mm512_load_si512(part + LANES * r));
    return m;
}

VEC_TARGET static size_t vec_run1(const wn_tok *t, uint32_t *id, const uint32_t *key, size_t m)
{
    return vec_run(t, id, key, m, 1);
}

VEC_TARGET static size_t vec_run2(const wn_tok *t, uint32_t *id, const uint32_t *key, size_t m)
{
    return vec_run(t, id, key, m, 2);
}

VEC_TARGET static size_t vec_run4(const wn_tok *t, uint32_t *id, const uint32_t *key, size_t m)
{
    return vec_run(t, id, key, m, 4);
}

size_t wn_tok_bpe_vec_parts(const wn_tok *t, uint32_t *id, size_t m)
{
    uint32_t key[WN_TOK_SMALL_PIECE];
    wn_tok_key_parts(t, id, key, m);
    return m <= LANES       ? vec_run1(t, id, key, m)
           : m <= 2 * LANES ? vec_run2(t, id, key, m)
                            : vec_run4(t, id, key, m);
}
#else
size_t wn_tok_bpe_vec_parts(const wn_tok *t, uint32_t *id, size_t m)
{
    return wn_tok_bpe_small_parts_as(t, id, m, true);
}
#endif
