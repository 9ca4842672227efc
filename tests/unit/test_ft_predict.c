/* test_ft_predict.c: predictions of the official lid.176.ftz against the fastText 0.9.2
 * CLI's own output (../shared/data/models/lid176-golden.jsonl), the public API's defined
 * behaviour on odd input, and the loader's refusals of broken files. */
#include "classify/fasttext.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define LID "../shared/data/models/lid.176.ftz"
#define GOLDEN "../shared/data/models/lid176-golden.jsonl"

static wn_ft_model *load_lid(void)
{
    FILE *f = fopen(LID, "rb");
    if (!f)
        return NULL;
    fclose(f);
    char err[256];
    wn_ft_model *m = wn_ft_load(LID, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
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
    wn_ft_model *m = load_lid();
    json_error_t je;
    FILE *g = fopen(GOLDEN, "r");
    if (!m || !g) {
        if (g)
            fclose(g);
        wn_ft_free(m);
        skip();
    }
    char *line = NULL;
    size_t cap = 0;
    int checked = 0;
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
    assert_true(checked > 100);
    wn_ft_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lid176_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
