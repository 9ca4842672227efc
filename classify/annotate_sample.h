/* annotate_sample.h: a seeded, uniform sample of exactly k documents from a corpus.
 *
 * Each document gets the key XXH3-64(seed, id) (its text when it has no id); the sample is
 * the k documents with the smallest keys (bottom-k sampling). The choice depends only on
 * the documents and the seed, not on file order, thread count or how the corpus is split
 * into files, and growing k keeps every document already chosen. Two streaming passes: the
 * first keeps k (key, position) pairs in a heap, the second writes the chosen documents in
 * input order as Dolma JSONL. Memory is O(k) small entries, never the documents.
 */
#ifndef WN_ANNOTATE_SAMPLE_H
#define WN_ANNOTATE_SAMPLE_H

#include "core/jsonl.h"
#include "core/stats.h"

#include <stddef.h>
#include <stdint.h>

/* The sampling key of a document. */
uint64_t wn_ann_sample_key(const char *id, size_t id_len, const char *text, size_t text_len,
                           uint64_t seed);

/* Write the sample of `k` documents of `inputs` to `out_path` (atomically; compression by
 * extension). Reading is counted in `stats` (documents read, broken records). Returns the
 * number of documents written (< k when the corpus is smaller), or -1 after an error
 * message (no input could be opened, or the output could not be written). */
long long wn_ann_sample_write(char **inputs, size_t n_inputs, const wn_jsonl_opts *jopts,
                              uint64_t seed, size_t k, const char *out_path, wn_stats *stats);

#endif
