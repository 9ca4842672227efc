/* test_json_fast.c: core/json_fast.h gives jansson's value or declines. On real records
 * (../shared/data: paragraphs in 43 languages, labelled prose) and on conversations made of
 * them, written with and without \u escapes, it must give json_loadb's value; on hand-made
 * lines it must give that value or decline, and decline where jansson refuses the line or
 * could read it otherwise. */
#include "testutil.h"

#include "core/buf.h"
#include "core/io.h"
#include "core/json_fast.h"

#include <jansson.h>

/* The fast value of s[0..n), which must be json_loadb's. */
static void assert_same_as_jansson(const char *s, size_t n)
{
    json_t *fast = wn_json_loadb_fast(s, n);
    json_t *ref = json_loadb(s, n, 0, NULL);
    if (!fast)
        fail_msg("declined a line jansson reads: %.80s", s);
    assert_non_null(ref);
    assert_true(json_equal(fast, ref));
    json_decref(fast);
    json_decref(ref);
}

/* The fast value of s, if any, must be json_loadb's. Returns whether it declined. */
static bool fast_agrees_or_declines(const char *s, size_t n)
{
    json_t *fast = wn_json_loadb_fast(s, n);
    if (!fast)
        return true;
    json_t *ref = json_loadb(s, n, 0, NULL);
    if (!ref)
        fail_msg("read a line jansson refuses: %.80s", s);
    assert_true(json_equal(fast, ref));
    json_decref(fast);
    json_decref(ref);
    return false;
}

static void check_dump(json_t *v, size_t flags, size_t *lines)
{
    char *s = json_dumps(v, flags);
    assert_non_null(s);
    assert_same_as_jansson(s, strlen(s));
    free(s);
    (*lines)++;
}

/* Every record of a shared JSONL file as it is, then texts of it four at a time in a
 * conversation with other kinds of values beside, dumped with and without escapes. */
static size_t check_file(const char *rel)
{
    char path[512], err[256];
    SHARED_OR_SKIP(path, rel);
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    const char *line;
    size_t len, lines = 0;
    json_t *msgs = json_array();
    while ((line = wn_in_line(in, &len))) {
        assert_same_as_jansson(line, len);
        lines++;
        json_t *rec = json_loadb(line, len, 0, NULL);
        const char *roles[] = { "system", "user", "assistant", "user" };
        json_array_append_new(msgs, json_pack("{s:s, s:O}", "role",
                                              roles[json_array_size(msgs)],
                                              "content", json_object_get(rec, "text")));
        json_decref(rec);
        if (json_array_size(msgs) == 4) {
            json_t *chat = json_pack("{s:o, s:I, s:f, s:[s, n, b, {}], s:{s:[]}}", "messages", msgs,
                                     "id", (json_int_t)lines, "score", 0.25 * (double)lines,
                                     "tags", "x", 1, "meta", "nested");
            check_dump(chat, 0, &lines);
            check_dump(chat, JSON_ENSURE_ASCII, &lines);
            check_dump(chat, JSON_INDENT(2), &lines); /* lines break between tokens */
            json_decref(chat);
            msgs = json_array();
        }
    }
    json_decref(msgs);
    wn_in_close(in);
    return lines;
}

static void test_real_records_and_conversations(void **state)
{
    (void)state;
    size_t lines = check_file("langid/langid.jsonl.gz") + check_file("quality/quality.jsonl.gz");
    assert_int_equal(lines, 15069); /* 8,613 records and 2,152 conversations made of them */
}

static void test_hand_made_lines(void **state)
{
    (void)state;
    /* read, as jansson reads them */
    const char *same[] = {
        "{}",
        " {\"a\" : [1, -0, 1.5e3, -12, 0.0, true, false, null, \"\", {}, []]} ",
        "{\"k\\\"ey\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"\\u00e9\": \"\\u00e9\\ud83d\\ude00\"}",
        "{\"messages\": [{\"role\": \"user\", \"content\": \"caf\xc3\xa9 \xe4\xb8\xad\"}]}",
        "{\"a\": {\"a\": {\"a\": 1}}, \"b\": [[[]]], \"c\": \"\\t\"}\r",
        "{\n  \"a\": [\n    1,\r\n\t2\n  ]\n}\n",
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        assert_same_as_jansson(same[i], strlen(same[i]));
    /* declined: jansson refuses them, or keeps the last of two keys, or wants an object */
    const char *declined[] = {
        "{\"a\": 1, \"a\": 2}",
        "{\"m\": [{\"role\": \"user\", \"role\": \"assistant\"}]}",
        "{\"a\": \"x\\u0000y\"}",
        "{\"a\\u0000\": 1}",
        "{\"a\": 18446744073709551616}",
        "{\"a\": 1e999}",
        "{\"a\": \"\xff\"}",
        "{\"a\": \"\x01\"}",
        "{\"a\": \"x\ny\"}",
        "{\"a\":\v1}",
        "{\"a\":\f1}",
        "{\"a\": \"\\ud800\"}",
        "{\"a\": \"\\udc00\\ud800\"}",
        "[1, 2]",
        "\"text\"",
        "{} x",
        "{}{}",
        "",
        "{",
        "{\"a\": }",
        "{'a': 1}",
        "{\"a\": 1,}",
        "{\"a\": tru}",
    };
    for (size_t i = 0; i < sizeof declined / sizeof *declined; i++) {
        json_t *v = wn_json_loadb_fast(declined[i], strlen(declined[i]));
        if (v)
            fail_msg("read %s", declined[i]);
    }
    /* nesting: 1,000 levels read, 1,100 declined (jansson's own limit is 2,048) */
    for (size_t depth = 1000; depth <= 1100; depth += 100) {
        wn_buf b = WN_BUF_INIT;
        wn_buf_appends(&b, "{\"a\": ");
        for (size_t i = 1; i < depth; i++)
            wn_buf_appendc(&b, '[');
        for (size_t i = 1; i < depth; i++)
            wn_buf_appendc(&b, ']');
        wn_buf_appendc(&b, '}');
        bool declined_deep = fast_agrees_or_declines(b.data, b.len);
        assert_int_equal(declined_deep, depth > 1000);
        wn_buf_release(&b);
    }
}

/* Random edits of a valid line (a byte changed, dropped or doubled): whatever the fast path
 * reads, jansson reads the same. */
static void test_mutated_lines(void **state)
{
    (void)state;
    const char *base = "{\"messages\": [{\"role\": \"user\", \"content\": \"a\\u00e9\\n\\\"b\\\"\"},"
                       " {\"role\": \"assistant\", \"content\": \"\xc3\xa9 12 [x]\"}], \"n\": -1.5e2}";
    size_t n = strlen(base), declined = 0, read = 0;
    const char alphabet[] = "{}[]\":,\\u0123456789abcdef eE.-+tfn\x01\n\v\x80\xc3\xa9";
    uint64_t seed = 12345;
    char buf[256];
    for (int round = 0; round < 200000; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t at = (size_t)(seed >> 33) % n, m = n;
        char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
        memcpy(buf, base, n);
        switch ((seed >> 10) % 3) {
        case 0: buf[at] = c; break;
        case 1: memmove(buf + at, buf + at + 1, n - at - 1); m--; break;
        default: memmove(buf + at + 1, buf + at, n - at); buf[at] = c; m++; break;
        }
        if (fast_agrees_or_declines(buf, m))
            declined++;
        else
            read++;
    }
    assert_true(read > 1000 && declined > 1000); /* both sides were exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_records_and_conversations),
        cmocka_unit_test(test_hand_made_lines),
        cmocka_unit_test(test_mutated_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
