/* minhash.h: document-level deduplication (MinHash LSH, exact, URL) as file-based phases.
 *
 * The three document-level methods share one pipeline; only the per-document values
 * differ (spec: docs/dedup.md):
 *
 *   phase 1  sign     per --shard I/N, streaming:  inputs -> sig-I.wsig + docs-I.wdoc
 *                                                  + files-I.wfl      (wn_dedup_sign_shard)
 *   phase 2  bands    per signature file:          sig -> sorted band-key runs, one set per
 *                                                  partition, memory-bounded (wn_dedup_emit_bands)
 *   phase 3  merge    per partition:               runs -> candidate edges  (wn_dedup_merge_bands)
 *   phase 4  cluster  global:                      edges + docs -> clusters + removal set
 *                                                  (wn_dedup_cluster)
 *   phase 5  remove   per --shard I/N, streaming:  inputs + removal set -> kept documents
 *                                                  (wn_dedup_remove_stage, used with wn_run)
 *
 * An MPI driver runs phase 1 and 2 per rank, exchanges run files so that rank p holds
 * every run of partition p, runs phase 3 per rank, gathers the edge files (small) to one
 * rank for phase 4, and broadcasts the removal file for phase 5. Every function below
 * reads and writes only the files named in its arguments and is safe to call from
 * different processes at once on different files.
 *
 * Methods and their values per document (n_values u32 per signature record):
 *   minhash  bands*rows values: for permutation i, the minimum over the document's word
 *            n-gram shingles s of (a_i * x(s) + b_i) >> 32 (64-bit arithmetic, keep the high
 *            32 bits), x(s) = the shingle's XXH3-64 folded to 32 bits, (a_i, b_i) drawn from
 *            XXH3-64 of (seed, i); band j hashes values [j*rows, (j+1)*rows).
 *   exact    4 values: XXH3-128 of the normalised text (1 band of 4 rows).
 *   url      4 values: XXH3-128 of the normalised URL (1 band of 4 rows).
 *
 * Determinism: a document's uid (format.h) depends only on the sorted list of all inputs;
 * every phase output is sorted by (key, uid) or uid; clusters are named by their smallest
 * uid and the keep rule is a total order. The removal set is the same for any thread count,
 * shard count and partition count.
 */
#ifndef WN_DEDUP_MINHASH_H
#define WN_DEDUP_MINHASH_H

#include "core/jsonl.h"
#include "core/stage.h"
#include "core/stats.h"
#include "dedup/format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum wn_dedup_method {
    WN_DEDUP_MINHASH = 0,
    WN_DEDUP_EXACT,
    WN_DEDUP_URL,
} wn_dedup_method;

/* Which member of a cluster is kept (all rules end in a total order, so one answer):
 *   EARLIEST  earliest date, documents without a date last, then smallest id (bytewise),
 *             then smallest uid (input order).              default for minhash and exact
 *   LATEST    latest date (the most recent crawl), then smallest id, then smallest uid.
 *                                                           default for url
 *   FIRST     smallest uid (first in input order).
 * A document from a saved index (WN_DEDUP_UID_INDEX) always wins: old data stays. */
typedef enum wn_dedup_keep {
    WN_KEEP_EARLIEST = 0,
    WN_KEEP_LATEST,
    WN_KEEP_FIRST,
} wn_dedup_keep;

#define WN_MH_MAX_VALUES 1024

typedef struct wn_dedup_config {
    wn_dedup_method method;
    unsigned ngram;   /* words per shingle (minhash), default 5 */
    unsigned bands;   /* default 14 (minhash), 1 (exact, url) */
    unsigned rows;    /* default 8 (minhash), 4 (exact, url) */
    uint64_t seed;    /* permutation seed, default 1 */
} wn_dedup_config;

/* Defaults for a method (FineWeb's 14 x 8 for minhash). */
void wn_dedup_config_default(wn_dedup_config *c, wn_dedup_method m);
/* Values per signature (bands * rows). */
unsigned wn_dedup_config_values(const wn_dedup_config *c);
/* Canonical text, e.g. "minhash v1 ngram=5 bands=14 rows=8 seed=1"; this is what the file
 * headers carry and compare. Returns 0, or -1 when the config is invalid (message in err). */
int wn_dedup_config_text(const wn_dedup_config *c, char *out, size_t n, char *err, size_t errlen);

/* ---- in-memory building blocks (also used by tests and the bench) ---- */

typedef struct wn_mh_hasher wn_mh_hasher;
/* Precomputed permutations for a config. Read-only after creation: share across threads. */
wn_mh_hasher *wn_mh_hasher_new(const wn_dedup_config *c);
void wn_mh_hasher_free(wn_mh_hasher *h);

/* Signature of a text into out[wn_dedup_config_values(c)]. Returns the number of shingles
 * (0: the text has fewer than `ngram` words after normalisation, or is empty; then out is
 * all 0xffffffff and the document takes part in no band). Normalisation: lowercase
 * (Unicode simple case mapping), split on Unicode white space: the same words as Python's
 * text.lower().split(), which the shared dedup pairs files were computed with.
 * `scratch` is a per-thread work buffer the function grows; free it with free(). */
uint32_t wn_mh_signature(const wn_mh_hasher *h, const char *text, size_t len, uint32_t *out,
                         void **scratch, size_t *scratch_cap);
/* XXH3-64 of every word of text.lower().split() into *words (grown; free() it). */
size_t wn_dedup_word_hashes(const char *text, size_t len, uint64_t **words, size_t *cap);
/* The document's shingle hashes (64-bit, in text order, repeats included) into *out
 * (grown as needed; free() it). Returns how many; 0 when fewer than `ngram` words. */
size_t wn_mh_shingles(const char *text, size_t len, unsigned ngram, uint64_t **out,
                      size_t *cap);
/* Exact/url values: XXH3-128 of (normalised) bytes into out[4]. */
void wn_dedup_hash128_values(const char *bytes, size_t len, uint32_t out[4]);
/* The band key of band j of a signature. */
void wn_dedup_band_key(const uint32_t *values, unsigned band, unsigned rows,
                       wn_dedup_band_rec *out);
/* Fraction of equal positions: MinHash's estimate of the Jaccard similarity. */
double wn_mh_estimate(const uint32_t *a, const uint32_t *b, unsigned n);

/* ---- phase 1: signatures of one shard ---- */

typedef struct wn_dedup_sign_opts {
    const wn_dedup_config *config;
    char **all_inputs;        /* the sorted list of ALL inputs (uids index into it) */
    size_t n_all_inputs;
    unsigned shard_index, shard_count; /* this call reads file k when k % count == index */
    const char *outdir;       /* writes sig-I.wsig, docs-I.wdoc, files-I.wfl (I: %05u) */
    const wn_jsonl_opts *jsonl;
    size_t batch_docs;        /* documents per parallel batch */
    uint64_t uid_flags;       /* OR'ed into every uid (WN_DEDUP_UID_INDEX for an index) */
} wn_dedup_sign_opts;

/* Streams the shard's inputs, computes signatures in parallel (OpenMP), writes them in uid
 * order. Counts documents, empty/short documents and bad records in `stats`. 0 or -1. */
int wn_dedup_sign_shard(const wn_dedup_sign_opts *o, wn_stats *stats, char *err, size_t errlen);

/* ---- phase 2: band keys ---- */

/* Reads one signature file and writes its band records, partitioned by key_hi % n_parts,
 * as sorted runs "<outdir>/bands-p<part:05>-s<shard:05>-r<run:04>.wbk", holding at most
 * `mem_bytes` of records in memory at once (more input -> more runs). Documents without a
 * signature emit nothing. Appends the written paths to *runs (caller frees with
 * wn_free_strv). 0 or -1. */
int wn_dedup_emit_bands(const char *sig_path, const char *config, unsigned n_parts,
                        uint64_t mem_bytes, const char *outdir, char ***runs, size_t *n_runs,
                        char *err, size_t errlen);

/* ---- phase 3: candidate edges of one partition ---- */

/* k-way merge of sorted band runs (any number, any shards) into `edges_path`: for every
 * bucket (equal key) of m >= 2 documents, the edges (smallest uid, other uid) - a star,
 * m-1 edges, enough for connectivity. Edges are written in (key, uid) order, duplicates
 * across bands included. The header records partition `part` of `n_parts`, so phase 4
 * can check that it has every partition of one run. 0 or -1. */
int wn_dedup_merge_bands_part(char **runs, size_t n_runs, const char *config, unsigned part,
                              unsigned n_parts, const char *edges_path, uint64_t *n_edges,
                              char *err, size_t errlen);
/* The same with partition 0 of 1 in the header (kept for callers of the first API). */
int wn_dedup_merge_bands(char **runs, size_t n_runs, const char *config,
                         const char *edges_path, uint64_t *n_edges, char *err, size_t errlen);

/* ---- phase 4: clusters and the removal set ---- */

typedef struct wn_dedup_cluster_result {
    uint64_t docs;           /* documents in the document tables */
    uint64_t clustered;      /* documents in clusters of >= 2 */
    uint64_t clusters;       /* clusters of >= 2 */
    uint64_t removed;        /* clustered - clusters (+ new documents that match an index) */
    uint64_t removed_bytes;  /* text bytes of removed documents */
    uint64_t size_hist[17];  /* clusters by size: [k] = sizes in [2^k, 2^(k+1)) (k>=1) */
} wn_dedup_cluster_result;

/* Union-find over every edge (union by smallest uid), then for each cluster the keep rule
 * over the document tables. Writes `clusters_path` (wn_dedup_cluster_rec, by uid),
 * `remove_path` (wn_dedup_remove_rec, by uid) and, when `clusters_tsv` is not NULL, one
 * "document id<TAB>cluster number" line per clustered document (cluster number = rank of
 * the cluster's smallest uid). Memory: 16 bytes per distinct uid in the edges plus the
 * edges of one file at a time. 0 or -1. */
int wn_dedup_cluster(char **edge_files, size_t n_edge_files, char **doc_files,
                     size_t n_doc_files, const char *config, wn_dedup_keep keep,
                     const char *clusters_path, const char *remove_path,
                     const char *clusters_tsv, wn_dedup_cluster_result *res, char *err,
                     size_t errlen);

/* ---- phase 5: removal ---- */

/* A set of uids to drop, loaded from a removal file (sorted). */
typedef struct wn_dedup_removal wn_dedup_removal;
wn_dedup_removal *wn_dedup_removal_load(const char *remove_path, const char *config,
                                        char *err, size_t errlen);
bool wn_dedup_removal_has(const wn_dedup_removal *r, uint64_t uid);
void wn_dedup_removal_free(wn_dedup_removal *r);

/* ---- optional: exact-Jaccard verification of candidate edges ---- */

/* Re-reads the documents named by the edges (from `all_inputs`) and writes to `out_path`
 * only pairs whose exact word n-gram Jaccard is >= threshold: within each candidate
 * component (connected by the edges) of at most 256 documents, every pair is checked; in
 * larger ones, the edges as found. Edges with index documents are kept as found. *kept and
 * *dropped count the pairs checked. Memory: the shingle hashes of the documents that
 * appear in edges. 0 or -1. */
int wn_dedup_verify_edges(char **edge_files, size_t n_edge_files, char **all_inputs,
                          size_t n_all_inputs, const wn_jsonl_opts *jsonl,
                          const wn_dedup_config *config, double threshold,
                          const char *out_path, uint64_t *kept, uint64_t *dropped,
                          char *err, size_t errlen);

#endif
