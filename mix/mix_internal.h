/* mix_internal.h: pieces shared by the mix's own files (not a public API). */
#ifndef WN_MIX_INTERNAL_H
#define WN_MIX_INTERNAL_H

#include "core/buf.h"
#include "mix/megatron.h"
#include "mix/mix.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Source `path` entries (prefix, directory of *.idx, or glob) -> sorted, unique dataset
 * prefixes. 0, or -1 with a message when nothing is found. Free each and the array. */
int mx_expand(char **paths, size_t n_paths, char ***out, size_t *n_out);

/* XXH3-128 of a file as 32 hex digits (caller frees), NULL when unreadable. */
char *mx_file_hash(const char *path);

/* One execution of a mix spec: its inputs, the selected documents per split, the counts
 * the manifest reports. Shared by execute.c (orchestration), select.c and pack.c. */
typedef struct mx_input {
    wn_mg_reader r;
    size_t source;
} mx_input;

typedef struct mx_ref {
    uint32_t input;
    uint32_t source;
    uint64_t doc;
} mx_ref;

typedef struct mx_refs {
    mx_ref *v;
    size_t n, cap;
} mx_refs;

typedef struct mx_run {
    const wn_mix_config *c;
    const wn_mix_spec *spec;
    wn_mix_plan plan;
    mx_input *inputs;
    size_t n_inputs;
    mx_refs train, val;
    uint64_t *train_tokens, *val_tokens, *train_docs, *val_docs, *dropped; /* per source */
    json_t *inputs_json;
} mx_run;

/* select.c: fill m->train and m->val per the plan (whole epochs, then a seeded subset;
 * validation by a seeded hash of each document's identity), then shuffle each split. */
void mx_select(mx_run *m);

/* Which output shards this process writes: of every split's S shards, the range
 * [S*index/count, S*(index+1)/count) (count == 1: all of them). The cut into samples and
 * shards comes from document lengths alone, so every process agrees on it. */
typedef struct mx_part {
    unsigned index, count;
} mx_part;

/* select.c: a document's split depends only on the seed and its identity, never on the
 * epoch: it is in validation when the XXH64, under the seed, of "<source>\n<file name of
 * its dataset>\n<document index in decimal>" falls under val_fraction (the top 53 bits as
 * a fraction). mx_split_key puts one dataset's "<source>\n<file name>\n" in key;
 * mx_split_is_val draws for document doc of that dataset (key keeps its length). */
void mx_split_key(wn_buf *key, const char *source, const char *prefix);
bool mx_split_is_val(wn_buf *key, uint64_t doc, uint64_t seed, double val_fraction);

/* pack.c: one split's documents, in order, into sequences of sequence_length tokens;
 * writes this part's shards of them (outputs gets {file, split, samples, tokens, bytes}
 * per shard written) and counts every document and token of the split per source into
 * the arrays and m->dropped, whichever part writes them. *n_shards = the split's shards. */
int mx_pack_split(mx_run *m, const mx_refs *refs, const char *outdir, const char *split,
                  mx_part part, uint64_t *tokens_by_source, uint64_t *docs_by_source,
                  json_t *outputs, uint64_t *n_shards);

/* execute.c, shared with parts.c (the finishing step of a mix run as several parts). */
#define MX_PART_PREFIX "mix-part-"
/* outdir/mix-part-IIIII-of-NNNNN.json: a part's completion record. Caller frees. */
char *mx_part_record_path(const char *outdir, unsigned index, unsigned count);
/* The manifest's fields that describe the config: path, mix section, seed, sequence
 * length, format, val_fraction, keep_remainder, the config file's XXH3-128. */
json_t *mx_manifest_header(const wn_mix_config *c);
/* True (with a message unless quiet) when `done`, a mix.done record, exists and no
 * --force asks to redo the mix. */
bool mx_already_done(const char *done, bool force, bool quiet);
/* Write outdir/manifest.json, then outdir/mix.done; a summary unless quiet. 0 or -1. */
int mx_commit_manifest(json_t *manifest, const char *outdir, bool quiet);
/* Write JSON to path atomically. 0, or -1 with a message. */
int mx_write_json(const char *path, json_t *j);
/* Is a file name one the mix writes (shards, manifest, part records)? */
bool mx_is_mix_output(const char *name);
/* Remove the files of dir whose names doomed(name, arg) accepts. */
void mx_remove_where(const char *dir, bool (*doomed)(const char *name, const void *arg),
                     const void *arg);
/* Remove the mix's files in outdir (an earlier attempt's), except, when keep is given,
 * part records and the shards that keep (an outputs array) lists. */
void mx_clean_outdir(const char *outdir, const json_t *keep);
/* Which file a shard `file` of dir is on disk now: "<inode>:<mtime ns>" of its .bin (and
 * .idx for Megatron), so the finishing step sees a shard another run replaced since the
 * part wrote it (same size, other bytes) without reading it. JSON string; null if absent. */
json_t *mx_shard_stamp(const wn_mix_config *c, const char *dir, const char *file);
/* Does an outputs array list the shard `name` (its .bin, or for Megatron also its .idx)? */
bool mx_outputs_name(const json_t *outputs, const char *name);

/* Seeded deterministic random numbers (splitmix64). */
typedef struct mx_rng {
    uint64_t state;
} mx_rng;

/* A stream seeded by (seed, label), so streams for different purposes are independent. */
void mx_rng_init(mx_rng *r, uint64_t seed, const char *label);
uint64_t mx_rng_next(mx_rng *r);
/* Uniform in [0, n), unbiased (Lemire's rejection). n > 0. */
uint64_t mx_rng_below(mx_rng *r, uint64_t n);

/* Where packed samples go: Megatron or llm.c shards of one split. A sample is a list of
 * pieces (parts of source documents); Megatron keeps the pieces as sequences of one
 * document, llm.c only concatenates them. */
typedef struct mx_sink mx_sink;
/* The first shard written is number first_shard (earlier ones belong to other parts). */
mx_sink *mx_sink_open(const wn_mix_config *c, const char *outdir, const char *split,
                      int dtype, uint64_t samples_per_shard, uint64_t first_shard);
/* llm.c only: tokens the whole split will hold (its shard headers need counts). */
void mx_sink_set_split_tokens(mx_sink *s, uint64_t tokens);
int mx_sink_piece(mx_sink *s, const uint32_t *tokens, size_t n);
int mx_sink_end_sample(mx_sink *s);
/* Commit the last shard; appends {file, split, samples, tokens, bytes} per shard to
 * outputs. 0 on success. Frees the sink either way. */
int mx_sink_close(mx_sink *s, json_t *outputs);
void mx_sink_abort(mx_sink *s);

#endif
