/* ft_stream.c: the fastText tool's predict, predict-prob and test loops over a text
 * stream (main.cc predict/test, FastText::predictLine/test, Meter in
 * facebookresearch/fastText src/), with its output format byte for byte. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reusable buffers for predicting line after line. */
typedef struct predictor {
    wn_ft_line line;
    float *vec;
    wn_ft_prediction *preds;
} predictor;

static void predictor_init(predictor *p, const wn_ft_model *m)
{
    wn_ft_line_init(&p->line);
    p->vec = wn_xmalloc(((size_t)m->args.dim + (size_t)m->dict.nlabels) * sizeof(float));
    p->preds = wn_xmalloc((size_t)m->dict.nlabels * sizeof *p->preds);
}

static void predictor_release(predictor *p)
{
    wn_ft_line_release(&p->line);
    free(p->vec);
    free(p->preds);
}

/* The tool reads a line up to and including its '\n', which becomes "</s>"; a last line
 * without '\n' has no "</s>". */
static int predict_line(const wn_ft_model *m, predictor *p, const char *s, size_t n,
                        bool eol, int k, float threshold)
{
    wn_ft_read_line_cached(m, s, n, eol, &p->line);
    return wn_ft_predict_rows(m, &p->line.rows, k, threshold, p->vec,
                              p->vec + m->args.dim, p->preds);
}

/* Shared end of the streaming loops: report a read error, free what the loop held. */
static int finish_stream(FILE *in, const char *in_name, char *line, predictor *p)
{
    int rc = 0;
    if (ferror(in)) {
        fprintf(stderr, "error: cannot read '%s': %s\n", in_name, strerror(errno));
        rc = -1;
    }
    free(line);
    predictor_release(p);
    return rc;
}

int wn_ft_predict_stream(const wn_ft_model *m, FILE *in, const char *in_name, FILE *out,
                         int k, float threshold, bool print_prob)
{
    predictor p;
    predictor_init(&p, m);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        bool eol = line[len - 1] == '\n';
        wn_ft_examples_of_line ex = {line, (size_t)(eol ? len - 1 : len), 0, eol, false};
        const char *s;
        size_t sn;
        while (wn_ft_next_example(&ex, &s, &sn, &eol)) {
            int n = predict_line(m, &p, s, sn, eol, k, threshold);
            for (int i = 0; i < n; i++) {
                if (i)
                    fputc(' ', out);
                fputs(p.preds[i].label, out);
                if (print_prob)
                    fprintf(out, " %g", (double)p.preds[i].prob);
            }
            fputc('\n', out);
        }
    }
    return finish_stream(in, in_name, line, &p);
}

/* One example of `test`: counted when it has labels and input rows (FastText::test). */
static void test_example(const wn_ft_model *m, predictor *p, const char *s, size_t sn, bool eol,
                         int k, float threshold, wn_ft_test_result *res)
{
    wn_ft_read_line_cached(m, s, sn, eol, &p->line);
    if (p->line.labels.n == 0 || p->line.rows.n == 0)
        return;
    int n = wn_ft_predict_rows(m, &p->line.rows, k, threshold, p->vec, p->vec + m->args.dim,
                               p->preds);
    res->examples++;
    res->gold += (int64_t)p->line.labels.n;
    res->predicted += n;
    for (int i = 0; i < n; i++) {
        int32_t id = -1;
        for (int32_t l = 0; l < m->dict.nlabels; l++)
            if (p->preds[i].label == m->dict.words[m->dict.nwords + l])
                id = l;
        for (size_t g = 0; g < p->line.labels.n; g++) {
            if (p->line.labels.v[g] == id) {
                res->predicted_gold++;
                break;
            }
        }
    }
}

int wn_ft_test_stream(const wn_ft_model *m, FILE *in, const char *in_name, int k,
                      float threshold, wn_ft_test_result *res)
{
    memset(res, 0, sizeof *res);
    predictor p;
    predictor_init(&p, m);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        bool eol = line[len - 1] == '\n';
        wn_ft_examples_of_line ex = {line, (size_t)(eol ? len - 1 : len), 0, eol, false};
        const char *s;
        size_t sn;
        while (wn_ft_next_example(&ex, &s, &sn, &eol))
            test_example(m, &p, s, sn, eol, k, threshold, res);
    }
    return finish_stream(in, in_name, line, &p);
}

void wn_ft_test_print(const wn_ft_test_result *res, int k, FILE *out)
{
    /* Meter::writeGeneralMetrics: std::setprecision(3) */
    double precision = (double)res->predicted_gold / (double)res->predicted;
    double recall = (double)res->predicted_gold / (double)res->gold;
    fprintf(out, "N\t%lld\nP@%d\t%.3g\nR@%d\t%.3g\n", (long long)res->examples, k, precision,
            k, recall);
}
