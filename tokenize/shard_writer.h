/* shard_writer.h: training-shard writers for token ids (the files frameworks train from).
 *
 *   WN_SHARDS_MEGATRON  <prefix>.bin + <prefix>.idx: Megatron-LM indexed dataset, int32,
 *                       byte-identical to megatron/core/datasets/indexed_dataset.py's
 *                       IndexedDatasetBuilder (../shared/FORMATS.md (a)). A document may
 *                       hold several sequences (packing); by default it holds one.
 *   WN_SHARDS_LLMC      <prefix>_000000.bin, ...: llm.c Llama 3 shards (magic 20240801,
 *                       version 7, uint32 tokens, 1024-byte header), a new shard every
 *                       shard_tokens tokens; documents continue across shards as in
 *                       llm.c's dev/data/fineweb.py (FORMATS.md (b)).
 *   WN_SHARDS_DATATROVE <prefix>.ds + .ds.index (+ .ds.metadata): datatrove's
 *                       TokenizedFile, uint32 tokens, cumulative uint64 ends (FORMATS.md (c)),
 *                       in input order (datatrove's own writer shuffles; we do not).
 *
 * With a loss mask (chat data), one byte per token (1 = train on it) goes beside the tokens:
 * datatrove's native <prefix>.ds.loss; for Megatron a second indexed dataset of uint8
 * (<prefix>_mask.bin/.idx, dtype code 1) with the same sequences; for llm.c a headerless
 * <shard>.mask of uint8 per shard.
 *
 * Every file is written under a temporary name and renamed by wn_shards_commit; abort
 * removes them. One writer is used from one thread (the caller serialises documents).
 */
#ifndef WN_SHARD_WRITER_H
#define WN_SHARD_WRITER_H

#include "tokenize/tokenizer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { WN_SHARDS_MEGATRON, WN_SHARDS_LLMC, WN_SHARDS_DATATROVE } wn_shards_format;

typedef struct wn_shards_opts {
    wn_shards_format format;
    const char *prefix;
    bool with_mask;           /* write loss masks */
    uint64_t shard_tokens;    /* llm.c: tokens per shard (default 100,000,000) */
    const char *tokenizer_name; /* datatrove .ds.metadata first line */
} wn_shards_opts;

typedef struct wn_shards wn_shards;

/* Parse "megatron" / "llmc" / "datatrove". -1 if unknown. */
int wn_shards_parse_format(const char *s, wn_shards_format *out);

wn_shards *wn_shards_open(const wn_shards_opts *o, char *err, size_t errlen);
/* Append one document: ids[0..n), mask[0..n) (NULL when the writer has no masks: written as
 * all ones), made of n_seqs sequences of lengths seq_lens (NULL/0: one sequence of n). */
int wn_shards_add(wn_shards *w, const wn_tok_id *ids, size_t n, const uint8_t *mask,
                  const size_t *seq_lens, size_t n_seqs, char *err, size_t errlen);
uint64_t wn_shards_tokens(const wn_shards *w);
uint64_t wn_shards_documents(const wn_shards *w);
/* Finish headers and indexes, rename everything into place. Paths written are appended to
 * *paths (caller frees with wn_free_strv-style loop). Frees the writer. 0 on success. */
int wn_shards_commit(wn_shards *w, char ***paths, size_t *n_paths, char *err, size_t errlen);
/* Remove temporaries and free. Accepts NULL. */
void wn_shards_abort(wn_shards *w);

#endif
