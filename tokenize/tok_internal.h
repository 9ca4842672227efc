/* tok_internal.h: the tokenizer's private structures, shared by the files of tokenize/.
 * Not for other stages: they use tokenizer.h. */
#ifndef WN_TOK_INTERNAL_H
#define WN_TOK_INTERNAL_H

#include "tokenize/tokenizer.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Character classes of the Llama 3 pre-tokenizer. SPACE is U+0020 and CRLF is \r or \n
 * (both also White_Space); APOS is U+0027 (also "other"). */
enum {
    WN_TC_OTHER = 0, /* not \s, \p{L} or \p{N}; invalid UTF-8 bytes too */
    WN_TC_LETTER,
    WN_TC_NUMBER,
    WN_TC_SPACE,
    WN_TC_CRLF,
    WN_TC_WS, /* any other White_Space */
    WN_TC_APOS,
};

/* Code point -> class, two-level table built once from ICU (process-wide, read-only). */
typedef struct wn_tok_classes {
    const uint16_t *stage1; /* cp >> 8 -> block number */
    const uint8_t *blocks;  /* block * 256 + (cp & 255) -> class */
    /* bit cp of the Basic Multilingual Plane set when cp is a letter (8 KB): one load a
     * character for the loop over a word's letters outside ASCII (letters_end) */
    const uint64_t *bmp_letters;
    uint8_t ascii[128];
    /* every character of the blocks pretok.h's cutter takes as letters is one */
    bool wide_letters;
    bool avx2; /* the CPU has AVX2, BMI and BMI2 (the cutter's masks 32 bytes at a time) */
} wn_tok_classes;
const wn_tok_classes *wn_tok_classes_get(void);
/* The class of an ICU general category (UCharCategory): letters (L*) and numbers (N*) are
 * the pattern's \p{L} and \p{N}, the rest WN_TC_OTHER. */
uint8_t wn_tok_category_class(int type);

/* A piece as the vocabulary and the piece cache see it: its first 16 bytes as two words,
 * zero past the end, and a hash of all of it. Short pieces (most words) are then compared
 * and hashed with a few word operations instead of byte loops. */
typedef struct wn_tok_key {
    uint64_t w0, w1;
    uint64_t hash;
} wn_tok_key;

/* Bytes -> rank in two parts. The probed table is open addressing keyed by the piece hash,
 * 4 bytes a slot (fingerprint << WN_TOK_SLOT_ID_BITS | (id + 1), 0 = empty; 1 MB for
 * Llama 3, where 16-byte slots with the bytes inline took 4 MB); only on a fingerprint match
 * is the token's key read, from a table by id (low ids are the frequent tokens, so the keys
 * a text reads cluster) holding its first 12 bytes (a longer token compares its tail in
 * the blob). */
typedef struct wn_tok_vocab_key {
    uint64_t w0;      /* bytes 0..7, as wn_tok_key.w0 */
    uint32_t w1_head; /* bytes 8..11 */
    uint32_t len;
} wn_tok_vocab_key;
#define WN_TOK_SLOT_ID_BITS 18
#define WN_TOK_SLOT_FP_SHIFT (64 - (32 - WN_TOK_SLOT_ID_BITS)) /* fingerprint: top hash bits */

/* The merge table (pair_table.c): a perfect hash of the pairs BPE merges. A key
 * (left << 17 | right) has one bucket; the bucket's displacement names its slot; a slot is
 * 8 bytes, key << 17 | merged id, so a lookup is exact by itself (fourteenth session: it
 * replaced 4-byte slots holding a 15-bit fingerprint, whose merges were checked against a
 * table of keys by merged id). */
typedef struct wn_tok_pair_table {
    uint64_t *slots; /* m slots: key << WN_TOK_ID_BITS | merged id; an empty slot is all
                      * ones, whose key part equals no key */
    uint16_t *disp;  /* r bucket displacements, each below m and 2^16 */
    uint32_t m, r;   /* m and r powers of two: slot = (x ^ disp) & (m - 1), bucket = top bits */
    uint32_t r_shift; /* 64 - log2(r) */
    uint64_t salt;    /* mixed into x, chosen at build so that no bucket's keys share an x */
} wn_tok_pair_table;

/* Characters merged before BPE (premerge.c). */
typedef struct wn_tok_premerge {
    uint16_t block_of[256]; /* code point >> 8 (U+0000..U+FFFF) -> block, 0 = none
                             * qualifies; code points below U+0800 (two bytes) have blocks
                             * 1..8, read as blocks[256 + cp] without block_of */
    uint64_t *blocks;       /* [block * 256 + (cp & 255)]: the fields WN_TOK_PREMERGE_BEFORE,
                             * _MERGED, _AFTER and a flag WN_TOK_PREMERGE_FIRST_TWO /
                             * _LAST_TWO (merged is only two of the character's three
                             * bytes); WN_TOK_PREMERGE_NOT when not merged early (premerge.c) */
    uint32_t *min_before;   /* [w * 128 + x - 0x80]: lowest rank of a merge of the single byte
                             * x (>= 0x80) with a left part ending in byte w; row w = 256 (the
                             * piece's start) none; "none" is WN_TOK_PREMERGE_MIN_NONE */
    uint32_t *min_after;    /* [(x - 0x80) * WN_TOK_PREMERGE_AFTER_COLS + y]: the same for the
                             * single continuation byte x with a right part starting with
                             * byte y; column y = 256 (the piece's end) none */
    uint64_t *ascii;        /* [a * 128 + b] for ASCII bytes a, b: three WN_TOK_ASCII_BITS
                             * fields, see WN_TOK_ASCII_* */
    uint32_t *ascii_before_high; /* [(w - 0x80) * 128 + x]: BEFORE of a byte w >= 0x80 and an
                                  * ASCII byte x */
    uint32_t *ascii_after_high;  /* [y * 128 + z - 0x80]: AFTER of an ASCII byte y and a byte
                                  * z >= 0x80 */
} wn_tok_premerge;

#define WN_TOK_PREMERGE_FIRST_TWO (1ull << 35) /* parts: merged, then the third byte */
#define WN_TOK_PREMERGE_LAST_TWO (1ull << 34)  /* parts: the first byte, then merged */
/* Fields of premerge.blocks' entries. BEFORE / AFTER: the bound the merges that could take
 * the character's first / last byte must reach for it to start merged (min_before /
 * min_after >= it): its highest own rank + 1, or 0 where checked at load (two parts).
 * MERGED: its token (or two bytes' token). A character not merged early has BEFORE
 * WN_TOK_PREMERGE_NOT, which no min_before reaches (they stop at _MIN_NONE). */
#define WN_TOK_PREMERGE_BEFORE(e) ((uint32_t)(e) & (WN_TOK_MAX_IDS - 1))
#define WN_TOK_PREMERGE_MERGED(e) ((uint32_t)((e) >> WN_TOK_ID_BITS) & (WN_TOK_MAX_IDS - 1))
#define WN_TOK_PREMERGE_AFTER(e) ((uint32_t)((e) >> 47))
#define WN_TOK_PREMERGE_NOT ((uint64_t)WN_TOK_MAX_IDS - 1)
#define WN_TOK_PREMERGE_MIN_NONE (WN_TOK_MAX_IDS - 2)
#define WN_TOK_PREMERGE_AFTER_COLS 257

/* Fields of premerge.ascii[a * 128 + b], each a rank or WN_TOK_ASCII_NONE (above all):
 * FIRST: the token a b merges into, when every merge with that token as a part ranks above
 * it (the context-free half of the test); BEFORE: the lowest rank of a merge whose right
 * part is the single byte b and whose left part ends with a; AFTER: the lowest rank of a
 * merge whose left part is the single byte a and whose right part starts with b. */
#define WN_TOK_ASCII_BITS 17
#define WN_TOK_ASCII_NONE ((1u << WN_TOK_ASCII_BITS) - 1)
#define WN_TOK_ASCII_FIRST(e) ((uint32_t)(e) & WN_TOK_ASCII_NONE)
#define WN_TOK_ASCII_BEFORE(e) ((uint32_t)((e) >> WN_TOK_ASCII_BITS) & WN_TOK_ASCII_NONE)
#define WN_TOK_ASCII_AFTER(e) ((uint32_t)((e) >> (2 * WN_TOK_ASCII_BITS)) & WN_TOK_ASCII_NONE)

/* Where a piece may be cut into chunks BPE can take one by one (split.c, split.h). */
typedef struct wn_tok_splits {
    uint64_t *bloom; /* WN_TOK_SPLIT_WORDS words: the crossings tokens make; NULL = never cut */
    uint8_t *flags;  /* [cp] for U+0000..U+FFFF: WN_TOK_SPLIT_* bits */
} wn_tok_splits;

struct wn_tok {
    uint32_t n_ranks;   /* ordinary tokens: ids 0 .. n_ranks-1 */
    uint32_t n_total;   /* plus special tokens */
    char *blob;         /* every token's bytes, back to back */
    uint32_t *off;      /* token id's bytes are blob[off[id] .. off[id+1]) */

    uint32_t *vocab;            /* the probed slots */
    uint64_t vocab_mask;
    wn_tok_vocab_key *vocab_key; /* [id]: the bytes a fingerprint match is checked against */

    wn_tok_pair_table pairs; /* (left id, right id) -> merged id, for BPE */
    wn_tok_premerge premerge;
    wn_tok_splits splits;

    uint32_t byte_id[256]; /* the token of each single byte */
    uint32_t *byte_pair;   /* [a * 256 + b]: merge of the bytes a, b (UINT32_MAX if none):
                            * every BPE starts from byte pairs, so these skip the big table */
    uint32_t bos, eos;
    const wn_tok_classes *cls;
    size_t max_special_len;
    uint32_t serial; /* unique per loaded tokenizer: keys the per-thread piece cache */
};

/* Whether the token id is the bytes[0..len), whose key has the words w0 and (bytes 8..11)
 * w1_head: its key compared, and a longer token's tail in the blob. */
static inline bool wn_tok_token_is(const wn_tok *t, uint32_t id, const void *bytes, size_t len,
                                   uint64_t w0, uint32_t w1_head)
{
    const wn_tok_vocab_key *e = &t->vocab_key[id];
    return e->len == len && e->w0 == w0 && e->w1_head == w1_head &&
           (len <= 12 ||
            memcmp(t->blob + t->off[id] + 12, (const char *)bytes + 12, len - 12) == 0);
}

#define WN_TOK_ID_BITS 17
#define WN_TOK_MAX_IDS (1u << WN_TOK_ID_BITS)

/* premerge.blocks' entry of the code point cp (U+0080..U+FFFF). */
static inline uint64_t wn_tok_premerge_entry(const wn_tok_premerge *pm, uint32_t cp)
{
    return pm->blocks[(size_t)pm->block_of[cp >> 8] * 256 + (cp & 255)];
}

/* The token a character whose entry is e starts as when it stands alone, with no neighbour
 * to check (a piece or a chunk of one character), or -1 when it starts in parts. */
static inline int64_t wn_tok_premerge_alone(uint64_t e)
{
    if (WN_TOK_PREMERGE_BEFORE(e) == WN_TOK_PREMERGE_NOT ||
        (e & (WN_TOK_PREMERGE_FIRST_TWO | WN_TOK_PREMERGE_LAST_TWO)))
        return -1;
    return (int64_t)WN_TOK_PREMERGE_MERGED(e);
}

/* Building (tokenizer.c): the loaders fill n_ranks, blob and off for ranks 0..n-1, then
 * call wn_tok_add_special for each special token and wn_tok_finish once. */
wn_tok *wn_tok_new_empty(void);
void wn_tok_add_token(wn_tok *t, wn_buf *blob, const void *bytes, size_t len);
int wn_tok_finish(wn_tok *t, wn_buf *blob, char *err, size_t errlen);

wn_tok *wn_tok_load_default_flags(unsigned flags, char *err, size_t errlen);
/* Rebuild t's pair table with every split of every token instead of BPE's last merges only
 * (tokenizer.c explains why those suffice); for tests that compare the two. */
int wn_tok_use_all_pairs(wn_tok *t);

/* Loaders (tok_load_tiktoken.c, tok_load_json.c); text is the whole file. */
wn_tok *wn_tok_parse_tiktoken(const char *text, size_t len, const char *path, unsigned flags,
                              char *err, size_t errlen);
wn_tok *wn_tok_parse_json(const char *text, size_t len, const char *path, char *err,
                          size_t errlen);

static inline uint64_t wn_tok_mix(uint64_t w0, uint64_t w1, size_t len)
{
    uint64_t h = w0 * 0x9E3779B97F4A7C15ull ^ (w1 + len) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 31;
    h *= 0x94D049BB133111EBull;
    return h ^ (h >> 29);
}
uint64_t wn_tok_hash_long(const void *bytes, size_t len); /* pieces over 16 bytes */

/* [len][w]: the bits of a key's word w (wn_tok_key_make) a piece of len <= 16 bytes fills. */
extern const uint64_t wn_tok_key_masks[17][2];

/* Key of s[0..len); `avail` bytes may be read from s (at least len). With 16 readable the
 * words are two loads; otherwise the bytes are copied into a zeroed block first. */
static inline void wn_tok_key_make(wn_tok_key *k, const uint8_t *s, size_t len, size_t avail)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (avail >= 16) {
        /* the bytes past the piece masked off by a table by length, not by branches on it,
         * which the lengths of words kept mispredicting */
        size_t m = len < 16 ? len : 16;
        memcpy(&k->w0, s, 8);
        memcpy(&k->w1, s + 8, 8);
        k->w0 &= wn_tok_key_masks[m][0];
        k->w1 &= wn_tok_key_masks[m][1];
        k->hash = len <= 16 ? wn_tok_mix(k->w0, k->w1, len) : wn_tok_hash_long(s, len);
        return;
    }
#endif
    (void)avail;
    uint8_t pad[16] = { 0 };
    memcpy(pad, s, len < 16 ? len : 16);
    memcpy(&k->w0, pad, 8);
    memcpy(&k->w1, pad + 8, 8);
    k->hash = len <= 16 ? wn_tok_mix(k->w0, k->w1, len) : wn_tok_hash_long(s, len);
}

/* Rank of the token with exactly these bytes, or -1. Specials are not found here. */
int64_t wn_tok_lookup(const wn_tok *t, const void *bytes, size_t len);
/* The same with the bytes' key already made (wn_tok_key_make). */
int64_t wn_tok_lookup_key(const wn_tok *t, const void *bytes, size_t len, const wn_tok_key *k);
/* Bytes 8..11 of the key k (wn_tok_vocab_key.w1_head), whatever the byte order. */
static inline uint32_t wn_tok_key_w1_head(const wn_tok_key *k)
{
    uint32_t h;
    memcpy(&h, &k->w1, sizeof h);
    return h;
}
/* The id of the first token on k's probe path whose fingerprint is k's, its key prefetched
 * and not compared (encode.c compares it later, wn_tok_token_is), or -1 when none is: a
 * fingerprint matches a token that is not the piece once in ~16,000 slots looked at. */
int64_t wn_tok_lookup_unchecked(const wn_tok *t, const wn_tok_key *k);
/* Build pt from the (left, right, merged) triples[0..3n), whose (left, right) are distinct;
 * free with wn_tok_pair_table_free (also after a failure). 0, or -1 if no placement was
 * found (which distinct keys rule out). */
int wn_tok_pair_table_build(wn_tok_pair_table *pt, const uint32_t *triples, size_t n);
void wn_tok_pair_table_free(wn_tok_pair_table *pt);

static inline uint64_t wn_tok_pair_hash(uint64_t key)
{
    return key * 0x9E3779B97F4A7C15ull;
}

/* The bucket of a key whose hash is wn_tok_pair_hash(key): its top bits. */
static inline uint32_t wn_tok_pair_bucket(const wn_tok_pair_table *pt, uint64_t hash)
{
    return (uint32_t)(hash >> pt->r_shift);
}

/* x of a key: a second hash, computed while the bucket's displacement is being read. */
static inline uint32_t wn_tok_pair_x(const wn_tok_pair_table *pt, uint64_t key)
{
    return (uint32_t)(((key ^ pt->salt) * 0xC2B2AE3D27D4EB4Full) >> 32);
}

/* The slot where the pair key (a << WN_TOK_ID_BITS | b) would be: x XOR its bucket's
 * displacement (a table of r words). Only the displacement's read and an XOR sit between
 * the key and the slot's read, which every merge's new pairs wait on (tenth session: the
 * seeds of 16 bits mixed by two multiplies after their read took ~10 more cycles). */
static inline uint32_t wn_tok_pair_index(const wn_tok_pair_table *pt, uint64_t key)
{
    uint32_t d = pt->disp[wn_tok_pair_bucket(pt, wn_tok_pair_hash(key))];
    return (wn_tok_pair_x(pt, key) ^ d) & (pt->m - 1);
}

/* The value of key's slot: its key bits (v >> WN_TOK_ID_BITS) equal key when the pair is a
 * merge, and its low bits are then the merged id. */
static inline uint64_t wn_tok_pair_slot_value(const wn_tok *t, uint64_t key)
{
    return t->pairs.slots[wn_tok_pair_index(&t->pairs, key)];
}

/* Merged id of the pair (a, b), or -1 if BPE never merges them. */
static inline int64_t wn_tok_pair(const wn_tok *t, uint32_t a, uint32_t b)
{
    uint64_t key = ((uint64_t)a << WN_TOK_ID_BITS) | b;
    uint64_t v = wn_tok_pair_slot_value(t, key);
    return (v >> WN_TOK_ID_BITS) == key ? (int64_t)(v & (WN_TOK_MAX_IDS - 1)) : -1;
}

/* A table of `bytes` bytes, zeroed, 2 MB-aligned and advised into 2 MB pages (the kernel's
 * transparent huge pages, where it gives them); free with free(). For the tables every piece
 * reads at random (the vocabulary's slots and keys, the merge table's slots):
 * ~6 MB in 4 KB pages missed the TLB (seventh session, second round: multilingual +1.4%). */
void *wn_tok_alloc_huge(size_t bytes);
/* 2 MB, the huge page wn_tok_alloc_huge's tables and each thread's piece-cache entries
 * (encode.c) are aligned to. */
#define WN_TOK_HUGE_PAGE (2u << 20)
/* Entries of each thread's cache of short pieces (encode.c), 32 bytes each; a piece's slot
 * is bits 40 and up of its key's hash (the tests find pieces that share one). */
#define WN_TOK_CACHE_SLOTS 262144
/* Entries of each thread's cache of pieces of 17 to 32 bytes (encode.c), 64 bytes each; a
 * piece's slot is bits 40 and up of its key's hash, as for the pieces' cache. */
#define WN_TOK_LONG_SLOTS 16384

/* How many threads have a piece cache mapped (encode.c; for the tests). */
int wn_tok_caches_mapped(void);
/* The calling thread's caches, mapped if they were not (encode.c; for the tests, which check
 * that the pieces' entries start on a 2 MB boundary and are unmapped at the thread's exit). */
const void *wn_tok_thread_caches(void);
/* How many pieces the calling thread took from the long pieces' cache (encode.c; for the
 * tests, which could not tell a hit from BPE by the ids). */
size_t wn_tok_long_cache_hits(void);
/* How many chunks of up to 16 bytes the calling thread merged, not finding them in the
 * chunks' cache (encode.c; for the tests). */
size_t wn_tok_chunk_cache_misses(void);
/* Copies the calling thread's entry in the long pieces' cache from the slot of the key
 * `from` to the slot of `to`, with `to`'s tag there (encode.c; for the tests): as if the two
 * pieces had met in one slot with one tag, which the entry's own check must then tell
 * apart. Pieces that do meet so take a search of ~2^30 keys. */
void wn_tok_long_cache_alias(const wn_tok_key *from, const wn_tok_key *to);

/* Build t->premerge from the merges (left, right, merged) triples[0..3n); t->pairs must be
 * built. */
void wn_tok_premerge_build(wn_tok *t, const uint32_t *triples, size_t n);
void wn_tok_premerge_free(wn_tok_premerge *pm);
/* The parts BPE of p[0..n) may start from: each character and each pair of ASCII bytes
 * premerge.c allows as its token, other bytes as themselves, into id[0..n); returns how
 * many. */
size_t wn_tok_premerge_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id);
/* The same for p[0..n) of ASCII bytes only (n >= 2), where premerge.ascii is built: pairs of
 * bytes BPE provably merges before anything else touches them start as their token. */
size_t wn_tok_premerge_ascii_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id);

/* Whether the ASCII bytes p[i], p[i + 1] start as their token (see
 * wn_tok_premerge_ascii_parts), in a piece that may have other bytes around them. Inline
 * (always): as a call it cost premerging 13% more instructions. */
static inline __attribute__((always_inline)) bool
wn_tok_premerge_ascii_pair_first(const wn_tok_premerge *pm, const uint8_t *p, size_t n, size_t i)
{
    uint8_t x = p[i], y = p[i + 1];
    uint32_t first = WN_TOK_ASCII_FIRST(pm->ascii[x * 128 + y]);
    if (first == WN_TOK_ASCII_NONE)
        return false;
    if (i > 0) {
        uint8_t w = p[i - 1];
        uint32_t before = w < 0x80 ? WN_TOK_ASCII_BEFORE(pm->ascii[w * 128 + x])
                                   : pm->ascii_before_high[(w - 0x80) * 128 + x];
        if (before <= first)
            return false;
    }
    if (i + 2 < n) {
        uint8_t z = p[i + 2];
        uint32_t after = z < 0x80 ? WN_TOK_ASCII_AFTER(pm->ascii[y * 128 + z])
                                  : pm->ascii_after_high[y * 128 + z - 0x80];
        if (after <= first)
            return false;
    }
    return true;
}

/* Build t->splits from the vocabulary; free with wn_tok_splits_free. */
void wn_tok_splits_build(wn_tok *t);
void wn_tok_splits_free(wn_tok_splits *s);

/* BPE of one pre-tokenized piece that is not itself a token (bpe.c): appends its ids (or
 * only counts them when out is NULL) and returns how many. */
size_t wn_tok_bpe_merge(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out);
/* BPE of a huge piece by sweeping ranks (bpe_sweep.c); same result as the heap path. */
size_t wn_tok_bpe_sweep(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out);
/* BPE of the bytes p[0..n), n <= WN_TOK_BPE_IDS_MAX, into id[0..n) (never the whole-piece
 * shortcut), in stack arrays: for windows of a long piece (bpe_windows.c). */
#define WN_TOK_BPE_IDS_MAX 512
size_t wn_tok_bpe_ids(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id);
/* BPE of a long piece by overlapping windows spliced where they share a token
 * (bpe_windows.c); SIZE_MAX, with nothing appended, when two windows share none (the
 * caller then merges the piece whole). */
size_t wn_tok_bpe_windows(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out);
/* The same with windows of width bytes (2 <= width <= WN_TOK_BPE_IDS_MAX / 2), each next one
 * starting at a token that starts at least overlap (< width) bytes before the current one's
 * end: for tests, which splice far more often with small windows. */
size_t wn_tok_bpe_windows_sized(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out,
                                size_t width, size_t overlap);
/* The heap path for any length (for tests comparing the two). */
size_t wn_tok_bpe_heap(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out);

/* Append ids[0..m) to out unless out is NULL (counting only); returns m. Inline: the encoder
 * calls it for every piece. */
static inline size_t wn_tok_ids_emit(wn_tok_ids *out, const uint32_t *ids, size_t m)
{
    if (out) {
        if (out->len + m > out->cap)
            wn_tok_ids_reserve(out, m);
        /* by pairs, not memcpy: for the 1 to 10 ids of a piece GCC's inline memcpy is a
         * `rep movsq` with its start-up cost */
        uint32_t *d = out->ids + out->len;
        size_t i = 0;
        for (; i + 2 <= m; i += 2) {
            uint64_t w;
            memcpy(&w, ids + i, sizeof w);
            memcpy(d + i, &w, sizeof w);
        }
        if (i < m)
            d[i] = ids[i];
        out->len += m;
    }
    return m;
}

/* wn_tok_ids_push, inlined for the per-token paths. */
static inline void wn_tok_ids_push1(wn_tok_ids *v, wn_tok_id id)
{
    if (v->len == v->cap)
        wn_tok_ids_reserve(v, 1);
    v->ids[v->len++] = id;
}

#endif
