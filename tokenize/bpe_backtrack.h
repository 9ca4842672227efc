/* bpe_backtrack.h: BPE of a piece by backtracking over the vocabulary (the encoder of
 * GitHub's `bpe` crate): walk the piece taking the longest token that is a prefix of what
 * is left, accept it if BPE would keep it beside the token before (the pair check below),
 * else the next shorter prefix token, and step back a token when none fits. Exactly BPE by
 * rank for a vocabulary whose ids are ranks (tiktoken's and Llama 3's). */
#ifndef WN_TOK_BPE_BACKTRACK_H
#define WN_TOK_BPE_BACKTRACK_H

#include "tokenize/tok_internal.h"

/* Longest piece the backtracking encoder takes (stack arrays); longer ones merge. */
#define WN_TOK_BACKTRACK_MAX 256

/* Build t->prefixes (every prefix of every token BPE can make, each with that token when it
 * is one); t->pairs and its key_of must be built. Leaves prefixes.buckets NULL (the encoder
 * then merges instead) when the table cannot be built. */
void wn_tok_prefixes_build(wn_tok *t);
void wn_tok_prefixes_free(wn_tok_prefixes *px);

/* BPE of p[0..n) (2 <= n <= WN_TOK_BACKTRACK_MAX; avail >= n bytes readable at p) into
 * id[0..n); returns the number of ids,
 * or 0 when this encoder cannot tell (no table, or a fingerprint that names two entries)
 * and the caller must merge. */
size_t wn_tok_bpe_backtrack(const wn_tok *t, const uint8_t *p, size_t n, size_t avail,
                            uint32_t *id);

/* Whether BPE of the bytes of a then b ends as the two tokens a, b (both made by BPE). */
bool wn_tok_pair_valid(const wn_tok *t, uint32_t a, uint32_t b);

void wn_tok_backtrack_clear(void);
#endif
