/* test_http.c: HTTP responses inside WARC records: status, content type and charset,
 * chunked transfer coding, gzip/deflate/br content codings, broken framing. */
#include "testutil.h"

#include "ingest/ingest.h"

#include <brotli/encode.h>
#include <zlib.h>

static const char *page = "<html><body><p>Hello, world. This is the page body.</p></body></html>";

static void build(wn_buf *b, const char *headers, const void *body, size_t n)
{
    wn_buf_reset(b);
    wn_buf_appendf(b, "HTTP/1.1 200 OK\r\n%s\r\n", headers);
    wn_buf_append(b, body, n);
}

static void test_plain_and_charset(void **state)
{
    wn_buf b = WN_BUF_INIT;
    build(&b, "Content-Type: text/HTML; charset=\"ISO-8859-1\"\r\n", page, strlen(page));
    wn_http_response r;
    char why[128];
    assert_int_equal(wn_http_parse(b.data, b.len, &r, why, sizeof why), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/html");
    assert_string_equal(r.charset, "iso-8859-1");
    assert_int_equal(r.body_len, strlen(page));
    wn_http_response_release(&r);
    wn_buf_release(&b);
}

static void test_chunked_then_gzip(void **state)
{
    unsigned char z[512];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (Bytef *)page;
    zs.avail_in = (uInt)strlen(page);
    zs.next_out = z;
    zs.avail_out = sizeof z;
    deflate(&zs, Z_FINISH);
    size_t zn = sizeof z - zs.avail_out;
    deflateEnd(&zs);
    wn_buf body = WN_BUF_INIT; /* two chunks */
    size_t half = zn / 2;
    wn_buf_appendf(&body, "%zx\r\n", half);
    wn_buf_append(&body, z, half);
    wn_buf_appendf(&body, "\r\n%zx\r\n", zn - half);
    wn_buf_append(&body, z + half, zn - half);
    wn_buf_appends(&body, "\r\n0\r\n\r\n");
    wn_buf b = WN_BUF_INIT;
    build(&b, "Transfer-Encoding: chunked\r\nContent-Encoding: gzip\r\nContent-Type: text/html\r\n",
          body.data, body.len);
    wn_http_response r;
    char why[128];
    assert_int_equal(wn_http_parse(b.data, b.len, &r, why, sizeof why), 0);
    assert_int_equal(r.body_len, strlen(page));
    assert_memory_equal(r.body, page, r.body_len);
    assert_false(r.bad_chunking);
    wn_http_response_release(&r);
    wn_buf_release(&b);
    wn_buf_release(&body);
}

static void test_brotli(void **state)
{
    uint8_t out[512];
    size_t on = sizeof out;
    assert_true(BrotliEncoderCompress(5, 22, BROTLI_MODE_TEXT, strlen(page), (const uint8_t *)page, &on, out));
    wn_buf b = WN_BUF_INIT;
    build(&b, "Content-Encoding: br\r\nContent-Type: text/html\r\n", out, on);
    wn_http_response r;
    char why[128];
    assert_int_equal(wn_http_parse(b.data, b.len, &r, why, sizeof why), 0);
    assert_int_equal(r.body_len, strlen(page));
    assert_memory_equal(r.body, page, r.body_len);
    wn_http_response_release(&r);
    wn_buf_release(&b);
}

static void test_broken_framing_and_encoding(void **state)
{
    wn_buf b = WN_BUF_INIT;
    wn_http_response r;
    char why[128];
    /* chunk sizes that do not match: the raw body is kept and flagged (as warcio does) */
    build(&b, "Transfer-Encoding: chunked\r\nContent-Type: text/html\r\n", "zz\r\nabc", 7);
    assert_int_equal(wn_http_parse(b.data, b.len, &r, why, sizeof why), 0);
    assert_true(r.bad_chunking);
    wn_http_response_release(&r);
    /* a gzip header on binary garbage is an error */
    build(&b, "Content-Encoding: gzip\r\nContent-Type: text/html\r\n", "\x1f\x8b\x08\x00\x01\x02\x00\xff\xfe", 9);
    assert_int_equal(wn_http_parse(b.data, b.len, &r, why, sizeof why), -1);
    assert_non_null(strstr(why, "Content-Encoding"));
    wn_http_response_release(&r);
    /* not HTTP at all */
    assert_int_equal(wn_http_parse("garbage in the block", 20, &r, why, sizeof why), -1);
    wn_http_response_release(&r);
    wn_buf_release(&b);
}

static void test_format_detection(void **state)
{
    assert_int_equal(wn_ingest_detect("WARC/1.1\r\n", 10), WN_FMT_WARC);
    assert_int_equal(wn_ingest_detect("filedesc://x.arc", 16), WN_FMT_ARC);
    assert_int_equal(wn_ingest_detect("\xef\xbb\xbf  {\"text\":1}", 16), WN_FMT_JSONL);
    assert_int_equal(wn_ingest_detect("<!DOCTYPE html><p>", 18), WN_FMT_HTML);
    assert_int_equal(wn_ingest_detect("just words\n", 11), WN_FMT_TEXT);
    assert_int_equal(wn_ingest_detect("\x7f" "ELF\x02\x01\x01\x00\x00", 9), WN_FMT_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_charset),
        cmocka_unit_test(test_chunked_then_gzip),
        cmocka_unit_test(test_brotli),
        cmocka_unit_test(test_broken_framing_and_encoding),
        cmocka_unit_test(test_format_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
