/* tok_internal.h: the tokenizer's private structures, shared by the files of tokenize/.
 * Not for other stages: they use tokenizer.h. */
#ifndef WN_TOK_INTERNAL_H
#define WN_TOK_INTERNAL_H

#include "tokenize/tokenizer.h"

#include <stdbool.h>
#include <stdint.h>

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
    uint8_t ascii[128];
} wn_tok_classes;
const wn_tok_classes *wn_tok_classes_get(void);

/* Bytes -> rank, open addressing keyed by XXH3. A slot holds the token's first bytes so a
 * lookup touches one cache line (a longer token compares its tail in the blob). */
#define WN_TOK_SLOT_BYTES 12
typedef struct wn_tok_vocab_slot {
    uint8_t head[WN_TOK_SLOT_BYTES]; /* first bytes, zero-padded */
    uint32_t len_id1;                /* len << 17 | (id + 1) ... see slot_pack; 0 = empty */
} wn_tok_vocab_slot;

struct wn_tok {
    uint32_t n_ranks;   /* ordinary tokens: ids 0 .. n_ranks-1 */
    uint32_t n_total;   /* plus special tokens */
    char *blob;         /* every token's bytes, back to back */
    uint32_t *off;      /* token id's bytes are blob[off[id] .. off[id+1]) */

    wn_tok_vocab_slot *vocab;
    uint64_t vocab_mask;

    /* (left id, right id) -> merged id, packed as key << 17 | merged; all ones = empty. */
    uint64_t *pairs;
    uint64_t pairs_mask;
    int pairs_shift;

    uint32_t byte_id[256]; /* the token of each single byte */
    uint32_t *byte_pair;   /* [a * 256 + b]: merge of the bytes a, b (UINT32_MAX if none):
                            * every BPE starts from byte pairs, so these skip the big table */
    uint32_t bos, eos;
    const wn_tok_classes *cls;
    size_t max_special_len;
    uint32_t serial; /* unique per loaded tokenizer: keys the per-thread piece cache */
};

#define WN_TOK_ID_BITS 17
#define WN_TOK_MAX_IDS (1u << WN_TOK_ID_BITS)

/* Building (tokenizer.c): the loaders fill n_ranks, blob and off for ranks 0..n-1, then
 * call wn_tok_add_special for each special token and wn_tok_finish once. */
wn_tok *wn_tok_new_empty(void);
void wn_tok_add_token(wn_tok *t, wn_buf *blob, const void *bytes, size_t len);
int wn_tok_finish(wn_tok *t, wn_buf *blob, char *err, size_t errlen);

wn_tok *wn_tok_load_default_flags(unsigned flags, char *err, size_t errlen);

/* Loaders (tok_load_tiktoken.c, tok_load_json.c); text is the whole file. */
wn_tok *wn_tok_parse_tiktoken(const char *text, size_t len, const char *path, unsigned flags,
                              char *err, size_t errlen);
wn_tok *wn_tok_parse_json(const char *text, size_t len, const char *path, char *err,
                          size_t errlen);

/* Rank of the token with exactly these bytes, or -1. Specials are not found here. */
int64_t wn_tok_lookup(const wn_tok *t, const void *bytes, size_t len);
/* The same with the bytes' hash already computed (wn_tok_hash). */
uint64_t wn_tok_hash(const void *bytes, size_t len);
int64_t wn_tok_lookup_hashed(const wn_tok *t, const void *bytes, size_t len, uint64_t h);
/* Merged id of the pair (a, b), or -1 if a+b is not a token. */
static inline int64_t wn_tok_pair(const wn_tok *t, uint32_t a, uint32_t b)
{
    uint64_t key = ((uint64_t)a << WN_TOK_ID_BITS) | b;
    uint64_t i = (key * 0x9E3779B97F4A7C15ull) >> t->pairs_shift;
    for (;;) {
        uint64_t s = t->pairs[i];
        if (s == UINT64_MAX)
            return -1;
        if ((s >> WN_TOK_ID_BITS) == key)
            return (int64_t)(s & (WN_TOK_MAX_IDS - 1));
        i = (i + 1) & t->pairs_mask;
    }
}

/* BPE of one pre-tokenized piece (bpe.c) whose wn_tok_hash is h: appends its ids (or only
 * counts them when out is NULL) and returns how many. */
size_t wn_tok_bpe_piece(const wn_tok *t, const uint8_t *p, size_t n, uint64_t h,
                        wn_tok_ids *out);
/* BPE of a huge piece by sweeping ranks (bpe_sweep.c); same result as the heap path. */
size_t wn_tok_bpe_sweep(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out);
/* The heap path for any length (for tests comparing the two). */
size_t wn_tok_bpe_heap(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out);

/* wn_tok_ids_push, inlined for the per-token paths. */
static inline void wn_tok_ids_push1(wn_tok_ids *v, wn_tok_id id)
{
    if (v->len == v->cap)
        wn_tok_ids_reserve(v, 1);
    v->ids[v->len++] = id;
}

/* Start loading the vocabulary slot a piece with hash h will probe first. */
static inline void wn_tok_prefetch(const wn_tok *t, uint64_t h)
{
    __builtin_prefetch(&t->vocab[h & t->vocab_mask]);
}

/* The pre-tokenizer (pretok.c): end of the piece that starts at s[pos] (pos < n). */
size_t wn_tok_next_piece(const wn_tok_classes *c, const uint8_t *s, size_t n, size_t pos);

#endif
