/* test_annotate.c: annotate's pure parts: configs, prompt rendering, answer and
 * log-probability parsing, request/reply JSON, retry policy, key scrubbing, the append-only
 * store's resumption, and seeded sampling. The protocol against a real server is in
 * tests/cli/annotate_*.sh. Run from the repository root (tests/run-unit.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "classify/annotate.h"
#include "classify/annotate_config.h"
#include "classify/annotate_http.h"
#include "classify/annotate_parse.h"
#include "classify/annotate_sample.h"
#include "classify/annotate_store.h"
#include "core/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static wn_ann_config load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "configs/annotate/%s.yaml", name);
    wn_ann_config c;
    assert_int_equal(wn_ann_config_load(&c, path), 0);
    return c;
}

static void test_shipped_configs_load(void **state)
{
    const char *names[] = {"fineweb-edu", "quality-yesno", "code-edu", "math-reasoning"};
    for (size_t i = 0; i < 4; i++) {
        wn_ann_config c = load(names[i]);
        assert_non_null(strstr(c.prompt, "{{text}}"));
        assert_true(c.top_logprobs > 0);
        wn_ann_config_release(&c);
    }
    wn_ann_config c = load("quality-yesno");
    assert_int_equal(c.kind, WN_ANN_CHOICE);
    assert_int_equal(c.n_choices, 2);
    assert_string_equal(c.choices[c.positive], "yes");
    wn_ann_config_release(&c);
}

static void test_yaml_types(void **state)
{
    char path[] = "/tmp/wn-ann-yaml-XXXXXX";
    int fd = mkstemp(path);
    const char *y = "a: 1\nb: 2.5\nc: true\nd: \"7\"\ne: [x, 3]\nf:\n  g: null\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    char err[256];
    json_t *j = wn_yaml_load_file(path, err, sizeof err);
    unlink(path);
    assert_non_null(j);
    assert_true(json_is_integer(json_object_get(j, "a")));
    assert_true(json_is_real(json_object_get(j, "b")));
    assert_true(json_is_true(json_object_get(j, "c")));
    assert_string_equal(json_string_value(json_object_get(j, "d")), "7"); /* quoted stays text */
    assert_int_equal(json_array_size(json_object_get(j, "e")), 2);
    assert_true(json_is_null(json_object_get(json_object_get(j, "f"), "g")));
    json_decref(j);
}

static void test_render_cuts_at_utf8_boundary(void **state)
{
    wn_ann_config c = load("fineweb-edu");
    c.max_chars = 4;
    wn_buf out = WN_BUF_INIT;
    wn_ann_render_prompt(&c, "ab\xc3\xa9xyz", 7, &out); /* "abé..." : é is bytes 2-3 */
    assert_non_null(strstr(out.data, "The extract:\nab\xc3\xa9\n"));
    wn_buf_reset(&out);
    c.max_chars = 3; /* would split é: it is dropped whole */
    wn_ann_render_prompt(&c, "ab\xc3\xa9xyz", 7, &out);
    assert_non_null(strstr(out.data, "The extract:\nab\n"));
    assert_null(strstr(out.data, "{{text}}"));
    wn_buf_release(&out);
    wn_ann_config_release(&c);
}

static void test_parse_scale(void **state)
{
    wn_ann_config c = load("fineweb-edu");
    wn_ann_score s;
    const char *a = "The extract scores 2 points... Educational score: 2\n\nOn reflection, "
                    "**Educational score: 4**";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_PARSED);
    assert_true(s.score == 4.0); /* the last match wins */
    assert_int_equal(a[s.match_start], '4');
    a = "educational score:3";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_PARSED);
    assert_true(s.score == 3.0);
    a = "Educational score: 7";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_NO_MATCH); /* [0-5] */
    a = "I think this is a 4.";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_NO_MATCH);
    assert_int_equal(wn_ann_parse_answer(&c, "", 0, &s), WN_ANN_NO_MATCH);
    /* out of the scale, not a digit of it: "-3" is not 3, "10" is not 1 (second audit) */
    a = "Educational score: -3";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_NO_MATCH);
    a = "Educational score: 10";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_NO_MATCH);
    a = "**Educational score:** 4.5, out of 5.";
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_PARSED);
    assert_true(s.score == 4.5);
    wn_ann_config_release(&c);
}

static void test_parse_choice(void **state)
{
    wn_ann_config c = load("quality-yesno");
    wn_ann_score s;
    assert_int_equal(wn_ann_parse_answer(&c, "Yes.", 4, &s), WN_ANN_PARSED);
    assert_true(s.score == 1.0);
    assert_string_equal(c.choices[s.choice], "yes");
    assert_int_equal(wn_ann_parse_answer(&c, "\"no\"", 4, &s), WN_ANN_PARSED);
    assert_true(s.score == 0.0);
    assert_int_equal(wn_ann_parse_answer(&c, "Maybe", 5, &s), WN_ANN_NO_MATCH);
    assert_int_equal(wn_ann_parse_answer(&c, "Nothing", 7, &s), WN_ANN_NO_MATCH);
    wn_ann_config_release(&c);
}

/* logprobs.content for the tokens "Educational score:" " 4" with alternatives at " 4". */
static json_t *score_logprobs(double p3, double p4, double p5, int list_chosen)
{
    json_t *top = json_array();
    if (list_chosen)
        json_array_append_new(top, json_pack("{s:s, s:f}", "token", " 4", "logprob", log(p4)));
    json_array_append_new(top, json_pack("{s:s, s:f}", "token", " 3", "logprob", log(p3)));
    json_array_append_new(top, json_pack("{s:s, s:f}", "token", "5", "logprob", log(p5)));
    json_array_append_new(top, json_pack("{s:s, s:f}", "token", " the", "logprob", log(0.05)));
    json_t *c = json_array();
    json_array_append_new(c, json_pack("{s:s, s:f, s:[]}", "token", "Educational score:",
                                       "logprob", -0.01, "top_logprobs"));
    json_array_append_new(c, json_pack("{s:s, s:f, s:o}", "token", " 4", "logprob", log(p4),
                                       "top_logprobs", top));
    return c;
}

static void test_logprobs_expected_value(void **state)
{
    wn_ann_config c = load("fineweb-edu");
    const char *a = "Educational score: 4";
    wn_ann_score s;
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_PARSED);
    json_t *lp = score_logprobs(0.2, 0.6, 0.15, 1);
    assert_int_equal(wn_ann_apply_logprobs(&c, a, strlen(a), lp, &s), 1);
    /* (3*.2 + 4*.6 + 5*.15) / .95; " the" is no score */
    assert_true(fabs(s.score - (0.6 + 2.4 + 0.75) / 0.95) < 1e-9);
    assert_true(fabs(s.mass - 0.95) < 1e-9);
    assert_true(s.from_logprobs);
    json_decref(lp);
    /* the sampled token missing from top_logprobs still counts */
    assert_int_equal(wn_ann_parse_answer(&c, a, strlen(a), &s), WN_ANN_PARSED);
    lp = score_logprobs(0.2, 0.6, 0.15, 0);
    assert_int_equal(wn_ann_apply_logprobs(&c, a, strlen(a), lp, &s), 1);
    assert_true(fabs(s.score - (0.6 + 2.4 + 0.75) / 0.95) < 1e-9);
    json_decref(lp);
    /* tokens that do not spell the answer: found as the last token with the value */
    const char *b = "Educational score:  4";
    assert_int_equal(wn_ann_parse_answer(&c, b, strlen(b), &s), WN_ANN_PARSED);
    lp = score_logprobs(0.5, 0.5, 0.0001, 1);
    assert_int_equal(wn_ann_apply_logprobs(&c, b, strlen(b), lp, &s), 1);
    assert_true(fabs(s.score - (1.5 + 2 + 0.0005) / 1.0001) < 1e-9);
    json_decref(lp);
    /* no log-probabilities: the answer's score stands */
    assert_int_equal(wn_ann_apply_logprobs(&c, a, strlen(a), NULL, &s), 0);
    wn_ann_config_release(&c);
}

static void test_logprobs_choice(void **state)
{
    wn_ann_config c = load("quality-yesno");
    wn_ann_score s;
    assert_int_equal(wn_ann_parse_answer(&c, "no", 2, &s), WN_ANN_PARSED);
    json_t *lp = json_pack("[{s:s, s:f, s:[{s:s, s:f}, {s:s, s:f}, {s:s, s:f}]}]", "token", "no",
                           "logprob", log(0.45), "top_logprobs", "token", "no", "logprob",
                           log(0.45), "token", "Yes", "logprob", log(0.40), "token", " yes",
                           "logprob", log(0.10));
    assert_int_equal(wn_ann_apply_logprobs(&c, "no", 2, lp, &s), 1);
    /* P(yes) = (.40 + .10) / .95; the argmax class is yes although "no" was sampled */
    assert_true(fabs(s.score - 0.5 / 0.95) < 1e-9);
    assert_string_equal(c.choices[s.choice], "yes");
    json_decref(lp);
    wn_ann_config_release(&c);
}

static void test_request_and_reply(void **state)
{
    wn_ann_config c = load("fineweb-edu");
    c.request = json_pack("{s:s, s:i}", "grammar", "root ::= \"x\"", "max_tokens", 9);
    char *body = wn_ann_request_body(&c, "llama", 5, "hello", 5);
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "model")), "llama");
    json_t *m = json_array_get(json_object_get(j, "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(m, "role")), "user");
    assert_string_equal(json_string_value(json_object_get(m, "content")), "hello");
    assert_int_equal(json_integer_value(json_object_get(j, "max_tokens")), 9); /* overridden */
    assert_true(json_is_true(json_object_get(j, "logprobs")));
    assert_int_equal(json_integer_value(json_object_get(j, "top_logprobs")), 10);
    assert_string_equal(json_string_value(json_object_get(j, "grammar")), "root ::= \"x\"");
    json_decref(j);
    free(body);
    wn_ann_config_release(&c);

    const char *ok = "{\"choices\":[{\"message\":{\"content\":\"Educational score: 3\"},"
                     "\"logprobs\":{\"content\":[]},\"finish_reason\":\"stop\"}]}";
    wn_ann_reply r;
    char err[128];
    assert_int_equal(wn_ann_parse_reply(ok, strlen(ok), &r, err, sizeof err), 0);
    assert_string_equal(r.content, "Educational score: 3");
    assert_true(json_is_array(r.logprobs));
    assert_string_equal(r.finish, "stop");
    wn_ann_reply_release(&r);
    assert_int_equal(wn_ann_parse_reply("{\"choices\":[]}", 14, &r, err, sizeof err), -1);
    assert_int_equal(wn_ann_parse_reply("{\"choi", 6, &r, err, sizeof err), -1);

    char *e = wn_ann_endpoint("http://h:1/v1/");
    assert_string_equal(e, "http://h:1/v1/chat/completions");
    free(e);
    e = wn_ann_endpoint("http://h:1/v1/chat/completions");
    assert_string_equal(e, "http://h:1/v1/chat/completions");
    free(e);
}

static void test_retry_policy(void **state)
{
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 200), WN_ANN_HTTP_OK);
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 429), WN_ANN_HTTP_RETRY);
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 503), WN_ANN_HTTP_RETRY);
    assert_int_equal(wn_ann_http_classify(CURLE_OPERATION_TIMEDOUT, 0), WN_ANN_HTTP_RETRY);
    assert_int_equal(wn_ann_http_classify(CURLE_COULDNT_CONNECT, 0), WN_ANN_HTTP_RETRY);
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 401), WN_ANN_HTTP_FAIL_RUN);
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 404), WN_ANN_HTTP_FAIL_RUN);
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 400), WN_ANN_HTTP_FAIL_DOC);
    /* a redirect (not followed) is the same for every document: the run stops */
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 301), WN_ANN_HTTP_FAIL_RUN);
    assert_int_equal(wn_ann_http_classify(CURLE_OK, 307), WN_ANN_HTTP_FAIL_RUN);
    /* Retry-After is honoured as given (capped at an hour) */
    assert_true(wn_ann_retry_delay(1, 7, 1, 60, 42) == 7);
    assert_true(wn_ann_retry_delay(1, 1e6, 1, 60, 42) == 3600);
    /* otherwise base * 2^(n-1) with jitter in [0.5, 1), capped, reproducible */
    for (int n = 1; n <= 8; n++) {
        double d = wn_ann_retry_delay(n, -1, 1, 60, 42), full = fmin(pow(2, n - 1), 60);
        assert_true(d >= 0.5 * full && d < full);
        assert_true(d == wn_ann_retry_delay(n, -1, 1, 60, 42));
    }
    assert_true(wn_ann_retry_delay(3, -1, 1, 60, 1) != wn_ann_retry_delay(3, -1, 1, 60, 2));

    wn_buf b = WN_BUF_INIT;
    wn_ann_scrub("key sk-abc in sk-abc!", 21, "sk-abc", &b);
    assert_string_equal(b.data, "key *** in ***!");
    wn_buf_release(&b);
}

static void test_labels(void **state)
{
    wn_ann_config c = load("fineweb-edu");
    wn_ann_opts o = {.config = &c};
    char l[16];
    wn_ann_label(&o, 2.49, 0, l, sizeof l);
    assert_string_equal(l, "2");
    wn_ann_label(&o, 2.5, 0, l, sizeof l);
    assert_string_equal(l, "3");
    wn_ann_label(&o, 9, 0, l, sizeof l);
    assert_string_equal(l, "5");
    o.use_threshold = true;
    o.threshold = 3;
    wn_ann_label(&o, 2.99, 0, l, sizeof l);
    assert_string_equal(l, "low");
    wn_ann_label(&o, 3, 0, l, sizeof l);
    assert_string_equal(l, "high");
    wn_ann_config_release(&c);
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/wn-ann-test-XXXXXX");
    assert_non_null(mkdtemp(d));
    return d;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_store_resumes_and_cuts_torn_line(void **state)
{
    char *d = tmpdir();
    write_text(d, WN_ANN_LABELS, "{\"n\":0,\"label\":\"3\"}\n{\"n\":2,\"label\":\"1\"}\n{\"n\":4,\"lab");
    write_text(d, WN_ANN_UNPARSEABLE, "{\"n\":1,\"reason\":\"no_match\"}\n");
    wn_ann_store st;
    assert_int_equal(wn_ann_store_open(&st, d, 5), 0);
    assert_int_equal(st.resumed, 3);
    assert_int_equal(st.torn, 1);
    assert_int_equal(st.labelled, 2);
    assert_int_equal(st.unparseable, 1);
    assert_true(wn_ann_store_is_done(&st, 0) && wn_ann_store_is_done(&st, 1));
    assert_false(wn_ann_store_is_done(&st, 3) || wn_ann_store_is_done(&st, 4));
    const char *rec = "{\"n\":4,\"label\":\"5\"}";
    assert_int_equal(wn_ann_store_append(&st, false, 4, rec, strlen(rec)), 0);
    assert_int_equal(st.labelled, 3);
    wn_ann_store_close(&st);
    char **labels;
    assert_int_equal(wn_ann_store_read_labels(d, 5, &labels), 0);
    assert_string_equal(labels[0], "3");
    assert_null(labels[1]);
    assert_string_equal(labels[4], "5"); /* on a line of its own after the cut */
    for (int i = 0; i < 5; i++)
        free(labels[i]);
    free(labels);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    free(d);
}

/* The chosen ids of a bottom-k sample of `text` written as one file in dir. */
static char *sample_ids(const char *dir, const char *name, const char *text, size_t k)
{
    write_text(dir, name, text);
    char in[512], out[512];
    snprintf(in, sizeof in, "%s/%s", dir, name);
    snprintf(out, sizeof out, "%s/%s.sample.jsonl", dir, name);
    char *inputs[] = {in};
    wn_stats st;
    wn_stats_init(&st, "t");
    assert_int_equal(wn_ann_sample_write(inputs, 1, NULL, 11, k, out, &st), (long long)k);
    wn_stats_release(&st);
    size_t len;
    char err[128], *got = wn_read_file(out, &len, err, sizeof err);
    assert_non_null(got);
    /* keep only the ids, sorted by their appearance */
    wn_buf ids = WN_BUF_INIT;
    for (char *p = got; (p = strstr(p, "\"id\":\"")); p += 6)
        wn_buf_append(&ids, p + 6, 2), wn_buf_appendc(&ids, ' ');
    free(got);
    return wn_buf_detach(&ids, NULL);
}

static void test_sample_is_seeded_and_order_free(void **state)
{
    char *d = tmpdir();
    wn_buf fwd = WN_BUF_INIT, rev = WN_BUF_INIT;
    for (int i = 0; i < 40; i++)
        wn_buf_appendf(&fwd, "{\"id\":\"%02d\",\"text\":\"document %d\"}\n", i, i);
    for (int i = 39; i >= 0; i--)
        wn_buf_appendf(&rev, "{\"id\":\"%02d\",\"text\":\"document %d\"}\n", i, i);
    char *a = sample_ids(d, "fwd.jsonl", fwd.data, 5), *b = sample_ids(d, "rev.jsonl", rev.data, 5);
    /* the same 5 documents, whatever the file order (written in input order) */
    int same = 0;
    for (char *p = a; *p; p += 3)
        same += strstr(b, (char[]){p[0], p[1], ' ', 0}) != NULL;
    assert_int_equal(same, 5);
    /* growing k keeps the documents already chosen */
    char *c = sample_ids(d, "fwd2.jsonl", fwd.data, 8);
    for (char *p = a; *p; p += 3)
        assert_non_null(strstr(c, (char[]){p[0], p[1], ' ', 0}));
    free(a), free(b), free(c);
    wn_buf_release(&fwd);
    wn_buf_release(&rev);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    assert_int_equal(system(cmd), 0);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_configs_load),
        cmocka_unit_test(test_yaml_types),
        cmocka_unit_test(test_render_cuts_at_utf8_boundary),
        cmocka_unit_test(test_parse_scale),
        cmocka_unit_test(test_parse_choice),
        cmocka_unit_test(test_logprobs_expected_value),
        cmocka_unit_test(test_logprobs_choice),
        cmocka_unit_test(test_request_and_reply),
        cmocka_unit_test(test_retry_policy),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_store_resumes_and_cuts_torn_line),
        cmocka_unit_test(test_sample_is_seeded_and_order_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
