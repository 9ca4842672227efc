/* semantic.h: semantic deduplication (SemDeDup, Abbas et al. 2023) on CPU, in bounded memory.
 *
 * Phases, with headered files (format.h) between them in the state directory
 * (docs/dedup.md, "Semantic (SemDeDup)"):
 *
 *   1 embed   inputs (+ embeddings file) -> sem-emb.wse (uid + unit row, uid order),
 *             sem-sample.wse (a seeded bounded sample, uid order), sem-docs.wdoc (ids)
 *   2 kmeans  sem-sample.wse -> sem-centroids.wsc (spherical k-means on the sample only)
 *   3 assign  sem-emb.wse + centroids -> sem-rows-*.wsr (rows sorted by (cluster, uid),
 *             external sort bounded by --memory), sem-assign.wsa (uid -> cluster)
 *   4 select  sem-rows-*.wsr -> semantic-remove.wrm (kind 6), semantic.json, --clusters TSV
 *   (5 apply is the common removal stage, dedup/remove.h)
 *
 * The rule: within each cluster, in uid (input) order, a document is removed when its cosine
 * similarity to an already kept member of its cluster exceeds 1 - eps; otherwise it is kept.
 *
 * Embeddings from a file: one row per document in uid order (the sorted inputs, their good
 * records in order, bad lines skipped): a float32 little-endian .npy of shape (n, d)
 * (C order), or raw float32 rows (any other name) with --dim d. Read in batches, never
 * whole. A row count that differs from the document count is refused.
 *
 * Built-in embedding: words and word bigrams of text.lower().split(), hashed to 2^20
 * features; weight = (1 + log tf) * log(N / df) (df counted in a first pass over the
 * inputs); projected to `dim` dimensions by a seeded random sign matrix derived from
 * XXH3 (Achlioptas projection), so no model is needed.
 *
 * Memory: the sample (at most `sample` rows), k centroids, and --memory for the sort and for
 * selection; never n x dim. The sample is the rows with the smallest XXH3(uid, seed): when
 * every row fits it is the whole corpus and the result equals an in-memory run.
 * Determinism: assignment is per row, centroid sums run in uid order, the keep decision
 * within a cluster runs in uid order, so results do not depend on -j.
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
    uint64_t sample;        /* k-means sample rows; 0 = 256 per cluster, capped by memory */
} wn_sem_config;

void wn_sem_config_default(wn_sem_config *c);
/* "semantic v2 k=0 eps=0.05 iter=20 seed=1 dim=256 emb=builtin sample=0" */
void wn_sem_config_text(const wn_sem_config *c, char *out, size_t n);

/* Where the phases keep their files, and their memory budget (bytes). */
typedef struct wn_sem_state {
    const char *dir;
    uint64_t mem_bytes;
} wn_sem_state;

/* Phase 1. Streams the inputs (twice for the built-in embedding: df, then rows). */
int wn_sem_embed_phase(const wn_sem_config *c, const wn_sem_state *st, char **all_inputs,
                       size_t n_all, const wn_jsonl_opts *jsonl, char *err, size_t errlen);
/* Phase 2. */
int wn_sem_kmeans_phase(const wn_sem_config *c, const wn_sem_state *st, char *err,
                        size_t errlen);
/* Phase 3. */
int wn_sem_assign_phase(const wn_sem_config *c, const wn_sem_state *st, char *err,
                        size_t errlen);
/* Phase 4; `clusters_tsv` (may be NULL) gets "document id<TAB>k-means cluster<TAB>
 * kept|removed" in uid order. */
int wn_sem_select_phase(const wn_sem_config *c, const wn_sem_state *st,
                        const char *clusters_tsv, char *err, size_t errlen);
/* Phases 1-4 in order. 0 or -1 (message in err). */
int wn_sem_run(const wn_sem_config *c, const wn_sem_state *st, char **all_inputs, size_t n_all,
               const wn_jsonl_opts *jsonl, const char *clusters_tsv, char *err, size_t errlen);
/* Path of a state file (malloc'd). */
char *wn_sem_path(const wn_sem_state *st, const char *name);

/* Resolved sizes for n documents: k (the --k or round(sqrt(n)), 1..n) and the sample
 * (--kmeans-sample, else 256 rows per cluster as FAISS's max_points_per_centroid, capped
 * so the sample takes at most half of mem_bytes). */
unsigned wn_sem_resolve_k(const wn_sem_config *c, uint64_t n);
uint64_t wn_sem_resolve_sample(const wn_sem_config *c, uint64_t n, unsigned dim,
                               uint64_t mem_bytes);

/* In-memory core: unit rows x[n*d]; assign[n] gets the cluster of each row; centroids
 * (k*d, may be NULL) gets the centroids that assignment was made with, so
 * wn_sem_nearest(row, centroids) reproduces assign for any row. */
void wn_sem_kmeans(const float *x, size_t n, unsigned d, unsigned k, unsigned iterations,
                   uint64_t seed, uint32_t *assign, float *centroids);
/* The centroid with the largest dot product (ties: the lowest index). */
uint32_t wn_sem_nearest(const float *v, const float *centroids, unsigned k, unsigned d);
/* keep[n] 1/0, kept_of[n] the index of the kept row a removed one matched. */
void wn_sem_select(const float *x, size_t n, unsigned d, const uint32_t *assign, unsigned k,
                   double eps, uint8_t *keep, size_t *kept_of);
float wn_sem_dot(const float *a, const float *b, unsigned d);
/* Scale a row to unit length (a zero row stays zero). */
void wn_sem_normalise(float *v, unsigned d);
/* The built-in embedding of one text (needs df over the corpus, see above). */
void wn_sem_embed(const char *text, size_t len, const uint32_t *df, uint64_t n_docs,
                  unsigned dim, uint64_t seed, float *out);

/* Phase 4's selection for a stream of rows sorted by (cluster, uid), in bounded memory:
 * clusters that fit are selected together (in parallel); a cluster larger than the budget
 * is processed in blocks of rows against its kept set, which spills to `spill_path` when
 * it outgrows memory. Each removal is reported to `on_remove` (uid, kept uid) in an order
 * that does not depend on threads. Exposed for tests. */
typedef struct wn_sem_selector wn_sem_selector;
typedef int (*wn_sem_remove_fn)(void *ctx, uint64_t uid, uint64_t kept);
wn_sem_selector *wn_sem_selector_new(unsigned d, double eps, uint64_t mem_bytes,
                                     const char *spill_path, wn_sem_remove_fn on_remove,
                                     void *ctx);
/* Add one row (copied); rows must come in (cluster, uid) order. 0 or -1 (see err). */
int wn_sem_selector_add(wn_sem_selector *s, uint32_t cluster, uint64_t uid, const float *v,
                        char *err, size_t errlen);
/* Select what is left, then free. Counts clusters that needed blocks in *blocked. */
int wn_sem_selector_finish(wn_sem_selector *s, uint64_t *blocked, char *err, size_t errlen);

#endif
