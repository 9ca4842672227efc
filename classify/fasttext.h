/* fasttext.h: read official fastText supervised models (.bin, quantized .ftz) and predict
 * exactly as the fastText 0.9.2 CLI does (same labels, same probabilities).
 *
 * File format and arithmetic: ../shared/FORMATS.md (g), after facebookresearch/fastText
 * src/fasttext.cc, dictionary.cc, quantmatrix.cc, productquantizer.cc, loss.cc, model.cc.
 *
 * Ownership: a wn_ft_model owns everything it returns (label strings stay valid until
 * wn_ft_free). A loaded model is read-only, so any number of threads may call
 * wn_ft_predict on it at once.
 *
 * Example:
 *     char err[256];
 *     wn_ft_model *m = wn_ft_load("lid.176.ftz", err, sizeof err);
 *     if (!m) { wn_error("%s", err); return 1; }
 *     wn_ft_prediction p[3];
 *     int n = wn_ft_predict(m, text, len, 3, 0.0f, p);   // p[0].label = "__label__en"
 *     wn_ft_free(m);
 */
#ifndef WN_FASTTEXT_H
#define WN_FASTTEXT_H

#include <stddef.h>

typedef struct wn_ft_model wn_ft_model;

/* Loads a supervised .bin or .ftz. On a bad file returns NULL and writes a message naming
 * the file into err: wrong magic, unsupported version, truncated, sizes that do not match. */
wn_ft_model *wn_ft_load(const char *path, char *err, size_t errlen);
/* Frees the model. Accepts NULL. */
void wn_ft_free(wn_ft_model *m);

typedef struct wn_ft_prediction {
    const char *label; /* label as in the model, e.g. "__label__en", owned by the model */
    float prob;
} wn_ft_prediction;

/* Predicts the k most likely labels of one text (len bytes, need not be NUL-terminated),
 * keeping those with prob >= threshold. Returns the count (<= k), sorted as the CLI sorts
 * (most probable first). k < 0 means all labels: out must then hold wn_ft_nlabels(m)
 * entries (with hierarchical softmax, as in the CLI, the search skips branches below
 * p = 1e-5 or the threshold, so fewer may come back). k == 0 returns 0. Thread-safe.
 *
 * The result is what `fasttext predict-prob` prints for the text as one input line, with
 * any '\n' in the text read as a space (as datatrove and DCLM do with text.replace("\n",
 * " ")): words split on ASCII whitespace and NUL, then the end-of-line word "</s>".
 * Defined for all input: empty text predicts from "</s>" alone; words that are labels
 * ("__label__x") are ignored, so a line of only labels predicts like empty text; a
 * megabyte-long line is read whole (scratch memory grows with its word count). When no
 * input row is found at all (a model without "</s>" and only unknown words) it returns 0. */
int wn_ft_predict(const wn_ft_model *m, const char *text, size_t len, int k, float threshold,
                  wn_ft_prediction *out);

/* Number of labels in the model, and label i (0 <= i < nlabels) as stored. */
int wn_ft_nlabels(const wn_ft_model *m);
const char *wn_ft_label(const wn_ft_model *m, int i);

#endif
