/* test_ft_predict.c: the official lid.176.ftz against the fastText 0.9.2 CLI's own output
 * (shared/data/models/lid176-golden.jsonl), the public API on odd input (empty text, only
 * labels, a megabyte-long line, many threads), and the loader's refusals of broken files. */
#include "classify/fasttext.h"
#include "testutil.h"

#include <jansson.h>
#include <omp.h>

static wn_ft_model *load_lid(char *path, size_t n)
{
    char err[256];
    wn_ft_model *m = wn_ft_load(path, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    (void)n;
    return m;
}

/* The CLI prints probabilities with 6 significant digits (std::cout default). */
static void assert_same_print(double golden, float ours, const char *text)
{
    char a[32], b[32];
    snprintf(a, sizeof a, "%g", golden);
    snprintf(b, sizeof b, "%g", (double)ours);
    if (strcmp(a, b) != 0)
        fail_msg("prob %s != golden %s for '%.60s'", b, a, text);
}

static void test_lid176_golden(void **state)
{
    (void)state;
    char lid[512], golden[512];
    SHARED_OR_SKIP(lid, "models/lid.176.ftz");
    SHARED_OR_SKIP(golden, "models/lid176-golden.jsonl");
    wn_ft_model *m = load_lid(lid, sizeof lid);
    assert_int_equal(wn_ft_nlabels(m), 176);
    FILE *g = fopen(golden, "r");
    assert_non_null(g);
    char *line = NULL;
    size_t cap = 0;
    int checked = 0;
    json_error_t je;
    while (getline(&line, &cap, g) > 0) {
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        const char *text = json_string_value(json_object_get(o, "text"));
        json_t *labels = json_object_get(o, "labels"), *probs = json_object_get(o, "probs");
        wn_ft_prediction p[5];
        int n = wn_ft_predict(m, text, strlen(text), 5, 0.0f, p);
        assert_int_equal(n, (int)json_array_size(labels));
        for (int i = 0; i < n; i++) {
            assert_string_equal(p[i].label, json_string_value(json_array_get(labels, i)));
            assert_same_print(json_number_value(json_array_get(probs, i)), p[i].prob, text);
        }
        json_decref(o);
        checked++;
    }
    free(line);
    fclose(g);
    assert_true(checked >= 137);
    wn_ft_free(m);
}

static void test_odd_input(void **state)
{
    (void)state;
    char lid[512];
    SHARED_OR_SKIP(lid, "models/lid.176.ftz");
    wn_ft_model *m = load_lid(lid, sizeof lid);
    wn_ft_prediction all[176], p[3], q[3];

    /* empty text predicts from "</s>" alone; NULL text is the same */
    int n = wn_ft_predict(m, "", 0, 3, 0.0f, p);
    assert_int_equal(n, 3);
    assert_int_equal(wn_ft_predict(m, NULL, 0, 3, 0.0f, q), 3);
    assert_string_equal(p[0].label, q[0].label);
    /* a line of only labels reads as empty text: labels are never words */
    n = wn_ft_predict(m, "__label__en __label__fr  __label__xx", 35, 3, 0.0f, q);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(p[i].label, q[i].label);
        assert_true(p[i].prob == q[i].prob);
    }
    /* newlines inside the text are spaces, not line ends */
    const char *a = "Das ist ein Haus\nund ein Garten", *b = "Das ist ein Haus und ein Garten";
    wn_ft_predict(m, a, strlen(a), 1, 0.0f, p);
    wn_ft_predict(m, b, strlen(b), 1, 0.0f, q);
    assert_string_equal(p[0].label, "__label__de");
    assert_true(p[0].prob == q[0].prob);
    /* k < 0: every label the search reaches (lid.176 uses hierarchical softmax, whose
     * search drops branches below p = 1e-5, as the CLI does), most probable first */
    const char *e = "hello world this is english";
    n = wn_ft_predict(m, e, strlen(e), -1, 0.0f, all);
    assert_true(n > 3 && n <= 176);
    assert_string_equal(all[0].label, "__label__en");
    assert_string_equal(all[1].label, "__label__ru"); /* as `fasttext predict-prob` says */
    for (int i = 1; i < n; i++)
        assert_true(all[i - 1].prob >= all[i].prob);
    n = wn_ft_predict(m, e, strlen(e), -1, 0.5f, all);
    assert_int_equal(n, 1);
    assert_int_equal(wn_ft_predict(m, b, strlen(b), 0, 0.0f, all), 0);

    /* a megabyte-long line: one huge word, then many words */
    size_t len = 1u << 20;
    char *big = malloc(len);
    memset(big, 'a', len);
    n = wn_ft_predict(m, big, len, 1, 0.0f, p);
    assert_int_equal(n, 1);
    for (size_t i = 0; i < len; i += 6)
        memcpy(big + i, i + 6 <= len ? "maison" : "mmmmmm", i + 6 <= len ? 6 : len - i);
    for (size_t i = 6; i < len; i += 7)
        big[i] = ' ';
    n = wn_ft_predict(m, big, len, 1, 0.0f, p);
    assert_int_equal(n, 1);
    assert_true(p[0].prob > 0.0f && p[0].prob <= 1.00001f);
    free(big);
    wn_ft_free(m);
}

/* The same predictions from 4 threads as from one: the model is read-only. */
static void test_threads(void **state)
{
    (void)state;
    char lid[512], golden[512];
    SHARED_OR_SKIP(lid, "models/lid.176.ftz");
    SHARED_OR_SKIP(golden, "models/lid176-golden.jsonl");
    wn_ft_model *m = load_lid(lid, sizeof lid);
    FILE *g = fopen(golden, "r");
    char *lines[200];
    size_t cap = 0;
    int n = 0;
    char *line = NULL;
    while (n < 200 && getline(&line, &cap, g) > 0)
        lines[n++] = strdup(line);
    free(line);
    fclose(g);
    wn_ft_prediction serial[200], par[200];
    for (int i = 0; i < n; i++)
        wn_ft_predict(m, lines[i], strlen(lines[i]), 1, 0.0f, &serial[i]);
#pragma omp parallel for num_threads(4) schedule(dynamic, 1)
    for (int i = 0; i < n; i++)
        wn_ft_predict(m, lines[i], strlen(lines[i]), 1, 0.0f, &par[i]);
    for (int i = 0; i < n; i++) {
        assert_ptr_equal(serial[i].label, par[i].label);
        assert_true(serial[i].prob == par[i].prob);
        free(lines[i]);
    }
    wn_ft_free(m);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *b = malloc(*len);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void spill(const char *path, const char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* Loading must fail with a message that names the file and says why. */
static void expect_refusal(const char *path, const char *why)
{
    char err[300];
    wn_ft_model *m = wn_ft_load(path, err, sizeof err);
    if (m) {
        wn_ft_free(m);
        fail_msg("'%s' loaded, expected: %s", path, why);
    }
    if (!strstr(err, path) || !strstr(err, why))
        fail_msg("message '%s' lacks '%s'", err, why);
}

static void test_bad_files(void **state)
{
    (void)state;
    char lid[512];
    SHARED_OR_SKIP(lid, "models/lid.176.ftz");
    size_t len;
    char *b = slurp(lid, &len);
    char *dir = tmpdir_new(), path[600];
    snprintf(path, sizeof path, "%s/bad.ftz", dir);

    expect_refusal("/nonexistent/model.bin", "cannot open");
    spill(path, "", 0);
    expect_refusal(path, "truncated");
    spill(path, "{\"not\": \"a model\"}\n", 19);
    expect_refusal(path, "wrong magic");
    char *c = malloc(len + 1);
    memcpy(c, b, len);
    c[4] = 13; /* version 13 */
    spill(path, c, len);
    expect_refusal(path, "unsupported fastText model version 13");
    memcpy(c, b, len);
    c[len] = 0; /* a byte too many */
    spill(path, c, len + 1);
    expect_refusal(path, "sizes do not match");
    memcpy(c, b, len);
    c[8] = (char)0xff; /* dim = huge negative */
    c[9] = c[10] = c[11] = (char)0xff;
    spill(path, c, len);
    expect_refusal(path, "bad dimension");
    /* every cut of the file is refused, never a crash */
    for (size_t cut = 1; cut < len; cut += cut < 4096 ? 7 : 4093) {
        spill(path, b, cut);
        char err[300];
        wn_ft_model *m = wn_ft_load(path, err, sizeof err);
        if (m)
            fail_msg("a file cut at %zu bytes loaded", cut);
        assert_non_null(strstr(err, path));
    }
    free(c);
    free(b);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lid176_golden),
        cmocka_unit_test(test_odd_input),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
