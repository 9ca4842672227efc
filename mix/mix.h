/* mix.h: token-budget data mixes (Llama 3's last data step) - plan, then execute.
 *
 *   config `mix:` section --wn_mix_config_parse--> wn_mix_config
 *                         --wn_mix_plan_compute--> per source: epochs, tokens taken, share
 *                         --wn_mix_execute-------> OUTDIR/{train,val}-NNNNN.{bin,idx},
 *                                                  OUTDIR/manifest.json, OUTDIR/mix.done
 *                         (or over N processes: wn_mix_execute_part I of N, each its
 *                          range of the shards, then wn_mix_finish writes the manifest)
 *
 * Planning (reads the .idx files only, or nothing when token counts are declared):
 * a source with T tokens and weight w under budget B is wanted for w*B tokens, i.e.
 * e = w*B/T epochs (e < 1 is a sampling rate). When e exceeds the source's max_epochs the
 * source is capped and the shortfall is given to the uncapped sources in proportion to
 * their weights (repeated until stable), with a warning; a source below its min_share
 * after that gets a warning too. Needing more than one epoch of a source that states no
 * max_epochs is a config error, as is a budget the capped sources cannot reach. Without a
 * budget, the budget is the largest one that keeps every source within its epoch limit
 * (1 when unstated) at the exact target weights.
 *
 * Execution is deterministic for a seed: the whole epochs of every source, plus a seeded
 * random subset of documents for the fractional part, are shuffled together (Fisher-Yates
 * with splitmix64), then packed into fixed-length sequences. A document goes to validation
 * by a seeded hash of its identity (source, file, index), so a repeated document never
 * lands in both splits.
 *
 * Ownership: a wn_mix_config owns its sources and strings (wn_mix_config_release); strings
 * copied from the YAML tree, so the tree may be freed after parsing.
 */
#ifndef WN_MIX_H
#define WN_MIX_H

#include "pipeline/yaml.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wn_mix_source {
    char *name;
    char **paths;         /* dataset prefixes (without .bin/.idx); empty for paper plans */
    size_t n_paths;
    double weight;        /* target share of the budget, all weights sum to 1 */
    double max_epochs;    /* 0 = not stated */
    double min_share;     /* 0 = none */
    uint64_t tokens;      /* available tokens: declared, or counted from the .idx files */
    uint64_t docs;        /* documents (0 when only declared) */
    bool counted;         /* tokens came from the data */
    bool bound;           /* path is a pipeline source's tokenize output (may not exist yet) */
    bool declared;        /* tokens were given in the config */
    unsigned line;        /* where the source is in the config, for messages */
} wn_mix_source;

typedef struct wn_mix_spec {
    const char *label;    /* "main" or "anneal" */
    const char *where;    /* key path of the spec in the config, for messages */
    uint64_t budget;      /* 0 = as large as the epoch limits allow */
    unsigned budget_line;
    wn_mix_source *sources;
    size_t n_sources;
} wn_mix_spec;

typedef enum { WN_MIX_MEGATRON, WN_MIX_LLMC } wn_mix_format;

typedef struct wn_mix_config {
    uint64_t seed;
    uint32_t sequence_length;   /* default 8192 */
    double val_fraction;        /* of documents, default 0.005 */
    uint64_t max_shard_bytes;   /* .bin cap, default 1G */
    wn_mix_format format;
    bool keep_remainder;        /* keep the last short sequence (default: dropped) */
    wn_mix_spec main;
    wn_mix_spec anneal;         /* n_sources == 0 when absent */
    json_t *config_json;        /* the `mix:` section as JSON, for the manifest */
    char *config_path;
} wn_mix_config;

/* Which source datasets a `winnow run` mix reads: source name -> tokenize output dir. */
typedef struct wn_mix_bind {
    const char *name;
    const char *dir;
} wn_mix_bind;

/* Parse and check the `mix` map of a config. Relative paths are resolved against the
 * config. Source `path` may be a dataset prefix, a directory (every *.idx in it) or a
 * glob. `binds` (may be NULL) supplies paths for sources named after pipeline sources:
 * those are not counted at parse time (their data does not exist yet). Errors are reported
 * through d (key and line); returns false when any was found. */
bool wn_mix_config_parse(wn_mix_config *c, wn_ydoc *d, const wn_ynode *mix, const char *where,
                         const wn_mix_bind *binds, size_t n_binds);
void wn_mix_config_release(wn_mix_config *c);

/* Count tokens and documents of every source that has paths and was not counted yet
 * (reads the .idx files only). Sources bound to pipeline outputs are skipped unless
 * `include_bound` (their data exists only after the pipeline ran). 0, or -1 with a
 * message printed. */
int wn_mix_count_sources(wn_mix_config *c, bool include_bound);
/* True when every source's token count is known (counted or declared), so the plan can
 * be checked now. */
bool wn_mix_counts_known(const wn_mix_config *c);

typedef struct wn_mix_plan_row {
    double epochs;        /* tokens_taken / tokens */
    uint64_t tokens_taken;
    double share;         /* achieved share of the budget */
    bool capped;          /* held at max_epochs */
} wn_mix_plan_row;

typedef struct wn_mix_plan {
    uint64_t budget;      /* resolved */
    wn_mix_plan_row *rows; /* one per source */
    size_t n_rows;
    int warnings;
} wn_mix_plan;

/* Compute the plan of one spec. Problems that make it impossible are reported through d
 * at the budget's or source's line (when d is NULL they are printed plainly) and return
 * -1; unmet targets are warnings (counted in plan->warnings). */
int wn_mix_plan_compute(const wn_mix_spec *s, wn_ydoc *d, const char *config_path,
                        wn_mix_plan *plan);
void wn_mix_plan_release(wn_mix_plan *plan);
/* The human table printed by `winnow mix plan`. */
void wn_mix_plan_print(const wn_mix_spec *s, const wn_mix_plan *plan, FILE *f);
json_t *wn_mix_plan_to_json(const wn_mix_spec *s, const wn_mix_plan *plan);

/* Execute the main mix into outdir (and the anneal mix into outdir/anneal when present).
 * Skips when outdir/mix.done exists unless force. 0 on success, -1 with a message. */
int wn_mix_execute(const wn_mix_config *c, const char *outdir, bool force, bool quiet);

/* The same mix as `count` processes (index 0..count-1, count > 1; count == 1 is
 * wn_mix_execute): every part plans and selects the same documents from the inputs'
 * indexes, then writes its range of each split's shards (of S shards, [S*index/count,
 * S*(index+1)/count)) and hashes inputs index, index+count, ... . It ends with its
 * completion record outdir/mix-part-IIIII-of-NNNNN.json (config hash, seed, plan, its
 * shards, its hashes); a part whose record exists is skipped unless force. 0 or -1. */
int wn_mix_execute_part(const wn_mix_config *c, const char *outdir, unsigned index,
                        unsigned count, bool force, bool quiet);
/* After every part: check the part records (all present, all of this config and seed, all
 * of one plan, every listed shard present with its size), then write the manifest (equal
 * to the one-process run's) and mix.done, removing shards no part listed. Skips when
 * mix.done exists unless force. 0, or -1 with a message naming the file at fault. */
int wn_mix_finish(const wn_mix_config *c, const char *outdir, bool force, bool quiet);

#endif
