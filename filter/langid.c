/* langid.c: language identification with the official fastText lid.176 model, run by
 * classify/'s C reader (classify/fasttext.h): the label and score go into attributes
 * ("langid.language": "en", "langid.score": [[0, n, 0.97]]); a document is kept when its
 * top language is in `languages` (empty list = any) with score >= min_score (0.65, as
 * FineWeb). Drop reasons: "langid.language", "langid.low_score".
 * As datatrove does, newlines are read as spaces (wn_ft_predict does this itself). Only the
 * first max_bytes (4000 by default, cut between words; 0 = all) are read: the language of a
 * page is settled by its first paragraphs, and fastText's cost grows with the text.
 */
#include "filter/filter.h"
#include "classify/fasttext.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

/* What a document's top label decides, prepared once per label at load: the per-document
 * snprintf of the counter's name and the list scan were ~3% of the stage on prose. */
typedef struct lang_info {
    const char *label; /* the model's own string: predictions point at it */
    const char *lang;  /* without "__label__" */
    char *counter;     /* "langid.lang:<lang>" */
    bool wanted;
} lang_info;

typedef struct langid {
    wn_ft_model *model;
    char **languages;
    size_t n_languages;
    double min_score;
    size_t max_bytes;
    lang_info *labels; /* the model's labels, then "und" (nothing predicted) */
    int n_labels;
    bool every_doc; /* --annotate-only: every document goes on to the next filter */
} langid;

/* The first max_bytes of the text, cut after a space so no word is split (0 = all). */
static size_t prefix_len(const char *s, size_t n, size_t max)
{
    if (!max || n <= max)
        return n;
    size_t k = max;
    while (k > max / 2 && s[k] != ' ' && s[k] != '\n' && s[k] != '\t')
        k--;
    return k > max / 2 ? k : max;
}

static void prepare_labels(langid *l)
{
    int n = wn_ft_nlabels(l->model);
    l->labels = wn_xcalloc((size_t)n + 1, sizeof *l->labels);
    for (int i = 0; i <= n; i++) {
        lang_info *li = &l->labels[i];
        li->label = i < n ? wn_ft_label(l->model, i) : "und";
        li->lang = li->label;
        if (!strncmp(li->lang, "__label__", 9))
            li->lang += 9;
        size_t len = strlen("langid.lang:") + strlen(li->lang) + 1;
        li->counter = wn_xmalloc(len);
        snprintf(li->counter, len, "langid.lang:%s", li->lang);
        li->wanted = l->n_languages == 0;
        for (size_t k = 0; k < l->n_languages && !li->wanted; k++)
            li->wanted = !strcmp(l->languages[k], li->lang);
    }
    l->n_labels = n;
}

/* The prepared entry of a predicted label (the model's pointer; labels come most frequent
 * first in lid.176, so the scan is short), or "und" for no prediction. */
static const lang_info *label_info(const langid *l, const char *label, int k)
{
    for (int i = 0; k > 0 && i < l->n_labels; i++)
        if (l->labels[i].label == label)
            return &l->labels[i];
    return &l->labels[l->n_labels];
}

static void langid_doc(void *state, wn_doc *d, wn_stats *s)
{
    const langid *l = state;
    wn_ft_prediction pred;
    size_t len = prefix_len(d->text.ptr, d->text.len, l->max_bytes);
    int k = wn_ft_predict(l->model, d->text.ptr, len, 1, 0.0f, &pred);
    const lang_info *li = label_info(l, k > 0 ? pred.label : NULL, k);
    double score = k > 0 ? pred.prob : 0.0;
    if (!li->wanted)
        d->drop_reason = "langid.language";
    else if (score < l->min_score)
        d->drop_reason = "langid.low_score";
    /* only the length for a document this stage drops, which never needs the word
     * analysis; one going on gets it from the analysis when the next filter wants that */
    size_t n_chars = !d->drop_reason || l->every_doc
                         ? wn_text_next_doc_chars(d)
                         : wn_text_doc_count_chars(d);
    wn_doc_attr_set_label(d, "langid.language", li->lang); /* the model owns its labels */
    wn_filter_signal(d, n_chars, s, "langid.score", score, 0, 1.0001);
    wn_stats_count(s, li->counter, 1, d->text.len, n_chars);
}

/* A wanted language the model cannot predict ("english", "__label__en", "EN") would drop
 * every document as langid.language: refused at load, naming the model's form. */
static bool unknown_language(const langid *l, wn_fparams *p)
{
    for (size_t k = 0; k < l->n_languages; k++) {
        bool known = !strcmp(l->languages[k], "und");
        for (int i = 0; i < l->n_labels && !known; i++)
            known = !strcmp(l->languages[k], l->labels[i].lang);
        if (!known) {
            wn_fp_fail(p, "language '%s' is not a label of the model (its labels look like '%s')",
                       l->languages[k], l->n_labels ? l->labels[0].lang : "und");
            return true;
        }
    }
    return false;
}

static void langid_release(void *state)
{
    langid *l = state;
    for (int i = 0; l->labels && i <= l->n_labels; i++)
        free(l->labels[i].counter);
    free(l->labels);
    wn_ft_free(l->model);
    for (size_t i = 0; i < l->n_languages; i++)
        free(l->languages[i]);
    free(l->languages);
    free(l);
}

wn_stage *wn_filter_langid_new(wn_fparams *p)
{
    static const char *const model_def[] = {"data/models/lid.176.ftz", NULL};
    static const char *const lang_def[] = {"en", NULL};
    langid *l = wn_xcalloc(1, sizeof *l);
    size_t nm;
    char **model = wn_fp_paths(p, "model", model_def, &nm);
    l->languages = wn_fp_strs(p, "languages", lang_def, &l->n_languages);
    l->min_score = wn_fp_num(p, "min_score", 0.65);
    l->every_doc = p->annotate_only;
    double max_bytes = wn_fp_num(p, "max_bytes", 4000);
    /* checked before the conversion: a negative or huge double is undefined as a size_t */
    if (!(max_bytes >= 0 && max_bytes <= 1e15 && max_bytes == (double)(size_t)max_bytes))
        wn_fp_fail(p, "max_bytes must be a whole number of bytes >= 0 (0 = all)");
    else
        l->max_bytes = (size_t)max_bytes;
    if (!(l->min_score >= 0 && l->min_score <= 1))
        wn_fp_fail(p, "min_score must be between 0 and 1");
    char err[512];
    if (nm != 1)
        wn_fp_fail(p, "give one 'model'");
    else if (!(l->model = wn_ft_load(model[0], err, sizeof err)))
        wn_fp_fail(p, "%s", err);
    for (size_t i = 0; i < nm; i++)
        free(model[i]);
    free(model);
    if (!l->model) {
        langid_release(l);
        return NULL;
    }
    prepare_labels(l);
    if (unknown_language(l, p)) {
        langid_release(l);
        return NULL;
    }
    return wn_filter_stage_new("langid", l, langid_doc, langid_release);
}
