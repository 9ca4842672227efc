/* test_io.c: compressed streams: detection, multi-member gzip (every header field, three
 * levels, members across refills, damage found), zstd, lines of any length, lines over a
 * limit cut with their length and offsets kept, truncation
 * reported with an offset, resynchronisation after a corrupt member, atomic output. */
#include "gzip_test_util.h"
#include "testutil.h"

#include "core/buf.h"
#include "core/io.h"

#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

/* Everything in reads of `step` bytes (small steps cross every buffer edge). */
static char *read_in_steps(wn_in *in, size_t *n, size_t step)
{
    wn_buf b = WN_BUF_INIT;
    char chunk[4096];
    ssize_t k;
    while ((k = wn_in_read(in, chunk, step < sizeof chunk ? step : sizeof chunk)) > 0)
        wn_buf_append(&b, chunk, (size_t)k);
    return wn_buf_detach(&b, n);
}

static char *read_all(wn_in *in, size_t *n)
{
    return read_in_steps(in, n, 7);
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

/* Lines over a limit (wn_in_set_max_line) come back as their first `max` bytes with their
 * full length, and the lines after them whole and at their offsets: plain in memory, zstd,
 * and a plain file (read straight into the line buffer), with lines around the limit, lines
 * many times the 1 MB buffer, and a last line without a newline over the limit. */
static void check_cut_lines(wn_in *in, const size_t *lens, size_t n_lines, size_t max)
{
    wn_in_set_max_line(in, max);
    uint64_t at = 0;
    for (size_t i = 0; i < n_lines; i++) {
        size_t len;
        const char *line = wn_in_line(in, &len);
        assert_non_null(line);
        size_t want = lens[i] > max ? max : lens[i];
        assert_int_equal(len, want);
        assert_int_equal(wn_in_line_cut(in), lens[i] > max ? lens[i] : 0);
        for (size_t k = 0; k < len; k++)
            if (line[k] != (char)('a' + (i + k) % 26))
                fail_msg("line %zu byte %zu", i, k);
        at += lens[i] + (i + 1 < n_lines);
        assert_int_equal(wn_in_offset(in), at);
    }
    size_t len;
    assert_null(wn_in_line(in, &len));
    assert_int_equal(wn_in_line_cut(in), 0);
    assert_false(wn_in_failed(in));
}

static void test_lines_over_a_limit_are_cut(void **state)
{
    char *dir = tmpdir_new();
    char path[512];
    snprintf(path, sizeof path, "%s/lines.jsonl", dir);
    for (int big = 0; big < 2; big++) {
        size_t max = big ? (3u << 19) : 1000; /* 1.5 MB: over the line buffer's 1 MB */
        const size_t lens[] = { 0, 5, max - 1, max, max + 1, 3 * max, 5, 0, 7 * max / 2, 1,
                                2 * max + 3 };
        size_t n_lines = sizeof lens / sizeof lens[0];
        wn_buf text = WN_BUF_INIT;
        for (size_t i = 0; i < n_lines; i++) {
            for (size_t k = 0; k < lens[i]; k++)
                wn_buf_append(&text, (char[]){ (char)('a' + (i + k) % 26) }, 1);
            if (i + 1 < n_lines) /* the last line has no newline */
                wn_buf_append(&text, "\n", 1);
        }
        wn_in *in = wn_in_open_mem(text.data, text.len, "plain", WN_COMP_AUTO);
        check_cut_lines(in, lens, n_lines, max);
        wn_in_close(in);

        size_t cap = ZSTD_compressBound(text.len);
        char *z = malloc(cap);
        size_t zn = ZSTD_compress(z, cap, text.data, text.len, 1);
        assert_false(ZSTD_isError(zn));
        in = wn_in_open_mem(z, zn, "x.zst", WN_COMP_AUTO);
        check_cut_lines(in, lens, n_lines, max);
        wn_in_close(in);
        free(z);

        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(text.data, 1, text.len, f), text.len);
        fclose(f);
        char err[256];
        in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
        assert_non_null(in);
        check_cut_lines(in, lens, n_lines, max);
        wn_in_close(in);
        wn_buf_release(&text);
    }
    tmpdir_remove(dir);
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

/* ---- gzip as zlib writes it, read by igzip ----
 * Members cut from real multilingual text, written by zlib at levels 0 (stored blocks), 1 and
 * 9, with the header fields a gzip writer may set (a name, a comment, an extra field longer
 * than igzip's header buffer, a header CRC), empty and one-byte members, and members over
 * the 1 MB raw chunk, so that headers, trailers and blocks straddle refills. */

typedef struct gz_member {
    size_t at;   /* where its text starts in the text */
    size_t z_at; /* where the member starts in the file */
} gz_member;

static void gzip_member_with(wn_buf *out, const char *s, size_t n, int level, int fields)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static unsigned char extra[40000], name[3000];
    memset(extra, 'e', sizeof extra);
    memset(name, 'n', sizeof name - 1);
    gz_header h;
    memset(&h, 0, sizeof h);
    h.extra = fields & 1 ? extra : NULL;
    h.extra_len = sizeof extra;
    h.name = fields & 2 ? name : NULL;
    h.comment = fields & 4 ? (Bytef *)"a comment" : NULL;
    h.hcrc = fields & 8;
    h.os = 3;
    assert_int_equal(deflateSetHeader(&zs, &h), Z_OK);
    size_t cap = deflateBound(&zs, n) + sizeof extra + sizeof name + 64;
    wn_buf_grow(out, cap);
    zs.next_in = (Bytef *)s;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out->len += cap - zs.avail_out;
    deflateEnd(&zs);
}

/* The header's length that gzip_member_with writes for `fields` */
static size_t gzip_header_len(int fields)
{
    return 10 + (fields & 1 ? 2 + 40000 : 0) + (fields & 2 ? 3000 : 0) +
           (fields & 4 ? sizeof "a comment" : 0) + (fields & 8 ? 2 : 0);
}

/* The first `want` bytes of langid.jsonl.gz's text, or NULL (the test skips) */
static char *real_text(size_t want, size_t *got)
{
    char path[512];
    SHARED_OR_SKIP(path, "langid/langid.jsonl.gz");
    gzFile gz = gzopen(path, "rb");
    assert_non_null(gz);
    char *t = malloc(want);
    int k = gzread(gz, t, (unsigned)want);
    gzclose(gz);
    assert_true(k > 0);
    *got = (size_t)k;
    return t;
}

/* 24 members of the sizes below, in turn, at every combination of header fields and each
 * level, cut from text in turn; the text they hold is appended to want. */
static void build_members(wn_buf *z, wn_buf *want, const char *text, size_t n)
{
    static const size_t sizes[] = { 0, 1, 100, 70000, 1500000, 5, 300000, 2500 };
    static const int levels[] = { 0, 1, 9 };
    size_t at = 0;
    for (size_t i = 0; i < 24; i++) {
        size_t len = sizes[i % (sizeof sizes / sizeof *sizes)];
        if (at + len > n)
            at = 0;
        assert_true(len <= n);
        gzip_member_with(z, text + at, len, levels[i % 3], (int)(i % 16));
        wn_buf_append(want, text + at, len);
        at += len;
    }
}

static void test_gzip_headers_levels_and_refills(void **state)
{
    size_t n;
    char *text = real_text(2u << 20, &n);
    wn_buf z = WN_BUF_INIT, want = WN_BUF_INIT;
    build_members(&z, &want, text, n);
    assert_true(z.len > (3u << 20)); /* several raw chunks */
    char *dir = tmpdir_new();
    char path[512];
    snprintf(path, sizeof path, "%s/members.gz", dir);
    FILE *f = fopen(path, "wb");
    assert_int_equal(fwrite(z.data, 1, z.len, f), z.len);
    fclose(f);
    for (int from_file = 0; from_file < 2; from_file++) {
        char err[256];
        wn_in *in = from_file ? wn_in_open(path, WN_COMP_AUTO, err, sizeof err)
                              : wn_in_open_mem(z.data, z.len, "members.gz", WN_COMP_AUTO);
        assert_non_null(in);
        size_t got;
        char *back = read_in_steps(in, &got, 4093);
        assert_false(wn_in_failed(in));
        assert_int_equal(got, want.len);
        assert_memory_equal(back, want.data, want.len);
        assert_int_equal(wn_in_raw_consumed(in), z.len);
        free(back);
        wn_in_close(in);
    }
    tmpdir_remove(dir);
    wn_buf_release(&z);
    wn_buf_release(&want);
    free(text);
}

/* Damage: a member cut anywhere but at its end must be reported, and so must any byte
 * flipped in a member's deflate data or trailer (the CRC and length catch what the decoder
 * does not); a read that reports nothing must have given back exactly the text. */
static void test_gzip_damage_is_reported(void **state)
{
    size_t n;
    char *text = real_text(60000, &n);
    wn_buf z = WN_BUF_INIT;
    gz_member m[16];
    size_t k = 0, at = 0;
    static const size_t sizes[] = { 3000, 0, 20000, 1, 9000, 27000 };
    static const int fields[] = { 0, 2, 4, 8, 14, 6 }; /* no 40 KB extra: flips land in data */
    for (size_t i = 0; i < 6 && at + sizes[i] <= n; i++) {
        m[k] = (gz_member){ at, z.len };
        gzip_member_with(&z, text + at, sizes[i], i % 2 ? 9 : 1, fields[i]);
        at += sizes[i];
        k++;
    }
    assert_int_equal(k, 6);
    uint32_t x = 2463534242u;
    for (int round = 0; round < 600; round++) {
        unsigned char *d = malloc(z.len);
        memcpy(d, z.data, z.len);
        size_t len = z.len, pos;
        bool cut = round % 2 == 0, must_fail = false;
        size_t want = at; /* text bytes a clean read gives back */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        pos = x % z.len;
        size_t member = 0; /* the member pos is in */
        while (member + 1 < k && m[member + 1].z_at <= pos)
            member++;
        if (cut) {
            len = pos;
            must_fail = pos != m[member].z_at; /* a cut between members is a shorter file */
            want = m[member].at;
        } else {
            d[pos] ^= (unsigned char)(1 + x % 255);
            must_fail = pos >= m[member].z_at + gzip_header_len(fields[member]);
        }
        wn_in *in = wn_in_open_mem(d, len, "damaged.gz", WN_COMP_AUTO);
        size_t got;
        char *back = read_in_steps(in, &got, 4093);
        if (must_fail)
            assert_true(wn_in_failed(in));
        if (!wn_in_failed(in)) {
            assert_int_equal(got, want);
            assert_memory_equal(back, text, want);
        }
        free(back);
        wn_in_close(in);
        free(d);
    }
    wn_buf_release(&z);
    free(text);
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
        cmocka_unit_test(test_lines_over_a_limit_are_cut),
        cmocka_unit_test(test_plain_file_lines_and_offsets),
        cmocka_unit_test(test_gzip_headers_levels_and_refills),
        cmocka_unit_test(test_gzip_damage_is_reported),
        cmocka_unit_test(test_output_is_atomic_and_roundtrips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
