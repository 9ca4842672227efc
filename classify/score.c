/* score.c: the `classify score` stage and the pass that finds a top-percentile cutoff. */
#include "classify/score.h"

#include "core/buf.h"
#include "core/doc.h"

#include <math.h>
#include <stdbool.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct score_state {
    wn_ft_score_opts o;
    char *name;
    int label_id;
} score_state;

int wn_ft_label_index(const wn_ft_model *m, const char *label)
{
    static const char prefix[] = "__label__";
    for (int i = 0; i < wn_ft_nlabels(m); i++) {
        const char *l = wn_ft_label(m, i);
        if (!strcmp(l, label) ||
            (!strncmp(l, prefix, sizeof prefix - 1) && !strcmp(l + sizeof prefix - 1, label)))
            return i;
    }
    return -1;
}

float wn_ft_score_text(const wn_ft_model *m, int label_id, const char *text, size_t len)
{
    int n = wn_ft_nlabels(m);
    wn_ft_prediction stack[64];
    wn_ft_prediction *p = n <= 64 ? stack : wn_xmalloc((size_t)n * sizeof *p);
    int got = wn_ft_predict(m, text, len, -1, 0.0f, p);
    const char *want = wn_ft_label(m, label_id);
    float score = 0.0f;
    for (int i = 0; i < got; i++) {
        if (p[i].label == want) {
            score = p[i].prob;
            break;
        }
    }
    if (p != stack)
        free(p);
    return score;
}

static void score_doc(void *state, wn_doc *doc, wn_stats *stats)
{
    score_state *s = state;
    float score = wn_ft_score_text(s->o.model, s->label_id, doc->text.ptr, doc->text.len);
    wn_doc_attr_set_score(doc, s->name, (double)score);
    wn_stats_hist(stats, s->name, 0.0, 1.0, 20, (double)score);
    if (s->o.filter && (double)score < s->o.threshold)
        doc->drop_reason = "classify.below_threshold";
}

static void score_release(void *state)
{
    score_state *s = state;
    free(s->name);
    free(s);
}

wn_stage *wn_ft_score_stage_new(const wn_ft_score_opts *o, char *err, size_t errlen)
{
    int id = wn_ft_label_index(o->model, o->label);
    if (id < 0) {
        snprintf(err, errlen, "the model has no label '%s'", o->label);
        return NULL;
    }
    score_state *s = wn_xcalloc(1, sizeof *s);
    s->o = *o;
    s->name = wn_xstrdup(o->name);
    s->label_id = id;
    return wn_stage_new("classify.score", s, score_doc, score_release);
}

static int cmp_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x > y ? -1 : x < y ? 1 : 0;
}

double wn_ft_top_percent_cutoff(float *scores, size_t n, double percent)
{
    if (n == 0 || percent <= 0)
        return INFINITY;
    if (percent >= 100)
        return -INFINITY;
    size_t keep = (size_t)ceil((double)n * percent / 100.0);
    if (keep == 0)
        keep = 1;
    qsort(scores, n, sizeof *scores, cmp_desc);
    return (double)scores[keep - 1];
}

float *wn_ft_score_inputs(const wn_ft_model *m, int label_id, char **inputs, size_t n_inputs,
                          wn_source_open_fn open, void *open_ctx, int threads, size_t *n_out)
{
    float *scores = NULL;
    size_t n = 0, cap = 0;
    wn_stats stats;
    wn_stats_init(&stats, "classify.score.pass1");
    wn_batch batch;
    wn_batch_init(&batch);
    if (!open)
        open = wn_jsonl_source_open;
    for (size_t f = 0; f < n_inputs; f++) {
        wn_source *src = open(inputs[f], open_ctx, &stats);
        if (!src)
            continue;
        size_t got;
        while ((got = wn_source_next(src, &batch, 1024, 64u << 20, &stats)) > 0) {
            if (n + batch.n > cap) {
                cap = (n + batch.n) * 2;
                scores = wn_xrealloc(scores, cap * sizeof *scores);
            }
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads > 0 ? threads : omp_get_max_threads())
            for (size_t i = 0; i < batch.n; i++) {
                /* wn_source_next has decoded the batch and left out broken records, as the
                 * runner's pass will, so both passes see the same documents */
                wn_doc *d = &batch.docs[i];
                scores[n + i] = wn_ft_score_text(m, label_id, d->text.ptr, d->text.len);
            }
            n += batch.n;
            wn_batch_clear(&batch);
        }
        wn_source_close(src);
    }
    wn_batch_release(&batch);
    wn_stats_release(&stats);
    *n_out = n;
    return scores;
}
