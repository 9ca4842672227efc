/* pair_table.c: the merge table, (left id, right id) -> merged id, as a perfect hash
 * ("hash, displace": Belazzougui, Botelho, Dietzfelbinger 2009, without the compression).
 *
 * Every merge BPE makes probes it twice, so its size decides the merge's cost: on this
 * machine a random read costs ~7 ns in a table of 1 MB and ~35 ns in one of 2 MB or more.
 * Llama 3's ~127,000 merges as open addressing (8-byte slots, half empty) take 2 MB; here
 * each key has a slot of its own (7 bytes: the 34-bit key and the 17-bit merged id), 5% of
 * slots spare, so the table is 0.91 MB, plus 62 KB of bucket seeds.
 *
 * Keys fall into buckets of ~4; each bucket has a seed (the displacement) chosen at build
 * time, biggest buckets first, so that its keys land on free slots. A lookup reads the
 * bucket's seed, then the one slot it names, and compares the whole key: a pair that is
 * not a merge lands on some other pair's slot and fails the comparison.
 *
 * The merge loop reads a copy of the slots in 4 bytes (0.53 MB instead of 0.93): a 15-bit
 * fingerprint of the key instead of the key. A pair that is not a merge then passes as one
 * once in 32,768 lookups, so the whole key is checked only for the pairs BPE merges, in a
 * table by merged id (`key_of`, 5 bytes an id: 0.64 MB, multilingual +1.3% over 8-byte
 * words), off the chain of dependent reads every merge waits on: the checks of a piece are
 * gathered and the piece merged again, checking each merge, in the rare case one failed
 * (seventh session, bpe_small.h). */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#define SLOT_BYTES WN_TOK_PAIR_SLOT_BYTES
#define KEYS_PER_BUCKET 4
#define MAX_SEED 65535
#define MAX_BUCKET 64 /* keys a bucket may hold: place() keeps their slots on the stack */

static void slot_put(uint8_t *slots, uint32_t s, uint64_t v)
{
    uint64_t le = htole64(v);
    memcpy(slots + (size_t)s * SLOT_BYTES, &le, SLOT_BYTES); /* the low 7 bytes */
}

typedef struct keyed {
    uint64_t key, hash;
    uint32_t merged, bucket;
} keyed;

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Place the keys, sorted by bucket (bucket b's are k[first[b] .. first[b+1])), in pt's m
 * slots, visiting buckets in `order`; false when some bucket finds no seed. Empty slots
 * are all ones: their key part (39 bits) equals no 34-bit key. */
static bool place(wn_tok_pair_table *pt, const keyed *k, const uint32_t *first,
                  const uint64_t *order)
{
    uint8_t *used = wn_xcalloc(pt->m, 1);
    memset(pt->slots, 0xff, (size_t)pt->m * SLOT_BYTES + 8);
    memset(pt->disp, 0, pt->r * sizeof *pt->disp);
    bool ok = true;
    uint32_t s[MAX_BUCKET];
    for (uint32_t o = 0; o < pt->r && ok; o++) {
        uint32_t b = (uint32_t)order[o], size = first[b + 1] - first[b];
        if (size == 0)
            break; /* the rest are empty too */
        if (size > MAX_BUCKET) {
            ok = false;
            break;
        }
        uint32_t seed;
        for (seed = 0; seed <= MAX_SEED; seed++) {
            uint32_t j;
            for (j = 0; j < size; j++) {
                s[j] = wn_tok_pair_slot(pt, k[first[b] + j].hash, seed);
                bool clash = used[s[j]];
                for (uint32_t i = 0; i < j && !clash; i++)
                    clash = s[i] == s[j];
                if (clash)
                    break;
            }
            if (j == size)
                break;
        }
        if (seed > MAX_SEED) {
            ok = false;
            break;
        }
        pt->disp[b] = (uint16_t)seed;
        for (uint32_t j = 0; j < size; j++) {
            const keyed *e = &k[first[b] + j];
            used[s[j]] = 1;
            slot_put(pt->slots, s[j], e->key << WN_TOK_ID_BITS | e->merged);
        }
    }
    free(used);
    return ok;
}

int wn_tok_pair_table_build(wn_tok_pair_table *pt, const uint32_t *triples, size_t n)
{
    pt->r = (uint32_t)(n / KEYS_PER_BUCKET + 1);
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
    /* With 5% of the slots spare every bucket of Llama 3's merges finds a seed quickly
     * (1% also works but builds slower); a vocabulary where they do not gets more room. The
     * keys are distinct (one merge per token), so room always ends the search; the limit only
     * turns a broken invariant into an error instead of a hang. */
    int rc = -1;
    /* more room cannot help a bucket with more keys than place handles */
    bool fits = pt->r == 0 || UINT32_MAX - (uint32_t)(order[0] >> 32) <= MAX_BUCKET;
    for (double spare = 1.05; fits && spare < 4.0 && rc; spare += 0.02) {
        pt->m = (uint32_t)((double)n * spare) + 1;
        free(pt->slots);
        pt->slots = wn_xmalloc((size_t)pt->m * SLOT_BYTES + 8);
        rc = place(pt, sorted, first, order) ? 0 : -1;
    }
    if (rc == 0) {
        pt->fast = wn_tok_alloc_huge((size_t)pt->m * sizeof *pt->fast);
        memset(pt->fast, 0xff, (size_t)pt->m * sizeof *pt->fast);
        size_t key_of_bytes = (size_t)WN_TOK_MAX_IDS * WN_TOK_KEY_OF_BYTES + 8;
        pt->key_of = wn_tok_alloc_huge(key_of_bytes);
        memset(pt->key_of, 0xff, key_of_bytes);
        for (size_t i = 0; i < n; i++) {
            pt->fast[wn_tok_pair_index(pt, sorted[i].key)] =
                wn_tok_pair_fp(sorted[i].key) << WN_TOK_ID_BITS | sorted[i].merged;
            if (pt->key_of && wn_tok_pair_key_of(pt, sorted[i].merged) != WN_TOK_KEY_OF_NONE) {
                free(pt->key_of);
                pt->key_of = NULL;
            } else if (pt->key_of) {
                uint64_t le = htole64(sorted[i].key); /* the low 5 bytes: a key has 34 bits */
                memcpy(pt->key_of + (size_t)sorted[i].merged * WN_TOK_KEY_OF_BYTES, &le,
                       WN_TOK_KEY_OF_BYTES);
            }
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
    free(pt->fast);
    free(pt->key_of);
    free(pt->disp);
    memset(pt, 0, sizeof *pt);
}
