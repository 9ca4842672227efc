/* test_jsonl_fast.c: the yajl fast path of wn_jsonl_parse gives what the jansson path gives
 * (same document bytes, or same error message) on tricky lines and on the real corpus, and
 * it is the path actually taken for ordinary lines. */
#include "testutil.h"

#include "core/io.h"
#include "core/jsonl.h"
#include "core/jsonl_sax.h"
#include "core/utf8.h"

#include <math.h>

/* Parse with wn_jsonl_parse and with jansson alone; both must agree byte for byte. Returns
 * whether the fast path alone accepted the line. */
static bool check_same(const char *line, size_t len, const char *text_key)
{
    wn_jsonl_opts o = { text_key, NULL };
    const char *tk = text_key ? text_key : "text";
    wn_doc a, b, f;
    wn_doc_init(&a);
    wn_doc_init(&b);
    wn_doc_init(&f);
    char ea[256] = "", eb[256] = "";
    int ra = wn_jsonl_parse(line, len, &o, &a, ea, sizeof ea);
    int rb = wn_jsonl_parse_jansson(line, len, tk, "id", &b, eb, sizeof eb);
    bool fast = wn_jsonl_parse_fast(line, len, tk, "id", &f) == 0;
    if (ra != rb || strcmp(ea, eb) != 0)
        fail_msg("'%.*s': %d '%s' vs jansson %d '%s'", (int)(len > 200 ? 200 : len), line, ra, ea, rb, eb);
    if (ra == 0) {
        wn_buf wa = WN_BUF_INIT, wb = WN_BUF_INIT;
        wn_jsonl_write(&wa, &a, 0);
        wn_jsonl_write(&wb, &b, 0);
        if (wa.len != wb.len || memcmp(wa.data, wb.data, wa.len) != 0)
            fail_msg("'%.*s':\n  %s  vs jansson\n  %s", (int)(len > 200 ? 200 : len), line, wa.data, wb.data);
        wn_buf_release(&wa);
        wn_buf_release(&wb);
    } else {
        assert_false(fast);
    }
    wn_doc_release(&a);
    wn_doc_release(&b);
    wn_doc_release(&f);
    return fast;
}

static bool same(const char *line)
{
    return check_same(line, strlen(line), NULL);
}

static void test_ordinary_lines_take_the_fast_path(void **state)
{
    assert_true(same("{\"id\":\"d1\",\"text\":\"Hello\\nworld \\u00e9 \\ud83d\\ude00\",\"source\":\"cc\","
                     "\"added\":\"2024-01-01\",\"created\":\"2020\",\"metadata\":{\"url\":\"http://x/\","
                     "\"lang\":\"en\",\"n\":[1,-2,3.5,-0.0,1E5,2e-3,true,false,null,{},[]]}}"));
    assert_true(same("{\"text\":\"t\",\"id\":7,\"url\":\"u\",\"attributes\":{\"q\":[[0,1,0.25]],"
                     "\"lang\":\"en\"},\"extra\":{\"a\":{\"b\":[{\"c\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}]}}}"));
    assert_true(same(" {\t\"text\" : \"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\" ,\"\":1, \"id\":1.5 }\r"));
    assert_true(same("{\"text\":\"nul \\u0000 inside\",\"id\":null,\"metadata\":{\"k\":\"\\u0000\"}}"));
    assert_true(same("{\"text\":\"a\",\"metadata\":{\"k\":1,\"k\":2,\"j\":3}}")); /* nested dup */
    assert_true(same("{\"text\":\"a\",\"n\":-9223372036854775808,\"m\":9223372036854775807,\"u\":1e-999}"));
    const char *custom = "{\"content\":\"abc\",\"text\":5}";
    assert_true(check_same(custom, strlen(custom), "content"));
}

static void test_lines_yajl_reads_differently_go_to_jansson(void **state)
{
    const char *lines[] = {
        /* escapes of surrogates that do not pair: yajl writes '?', jansson refuses */
        "{\"text\":\"\\ud800\"}", "{\"text\":\"\\udc00x\"}", "{\"text\":\"\\ud800\\ud800\"}",
        "{\"text\":\"a\",\"m\":\"\\uD83D\\u0041\"}", "{\"text\":\"\\ud83d",
        /* bytes that are not strict UTF-8 */
        "{\"text\":\"\xff\"}", "{\"text\":\"\xc0\xaf\"}", "{\"text\":\"\xed\xa0\x80\"}",
        "{\"text\":\"\xf4\x90\x80\x80\"}", "{\"text\":\"\xe4\xb8\"}",
        /* control bytes, raw: yajl takes \v and \f as white space */
        "{\"text\":\"a\x01\"}", "{\f\"text\":\"a\"}", "{\v\"text\":\"a\"}", "{\"text\":\"a\tb\"}",
        /* duplicate top-level keys, NUL in keys */
        "{\"text\":\"a\",\"text\":\"b\"}", "{\"id\":\"1\",\"text\":\"a\",\"id\":\"2\"}",
        "{\"metadata\":{\"a\":1},\"text\":\"x\",\"metadata\":{\"b\":2}}",
        "{\"text\":\"a\",\"k\\u0000\":1}", "{\"text\":\"a\",\"m\":{\"k\\u0000\":1}}",
        /* numbers jansson refuses */
        "{\"text\":\"a\",\"n\":99999999999999999999}", "{\"text\":\"a\",\"n\":-99999999999999999999}",
        "{\"text\":\"a\",\"n\":1e999}", "{\"text\":\"a\",\"n\":01}", "{\"text\":\"a\",\"n\":1.}",
        "{\"text\":\"a\",\"n\":.5}", "{\"text\":\"a\",\"n\":+1}", "{\"text\":\"a\",\"n\":NaN}",
        "{\"text\":\"a\",\"n\":-}", "{\"text\":\"a\",\"n\":tru}",
        /* not one object with a string text */
        "{\"text\":\"a\"} x", "{\"text\":\"a\"}{\"text\":\"b\"}", "[1,2]", "\"text\"", "5", "",
        "{\"id\":\"x\"}", "{\"text\":5}", "{\"text\":null}", "{\"text\":[\"a\"]}", "{\"text\":\"a\",}",
        "{\"text\":\"a\" \"id\":1}", "{\"text\":\"a\\x\"}", "{\"text\":\"a\\u12\"}", "{'text':'a'}",
        "{\"text\":\"a\"/*c*/}", "{\"text\":\"a\"", "{\"text\":\"a\",\"m\":[1,2}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        check_same(lines[i], strlen(lines[i]), NULL);
    assert_false(same("{\"text\":\"\\ud800\"}"));
    assert_false(same("{\"text\":\"a\",\"text\":\"a\"}"));
}

/* The text member is found and decoded before yajl reads the rest: wherever it is, whatever
 * it holds, the document is jansson's. */
static void test_text_decoded_before_yajl(void **state)
{
    const char *fast[] = {
        "{\"text\":\"\\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0041\\u00e9\\u4e2d\\ud83d\\ude00 \\u0000 \xc3\xa9\"}",
        "{\"id\":\"\\\"text\\\":\\\"no\",\"metadata\":{\"text\":\"inner\",\"l\":[{\"text\":1},\"]}\"]},"
        "\"n\":-1.5e3,\"b\":[true,null],\"text\":\"the top-level one\",\"z\":{}}",
        "{ \"id\" : 1 , \"text\" : \"spaced\\nout\" }",
        "{\"te\\u0078t\":\"escaped key\",\"id\":\"x\"}",
        "{\"text\":\"\\u00E9\\u00e9\\uD83D\\uDE00\\uFFFF\\uE000\\u0080\\u07FF\\u0800\"}",
        "{\"text\":\"\\udbff\\udfff\\ud800\\udc00\\u005c\\u0022\"}",
        "{\"text\":\"\"}",
        "{\"text\":\"a\\\\\"}",
    };
    for (size_t i = 0; i < sizeof fast / sizeof *fast; i++)
        assert_true(same(fast[i]));
    const char *other[] = {
        "{\"text\":\"raw\ttab\"}", "{\"text\":\"a\\x\"}", "{\"text\":\"\\u12g4\"}",
        "{\"text\":\"\\ud83d\\u0041\"}", "{\"text\":\"\\ude00\"}", "{\"text\":\"unterminated}",
        "{\"text\":\"\\u00e\"}", "{\"text\":\"\\u00G9\"}", "{\"text\":\"\\u00e9\\u\"}",
        "{\"text\":\"\\ud83d\\n\"}", "{\"text\":\"\\ud83d\\u\"}", "{\"text\":\"\\ud83d\\ude0\"}",
        "{\"text\":\"\\u00e9\\u 0e9\"}", "{\"text\":\"\\u00", "{\"text\":\"\\ud83d\\ud83d\\ude00\"}",
        "{\"te\\u0078t\":\"a\",\"text\":\"b\"}", "{\"text\":\"a\",\"text\":\"b\"}",
        "{\"id\":\"1\" \"text\":\"missing comma\"}", "{\"id\":[1,\"text\":\"x\"}",
        "{\"id\":]\"text\":\"x\"}", "{\"text\":\"a\"]", "{\"text\":\"a\" \"b\"}", "{\"text\"\"a\"}",
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        check_same(other[i], strlen(other[i]), NULL);
    const char *custom = "{\"text\":\"not this\",\"content\":\"this\\none\"}";
    assert_true(check_same(custom, strlen(custom), "content"));
}

static void test_deep_nesting(void **state)
{
    /* deeper than the fast path goes (jansson reads it), and deeper than jansson goes */
    int depths[] = { 1500, 2100 };
    for (int k = 0; k < 2; k++) {
        wn_buf b = WN_BUF_INIT;
        wn_buf_appends(&b, "{\"text\":\"a\",\"m\":");
        for (int i = 0; i < depths[k]; i++)
            wn_buf_appendc(&b, '[');
        for (int i = 0; i < depths[k]; i++)
            wn_buf_appendc(&b, ']');
        wn_buf_appendc(&b, '}');
        assert_false(check_same(b.data, b.len, NULL));
        wn_buf_release(&b);
    }
}

/* Every line of a real file (first `max` lines) gives the same bytes both ways. */
static void same_on_file(const char *rel, size_t max)
{
    char path[512], err[256];
    SHARED_OR_SKIP(path, rel);
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    size_t len, n = 0, fast = 0;
    const char *line;
    while (n < max && (line = wn_in_line(in, &len))) {
        fast += check_same(line, len, NULL);
        n++;
    }
    wn_in_close(in);
    assert_true(n > 100);
    assert_true(fast == n); /* real lines are all read by the fast path */
}

static void test_real_corpus_same_both_ways(void **state)
{
    same_on_file("quality/quality.jsonl.gz", 2000);
    same_on_file("dedup/copyright.jsonl.gz", 1000);
    same_on_file("langid/langid.jsonl.gz", 3000);
}

/* Damaged lines: real lines with a byte changed, inserted or deleted, or cut short, at random
 * places (seeded), drawn towards JSON's own bytes (quotes, backslashes, braces, escapes): the
 * fast path must agree with jansson on each, accepting the same documents and refusing the
 * same lines with the same message. Under ASan this is also a fuzz test of both readers. */
/* Checks `tries` damaged copies of line (its first 600 bytes): a byte changed, inserted or
 * deleted, or the line cut short, at random places (*rng), drawn towards JSON's own bytes
 * (quotes, backslashes, braces, escapes). */
static void damaged_same_both_ways(const char *line, size_t len, int tries, uint64_t *rng)
{
    static const char nasty[] = "\"\\{}[]:,u0123456789abcdefABCDEF \x01\x7f\xc3\xa9\xed\xf0\xff.eE-";
    wn_buf b = WN_BUF_INIT;
    for (int k = 0; k < tries; k++) {
        wn_buf_reset(&b);
        wn_buf_append(&b, line, len > 600 ? 600 : len);
        int edits = 1 + k % 3;
        for (int e = 0; e < edits && b.len; e++) {
            *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(*rng >> 33) % b.len;
            char c = nasty[(*rng >> 20) % (sizeof nasty - 1)];
            switch ((*rng >> 60) % 4) {
            case 0: b.data[at] = c; break;                      /* change */
            case 1: b.len = at; break;                          /* cut */
            case 2:                                             /* delete */
                memmove(b.data + at, b.data + at + 1, b.len - at - 1);
                b.len--;
                break;
            default: {                                          /* insert */
                wn_buf_appendc(&b, 0);
                memmove(b.data + at + 1, b.data + at, b.len - at - 1);
                b.data[at] = c;
            }
            }
        }
        check_same(b.data ? b.data : "", b.len, NULL);
    }
    wn_buf_release(&b);
}

/* Damaged real lines: the fast path must agree with jansson on each, accepting the same
 * documents and refusing the same lines with the same message. Under ASan this is also a
 * fuzz test of both readers. */
static void test_damaged_lines_same_both_ways(void **state)
{
    (void)state;
    char path[512], err[256];
    SHARED_OR_SKIP(path, "langid/langid.jsonl.gz");
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    uint64_t rng = 42;
    size_t len, n = 0;
    const char *line;
    while (n < 400 && (line = wn_in_line(in, &len))) {
        damaged_same_both_ways(line, len, 25, &rng);
        n++;
    }
    wn_in_close(in);
    assert_true(n == 400);
}

/* The line with every character outside ASCII written as a \\u escape (a surrogate pair
 * above U+FFFF), as Python's json.dumps writes by default; hex digits in upper or lower case
 * at random (*rng). The line must be valid UTF-8. */
static void escape_like_json_dumps(const char *line, size_t len, wn_buf *out, uint64_t *rng)
{
    wn_buf_reset(out);
    const unsigned char *p = (const unsigned char *)line;
    for (size_t i = 0; i < len;) {
        size_t k = wn_utf8_seq_len(p + i, len - i);
        assert_true(k > 0);
        if (k == 1) {
            wn_buf_appendc(out, (char)p[i++]);
            continue;
        }
        unsigned cp = p[i] & (0x7F >> k);
        for (size_t j = 1; j < k; j++)
            cp = cp << 6 | (p[i + j] & 0x3F);
        i += k;
        unsigned units[2] = { cp, 0 };
        if (cp >= 0x10000)
            units[0] = 0xD800 + ((cp - 0x10000) >> 10), units[1] = 0xDC00 + (cp & 0x3FF);
        for (int u = 0; u < 2 && units[u]; u++) {
            *rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
            char esc[8];
            snprintf(esc, sizeof esc, (*rng >> 63) ? "\\u%04X" : "\\u%04x", units[u]);
            wn_buf_appends(out, esc);
        }
    }
}

/* Real multilingual lines as json.dumps writes them (every character an escape, the case
 * where decode_string reads runs of escapes): the same documents both ways, all by the fast
 * path; then damaged copies of them, which must be refused or read alike. */
static void test_escaped_corpus_same_both_ways(void **state)
{
    (void)state;
    char path[512], err[256];
    SHARED_OR_SKIP(path, "langid/langid.jsonl.gz");
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    uint64_t rng = 7;
    wn_buf esc = WN_BUF_INIT;
    size_t len, n = 0, fast = 0, escapes = 0;
    const char *line;
    while (n < 3000 && (line = wn_in_line(in, &len))) {
        escape_like_json_dumps(line, len, &esc, &rng);
        escapes += esc.len > len;
        fast += check_same(esc.data, esc.len, NULL);
        if (n < 300)
            damaged_same_both_ways(esc.data, esc.len, 10, &rng);
        n++;
    }
    wn_in_close(in);
    wn_buf_release(&esc);
    assert_true(n == 3000);
    assert_true(fast == n);
    assert_true(escapes > n / 2); /* most of the corpus is not ASCII */
}

/* The "attributes" object is read without yajl when it holds only signals [[0,n,x]] and
 * plain strings (jsonl_attrs.c); anything else goes the ordinary way. Either way the
 * document is jansson's. */
static void test_attributes_read_directly(void **state)
{
    (void)state;
    const char *fast[] = {
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,0.25]],\"lang\":\"en\",\"r\":[[0,1,-1.5e-7]]}}",
        "{\"attributes\":{ \"q\" : [ [ 0 , 12 , 1E5 ] ] ,\"z\":[[-0,0,-0.0]]},\"text\":\"a\"}",
        "{\"text\":\"a\",\"attributes\":{}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,0.5]],\"q\":\"again\",\"p\":[[0,2,2.0]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":\"first\",\"q\":[[0,1,0.5]]}}",
        "{\"text\":\"\xc3\xa9\",\"attributes\":{\"\xc3\xa9\":[[0,1,1e-300]],\"x\":\"\xe4\xb8\xad\"}}",
        /* other shapes inside: built as JSON, the line still on the fast path */
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,2]],\"s\":[[0,1,0.5],[1,2,0.25]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[1,1,0.5]],\"n\":[[0,-1,0.5]],\"e\":[],\"f\":[[]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1]],\"t\":[[0,1,0.5,7]],\"u\":[[0,1,0.5]],\"v\":{}}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,null]],\"w\":[[0,1,0.5],\"x\"],\"k\\u0041\":1}}",
        "{\"text\":\"a\",\"attributes\":{\"s\":\"esc\\n\",\"b\":true,\"c\":[[0,1,0.5]]}}",
        "{\"text\":\"a\",\"attributes\":[1,2]}", "{\"text\":\"a\",\"attributes\":\"s\"}",
        "{\"text\":\"a\",\"attrib\\u0075tes\":{\"q\":[[0,1,0.5]]}}",
    };
    for (size_t i = 0; i < sizeof fast / sizeof *fast; i++)
        assert_true(same(fast[i]));
    const char *other[] = {
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,1e999]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,99999999999999999999,0.5]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,.5]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,1.]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,01,0.5]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,0.5]],}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,0.5]]}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,0.5]]},\"attributes\":{}}",
        "{\"text\":\"a\",\"attrib\\u0075tes\":{},\"attributes\":{\"q\":[[0,1,0.5]]}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":[[0,1,0.5]] \"r\":\"x\"}}",
        "{\"text\":\"a\",\"attributes\":{\"q\":\"tab\there\"}}",
        "{\"text\":\"a\",\"attributes\":{\"q\\u0000\":[[0,1,0.5]]}}",
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        check_same(other[i], strlen(other[i]), NULL);
    const char *custom = "{\"attributes\":\"the text\",\"text\":{\"q\":[[0,1,0.5]]}}";
    assert_true(check_same(custom, strlen(custom), "attributes"));

    /* readers see the signal as the number it holds */
    wn_doc d;
    wn_doc_init(&d);
    char err[256];
    assert_int_equal(wn_jsonl_parse(fast[0], strlen(fast[0]), NULL, &d, err, sizeof err), 0);
    double x;
    assert_int_equal(wn_doc_attr_get_score(&d, "r", &x), 0);
    assert_true(x == -1.5e-7);
    assert_string_equal(wn_doc_attr_get_string(&d, "lang"), "en");
    wn_doc_release(&d);
}

/* Real documents annotated as the filter chain annotates them (signals with all kinds of
 * scores, labels), written, then read back both ways, whole and damaged. */
static void test_annotated_documents_same_both_ways(void **state)
{
    (void)state;
    char path[512], err[256];
    SHARED_OR_SKIP(path, "quality/quality.jsonl.gz");
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    static const char *names[] = { "gopher.word_count", "gopher.symbol_ratio", "langid.score",
                                   "c4.sentences", "fineweb.list_ratio", "pii.emails" };
    const double scores[] = { 70.0, 0.0, 4.914285714285714, 0.02459016393442623, 1e-7,
                              0.99126106500625610, NAN, 123456789012.5, -0.0, 1.0 / 3 };
    uint64_t rng = 7;
    size_t len, n = 0;
    const char *line;
    wn_buf out = WN_BUF_INIT;
    while (n < 300 && (line = wn_in_line(in, &len))) {
        wn_doc d;
        wn_doc_init(&d);
        assert_int_equal(wn_jsonl_parse(line, len, NULL, &d, err, sizeof err), 0);
        size_t chars = wn_utf8_count(d.text.ptr, d.text.len);
        for (size_t k = 0; k < sizeof names / sizeof *names; k++)
            wn_doc_attr_set_signal(&d, names[k], chars, scores[(n + k) % 10] * (double)(n + 1));
        wn_doc_attr_set_label(&d, "langid.language", n % 2 ? "en" : "fr");
        wn_buf_reset(&out);
        wn_jsonl_write(&out, &d, 0);
        wn_doc_release(&d);
        assert_true(check_same(out.data, out.len - 1, NULL));
        if (n < 100)
            damaged_same_both_ways(out.data, out.len - 1, 10, &rng);
        n++;
    }
    wn_buf_release(&out);
    wn_in_close(in);
    assert_true(n == 300);
}

/* The plain-run scanner and copier (core/utf8.h: sixteen or eight bytes at a time) against a
 * byte loop: every length up to 80 at every alignment, with each stop byte ('"', '\\', the
 * control bytes, 0x80.. when `ascii`) at every place, the run copied exactly and nothing
 * written past the n bytes it may use. */
static size_t run_reference(const unsigned char *p, size_t n, bool ascii)
{
    size_t i = 0;
    while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\' && !(ascii && p[i] >= 0x80))
        i++;
    return i;
}

static void check_run(const unsigned char *p, size_t n)
{
    for (int ascii = 0; ascii < 2; ascii++) {
        size_t want = run_reference(p, n, ascii);
        char out[128];
        memset(out, 0x55, sizeof out);
        size_t got = wn_json_copy_run(p, n, ascii, out);
        if (got != want || wn_json_run(p, n, ascii) != want)
            fail_msg("run of %zu bytes (ascii %d): %zu, want %zu", n, ascii, got, want);
        assert_memory_equal(out, p, got);
        for (size_t i = n; i < sizeof out; i++)
            assert_int_equal((unsigned char)out[i], 0x55);
    }
}

static void test_plain_runs_as_a_byte_loop(void **state)
{
    (void)state;
    static const unsigned char stops[] = { '"', '\\', 0x00, 0x09, 0x0A, 0x1F, 0x80, 0xC3, 0xFF };
    static const unsigned char plain[] = { ' ', 'a', '~', 0x7F, 0x21, 0x5B, 0x5D };
    unsigned char buf[96 + 16];
    for (size_t align = 0; align < 16; align++) {
        unsigned char *p = buf + align;
        for (size_t n = 0; n <= 80; n++) {
            for (size_t i = 0; i < n; i++)
                p[i] = plain[(i * 7 + n) % sizeof plain];
            check_run(p, n);
            for (size_t at = 0; at < n; at++)
                for (size_t k = 0; k < sizeof stops; k++) {
                    unsigned char keep = p[at];
                    p[at] = stops[k];
                    check_run(p, n);
                    p[at] = keep;
                }
        }
    }
    /* 0x20 and 0x7F are plain, 0x1F and 0x80 are not: each byte value at a word's every place */
    for (unsigned v = 0; v < 256; v++)
        for (size_t at = 0; at < 40; at++) {
            memset(buf, 'x', 40);
            buf[at] = (unsigned char)v;
            check_run(buf, 40);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_lines_take_the_fast_path),
        cmocka_unit_test(test_lines_yajl_reads_differently_go_to_jansson),
        cmocka_unit_test(test_text_decoded_before_yajl),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_real_corpus_same_both_ways),
        cmocka_unit_test(test_damaged_lines_same_both_ways),
        cmocka_unit_test(test_escaped_corpus_same_both_ways),
        cmocka_unit_test(test_attributes_read_directly),
        cmocka_unit_test(test_annotated_documents_same_both_ways),
        cmocka_unit_test(test_plain_runs_as_a_byte_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
