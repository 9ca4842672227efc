/* bpe_backtrack.c: BPE of a piece by backtracking (bpe_backtrack.h), after the encoder of
 * GitHub's `bpe` crate (rust-gems) and its write-up "So many tokens, so little time".
 *
 * Why it is exact: BPE by rank ends with tokens T1..Tk such that each adjacent pair is
 * "valid", i.e. BPE of the bytes of Ti Ti+1 alone ends as Ti, Ti+1 (a merge across their
 * boundary would have happened in the whole piece too), and the walk below finds the
 * sequence of valid pairs that takes the longest token first at each step, which is BPE's
 * (the crate's argument). A pair is checked by undoing the merges that made the two tokens
 * at their boundary (each token's last merge is key_of, pair_table.c) and asking whether
 * some merge across the boundary ranks below the tokens still standing (wn_tok_pair_valid).
 * A position from which no token sequence fits is marked dead, so no work is repeated; the
 * cost stays about linear. The tests compare it with BPE by merges on every token and on
 * concatenations of tokens (test_tok_backtrack.c). */
#include "tokenize/bpe_backtrack.h"

#include "core/buf.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BUCKET_SLOTS 8
#define FP_BITS 14
#define ID_FIELD_BITS 18 /* id + 1, 0 for a prefix that is not a token BPE makes */
#define SEED 0x243F6A8885A308D3ull
#define MULT 0x9E3779B97F4A7C15ull

/* The rolling hash: h of a prefix one byte longer. */
static inline uint64_t roll(uint64_t h, uint8_t byte)
{
    return (h ^ byte) * MULT;
}

static inline uint32_t fp_of(uint64_t h, unsigned bits)
{
    uint32_t fp = (uint32_t)(h >> (64 - bits - FP_BITS)) & ((1u << FP_BITS) - 1);
    return fp ? fp : 1; /* a slot is never 0 */
}

static inline size_t bucket_of(uint64_t h, unsigned bits)
{
    return (size_t)(h >> (64 - bits));
}

/* Bit i set when slot i of the bucket b has fingerprint fp. */
static inline unsigned bucket_match(const uint32_t *b, uint32_t fp)
{
#if defined(__SSE2__)
    __m128i f = _mm_set1_epi32((int)fp);
    __m128i lo = _mm_srli_epi32(_mm_load_si128((const __m128i *)(const void *)b), ID_FIELD_BITS);
    __m128i hi =
        _mm_srli_epi32(_mm_load_si128((const __m128i *)(const void *)(b + 4)), ID_FIELD_BITS);
    return (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(lo, f))) |
           (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(hi, f))) << 4;
#else
    unsigned m = 0;
    for (int i = 0; i < BUCKET_SLOTS; i++)
        m |= (unsigned)(b[i] >> ID_FIELD_BITS == fp) << i;
    return m;
#endif
}

enum { PREFIX_NONE = -1, PREFIX_NODE = -2, PREFIX_AMBIGUOUS = -3 };

/* What the table says of the prefix whose hash is h: PREFIX_NONE (no token starts with it),
 * PREFIX_NODE (a prefix, not a token), a token id (verify its bytes: a prefix that is in no
 * token may match a fingerprint), or PREFIX_AMBIGUOUS (two entries match). A prefix that is
 * in the table always finds its own entry, so a single match that is not it is a prefix in
 * no token, which at worst makes the walk look one byte further. */
static inline int64_t prefix_lookup(const wn_tok_prefixes *px, uint64_t h)
{
    uint32_t fp = fp_of(h, px->bits);
    size_t mask = ((size_t)1 << px->bits) - 1, b = bucket_of(h, px->bits);
    const uint32_t *bk = px->buckets + b * BUCKET_SLOTS;
    unsigned m = bucket_match(bk, fp);
    if (__builtin_expect(bk[BUCKET_SLOTS - 1] != 0, 0)) { /* full: the run spills over */
        uint32_t slot = m ? bk[__builtin_ctz(m)] : 0;
        unsigned count = (unsigned)__builtin_popcount(m);
        do {
            b = (b + 1) & mask;
            bk = px->buckets + b * BUCKET_SLOTS;
            unsigned more = bucket_match(bk, fp);
            if (more && !slot)
                slot = bk[__builtin_ctz(more)];
            count += (unsigned)__builtin_popcount(more);
        } while (bk[BUCKET_SLOTS - 1] != 0);
        if (count > 1)
            return PREFIX_AMBIGUOUS;
        if (!count)
            return PREFIX_NONE;
        uint32_t v = slot & ((1u << ID_FIELD_BITS) - 1);
        return v ? (int64_t)v - 1 : PREFIX_NODE;
    }
    if (!m)
        return PREFIX_NONE;
    if (m & (m - 1))
        return PREFIX_AMBIGUOUS;
    uint32_t v = bk[__builtin_ctz(m)] & ((1u << ID_FIELD_BITS) - 1);
    return v ? (int64_t)v - 1 : PREFIX_NODE;
}

/* Insert the prefix with hash h (id + 1, or 0 for none); full[] holds each slot's whole
 * hash, so one prefix reached from two tokens takes one slot. 1 when it took a new slot, 0
 * when it was there, -1 when two tokens' bytes have the same 64-bit hash (never seen; the
 * table is then not used). */
static int prefix_insert(wn_tok_prefixes *px, uint64_t *full, uint64_t h, uint32_t id1)
{
    size_t mask = ((size_t)1 << px->bits) - 1, b = bucket_of(h, px->bits);
    for (size_t tries = 0; tries <= mask; tries++, b = (b + 1) & mask) {
        uint32_t *bk = px->buckets + b * BUCKET_SLOTS;
        uint64_t *fh = full + b * BUCKET_SLOTS;
        for (int i = 0; i < BUCKET_SLOTS; i++) {
            if (bk[i] == 0) {
                bk[i] = fp_of(h, px->bits) << ID_FIELD_BITS | id1;
                fh[i] = h;
                return 1;
            }
            if (fh[i] == h) {
                uint32_t old = bk[i] & ((1u << ID_FIELD_BITS) - 1);
                if (id1 && old && old != id1)
                    return -1;
                bk[i] |= id1;
                return 0;
            }
        }
    }
    return -1;
}

void wn_tok_prefixes_free(wn_tok_prefixes *px)
{
    free(px->buckets);
    px->buckets = NULL;
}

/* A token BPE makes: a byte, or one with a last merge. */
static bool made_by_bpe(const wn_tok *t, uint32_t id)
{
    return t->off[id + 1] - t->off[id] == 1 || wn_tok_pair_key_of(&t->pairs, id) != WN_TOK_KEY_OF_NONE;
}

/* Fill px (bits set) with the prefixes of every token BPE makes; the number of distinct
 * prefixes, or 0 when two tokens' bytes have the same 64-bit hash. */
static size_t prefixes_fill(wn_tok *t, wn_tok_prefixes *px)
{
    size_t slots = (size_t)BUCKET_SLOTS << px->bits, distinct = 0;
    px->buckets = wn_tok_alloc_huge(slots * sizeof *px->buckets);
    uint64_t *full = wn_xmalloc(slots * sizeof *full);
    int rc = 0;
    for (uint32_t id = 0; id < t->n_ranks && rc >= 0; id++) {
        if (!made_by_bpe(t, id))
            continue;
        const uint8_t *s = (const uint8_t *)t->blob + t->off[id];
        size_t len = t->off[id + 1] - t->off[id];
        uint64_t h = SEED;
        for (size_t l = 1; l <= len && rc >= 0; l++) {
            h = roll(h, s[l - 1]);
            rc = prefix_insert(px, full, h, l == len ? id + 1 : 0);
            distinct += rc == 1;
        }
    }
    free(full);
    if (rc < 0) {
        wn_tok_prefixes_free(px);
        return 0;
    }
    return distinct;
}

void wn_tok_prefixes_build(wn_tok *t)
{
    wn_tok_prefixes *px = &t->prefixes;
    wn_tok_prefixes_free(px);
    if (!t->pairs.key_of)
        return;
    size_t bytes = 0;
    for (uint32_t id = 0; id < t->n_ranks; id++)
        if (made_by_bpe(t, id))
            bytes += t->off[id + 1] - t->off[id];
    /* sized for every byte of every token: the distinct prefixes (a third of those for
     * Llama 3) fill a quarter of it. Sized for the distinct prefixes (2 MB, half full) the
     * multilingual corpus measured 33.5 against 32.2 ms a pass, and fingerprints named two
     * entries 5 times as often. */
    px->bits = 4;
    while (((size_t)BUCKET_SLOTS << px->bits) < bytes)
        px->bits++;
    prefixes_fill(t, px);
}

/* The last merge of a token: its left and right parts; a byte is its own parts. */
static inline uint32_t left_of(const wn_tok *t, uint32_t id)
{
    uint64_t k = wn_tok_pair_key_of(&t->pairs, id);
    return k == WN_TOK_KEY_OF_NONE ? id : (uint32_t)(k >> WN_TOK_ID_BITS);
}

static inline uint32_t right_of(const wn_tok *t, uint32_t id)
{
    uint64_t k = wn_tok_pair_key_of(&t->pairs, id);
    return k == WN_TOK_KEY_OF_NONE ? id : (uint32_t)k & (WN_TOK_MAX_IDS - 1);
}

/* Undo the later of the two tokens' merges at their boundary, step by step (a token made
 * later has a higher rank), keeping `limit`, the rank below which a merge across the
 * boundary would have come first; the pair is invalid as soon as one does. */
bool wn_tok_pair_valid(const wn_tok *t, uint32_t a, uint32_t b)
{
    uint32_t limit = UINT32_MAX;
    for (;;) {
        int64_t c = wn_tok_pair(t, a, b);
        if (c >= 0 && (uint32_t)c < limit)
            return false;
        if (a > b) {
            limit = a;
            a = right_of(t, a);
            if (a == limit) {
                limit = b + 1;
                b = left_of(t, b);
                if (b + 1 == limit)
                    return true;
            }
        } else {
            limit = b + 1;
            b = left_of(t, b);
            if (b + 1 == limit) {
                limit = a;
                a = right_of(t, a);
                if (a == limit)
                    return true;
            }
        }
    }
}

#define MEMO_SLOTS 16384
static _Thread_local uint64_t memo[MEMO_SLOTS];
void wn_tok_backtrack_clear(void) { memset(memo, 0, sizeof memo); }

/* wn_tok_pair_valid through a per-thread memo of the pairs seen */
static inline bool pair_valid_memo(const wn_tok *t, uint32_t a, uint32_t b)
{
    uint64_t key = (uint64_t)a << WN_TOK_ID_BITS | b;
    uint64_t *e = &memo[(key * 0x9E3779B97F4A7C15ull) >> (64 - 14)];
    uint64_t v = *e;
    if ((v >> 2) == key + 1)
        return v & 1;
    bool ok = wn_tok_pair_valid(t, a, b);
    *e = (key + 1) << 2 | ok;
    return ok;
}

/* The tokens BPE makes that are prefixes of p[0..n), shortest first: their lengths and ids
 * into len[], id[]; returns how many, or -1 when a fingerprint is ambiguous. The probes of
 * successive lengths do not depend on each other's loads. */
static int prefix_tokens(const wn_tok *t, const uint8_t *p, size_t n, uint16_t *len,
                         uint32_t *id)
{
    const wn_tok_prefixes *px = &t->prefixes;
    uint64_t h = SEED;
    int c = 0;
    for (size_t l = 1; l <= n; l++) {
        h = roll(h, p[l - 1]);
        int64_t v = prefix_lookup(px, h);
        if (v == PREFIX_NONE)
            break;
        if (v == PREFIX_AMBIGUOUS)
            return -1;
        if (v >= 0) {
            len[c] = (uint16_t)l;
            id[c++] = (uint32_t)v;
        }
    }
    return c;
}

/* Whether token id is exactly the bytes p[0..l) (avail bytes readable at p): its first 12
 * bytes as words against the vocabulary's key of it, no call. */
static inline bool token_is(const wn_tok *t, uint32_t id, const uint8_t *p, size_t l,
                            size_t avail)
{
    const wn_tok_vocab_key *e = &t->vocab_key[id];
    uint64_t w0;
    uint32_t w1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (avail >= 12) {
        memcpy(&w0, p, 8);
        memcpy(&w1, p + 8, 4);
        if (l < 8) {
            w0 &= (1ull << (8 * l)) - 1;
            w1 = 0;
        } else if (l < 12) {
            w1 &= (uint32_t)((1ull << (8 * (l - 8))) - 1);
        }
    } else
#endif
    {
        uint8_t pad[12] = { 0 };
        memcpy(pad, p, l < 12 ? l : 12);
        memcpy(&w0, pad, 8);
        memcpy(&w1, pad + 8, 4);
    }
    return e->len == l && e->w0 == w0 && e->w1_head == w1 &&
           (l <= 12 || memcmp(t->blob + t->off[id] + 12, p + 12, l - 12) == 0);
}

/* Candidates of every position on the current path, kept so that stepping back does not
 * walk a position again; a piece that needs more falls back to merging. */
#define POOL 2048

size_t wn_tok_bpe_backtrack(const wn_tok *t, const uint8_t *p, size_t n, size_t avail,
                            uint32_t *id)
{
    if (!t->prefixes.buckets || n > WN_TOK_BACKTRACK_MAX)
        return 0;
    uint8_t dead[WN_TOK_BACKTRACK_MAX + 1] = { 0 };
    uint16_t start[WN_TOK_BACKTRACK_MAX], lo_of[WN_TOK_BACKTRACK_MAX], ci_of[WN_TOK_BACKTRACK_MAX];
    uint16_t clen[POOL];
    uint32_t cid[POOL];
    size_t m = 0, pos = 0, lo = 0;
    int c = prefix_tokens(t, p, n, clen, cid);
    if (c < 0)
        return 0;
    size_t top = (size_t)c;
    ptrdiff_t ci = (ptrdiff_t)top - 1;
    for (;;) {
        if (ci < (ptrdiff_t)lo) { /* nothing fits at pos: step back a token, try a shorter one */
            dead[pos] = 1;
            if (m == 0)
                return 0; /* BPE always has an answer; not reached */
            top = lo;
            m--;
            lo = lo_of[m];
            ci = (ptrdiff_t)ci_of[m] - 1;
            pos = start[m];
            continue;
        }
        size_t l = clen[ci];
        uint32_t tok = cid[ci];
        if (!dead[pos + l] && (m == 0 || pair_valid_memo(t, id[m - 1], tok)) &&
            token_is(t, tok, p + pos, l, avail - pos)) {
            start[m] = (uint16_t)pos;
            lo_of[m] = (uint16_t)lo;
            ci_of[m] = (uint16_t)ci;
            id[m++] = tok;
            pos += l;
            if (pos == n)
                return m;
            if (top + (n - pos) > POOL)
                return 0;
            c = prefix_tokens(t, p + pos, n - pos, clen + top, cid + top);
            if (c < 0)
                return 0;
            lo = top;
            top += (size_t)c;
            ci = (ptrdiff_t)top - 1;
        } else {
            ci--;
        }
    }
}
