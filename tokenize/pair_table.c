/* pair_table.c: the merge table, (left id, right id) -> merged id, as a perfect hash
 * ("hash, displace": Belazzougui, Botelho, Dietzfelbinger 2009, without the compression).
 *
 * Every merge BPE makes probes it twice, so its size decides the merge's cost. Llama 3's
 * ~127,000 merges as open addressing (8-byte slots, half empty) take 2 MB; here each key has
 * a slot of its own (8 bytes: the 34-bit key and the 17-bit merged id) in a power of two of
 * slots, 131,072 for Llama 3 (97% full), so the table is 1 MB, plus 64 KB of bucket
 * displacements.
 *
 * Keys fall into buckets of ~4 by their hash's top bits; each bucket has a displacement
 * chosen at build time, biggest buckets first, so that its keys land on free slots: a key's
 * slot is a second hash of it (x, computed while the displacement is read) XOR the
 * displacement, masked. A lookup reads the bucket's displacement, then the one slot it
 * names, and compares the whole key: a pair that is not a merge lands on some other pair's
 * slot and fails the comparison. (Until the tenth session a 16-bit seed was mixed into the
 * hash by two multiplies after its read, and the slot taken as x * m >> 32: ~10 cycles more
 * between every merge and its new pairs' slots; multilingual +1.9%, Brown +1.5%.)
 *
 * From the seventh to the thirteenth session the merge loop read a copy of the slots in 4
 * bytes (0.53 MB): a 15-bit fingerprint of the key and the merged id, each merge checked
 * against its key in a table by merged id (`key_of`, 0.64 MB), the checks of a piece
 * gathered and the piece merged again in the rare case one failed. On the Zen 4 machine of
 * the fourteenth session that check's read, off the chain of dependent reads but not off
 * retirement, held 38% of the merge loop's samples; the exact 8-byte slots need no check
 * and no rerun (3% fewer instructions a multilingual pass), so the fingerprints, key_of and
 * the 7-byte slots the build placed keys in went. */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#define KEYS_PER_BUCKET 4
#define MAX_BUCKET 64 /* keys a bucket may hold: place() keeps their slots on the stack */

typedef struct keyed {
    uint64_t key, hash;
    uint32_t merged, bucket;
} keyed;

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The word w with its bits permuted so that bit i of the result is bit i ^ c of w (c < 64):
 * six swaps of groups of bits, one for each bit of c. */
static inline uint64_t bits_xor_permuted(uint64_t w, uint32_t c)
{
    static const uint64_t group[6] = { 0x5555555555555555ull, 0x3333333333333333ull,
                                       0x0F0F0F0F0F0F0F0Full, 0x00FF00FF00FF00FFull,
                                       0x0000FFFF0000FFFFull, 0x00000000FFFFFFFFull };
    for (int k = 0; k < 6; k++)
        if (c >> k & 1)
            w = (w & group[k]) << (1 << k) | (w >> (1 << k) & group[k]);
    return w;
}

/* The lowest displacement d <= dmax under which every slot x[j] ^ d of a bucket is free,
 * or UINT64_MAX; used holds a bit a slot (m of them, m a power of two, in at least one
 * word; every x[j] and dmax below m, so every slot tried is too). Sixty-four displacements are tried at once: those from 64q to
 * 64q + 63 send key j to the slots of one word of the bitmap, in an order its x's low bits
 * give, so the free ones are that word, inverted and permuted, ANDed over the keys. Tried
 * one at a time, as until the twenty-seventh session, the last buckets of a 97% full table
 * took ~15 ms of every load. */
static uint64_t first_free_displacement(const uint64_t *used, const uint32_t *x, uint32_t size,
                                        uint64_t dmax)
{
    for (uint64_t base = 0; base <= dmax; base += 64) {
        uint64_t free = ~0ull;
        for (uint32_t j = 0; j < size && free; j++)
            free &= bits_xor_permuted(~used[(x[j] ^ base) >> 6], x[j] & 63);
        if (dmax - base < 63)
            free &= (2ull << (dmax - base)) - 1; /* none past dmax */
        if (free)
            return base + (uint64_t)__builtin_ctzll(free);
    }
    return UINT64_MAX;
}

/* Place the keys, sorted by bucket (bucket b's are k[first[b] .. first[b+1])), in pt's m
 * slots, visiting buckets in `order`; false when some bucket finds no displacement (two of
 * its keys share x: another salt separates them). Empty slots are all ones: their key part
 * (47 bits) equals no 34-bit key. */
static bool place(wn_tok_pair_table *pt, const keyed *k, const uint32_t *first,
                  const uint64_t *order)
{
    uint64_t *used = wn_xcalloc((pt->m + 63) / 64, sizeof *used);
    memset(pt->slots, 0xff, (size_t)pt->m * sizeof *pt->slots);
    memset(pt->disp, 0, pt->r * sizeof *pt->disp);
    const uint32_t mask = pt->m - 1;
    const uint64_t dmax = mask < UINT16_MAX ? mask : UINT16_MAX;
    bool ok = true;
    uint32_t x[MAX_BUCKET];
    for (uint32_t o = 0; o < pt->r && ok; o++) {
        uint32_t b = (uint32_t)order[o], size = first[b + 1] - first[b];
        if (size == 0)
            break; /* the rest are empty too */
        if (size > MAX_BUCKET) {
            ok = false;
            break;
        }
        for (uint32_t j = 0; j < size && ok; j++) {
            x[j] = wn_tok_pair_x(pt, k[first[b] + j].key) & mask;
            for (uint32_t i = 0; i < j; i++)
                ok &= x[i] != x[j]; /* no displacement separates them */
        }
        uint64_t d = ok ? first_free_displacement(used, x, size, dmax) : UINT64_MAX;
        if (d == UINT64_MAX) {
            ok = false;
            break;
        }
        pt->disp[b] = (uint16_t)d;
        for (uint32_t j = 0; j < size; j++) {
            const keyed *e = &k[first[b] + j];
            uint32_t slot = x[j] ^ (uint32_t)d;
            used[slot >> 6] |= 1ull << (slot & 63);
            pt->slots[slot] = e->key << WN_TOK_ID_BITS | e->merged;
        }
    }
    free(used);
    return ok;
}

static uint32_t pow2_at_least(uint64_t n)
{
    uint32_t p = 2;
    while (p < n)
        p *= 2;
    return p;
}

int wn_tok_pair_table_build(wn_tok_pair_table *pt, const uint32_t *triples, size_t n)
{
    pt->r = pow2_at_least(n / KEYS_PER_BUCKET + 1);
    pt->r_shift = 64 - (uint32_t)__builtin_ctz(pt->r);
    pt->disp = wn_xmalloc(pt->r * sizeof *pt->disp);
    keyed *k = wn_xmalloc((n ? n : 1) * sizeof *k);
    uint32_t *first = wn_xcalloc((size_t)pt->r + 1, sizeof *first);
    for (size_t i = 0; i < n; i++) {
        k[i].key = (uint64_t)triples[3 * i] << WN_TOK_ID_BITS | triples[3 * i + 1];
        k[i].merged = triples[3 * i + 2];
        k[i].hash = wn_tok_pair_hash(k[i].key);
        k[i].bucket = wn_tok_pair_bucket(pt, k[i].hash);
        first[k[i].bucket + 1]++;
    }
    /* counting sort of the keys by bucket */
    for (uint32_t b = 0; b < pt->r; b++)
        first[b + 1] += first[b];
    keyed *sorted = wn_xmalloc((n ? n : 1) * sizeof *sorted);
    uint32_t *fill = wn_xmalloc(pt->r * sizeof *fill);
    memcpy(fill, first, pt->r * sizeof *fill);
    for (size_t i = 0; i < n; i++)
        sorted[fill[k[i].bucket]++] = k[i];
    /* buckets biggest first (then by number, so the build is deterministic): the big ones
     * need the most free slots */
    uint64_t *order = wn_xmalloc(pt->r * sizeof *order);
    for (uint32_t b = 0; b < pt->r; b++)
        order[b] = (uint64_t)(UINT32_MAX - (first[b + 1] - first[b])) << 32 | b;
    qsort(order, pt->r, sizeof *order, u64_cmp);
    free(fill);
    /* m is a power of two (the slot is masked, not multiplied into range): Llama 3's 127,156
     * merges fill 97% of 131,072 slots, and every bucket finds a displacement. A bucket
     * whose keys share x under every salt tried, or no room, doubles m. The keys are
     * distinct (one merge per token), so some salt separates them; the limits only turn a
     * broken invariant into an error instead of a hang. */
    int rc = -1;
    /* more room cannot help a bucket with more keys than place handles */
    bool fits = pt->r == 0 || UINT32_MAX - (uint32_t)(order[0] >> 32) <= MAX_BUCKET;
    for (int grow = 0; fits && grow < 4 && rc; grow++) {
        pt->m = pow2_at_least((uint64_t)((double)n * 1.02) + 1) << grow;
        free(pt->slots);
        pt->slots = wn_tok_alloc_huge((size_t)pt->m * sizeof *pt->slots);
        for (uint64_t salt = 0; salt < 16 && rc; salt++) {
            pt->salt = salt * 0x9E3779B97F4A7C15ull;
            rc = place(pt, sorted, first, order) ? 0 : -1;
        }
    }
    free(order);
    free(sorted);
    free(first);
    free(k);
    return rc;
}

void wn_tok_pair_table_free(wn_tok_pair_table *pt)
{
    free(pt->slots);
    free(pt->disp);
    memset(pt, 0, sizeof *pt);
}
