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

/* fastText's getLine ends an example at the word "</s>" as at a newline, so its tool reads
 * "a </s> b\n" as two lines, "a </s>" and "b\n", and "a </s>\n" as "a </s>" and an empty
 * line. The examples of one line of input, in turn: */
typedef struct examples {
    const char *s;
    size_t n, at; /* the line s[0..n) (without '\n'), read up to `at` */
    bool eol, done;
} examples;

/* The end of the first word "</s>" of s[0..n), or SIZE_MAX when it has none. */
static size_t eos_word_end(const char *s, size_t n)
{
    const char *p = s;
    while ((p = memmem(p, n - (size_t)(p - s), WN_FT_EOS, 4))) {
        size_t at = (size_t)(p - s);
        if ((at == 0 || wn_ft_is_space((unsigned char)s[at - 1])) &&
            (at + 4 == n || wn_ft_is_space((unsigned char)s[at + 4])))
            return at + 4;
        p++;
    }
    return SIZE_MAX;
}

/* The next example of the line: text s[0..n), which ends the input line when *eol (the
 * tool then reads the '\n' as "</s>"). False when the line has no more. */
static bool next_example(examples *e, const char **s, size_t *n, bool *eol)
{
    if (e->done)
        return false;
    size_t end = eos_word_end(e->s + e->at, e->n - e->at);
    *s = e->s + e->at;
    if (end == SIZE_MAX) { /* the rest of the line */
        *n = e->n - e->at;
        *eol = e->eol;
        e->done = true;
        return true;
    }
    *n = end;
    *eol = false;
    e->at += end;
    /* nothing after the word but the end of the input: the tool stops there */
    e->done = e->at == e->n && !e->eol;
    return true;
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
        examples ex = {line, (size_t)(eol ? len - 1 : len), 0, eol, false};
        const char *s;
        size_t sn;
        while (next_example(&ex, &s, &sn, &eol)) {
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
        examples ex = {line, (size_t)(eol ? len - 1 : len), 0, eol, false};
        const char *s;
        size_t sn;
        while (next_example(&ex, &s, &sn, &eol))
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
