/* bpe_vec.h: the merge loop of bpe_small.h with its keys in AVX-512 registers, for pieces
 * of many parts (bpe_vec.c). */
#ifndef WN_TOK_BPE_VEC_H
#define WN_TOK_BPE_VEC_H

#include "tokenize/tok_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* False: never the vector loop (the tests run both loops on the same pieces). */
extern bool wn_tok_bpe_vec_use;

/* True when wn_tok_bpe_vec_parts may run: the CPU has AVX-512F and wn_tok_bpe_vec_use. */
bool wn_tok_bpe_vec_ok(void);

/* wn_tok_bpe_small_parts_as(t, id, m, true) by the vector loop, the same ids; needs
 * wn_tok_bpe_vec_ok() and 1 <= m <= WN_TOK_SMALL_PIECE. */
size_t wn_tok_bpe_vec_parts(const wn_tok *t, uint32_t *id, size_t m);

#endif
