/* semantic.h: semantic deduplication (SemDeDup, Abbas et al. 2023) on CPU.
 *
 *   embeddings (a file, or the built-in model-free embedding) -> unit rows
 *   -> spherical k-means (seeded, OpenMP) -> within each cluster, in uid (input) order,
 *   a document is removed when its cosine similarity to an already kept member of its
 *   cluster exceeds 1 - eps; otherwise it is kept.
 *
 * Embeddings from a file: one row per document in uid order (the sorted inputs, their
 * good records in order, bad lines skipped): a float32 little-endian .npy of shape (n, d) (C order), or raw
 * float32 rows (any other name) with --dim d. A row count that differs from the document
 * count is refused.
 *
 * Built-in embedding: words and word bigrams of text.lower().split(), hashed to 2^20
 * features; weight = (1 + log tf) * log(N / df) (df counted in a first pass over the
 * inputs); projected to `dim` dimensions by a seeded random sign matrix derived from
 * XXH3 (Achlioptas projection), so no model is needed.
 *
 * Memory: n x dim floats (10M documents x 256 = 10 GB): semantic dedup holds the
 * embeddings of its inputs; split large corpora by --shard or by source first.
 * Determinism: assignment is per document, centroid sums run in uid order, and the keep
 * decision within a cluster runs in uid order, so results do not depend on -j.
 */
#ifndef WN_DEDUP_SEMANTIC_H
#define WN_DEDUP_SEMANTIC_H

#include "core/jsonl.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wn_sem_config {
    const char *embeddings; /* NULL = built-in */
    unsigned dim;           /* default 256; required for raw files */
    unsigned k;             /* 0 = round(sqrt(n)) */
    double eps;             /* default 0.05 */
    unsigned iterations;    /* default 20 */
    uint64_t seed;          /* default 1 */
} wn_sem_config;

void wn_sem_config_default(wn_sem_config *c);
/* "semantic v1 k=0 eps=0.05 iter=20 seed=1 dim=256 emb=builtin" */
void wn_sem_config_text(const wn_sem_config *c, char *out, size_t n);

/* Reads the inputs (and embeddings), clusters, writes the removal file (format.h kind 6,
 * config = wn_sem_config_text) and a JSON report; `clusters_tsv` (may be NULL) gets
 * "document id<TAB>k-means cluster<TAB>kept|removed". 0 or -1. */
int wn_sem_run(const wn_sem_config *c, char **all_inputs, size_t n_all,
               const wn_jsonl_opts *jsonl, const char *remove_path, const char *report_path,
               const char *clusters_tsv, char *err, size_t errlen);

/* In-memory core, for tests: unit rows x[n*d]; assign[n] gets the cluster of each row,
 * keep[n] 1/0, kept_of[n] the index of the kept row a removed one matched. */
void wn_sem_kmeans(const float *x, size_t n, unsigned d, unsigned k, unsigned iterations,
                   uint64_t seed, uint32_t *assign);
void wn_sem_select(const float *x, size_t n, unsigned d, const uint32_t *assign, unsigned k,
                   double eps, uint8_t *keep, size_t *kept_of);
/* The built-in embedding of one text (needs df over the corpus, see above). */
void wn_sem_embed(const char *text, size_t len, const uint32_t *df, uint64_t n_docs,
                  unsigned dim, uint64_t seed, float *out);

#endif
