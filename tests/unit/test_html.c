/* test_html.c: ingest/html.h - layout of the text, boilerplate removal, charsets, and
 * bad input (binary junk, truncated pages, invalid UTF-8, wrong declarations, a 50 MB
 * page, deep nesting): never a crash, always valid UTF-8 out. */
#include "testutil.h"

#include "core/utf8.h"
#include "ingest/html.h"

#include <strings.h>
#include <zlib.h>

static wn_html_result R;

static int setup(void **state)
{
    (void)state;
    wn_html_global_init();
    wn_html_result_init(&R);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wn_html_result_release(&R);
    return 0;
}

static const char *text_of(const char *html, int keep_all)
{
    wn_html_options o = { .keep_all = keep_all };
    wn_html_extract_opts(html, strlen(html), NULL, NULL, &o, &R);
    return R.text.data ? R.text.data : "";
}

/* Every result: valid UTF-8, no NUL, length matches. */
static void assert_clean_text(const wn_html_result *r)
{
    if (r->text.len == 0)
        return;
    assert_int_equal(wn_utf8_valid_prefix(r->text.data, r->text.len), r->text.len);
    assert_null(memchr(r->text.data, '\0', r->text.len));
}

static void test_blocks_become_lines(void **state)
{
    (void)state;
    const char *t = text_of("<html><head><title>T</title><style>p{color:red}</style>"
                            "<script>var x = '<p>no</p>';</script></head><body>"
                            "<h2>Heading  here</h2><p>First\n  paragraph <b>bold</b>"
                            " and <i>italic</i>.</p><ul><li>one</li><li>two</li></ul>"
                            "<p>Line<br>break</p></body></html>",
                            1);
    assert_string_equal(t, "Heading here\nFirst paragraph bold and italic.\none\ntwo\nLine\nbreak");
    assert_string_equal(R.title.data, "T");
}

static void test_tables_pre_alt_math(void **state)
{
    (void)state;
    const char *t = text_of("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr>"
                            "</table><pre>  int x;\n    y = 1;\n</pre>"
                            "<p>Call <code>f(a,  b)</code> now.</p>"
                            "<p>See <img src=f.png alt=\"E = mc^2\"> here.</p>"
                            "<p>Math <math alttext=\"x^2\"><mi>x</mi><mn>2</mn></math> and "
                            "<math><semantics><mrow><mi>y</mi></mrow><annotation "
                            "encoding=\"application/x-tex\">y_1</annotation></semantics></math>.</p>",
                            1);
    assert_string_equal(t, "a\tb\n1\t2\n  int x;\n    y = 1;\nCall f(a,  b) now.\n"
                           "See E = mc^2 here.\n"
                           "Math x^2 and y_1.");
}

static void test_hidden_and_skipped(void **state)
{
    (void)state;
    const char *t = text_of("<p>shown</p><p hidden>h1</p><p style=\"display: none\">h2</p>"
                            "<p class=\"sr-only\">h3</p><noscript>h4</noscript>"
                            "<form><select><option>h5</option></select></form>"
                            "<svg><title>h6</title><text>h7</text></svg>",
                            1);
    assert_string_equal(t, "shown");
}

/* A page with the usual chrome around an article: only the article remains. */
static void test_boilerplate_removed(void **state)
{
    (void)state;
    const char *para = "The committee met on Tuesday to discuss the proposal, which would change "
                       "how the city funds its libraries, parks and schools over the next decade.";
    wn_buf b = WN_BUF_INIT;
    wn_buf_appends(&b, "<html><head><title>City budget vote - Daily</title></head><body>"
                       "<header><a href=/>Home</a> <a href=/news>News</a></header>"
                       "<nav><ul><li><a href=/a>Sports</a></li><li><a href=/b>Weather</a></li>"
                       "</ul></nav><div class=main><article><h1>City budget vote</h1>"
                       "<div class=byline>By A. Writer</div>");
    for (int i = 0; i < 6; i++)
        wn_buf_appendf(&b, "<p>%d. %s</p>", i, para);
    wn_buf_appends(&b, "<div class=\"share-tools\"><a href=/s>Share on Facebook</a></div>"
                       "</article><aside class=related><h3>Related</h3><ul>"
                       "<li><a href=/x>Another story about something else entirely</a></li>"
                       "</ul></aside></div><footer>Copyright 2020 Daily News, all rights"
                       " reserved. Contact us. Privacy policy.</footer></body></html>");
    assert_int_equal(wn_html_extract(b.data, b.len, NULL, NULL, &R), WN_HTML_OK);
    assert_clean_text(&R);
    assert_non_null(strstr(R.text.data, "0. The committee"));
    assert_non_null(strstr(R.text.data, "5. The committee"));
    assert_null(strstr(R.text.data, "Sports"));
    assert_null(strstr(R.text.data, "Share"));
    assert_null(strstr(R.text.data, "Copyright"));
    assert_null(strstr(R.text.data, "Another story"));
    assert_null(strstr(R.text.data, "By A. Writer"));
    assert_int_equal(R.blocks_kept, 6);
    wn_buf_release(&b);
}

/* A chapter in same-class sections (one mostly a table of links plus prose, one with an id
 * made from its heading, "more-on-tools") comes out whole; a wiki paragraph thick with
 * links stays, a "Read more" link line goes. */
static void test_sections_and_link_prose(void **state)
{
    (void)state;
    const char *p = "<p>Configuration files live under /etc, and each package documents "
                    "its own files, their syntax, and the defaults it ships with.</p>";
    wn_buf b = WN_BUF_INIT;
    wn_buf_appends(&b, "<body><div class=nav><a href=/>Home</a> <a href=/up>Up</a></div>"
                       "<div class=chapter><div class=section id=more-on-tools><h2>1. Intro</h2>");
    wn_buf_appends(&b, p);
    wn_buf_appends(&b, "<p>Short intro.</p></div><div class=section><h2>2. Tools</h2>"
                       "<p>Pick a tool from the list below, as described in the manual.</p>"
                       "<ul><li><a href=/a>tool-a reference manual</a></li>"
                       "<li><a href=/b>tool-b reference manual</a></li></ul></div>"
                       "<div class=section><h2>3. Details</h2>");
    for (int i = 0; i < 5; i++)
        wn_buf_appends(&b, p);
    wn_buf_appends(&b, "<p><a href=/w/Escopete>Escopete</a> ye un <a href=/w/M>municipio</a> "
                       "d'a <a href=/w/P>provincia de Guadalachara</a>, en a <a href=/w/C>"
                       "comunidat autonoma de Castiella-La Mancha</a>, <a href=/w/E>Espanya</a>, "
                       "comarca de <a href=/w/A>La Alcarria</a> y partiu chudicial de "
                       "<a href=/w/G>Guadalachara</a>.</p>"
                       "<p>Read more: <a href=/x>Another story about configuration files</a></p>"
                       "</div></div></body>");
    assert_int_equal(wn_html_extract(b.data, b.len, NULL, NULL, &R), WN_HTML_OK);
    assert_non_null(strstr(R.text.data, "1. Intro\nConfiguration files"));
    assert_non_null(strstr(R.text.data, "2. Tools\nPick a tool"));
    assert_non_null(strstr(R.text.data, "Escopete ye un municipio"));
    assert_null(strstr(R.text.data, "Read more"));
    assert_null(strstr(R.text.data, "Home"));
    wn_buf_release(&b);
}

/* Inside the content: a photo alone on a line is a caption (dropped), a formula image
 * alone on a line and pictures inside a sentence keep their alt text. */
static void test_alt_text_in_content(void **state)
{
    (void)state;
    const char *para = "<p>The experiment ran for three weeks, and the results, shown below, "
                       "surprised everyone who had worked on the earlier versions of it.</p>";
    wn_buf b = WN_BUF_INIT;
    wn_buf_appends(&b, "<meta property=\"og:title\" content=\"Results\"><div class=post>");
    for (int i = 0; i < 4; i++)
        wn_buf_appends(&b, para);
    wn_buf_appends(&b, "<div><img src=a.jpg alt=\"A photo of the lab at night\"></div>"
                       "<div><img src=f.png alt=\"\\sum_i x_i = 1\"></div>"
                       "<p>Inline <img src=s.png alt=\"smiley\"> picture.</p></div>");
    assert_int_equal(wn_html_extract(b.data, b.len, NULL, NULL, &R), WN_HTML_OK);
    assert_null(strstr(R.text.data, "A photo of the lab"));
    assert_non_null(strstr(R.text.data, "\n\\sum_i x_i = 1\n"));
    assert_non_null(strstr(R.text.data, "Inline smiley picture."));
    assert_string_equal(R.title.data, "Results"); /* no <title>: og:title */
    wn_buf_release(&b);
}

static void test_charset_meta_windows1252(void **state)
{
    (void)state;
    /* "café" in windows-1252 (0xE9), and 0x93/0x94 curly quotes */
    const char html[] = "<html><head><meta charset=\"windows-1252\"></head><body>"
                        "<p>caf\xE9 \x93quoted\x94</p></body></html>";
    wn_html_options o = { .keep_all = 1 };
    assert_int_equal(wn_html_extract_opts(html, sizeof html - 1, NULL, NULL, &o, &R), WN_HTML_OK);
    assert_string_equal(R.text.data, "caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D");
    assert_string_equal(R.charset, "windows-1252");
    assert_int_equal(R.charset_source, WN_HTML_CS_META);
    assert_int_equal(R.invalid_bytes, 0);
}

static void test_charset_http_hint_and_latin1_label(void **state)
{
    (void)state;
    /* an "iso-8859-1" label decodes as windows-1252, as browsers do (0x80 = euro sign) */
    const char html[] = "<p>\x80 5 and na\xEFve</p>";
    wn_html_options o = { .keep_all = 1 };
    wn_html_extract_opts(html, sizeof html - 1, "ISO-8859-1", NULL, &o, &R);
    assert_string_equal(R.text.data, "\xE2\x82\xAC 5 and na\xC3\xAFve");
    assert_int_equal(R.charset_source, WN_HTML_CS_HTTP);
}

static void test_wrong_declarations(void **state)
{
    (void)state;
    wn_html_options o = { .keep_all = 1 };
    /* declared Latin-1, actually UTF-8: the bytes win */
    const char utf8[] = "<meta charset=iso-8859-1><p>na\xC3\xAFve \xE2\x80\x94 ok</p>";
    wn_html_extract_opts(utf8, sizeof utf8 - 1, "iso-8859-1", NULL, &o, &R);
    assert_string_equal(R.text.data, "na\xC3\xAFve \xE2\x80\x94 ok");
    assert_string_equal(R.charset, "UTF-8");
    /* declared UTF-8, actually windows-1252: fall back to the meta tag, then detection */
    const char latin[] = "<meta charset=utf-8><p>Les \xE9l\xE8ves de l'\xE9" "cole "
                         "\xE9tudient le fran\xE7" "ais \xE0 Paris, pr\xE8s de la gare.</p>";
    wn_html_extract_opts(latin, sizeof latin - 1, "utf-8", NULL, &o, &R);
    assert_clean_text(&R);
    assert_int_equal(R.charset_source, WN_HTML_CS_DETECTED);
    assert_non_null(strstr(R.text.data, "\xC3\xA9l\xC3\xA8ves"));
    assert_int_equal(R.invalid_bytes, 0);
}

static void test_invalid_utf8_repaired(void **state)
{
    (void)state;
    wn_html_options o = { .keep_all = 1 };
    /* mostly UTF-8 with two broken sequences: repaired, each counted once */
    const char html[] = "<meta charset=utf-8><p>caf\xC3\xA9 \xE2\x80\x94 bad \xFF here \xE2\x80"
                        " and \xC3\xA9t\xC3\xA9</p>";
    assert_int_equal(wn_html_extract_opts(html, sizeof html - 1, NULL, NULL, &o, &R), WN_HTML_OK);
    assert_clean_text(&R);
    assert_int_equal(R.invalid_bytes, 2);
    assert_string_equal(R.text.data, "caf\xC3\xA9 \xE2\x80\x94 bad \xEF\xBF\xBD here \xEF\xBF\xBD"
                                     " and \xC3\xA9t\xC3\xA9");
}

static void test_utf16_bom_and_shift_jis(void **state)
{
    (void)state;
    wn_html_options o = { .keep_all = 1 };
    const char u16[] = "\xFF\xFE<\0p\0>\0h\0\xE9\0<\0/\0p\0>\0";
    wn_html_extract_opts(u16, sizeof u16 - 1, NULL, NULL, &o, &R);
    assert_string_equal(R.text.data, "h\xC3\xA9");
    assert_int_equal(R.charset_source, WN_HTML_CS_BOM);
    /* the same without its BOM, and big-endian: found from the NUL pattern */
    const char le[] = "<\0p\0>\0h\0\xE9\0 \0t\0e\0x\0t\0<\0/\0p\0>\0";
    wn_html_extract_opts(le, sizeof le - 1, NULL, NULL, &o, &R);
    assert_string_equal(R.text.data, "h\xC3\xA9 text");
    assert_string_equal(R.charset, "UTF-16LE");
    const char be[] = "\0<\0p\0>\0h\0\xE9\0 \0t\0e\0x\0t\0<\0/\0p\0>";
    wn_html_extract_opts(be, sizeof be - 1, NULL, NULL, &o, &R);
    assert_string_equal(R.text.data, "h\xC3\xA9 text");
    /* Shift_JIS declared in the meta tag: "日本語" = 93 FA 96 7B 8C EA */
    const char sj[] = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">"
                      "<p>\x93\xFA\x96\x7B\x8C\xEA</p>";
    wn_html_extract_opts(sj, sizeof sj - 1, NULL, NULL, &o, &R);
    assert_string_equal(R.text.data, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
}

static void test_binary_junk(void **state)
{
    (void)state;
    unsigned char junk[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (unsigned char)(x >> 16);
    }
    assert_int_equal(wn_html_extract((const char *)junk, sizeof junk, NULL, NULL, &R),
                     WN_HTML_NOT_HTML);
    assert_int_equal(R.text.len, 0);
    /* junk without control bytes is "HTML" of sorts: defined, valid output */
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(0x20 + junk[i] % 0xE0);
    int rc = wn_html_extract((const char *)junk, sizeof junk, NULL, NULL, &R);
    assert_true(rc == WN_HTML_OK || rc == WN_HTML_EMPTY);
    assert_clean_text(&R);
    assert_int_equal(wn_html_extract(NULL, 0, NULL, NULL, &R), WN_HTML_EMPTY);
    assert_int_equal(wn_html_extract("", 0, "no-such-charset", NULL, &R), WN_HTML_EMPTY);
}

/* Load one benchmark page (skip when the shared data is absent). */
static char *load_page(size_t *len)
{
    char path[1024];
    SHARED_OR_SKIP(path, "html/article-extraction-benchmark/html/"
                         "06ee193de4bd611f7fafbab0c59b0f6fe3495093516720632cd093b24c7a0e98.html.gz");
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    wn_buf b = WN_BUF_INIT;
    char tmp[65536];
    int n;
    while ((n = gzread(gz, tmp, sizeof tmp)) > 0)
        wn_buf_append(&b, tmp, (size_t)n);
    gzclose(gz);
    return wn_buf_detach(&b, len);
}

static void test_truncated_pages(void **state)
{
    (void)state;
    size_t len;
    char *page = load_page(&len);
    assert_int_equal(wn_html_extract(page, len, NULL, NULL, &R), WN_HTML_OK);
    assert_non_null(strstr(R.text.data, "VIZZION"));
    /* cut everywhere, including inside tags, entities and multi-byte characters */
    for (size_t cut = 1; cut < len; cut += len / 97 + 1) {
        int rc = wn_html_extract(page, cut, NULL, NULL, &R);
        assert_true(rc == WN_HTML_OK || rc == WN_HTML_EMPTY);
        assert_clean_text(&R);
    }
    free(page);
}

static void test_huge_and_deep(void **state)
{
    (void)state;
    size_t len;
    char *page = load_page(&len);
    /* a 50 MB page: the page repeated without its end tags (libxml2 stops at the end of a
     * document); cut to WN_HTML_MAX_INPUT, parsed through to the cut */
    wn_buf one = WN_BUF_INIT, big = WN_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        if (!strncasecmp(page + i, "</html>", 7) || !strncasecmp(page + i, "</body>", 7))
            i += 6;
        else
            wn_buf_appendc(&one, page[i]);
    }
    while (big.len < ((size_t)50 << 20))
        wn_buf_append(&big, one.data, one.len);
    int rc = wn_html_extract(big.data, big.len, NULL, NULL, &R);
    assert_int_equal(rc, WN_HTML_OK);
    assert_int_equal(R.truncated, 1);
    assert_true(R.blocks_total > 10000);
    assert_clean_text(&R);
    wn_buf_release(&one);
    wn_buf_release(&big);
    free(page);
    /* 200,000 nested elements, never closed */
    wn_buf deep = WN_BUF_INIT;
    for (int i = 0; i < 200000; i++)
        wn_buf_appends(&deep, i % 2 ? "<div>" : "<span>x");
    rc = wn_html_extract(deep.data, deep.len, NULL, NULL, &R);
    assert_true(rc == WN_HTML_OK || rc == WN_HTML_EMPTY);
    assert_clean_text(&R);
    wn_buf_release(&deep);
}

/* A few hundred deterministic mutations of a real page (bytes flipped, markup characters
 * inserted, spans deleted or duplicated): under ASan/UBSan this is a small fuzzer. */
static void test_mutated_pages(void **state)
{
    (void)state;
    size_t len;
    char *page = load_page(&len);
    static const char marks[] = "<>&;\"'=/!-\0\x80\xC3\xEF\xFF";
    uint64_t x = 0x9E3779B97F4A7C15ull;
    wn_buf m = WN_BUF_INIT;
    for (int iter = 0; iter < 300; iter++) {
        wn_buf_reset(&m);
        wn_buf_append(&m, page, len);
        for (int k = 0; k < 1 + iter % 16; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x % m.len), span = (size_t)((x >> 32) % 512);
            if (span > m.len - at)
                span = m.len - at;
            switch ((x >> 20) % 4) {
            case 0: m.data[at] = marks[(x >> 40) % (sizeof marks - 1)]; break;
            case 1: m.data[at] ^= (char)(1u << ((x >> 44) % 8)); break;
            case 2: memmove(m.data + at, m.data + at + span, m.len - at - span);
                    m.len -= span; break;
            default: if (m.len + span < ((size_t)4 << 20))
                         wn_buf_append(&m, m.data + at, span);
                     break;
            }
            if (m.len == 0)
                wn_buf_append(&m, "<", 1);
        }
        int rc = wn_html_extract(m.data, m.len, iter % 3 ? NULL : "utf-8", NULL, &R);
        assert_true(rc == WN_HTML_OK || rc == WN_HTML_EMPTY || rc == WN_HTML_NOT_HTML);
        assert_clean_text(&R);
    }
    wn_buf_release(&m);
    free(page);
}

/* One result reused for many pages gives what a fresh one gives. */
static void test_reuse_is_deterministic(void **state)
{
    (void)state;
    size_t len;
    char *page = load_page(&len);
    wn_html_result fresh;
    wn_html_result_init(&fresh);
    wn_html_extract(page, len, NULL, NULL, &fresh);
    text_of("<p>something else first</p>", 0);
    wn_html_extract(page, len, NULL, NULL, &R);
    assert_int_equal(R.text.len, fresh.text.len);
    assert_memory_equal(R.text.data, fresh.text.data, R.text.len);
    wn_html_result_release(&fresh);
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_become_lines),
        cmocka_unit_test(test_tables_pre_alt_math),
        cmocka_unit_test(test_hidden_and_skipped),
        cmocka_unit_test(test_boilerplate_removed),
        cmocka_unit_test(test_sections_and_link_prose),
        cmocka_unit_test(test_alt_text_in_content),
        cmocka_unit_test(test_charset_meta_windows1252),
        cmocka_unit_test(test_charset_http_hint_and_latin1_label),
        cmocka_unit_test(test_wrong_declarations),
        cmocka_unit_test(test_invalid_utf8_repaired),
        cmocka_unit_test(test_utf16_bom_and_shift_jis),
        cmocka_unit_test(test_binary_junk),
        cmocka_unit_test(test_truncated_pages),
        cmocka_unit_test(test_huge_and_deep),
        cmocka_unit_test(test_mutated_pages),
        cmocka_unit_test(test_reuse_is_deterministic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
