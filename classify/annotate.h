/* annotate.h: label a seeded sample of documents with an LLM (`winnow annotate`).
 *
 *   inputs --sample--> OUT/sample.jsonl.zst --prompt--> server --parse--> OUT/labels.jsonl
 *                                                                   \--> OUT/unparseable.jsonl
 *   when every document is answered: OUT/train.txt (fastText: "__label__L text"),
 *   OUT/annotate.stats.json and OUT/annotate.done
 *
 * Resumable: OUT/annotate.json records what the run is (config fingerprint, model, seed,
 * sample size, inputs, labelling); a later run with the same settings reuses the frozen
 * sample and asks only for documents that have no record yet. Different settings are
 * refused unless `force` (which starts over). Many requests are in flight at once (libcurl
 * multi); failed transfers are retried with exponential backoff, honouring Retry-After.
 * The order of lines in labels.jsonl follows completion; train.txt is in sample order, so
 * it depends only on the answers.
 */
#ifndef WN_ANNOTATE_H
#define WN_ANNOTATE_H

#include "classify/annotate_config.h"
#include "core/jsonl.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_ann_opts {
    const wn_ann_config *config;
    const char *url;          /* server base, e.g. http://127.0.0.1:8080/v1 */
    const char *model;
    const char *api_key;      /* NULL: no Authorization header; never logged */
    uint64_t seed;            /* sampling, and the request's seed */
    size_t sample;            /* documents to label */
    int parallel;             /* requests in flight */
    double timeout;           /* seconds per request */
    double connect_timeout;
    int retries;              /* retries per document after the first try */
    double backoff, backoff_max; /* seconds: first retry delay, cap */
    bool use_threshold;       /* scale: labels "high" (score >= threshold) / "low" */
    double threshold;
    const char *outdir;
    bool force, quiet;
    char **inputs;
    size_t n_inputs;
    wn_jsonl_opts jopts;
} wn_ann_opts;

/* The run. Returns 0 when every sampled document has a record (complete), 1 when some
 * could not be asked (failures, interruption: run again to resume), 2 when the settings
 * contradict an earlier run in outdir. Messages are printed. */
int wn_ann_run(const wn_ann_opts *o);

/* The training label of a score: choice -> the chosen class; scale with a threshold ->
 * "high"/"low"; scale -> the nearest integer, clamped to [min, max]. Writes into out. */
void wn_ann_label(const wn_ann_opts *o, double score, int choice, char *out, size_t outlen);

#endif
