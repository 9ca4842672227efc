/* config.h: the pipeline config (one YAML file for `winnow run`), parsed and checked.
 *
 *   workdir: runs/sample        # all outputs (relative paths: to the config's directory)
 *   parallel: 2                 # tasks run at once locally (default: cores)
 *   threads: 1                  # -j of each task (default: cores / parallel)
 *   shards: 2                   # N of --shard I/N for sharded phases (default: parallel)
 *   sources:
 *     - name: web
 *       inputs: [data/sample/web]      # files or directories, must exist
 *       ingest:   {format: warc}       # a stage runs when its key is present; the
 *       filter:   {...}                #   options are the command's long options
 *       dedup:    {method: minhash, ...}
 *       classify: {...}
 *       tokenize: {...}                # overrides the top-level tokenize for this source
 *   tokenize: {...}                    # for every source
 *   mix: {...}                         # see mix/mix.h; its sources name pipeline sources
 *
 * Layout of workdir: <source>/<stage>/ per stage, mix/ for the training shards, .done/ for
 * task completion records, .logs/ for task logs.
 *
 * Ownership: a wn_pl_config owns the YAML document; option nodes point into it and live
 * until wn_pl_config_release.
 */
#ifndef WN_PIPELINE_CONFIG_H
#define WN_PIPELINE_CONFIG_H

#include "mix/mix.h"
#include "pipeline/yaml.h"

#include <stdbool.h>
#include <stddef.h>

/* The per-source stages, in pipeline order. */
enum { WN_PL_INGEST, WN_PL_FILTER, WN_PL_DEDUP, WN_PL_CLASSIFY, WN_PL_TOKENIZE, WN_PL_NSTAGES };
extern const char *const wn_pl_stage_names[WN_PL_NSTAGES];

typedef struct wn_pl_source {
    const char *name;
    char **inputs;                        /* resolved paths */
    size_t n_inputs;
    const wn_ynode *stage[WN_PL_NSTAGES]; /* options map, or NULL when the stage is off */
} wn_pl_source;

typedef struct wn_pl_config {
    wn_ydoc *doc;
    char *workdir;
    unsigned parallel, threads, shards;
    wn_pl_source *sources;
    size_t n_sources;
    bool has_mix;
    wn_mix_config mix;
} wn_pl_config;

/* Load and check everything (keys, types, files, stage options against each command's
 * options, the mix). Prints every problem by key and line; returns 0, or -1 when any was
 * found (nothing is run or written). With missing_ok, files that do not exist are
 * warnings (for plans that are only shown, like `winnow run --dry-run` of a recipe whose
 * data is elsewhere). */
int wn_pl_config_load(wn_pl_config *c, const char *path, bool missing_ok);
void wn_pl_config_release(wn_pl_config *c);

/* Where stage `stage` of source `name` writes: <workdir>/<name>/<stage>. Caller frees. */
char *wn_pl_stage_dir(const wn_pl_config *c, const char *name, const char *stage);

/* For `winnow mix` given a pipeline config: each pipeline source name -> its tokenize
 * directory, so the mix can name sources without paths. Returns how many (0 when d is not
 * a pipeline config); names point into d, dirs are allocated. */
size_t wn_pipeline_mix_binds(const wn_ydoc *d, wn_mix_bind **out);
void wn_pipeline_mix_binds_free(wn_mix_bind *binds, size_t n);

#endif
