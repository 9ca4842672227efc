/* test_jsonl.c: Dolma/datatrove JSONL parse and write, UTF-8 handling, attributes. */
#include "testutil.h"

#include "core/jsonl.h"
#include "core/utf8.h"

static void test_dolma_roundtrip(void **state)
{
    const char *line = "{\"id\":\"d1\",\"text\":\"Hello\\nworld \\u00e9\",\"source\":\"cc\","
                       "\"added\":\"2024-01-01\",\"created\":\"2020\",\"metadata\":{\"url\":\"http://x/\","
                       "\"lang\":\"en\"}}";
    wn_doc d;
    wn_doc_init(&d);
    char err[128];
    assert_int_equal(wn_jsonl_parse(line, strlen(line), NULL, &d, err, sizeof err), 0);
    assert_string_equal(d.text.ptr, "Hello\nworld \xc3\xa9");
    assert_string_equal(d.url.ptr, "http://x/");
    wn_doc_attr_set_score(&d, "q", 0.5);
    wn_buf out = WN_BUF_INIT;
    wn_jsonl_write(&out, &d, 0);
    assert_string_equal(out.data,
                        "{\"id\":\"d1\",\"text\":\"Hello\\nworld \xc3\xa9\",\"source\":\"cc\",\"added\":"
                        "\"2024-01-01\",\"created\":\"2020\",\"metadata\":{\"url\":\"http://x/\",\"lang\":"
                        "\"en\"},\"attributes\":{\"q\":[[0,13,0.5]]}}\n");
    wn_buf_release(&out);
    wn_doc_release(&d);
}

static void test_datatrove_and_custom_fields(void **state)
{
    const char *line = "{\"content\":\"abc\",\"doc_id\":7,\"extra\":[1,2]}";
    wn_jsonl_opts o = { "content", "doc_id" };
    wn_doc d;
    wn_doc_init(&d);
    char err[128];
    assert_int_equal(wn_jsonl_parse(line, strlen(line), &o, &d, err, sizeof err), 0);
    assert_string_equal(d.id.ptr, "7");
    assert_string_equal(d.text.ptr, "abc");
    assert_non_null(json_object_get(d.metadata, "extra")); /* unknown keys kept */
    wn_doc_release(&d);
}

static void test_bad_lines_are_reported(void **state)
{
    const char *bad[] = { "{\"text\": ", "[1,2]", "{\"id\":\"x\"}", "{\"text\":5}" };
    const char *why[] = { "invalid json", "not a json object", "missing text", "not a string" };
    for (int i = 0; i < 4; i++) {
        wn_doc d;
        wn_doc_init(&d);
        char err[128];
        assert_int_equal(wn_jsonl_parse(bad[i], strlen(bad[i]), NULL, &d, err, sizeof err), -1);
        assert_non_null(strstr(err, why[i]));
        wn_doc_release(&d);
    }
}

static void test_writer_escapes_and_repairs(void **state)
{
    wn_buf out = WN_BUF_INIT;
    wn_json_append_string(&out, "a\"\\\x01\t\xff\xc3\xa9z", 9);
    assert_string_equal(out.data, "\"a\\\"\\\\\\u0001\\t\xef\xbf\xbd\xc3\xa9z\"");
    wn_buf_release(&out);
}

static void test_utf8_repair_maximal_subparts(void **state)
{
    /* Unicode's recommended practice: one U+FFFD per maximal invalid subpart. */
    wn_buf out = WN_BUF_INIT;
    size_t n = wn_utf8_repair("a\xe2\x82z\xf0\x9f\x98\x80\xed\xa0\x80", 11, &out);
    assert_int_equal(n, 4); /* E2 82 | ED | A0 | 80 */
    assert_string_equal(out.data, "a\xef\xbf\xbdz\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_int_equal(wn_utf8_valid_prefix("ok\xc0\xaf", 4), 2); /* overlong */
    wn_buf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dolma_roundtrip),
        cmocka_unit_test(test_datatrove_and_custom_fields),
        cmocka_unit_test(test_bad_lines_are_reported),
        cmocka_unit_test(test_writer_escapes_and_repairs),
        cmocka_unit_test(test_utf8_repair_maximal_subparts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
