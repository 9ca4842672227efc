/* test_ft_train.c: `classify supervised` on real text (shared/data/quality: Brown corpus
 * prose vs spam), written as .bin and read back: accuracy, save/load round trip,
 * reproducibility with one thread, Hogwild with two, every loss, refusals of bad input. */
#include "classify/fasttext.h"
#include "classify/ft_tool.h"
#include "core/io.h"
#include "testutil.h"

#include <jansson.h>

typedef struct split {
    char *dir, train[600], test[600];
} split;

/* quality.jsonl.gz -> fastText lines "__label__high words..."; every 5th line is test. */
static int make_split(split *s)
{
    char src[512];
    const char *root = getenv("WINNOW_SHARED");
    snprintf(src, sizeof src, "%s/data/quality/quality.jsonl.gz", root ? root : "../shared");
    if (access(src, R_OK) != 0)
        return -1;
    s->dir = tmpdir_new();
    snprintf(s->train, sizeof s->train, "%s/train.txt", s->dir);
    snprintf(s->test, sizeof s->test, "%s/test.txt", s->dir);
    wn_in *in = wn_in_open(src, WN_COMP_AUTO, NULL, 0);
    FILE *tr = fopen(s->train, "w"), *te = fopen(s->test, "w");
    const char *line;
    size_t len, i = 0;
    while ((line = wn_in_line(in, &len))) {
        json_t *o = json_loadb(line, len, 0, NULL);
        FILE *f = ++i % 5 == 0 ? te : tr;
        fprintf(f, "__label__%s ", json_string_value(json_object_get(o, "label")));
        for (const char *t = json_string_value(json_object_get(o, "text")); *t; t++)
            fputc(*t == '\n' || *t == '\r' ? ' ' : *t, f);
        fputc('\n', f);
        json_decref(o);
    }
    wn_in_close(in);
    fclose(tr);
    fclose(te);
    return 0;
}

static int setup(void **state)
{
    split *s = calloc(1, sizeof *s);
    if (make_split(s)) {
        free(s);
        *state = NULL;
    } else {
        *state = s;
    }
    return 0;
}

static int teardown(void **state)
{
    split *s = *state;
    if (s) {
        tmpdir_remove(s->dir);
        free(s);
    }
    return 0;
}

#define SPLIT_OR_SKIP(s)                                                      \
    split *s = *state;                                                        \
    if (!s) {                                                                 \
        print_message("shared/data/quality not found: skipped\n");            \
        skip();                                                               \
    }

static wn_ft_train_opts small_opts(const split *s)
{
    wn_ft_train_opts o;
    wn_ft_train_defaults(&o);
    o.input = s->train;
    o.dim = 16;
    o.epoch = 5;
    o.lr = 0.5;
    o.word_ngrams = 2;
    o.bucket = 100000;
    o.threads = 1;
    o.verbose = 0;
    return o;
}

static double precision_at_1(const wn_ft_model *m, const char *test)
{
    FILE *f = fopen(test, "r");
    wn_ft_test_result r;
    assert_int_equal(wn_ft_test_stream(m, f, test, 1, 0.0f, &r), 0);
    fclose(f);
    assert_true(r.examples > 300);
    return (double)r.predicted_gold / (double)r.predicted;
}

static char *read_all(const char *path, size_t *len)
{
    char err[256];
    char *b = wn_read_file(path, len, err, sizeof err);
    if (!b)
        fail_msg("%s", err);
    return b;
}

static void test_train_save_load(void **state)
{
    SPLIT_OR_SKIP(s);
    wn_ft_train_opts o = small_opts(s);
    char err[256], bin[700], bin2[700];
    wn_ft_model *m = wn_ft_train(&o, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    assert_true(precision_at_1(m, s->test) > 0.93);
    snprintf(bin, sizeof bin, "%s/a.bin", s->dir);
    assert_int_equal(wn_ft_save(m, bin, err, sizeof err), 0);
    wn_ft_model *back = wn_ft_load(bin, err, sizeof err);
    if (!back)
        fail_msg("%s", err);
    /* the file predicts exactly as the model in memory */
    FILE *f = fopen(s->test, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        wn_ft_prediction a[2], b[2];
        int na = wn_ft_predict(m, line, (size_t)n - 1, 2, 0.0f, a);
        int nb = wn_ft_predict(back, line, (size_t)n - 1, 2, 0.0f, b);
        assert_int_equal(na, nb);
        for (int i = 0; i < na; i++) {
            assert_string_equal(a[i].label, b[i].label);
            assert_true(a[i].prob == b[i].prob);
        }
    }
    free(line);
    fclose(f);
    /* one thread: the same bytes every time */
    wn_ft_model *again = wn_ft_train(&o, err, sizeof err);
    snprintf(bin2, sizeof bin2, "%s/b.bin", s->dir);
    assert_int_equal(wn_ft_save(again, bin2, err, sizeof err), 0);
    size_t la, lb;
    char *fa = read_all(bin, &la), *fb = read_all(bin2, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(fa, fb, la);
    free(fa);
    free(fb);
    wn_ft_free(again);
    wn_ft_free(back);
    wn_ft_free(m);
}

/* The predictor's per-thread word cache belongs to one model: three models used in turn on
 * one thread (more than the two caches a thread keeps) predict what each predicts alone. */
static void test_models_in_turn(void **state)
{
    SPLIT_OR_SKIP(s);
    char lid_path[512], err[256];
    SHARED_OR_SKIP(lid_path, "models/lid.176.ftz");
    wn_ft_train_opts o = small_opts(s);
    wn_ft_model *ms[3] = {wn_ft_train(&o, err, sizeof err), wn_ft_load(lid_path, err, sizeof err),
                          NULL};
    assert_non_null(ms[0]);
    assert_non_null(ms[1]);
    o.minn = 2; /* a third model: with char n-grams */
    o.maxn = 4;
    ms[2] = wn_ft_train(&o, err, sizeof err);
    assert_non_null(ms[2]);
    enum { LINES = 200 };
    char *lines[LINES];
    size_t lens[LINES], n_lines = 0;
    FILE *f = fopen(s->test, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (n_lines < LINES && (n = getline(&line, &cap, f)) > 0) {
        lens[n_lines] = (size_t)n - 1;
        lines[n_lines++] = strndup(line, (size_t)n - 1);
    }
    free(line);
    fclose(f);
    wn_ft_prediction alone[3][LINES];
    for (int k = 0; k < 3; k++) /* each model over all lines, then the next */
        for (size_t i = 0; i < n_lines; i++)
            assert_int_equal(wn_ft_predict(ms[k], lines[i], lens[i], 1, 0.0f, &alone[k][i]), 1);
    for (size_t i = 0; i < n_lines; i++) /* in turn, line by line */
        for (int k = 0; k < 3; k++) {
            wn_ft_prediction p;
            assert_int_equal(wn_ft_predict(ms[(k + i) % 3], lines[i], lens[i], 1, 0.0f, &p), 1);
            assert_string_equal(p.label, alone[(k + i) % 3][i].label);
            assert_true(p.prob == alone[(k + i) % 3][i].prob);
        }
    for (size_t i = 0; i < n_lines; i++)
        free(lines[i]);
    for (int k = 0; k < 3; k++)
        wn_ft_free(ms[k]);
}

/* Quantizing a model in place after predicting with it (its rows now cached by this
 * thread): it then predicts as the .ftz written from it does when loaded. */
static void test_quantize_in_place_after_predicting(void **state)
{
    SPLIT_OR_SKIP(s);
    char err[256], ftz[700];
    wn_ft_train_opts o = small_opts(s);
    o.minn = 2;
    o.maxn = 4;
    wn_ft_model *m = wn_ft_train(&o, err, sizeof err);
    assert_non_null(m);
    FILE *f = fopen(s->test, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    wn_ft_prediction p, q;
    while ((n = getline(&line, &cap, f)) > 0) /* fills the word cache */
        wn_ft_predict(m, line, (size_t)n - 1, 1, 0.0f, &p);
    assert_int_equal(wn_ft_quantize(m, 2, true, false, 1000, err, sizeof err), 0);
    snprintf(ftz, sizeof ftz, "%s/q.ftz", s->dir);
    assert_int_equal(wn_ft_save(m, ftz, err, sizeof err), 0);
    wn_ft_model *back = wn_ft_load(ftz, err, sizeof err);
    if (!back)
        fail_msg("%s", err);
    rewind(f);
    while ((n = getline(&line, &cap, f)) > 0) {
        assert_int_equal(wn_ft_predict(m, line, (size_t)n - 1, 1, 0.0f, &p), 1);
        assert_int_equal(wn_ft_predict(back, line, (size_t)n - 1, 1, 0.0f, &q), 1);
        assert_string_equal(p.label, q.label);
        assert_true(p.prob == q.prob);
    }
    free(line);
    fclose(f);
    wn_ft_free(back);
    wn_ft_free(m);
}

static void test_hogwild_and_losses(void **state)
{
    SPLIT_OR_SKIP(s);
    wn_ft_train_opts o = small_opts(s);
    char err[256];
    o.threads = 2;
    wn_ft_model *m = wn_ft_train(&o, err, sizeof err);
    assert_non_null(m);
    assert_true(precision_at_1(m, s->test) > 0.93);
    wn_ft_free(m);
    o.threads = 1;
    o.minn = 3;
    o.maxn = 5;
    for (int loss = 1; loss <= 4; loss++) { /* hs, ns, softmax, ova */
        o.loss = loss;
        m = wn_ft_train(&o, err, sizeof err);
        assert_non_null(m);
        if (precision_at_1(m, s->test) < 0.93)
            fail_msg("loss %d: precision %.3f", loss, precision_at_1(m, s->test));
        wn_ft_free(m);
    }
}

static void test_bad_training_input(void **state)
{
    SPLIT_OR_SKIP(s);
    char err[256], path[700];
    wn_ft_train_opts o = small_opts(s);
    o.input = "/nonexistent/train.txt";
    assert_null(wn_ft_train(&o, err, sizeof err));
    assert_non_null(strstr(err, "cannot open '/nonexistent/train.txt'"));
    snprintf(path, sizeof path, "%s/nolabels.txt", s->dir);
    FILE *f = fopen(path, "w");
    fputs("just words\nand more words\n", f);
    fclose(f);
    o.input = path;
    assert_null(wn_ft_train(&o, err, sizeof err));
    assert_non_null(strstr(err, "no labels in"));
    o = small_opts(s);
    o.loss = 7;
    assert_null(wn_ft_train(&o, err, sizeof err));
    assert_non_null(strstr(err, "unknown loss"));
}

/* A word "</s>" inside a line ends an example, as in fastText's getLine: the words before it
 * train with the labels before it only. Here every label follows the "</s>", so "apple" and
 * "cherry" are in no labelled example and keep their random start (about even odds), while
 * the words after it learn their label. Reading the whole line as one example would teach
 * "apple" label x as well as "banana". */
static void test_eos_word_ends_example(void **state)
{
    (void)state; /* needs no shared data */
    char err[256], path[700];
    char *dir = tmpdir_new();
    snprintf(path, sizeof path, "%s/eos.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 100; i++)
        fputs("apple </s> __label__x banana\ncherry </s> __label__y date\n", f);
    fclose(f);
    wn_ft_train_opts o;
    wn_ft_train_defaults(&o);
    o.input = path;
    o.dim = 16;
    o.lr = 0.5;
    o.bucket = 100000;
    o.threads = 1;
    o.verbose = 0;
    o.word_ngrams = 1;
    o.epoch = 20;
    wn_ft_model *m = wn_ft_train(&o, err, sizeof err);
    assert_non_null(m);
    wn_ft_prediction p;
    assert_int_equal(wn_ft_predict(m, "banana", 6, 1, 0.0f, &p), 1);
    assert_string_equal(p.label, "__label__x");
    assert_true(p.prob > 0.9f);
    assert_int_equal(wn_ft_predict(m, "date", 4, 1, 0.0f, &p), 1);
    assert_string_equal(p.label, "__label__y");
    assert_true(p.prob > 0.9f);
    assert_int_equal(wn_ft_predict(m, "apple", 5, 1, 0.0f, &p), 1);
    if (p.prob > 0.75f)
        fail_msg("'apple' was trained: %s %.3f", p.label, (double)p.prob);
    wn_ft_free(m);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_save_load),
        cmocka_unit_test(test_models_in_turn),
        cmocka_unit_test(test_quantize_in_place_after_predicting),
        cmocka_unit_test(test_hogwild_and_losses),
        cmocka_unit_test(test_bad_training_input),
        cmocka_unit_test(test_eos_word_ends_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
