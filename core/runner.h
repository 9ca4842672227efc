/* runner.h: the streaming document pipeline every data command uses.
 *
 *   inputs --open--> source --batches--> stage 1 .. stage k --> sharded JSONL writer
 *
 * Batches are read on one thread, the documents of a batch are decoded and go through the
 * stages in parallel (OpenMP, dynamic schedule; a document through every stage before the
 * next, a stage with process_batch waiting for the whole batch), and the writer emits
 * survivors in input order, so output bytes are the same at any thread count. Reading the
 * next batch and writing the last overlap a batch's processing: on two of the batch's own
 * OpenMP threads in the one-pass case, else (-j2 and more) on helper threads. Documents dropped by a stage are counted under the
 * stage and reason, and written to `removed_dir` (with "winnow_removed_by") when set.
 *
 * Outputs, in outdir (one set per --shard I/N task, so N tasks never collide):
 *   <prefix>-<I:05d>-<k:04d>.jsonl.zst   documents, a new part every max_shard_bytes
 *   <prefix>-<I:05d>.stats.json          statistics: the source's and each stage's
 *   <prefix>-<I:05d>.done                completion record, written last
 * Each file is written under a temporary name and renamed when complete. When the .done
 * record exists and `force` is false, the shard is skipped (exactly-once resumption).
 */
#ifndef WN_RUNNER_H
#define WN_RUNNER_H

#include "core/args.h"
#include "core/source.h"
#include "core/stage.h"
#include "core/stats.h"

#include <stdbool.h>

typedef struct wn_run_opts {
    const char *command;      /* e.g. "ingest", names the stats */
    const wn_common_opts *common;
    wn_source_open_fn open;   /* NULL = JSONL */
    void *open_ctx;
    wn_stage **stages;
    size_t n_stages;
    const char *removed_dir;  /* NULL = do not write removed documents */
    bool no_output;           /* run for statistics only */
    const char *method;       /* NULL, or the command's variant ("url" of dedup): the
                               * stats' "method", so `winnow stats` keeps variants apart */
} wn_run_opts;

/* Result of a run: one wn_stats for the source followed by one per stage, merged over
 * threads. The caller releases it with wn_run_result_release. */
typedef struct wn_run_result {
    wn_stats source;
    wn_stats *stages;
    size_t n_stages;
    bool skipped;   /* shard already complete */
    char **outputs; /* paths written */
    size_t n_outputs;
    /* The most bytes the output buffers kept between batches: bounded by the batch size,
     * not the corpus (tests/unit/test_runner_memory.c). */
    size_t held_bytes_max;
} wn_run_result;

/* 0 on success (bad records are counted, not failures); 1 when outputs could not be
 * written or no input could be opened. */
int wn_run(const wn_run_opts *o, wn_run_result *res);
void wn_run_result_release(wn_run_result *res);
/* The *.stats.json object of a run: {"command", "shard", "inputs", "source", "stages"}.
 * Commands that write their own outputs add keys to it before writing. */
json_t *wn_run_stats_json(const char *command, const wn_common_opts *c, const wn_run_result *res);
/* Prints the human summary of a run to stderr (nothing when quiet). */
void wn_run_print_summary(const wn_run_opts *o, const wn_run_result *res);

#endif
