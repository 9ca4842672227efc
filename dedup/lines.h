/* lines.h: line-level deduplication as Llama 3 did it, as file-based phases.
 *
 * Llama 3 removed lines seen more than 6 times within each bucket of 30M documents; CCNet
 * removed every repeat of a line (its first occurrence stays). Both are this pipeline:
 *
 *   phase 1  hash    per --shard I/N:  inputs -> lines-I.wlh (wn_dedup_line_rec sorted by
 *                                      (hash, uid, line), one record per line hash per
 *                                      input file, with its count there) + files-I.wfl
 *                                      (documents per input file)    (wn_lines_hash_shard)
 *   phase 2  count   global (or per hash range): merge all lines-*.wlh -> lineset.wls,
 *                                      the lines to remove per bucket (wn_lines_count)
 *   phase 3  apply   per --shard I/N:  drop those lines; a document left with no line is
 *                                      dropped as "dedup.line.empty" (wn_lines_stage)
 *
 * Buckets: the inputs in sorted order are cut into consecutive runs of whole files holding
 * at least `bucket_docs` documents each (the last may hold fewer), so a bucket never
 * depends on --shard. A line is normalised before hashing: trailing '\r' and surrounding
 * white space removed, runs of white space collapsed, lowercased (ASCII), digits kept.
 * Blank lines are never counted and never removed (they hold no content).
 *
 * Distribution: line-hash files are sorted by hash, so the count phase can be split by
 * hash range (each part counts the records whose hash falls in its range, with every
 * files table) and the parts' line sets, each sorted by (hash, bucket), concatenate in
 * range order into one lineset.wls; the cluster branch's MPI driver does this.
 */
#ifndef WN_DEDUP_LINES_H
#define WN_DEDUP_LINES_H

#include "core/jsonl.h"
#include "core/stage.h"
#include "core/stats.h"
#include "dedup/format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_lines_config {
    uint64_t bucket_docs;   /* default 30,000,000 */
    uint32_t max_repeats;   /* remove lines seen more than this many times; default 6 */
    bool ccnet;             /* remove every repeat, keep the first occurrence */
} wn_lines_config;

void wn_lines_config_default(wn_lines_config *c);
/* "lines v1 bucket=30000000 max=6 mode=llama3" (or mode=ccnet). */
void wn_lines_config_text(const wn_lines_config *c, char *out, size_t n);

/* Set record (kind WN_DEDUP_KIND_LINESET), sorted by (hash, bucket). */
typedef struct wn_dedup_lineset_rec {
    uint64_t hash;
    uint64_t first_uid;  /* first occurrence (kept in ccnet mode) */
    uint32_t first_line;
    uint32_t bucket;
    uint64_t count;      /* occurrences in the bucket (statistics, top lines) */
} wn_dedup_lineset_rec;

/* Order of line-hash records (wn_dedup_line_rec): (hash, uid, line). */
int wn_lines_rec_cmp(const void *a, const void *b);

/* Normalised-line hash; returns false for a blank line (not counted). */
bool wn_lines_hash(const char *line, size_t len, uint64_t *hash);

typedef struct wn_lines_hash_opts {
    char **all_inputs;
    size_t n_all_inputs;
    unsigned shard_index, shard_count;
    const char *outdir;       /* lines-I.wlh, files-I.wfl */
    const wn_jsonl_opts *jsonl;
    uint64_t mem_bytes;       /* external sort budget */
    const char *config;       /* wn_lines_config_text */
    size_t *held_records_max; /* optional out: the most line records the batch's slots kept
                                 between batches (bounded by the batch, not the corpus) */
} wn_lines_hash_opts;

int wn_lines_hash_shard(const wn_lines_hash_opts *o, wn_stats *stats, char *err, size_t errlen);

typedef struct wn_lines_count_result {
    uint64_t distinct_lines, removable_lines, removable_occurrences;
    uint32_t buckets;
} wn_lines_count_result;

/* Merges line-hash files, assigns buckets from the files tables and writes the lines to
 * remove (`lineset_path`, sorted by (hash, bucket)). `top` (may be NULL) receives the
 * n_top most repeated removable lines (by count, then hash). 0 or -1. */
int wn_lines_count(char **line_files, size_t n_line_files, char **files_tables,
                   size_t n_files_tables, const wn_lines_config *cfg, const char *config,
                   const char *lineset_path, wn_lines_count_result *res,
                   wn_dedup_lineset_rec *top, size_t n_top, char *err, size_t errlen);

/* The same, counting the lines of a saved index (`index_dir`, see wn_lines_index_save)
 * too: a line of the new inputs is removed when its count in its bucket plus its count in
 * the old corpus exceeds the limit; in ccnet mode a line the old corpus has is removed
 * everywhere in the new inputs (its first occurrence is old). index_dir may be NULL. */
int wn_lines_count_index(char **line_files, size_t n_line_files, char **files_tables,
                         size_t n_files_tables, const char *index_dir,
                         const wn_lines_config *cfg, const char *config,
                         const char *lineset_path, wn_lines_count_result *res,
                         wn_dedup_lineset_rec *top, size_t n_top, char *err, size_t errlen);

/* Incremental line dedup: write `out_dir`/lines-index.wlh, every line hash of
 * `line_files` (and of `old_dir`'s index, may be NULL) with its total count (uid
 * WN_DEDUP_UID_INDEX), and index.json. Same config required to use it. 0 or -1. */
int wn_lines_index_save(const char *out_dir, const char *old_dir, char **line_files,
                        size_t n_line_files, const char *config, char *err, size_t errlen);

/* Bucket of each input file (index into the list of all inputs), from the files tables.
 * *bucket_of has *n_files entries; caller frees. 0 or -1. */
int wn_lines_buckets(char **files_tables, size_t n, const char *config, uint64_t bucket_docs,
                     uint32_t **bucket_of, size_t *n_files, char *err, size_t errlen);

struct wn_dedup_uids;
/* Phase 3 stage: loads the line set (memory: ~48 bytes per removable line and bucket),
 * removes the lines per the config, records attributes.dedup_line_removed (lines removed)
 * and drops documents left without a non-blank line ("dedup.line.empty"). When
 * `report_path` is set, its finish writes {"top_lines": [{"count", "text"}...]} there:
 * the most repeated removed lines with one sample text each (the first by uid, line).
 * Use with wn_run + wn_dedup_uid_source_open on `uids`. NULL + message on error. */
wn_stage *wn_lines_stage_new(const char *lineset_path, char **files_tables, size_t n_tables,
                             const wn_lines_config *cfg, const char *config,
                             struct wn_dedup_uids *uids, const char *report_path, char *err,
                             size_t errlen);

#endif
