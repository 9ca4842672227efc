/* test_filter_config.c: YAML configs and parameter checking, the default chain against
 * configs/filters/llama3.yaml, --annotate-only, and --where expressions. */
#include "filter_helpers.h"
#include "filter/where.h"

static void test_yaml_scalars(void **state)
{
    char err[256];
    const char *y = "a: 1\nb: 0.25\nc: yes\nd: '12'\ne: [x, 2]\nf: ~\n";
    json_t *j = wn_yaml_parse(y, strlen(y), err, sizeof err);
    assert_non_null(j);
    assert_true(json_is_integer(json_object_get(j, "a")));
    assert_true(json_real_value(json_object_get(j, "b")) == 0.25);
    assert_true(json_is_true(json_object_get(j, "c")));
    assert_string_equal(json_string_value(json_object_get(j, "d")), "12"); /* quoted stays text */
    assert_int_equal(json_array_size(json_object_get(j, "e")), 2);
    assert_true(json_is_null(json_object_get(j, "f")));
    json_decref(j);
    assert_null(wn_yaml_parse("a: [1, 2", 8, err, sizeof err));
    assert_non_null(strstr(err, "line"));
}

static void test_bad_parameters_are_errors(void **state)
{
    char err[512];
    const char *bad[] = {
        "filters: [{name: gopher_quality, min_doc_word: 10}]", /* misspelt */
        "filters: [{name: gopher_quality, min_doc_words: many}]",
        "filters: [{name: no_such_filter}]",
        "filters: [{name: nsfw_words, lists: [/nonexistent/list.txt]}]",
        "filters: {name: c4}",
        "filters: [{name: where, expr: 'x <'}]",
    };
    const char *why[] = {"unknown parameter 'min_doc_word'", "must be a number",
                         "unknown filter", "cannot open '/nonexistent/list.txt'", "'filters' list", "expected a number"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *cfg = wn_yaml_parse(bad[i], strlen(bad[i]), err, sizeof err);
        assert_non_null(cfg);
        wn_filter_chain c;
        assert_int_equal(wn_filter_chain_build(&c, cfg, NULL, false, err, sizeof err), -1);
        if (!strstr(err, why[i]))
            fail_msg("config %zu: got '%s', want '%s'", i, err, why[i]);
        json_decref(cfg);
    }
}

static void test_default_chain_is_llama3_yaml(void **state)
{
    char err[512];
    wn_filter_chain def, file;
    assert_int_equal(wn_filter_chain_build(&def, NULL, NULL, false, err, sizeof err), 0);
    json_t *cfg = wn_yaml_load("configs/filters/llama3.yaml", err, sizeof err);
    if (!cfg)
        fail_msg("%s", err);
    if (wn_filter_chain_build(&file, cfg, "configs/filters", false, err, sizeof err))
        fail_msg("%s", err);
    /* same filters, same parameters (list paths resolve to the same shipped files) */
    char *a = json_dumps(def.effective, JSON_SORT_KEYS), *b = json_dumps(file.effective, JSON_SORT_KEYS);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(cfg);
    wn_filter_chain_release(&def);
    wn_filter_chain_release(&file);
}

static void test_annotate_only_keeps_and_records(void **state)
{
    char err[512];
    const char *y = "filters: [{name: gopher_quality}, {name: c4}]";
    json_t *cfg = wn_yaml_parse(y, strlen(y), err, sizeof err);
    wn_filter_chain c;
    assert_int_equal(wn_filter_chain_build(&c, cfg, NULL, true, err, sizeof err), 0);
    wn_doc d;
    wn_doc_init(&d);
    const char *t = "Too short.\nPlease enable javascript now, it says here.";
    wn_str_set(&d.text, t, strlen(t));
    wn_stats s;
    wn_stats_init(&s, "t");
    wn_text_invalidate();
    for (size_t i = 0; i < c.n; i++)
        c.stages[i]->process_doc(c.stages[i]->state, &d, &s);
    assert_null(d.drop_reason);
    assert_string_equal(wn_doc_attr_get_string(&d, "gopher_quality.would_drop"),
                        "gopher.too_few_words");
    assert_string_equal(wn_doc_attr_get_string(&d, "c4.would_drop"),
                        "c4.too_few_sentences");
    assert_string_equal(d.text.ptr, t); /* c4 did not rewrite the text */
    assert_true(attr(&d, "gopher.word_count") == 9);
    wn_stats_release(&s);
    wn_doc_release(&d);
    wn_filter_chain_release(&c);
    json_decref(cfg);
}

static void test_where_expressions(void **state)
{
    char err[256];
    wn_doc d;
    wn_doc_init(&d);
    wn_str_set(&d.text, "abc", 3);
    wn_doc_attr_set_score(&d, "gopher.symbol_ratio", 0.12);
    wn_doc_attr_set(&d, "langid.language", json_string("fr"));
    wn_doc_attr_set(&d, "n", json_real(3));
    struct { const char *e; bool want; bool missing; } cases[] = {
        {"gopher.symbol_ratio <= 0.1", false, false},
        {"gopher.symbol_ratio<=0.15", true, false},
        {"langid.language == fr && n > 2", true, false},
        {"langid.language == 'en' or (n >= 3 and not n == 4)", true, false},
        {"!(gopher.symbol_ratio > 0.1)", false, false},
        {"absent.signal < 1", false, true},
        {"absent.signal < 1 || n == 3", true, true},
        {"langid.language != \"fr\"", false, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wn_where *w = wn_where_parse(cases[i].e, err, sizeof err);
        if (!w)
            fail_msg("'%s': %s", cases[i].e, err);
        bool missing;
        if (wn_where_eval(w, &d, &missing) != cases[i].want || missing != cases[i].missing)
            fail_msg("'%s' gave the wrong answer", cases[i].e);
        wn_where_free(w);
    }
    const char *bad[] = {"", "x <", "x < 1 &&", "(x < 1", "x ~ 1", "x < 'a'", "x < 1 y"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        wn_where *w = wn_where_parse(bad[i], err, sizeof err);
        if (w)
            fail_msg("'%s' parsed", bad[i]);
    }
    wn_doc_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_scalars),
        cmocka_unit_test(test_bad_parameters_are_errors),
        cmocka_unit_test(test_default_chain_is_llama3_yaml),
        cmocka_unit_test(test_annotate_only_keeps_and_records),
        cmocka_unit_test(test_where_expressions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
