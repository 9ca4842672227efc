/* test_io.c: compressed streams: detection, multi-member gzip, zstd, lines of any length,
 * truncation reported with an offset, resynchronisation after a corrupt member, atomic
 * output. */
#include "gzip_test_util.h"
#include "testutil.h"

#include "core/buf.h"
#include "core/io.h"

#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

static char *read_all(wn_in *in, size_t *n)
{
    wn_buf b = WN_BUF_INIT;
    char chunk[7];
    ssize_t k;
    while ((k = wn_in_read(in, chunk, sizeof chunk)) > 0)
        wn_buf_append(&b, chunk, (size_t)k);
    return wn_buf_detach(&b, n);
}

static void test_gzip_members_are_concatenated(void **state)
{
    wn_buf z = WN_BUF_INIT;
    gzip_member(&z, "first member\n");
    gzip_member(&z, "second member\n");
    gzip_member(&z, "third\n");
    wn_in *in = wn_in_open_mem(z.data, z.len, "mem.gz", WN_COMP_AUTO);
    assert_int_equal(wn_in_compression(in), WN_COMP_GZIP);
    size_t n;
    char *all = read_all(in, &n);
    assert_string_equal(all, "first member\nsecond member\nthird\n");
    assert_false(wn_in_failed(in));
    free(all);
    wn_in_close(in);
    wn_buf_release(&z);
}

static void test_truncated_gzip_fails_with_offset(void **state)
{
    wn_buf z = WN_BUF_INIT;
    gzip_member(&z, "complete member\n");
    size_t second = z.len;
    gzip_member(&z, "this member will be cut short, and reading must say so\n");
    wn_in *in = wn_in_open_mem(z.data, z.len - 10, "cut.gz", WN_COMP_AUTO);
    size_t n;
    char *all = read_all(in, &n);
    assert_true(wn_in_failed(in));
    assert_non_null(strstr(wn_in_errmsg(in), "truncated"));
    assert_int_equal(wn_in_member_offset(in), second);
    free(all);
    wn_in_close(in);
    wn_buf_release(&z);
}

static void test_resync_skips_a_corrupt_member(void **state)
{
    wn_buf z = WN_BUF_INIT;
    gzip_member(&z, "one\n");
    size_t bad = z.len;
    gzip_member(&z, "two two two two two two two two two two two two\n");
    size_t bad_end = z.len;
    gzip_member(&z, "three\n");
    for (size_t i = bad + 12; i < bad_end - 8; i++)
        z.data[i] ^= 0x5a; /* corrupt the deflate data of the middle member */
    wn_in *in = wn_in_open_mem(z.data, z.len, "bad.gz", WN_COMP_AUTO);
    size_t len;
    const char *line = wn_in_line(in, &len);
    assert_non_null(line);
    assert_int_equal(len, 3);
    line = wn_in_line(in, &len);
    if (line) /* corrupt data may still inflate to garbage before the error is seen */
        while ((line = wn_in_line(in, &len)) != NULL)
            ;
    assert_true(wn_in_failed(in));
    assert_true(wn_in_resync(in));
    line = wn_in_line(in, &len);
    assert_non_null(line);
    assert_memory_equal(line, "three", 5);
    wn_in_close(in);
    wn_buf_release(&z);
}

static void test_zstd_and_long_lines(void **state)
{
    size_t big = 3u << 20; /* a 3 MB line crosses several buffer refills */
    char *text = malloc(big + 16);
    memset(text, 'x', big);
    memcpy(text + big, "\nshort\n", 8);
    size_t cap = ZSTD_compressBound(big + 7);
    char *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, text, big + 7, 3);
    assert_false(ZSTD_isError(zn));
    wn_in *in = wn_in_open_mem(z, zn, "x.zst", WN_COMP_AUTO);
    assert_int_equal(wn_in_compression(in), WN_COMP_ZSTD);
    size_t len;
    const char *line = wn_in_line(in, &len);
    assert_int_equal(len, big);
    assert_int_equal(line[big - 1], 'x');
    line = wn_in_line(in, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(line, "short", 5);
    assert_null(wn_in_line(in, &len));
    assert_false(wn_in_failed(in));
    wn_in_close(in);
    free(z);
    free(text);
}

static void test_last_line_without_newline(void **state)
{
    const char *s = "a\r\nb";
    wn_in *in = wn_in_open_mem(s, strlen(s), "plain", WN_COMP_AUTO);
    size_t len;
    const char *l = wn_in_line(in, &len);
    assert_int_equal(len, 2); /* the \r is kept: callers decide */
    l = wn_in_line(in, &len);
    assert_int_equal(len, 1);
    assert_int_equal(l[0], 'b');
    assert_null(wn_in_line(in, &len));
    wn_in_close(in);
}

/* A plain file is read straight into the line buffer (no copy through the raw chunk): its
 * lines, over many refills and with lines longer than a refill, come back as written, at
 * their offsets, and every byte of the file is counted as consumed. */
static void test_plain_file_lines_and_offsets(void **state)
{
    char *dir = tmpdir_new();
    char path[512];
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    wn_buf want = WN_BUF_INIT;
    uint32_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        size_t len = i % 500 == 7 ? (3u << 20) / 2 : x >> 22; /* a few lines over 1 MB */
        for (size_t k = 0; k < len; k++)
            wn_buf_appendc(&want, (char)('a' + (k + (size_t)i) % 26));
        wn_buf_appendc(&want, '\n');
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(want.data, 1, want.len, f), want.len);
    fclose(f);
    char err[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    size_t at = 0, len;
    const char *line;
    uint64_t offset;
    while (offset = wn_in_offset(in), (line = wn_in_line(in, &len)) != NULL) {
        assert_int_equal(offset, at);
        assert_true(at + len < want.len);
        assert_memory_equal(line, want.data + at, len);
        assert_int_equal(want.data[at + len], '\n');
        at += len + 1;
    }
    assert_int_equal(at, want.len);
    assert_false(wn_in_failed(in));
    assert_int_equal(wn_in_raw_consumed(in), want.len);
    wn_in_close(in);
    wn_buf_release(&want);
    tmpdir_remove(dir);
}

static void test_output_is_atomic_and_roundtrips(void **state)
{
    char *dir = tmpdir_new();
    const char *exts[] = { "out.jsonl", "out.jsonl.gz", "out.jsonl.zst" };
    for (int i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, exts[i]);
        char err[256];
        wn_out *o = wn_out_open(path, WN_COMP_AUTO, 0, err, sizeof err);
        assert_non_null(o);
        wn_out_write(o, "hello\n", 6);
        assert_int_not_equal(access(path, F_OK), 0); /* not visible before commit */
        assert_int_equal(wn_out_commit(o, err, sizeof err), 0);
        size_t n;
        char *back = wn_read_file(path, &n, err, sizeof err);
        assert_non_null(back);
        assert_string_equal(back, "hello\n");
        free(back);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/aborted.jsonl", dir);
    wn_out *o = wn_out_open(path, WN_COMP_AUTO, 0, NULL, 0);
    wn_out_write(o, "x", 1);
    wn_out_abort(o);
    assert_int_not_equal(access(path, F_OK), 0);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gzip_members_are_concatenated),
        cmocka_unit_test(test_truncated_gzip_fails_with_offset),
        cmocka_unit_test(test_resync_skips_a_corrupt_member),
        cmocka_unit_test(test_zstd_and_long_lines),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_plain_file_lines_and_offsets),
        cmocka_unit_test(test_output_is_atomic_and_roundtrips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
