/* score.h: the `classify score` pipeline stage: a fastText model's probability for one
 * label, written into each document's attributes, optionally keeping only documents whose
 * score reaches a threshold (DCLM / FineWeb-Edu style quality filtering).
 *
 * The document text is read as one fastText line, its newlines as spaces (fasttext.h).
 * The stage borrows the model: it must outlive the stage.
 */
#ifndef WN_FT_SCORE_H
#define WN_FT_SCORE_H

#include "classify/fasttext.h"
#include "core/source.h"
#include "core/stage.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct wn_ft_score_opts {
    const wn_ft_model *model;
    const char *name;   /* attribute name, e.g. "quality" */
    const char *label;  /* label whose probability is the score, e.g. "__label__high" */
    bool filter;        /* drop documents with score < threshold ("classify.below_threshold") */
    double threshold;
} wn_ft_score_opts;

/* Index of `label` in the model (accepts it with or without the "__label__" prefix), or
 * -1 when the model has no such label. */
int wn_ft_label_index(const wn_ft_model *m, const char *label);

/* Probability the model gives label `label_id` for text (as `predict-prob ... -1` prints
 * it, which includes fastText's +1e-5). */
float wn_ft_score_text(const wn_ft_model *m, int label_id, const char *text, size_t len);

/* The stage; NULL with a message in err when the label is unknown. */
wn_stage *wn_ft_score_stage_new(const wn_ft_score_opts *o, char *err, size_t errlen);

/* The score below which documents fall outside the top `percent` % of `n` scores: the
 * value of the ceil(n * percent / 100)-th highest (ties at the cutoff are all kept).
 * Sorts `scores` in place. Returns +inf when n == 0 or percent <= 0. */
double wn_ft_top_percent_cutoff(float *scores, size_t n, double percent);

/* Reads every document of `inputs` (JSONL, through open/open_ctx) and scores it, with
 * `threads` OpenMP threads. Returns the scores (caller frees) and their count, in input
 * order; documents the source cannot read are skipped (as the runner skips them). */
float *wn_ft_score_inputs(const wn_ft_model *m, int label_id, char **inputs, size_t n_inputs,
                          wn_source_open_fn open, void *open_ctx, int threads, size_t *n_out);

#endif
