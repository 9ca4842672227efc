/* ft_tool.h: the fastText tool's commands as library functions, for cli/cmd_classify.c:
 * training a supervised model, writing it as a .bin the official tool loads, and the
 * line-by-line predict / test loops with the tool's exact output.
 *
 * Ownership: wn_ft_train returns a model the caller frees with wn_ft_free.
 */
#ifndef WN_FT_TOOL_H
#define WN_FT_TOOL_H

#include "classify/fasttext.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Hyperparameters, named and defaulted as `fasttext supervised` (args.cc). */
typedef struct wn_ft_train_opts {
    const char *input; /* fastText text format: "__label__x words ..." per line */
    double lr;
    int lr_update_rate, dim, ws, epoch, min_count, min_count_label, neg, word_ngrams;
    int loss; /* 1 hs, 2 ns, 3 softmax (default), 4 ova (WN_FT_LOSS_*) */
    int bucket, minn, maxn, threads;
    double t;
    int verbose; /* 0 silent, 1 summary, 2 progress (stderr) */
    uint64_t seed;
} wn_ft_train_opts;

void wn_ft_train_defaults(wn_ft_train_opts *o);

/* Trains a supervised model with Hogwild threads (one thread: reproducible bit for bit).
 * The lines are read once and spooled encoded (4 bytes per input row) to an unlinked file
 * in $TMPDIR (default /tmp) that the epochs map, so epochs do not re-tokenize and the
 * corpus is not held in memory. NULL with a message in err on bad input or options. */
wn_ft_model *wn_ft_train(const wn_ft_train_opts *o, char *err, size_t errlen);

/* `fasttext quantize` without -retrain (ft_quantize.c): with cutoff > 0 (and below the input
 * rows) the dictionary is first pruned to the cutoff rows of largest norm; then the input
 * matrix (and with qout the output one, in sub-vectors of 2) product-quantized with
 * sub-vectors of dsub floats and 256 centroids each, norms quantized apart with qnorm.
 * Reproducible (fixed seed). 0, or -1 with a message (a matrix of fewer than 256 rows
 * cannot be quantized). */
int wn_ft_quantize(wn_ft_model *m, int32_t dsub, bool qnorm, bool qout, int64_t cutoff,
                   char *err, size_t errlen);

/* Writes `m` as a fastText .bin/.ftz (version 12; dense or quantized matrices) to path, via
 * a temporary file renamed on success. 0, or -1 with a message in err. */
int wn_ft_save(const wn_ft_model *m, const char *path, char *err, size_t errlen);

/* Writes the word vectors as `fasttext supervised` does beside the .bin (PREFIX.vec):
 * "nwords dim", then per word its mean input row, 5 significant digits. */
int wn_ft_save_vectors(const wn_ft_model *m, const char *path, char *err, size_t errlen);

/* `fasttext predict[-prob] MODEL FILE k threshold`: one output line per input line,
 * "__label__a __label__b" or "__label__a 0.9 __label__b 0.1" (6 significant digits).
 * Returns 0, or -1 on a read/write error (message printed). */
int wn_ft_predict_stream(const wn_ft_model *m, FILE *in, const char *in_name, FILE *out,
                         int k, float threshold, bool print_prob);

/* `fasttext test MODEL FILE k threshold`: precision and recall at k over the lines that
 * have labels, printed as the tool does ("N\t..", "P@k\t..", "R@k\t.."). */
typedef struct wn_ft_test_result {
    int64_t examples, gold, predicted, predicted_gold;
} wn_ft_test_result;
int wn_ft_test_stream(const wn_ft_model *m, FILE *in, const char *in_name, int k,
                      float threshold, wn_ft_test_result *res);
void wn_ft_test_print(const wn_ft_test_result *res, int k, FILE *out);

#endif
