/* test_audit_streams.c: the robustness audit's core pieces against plain references: the
 * JSON Unicode repair (every case byte for byte), bytes given back to a stream, and the
 * member that holds a given byte of a multi-member gzip stream. */
#include "gzip_test_util.h"
#include "testutil.h"

#include "core/buf.h"
#include "core/io.h"
#include "core/utf8.h"

#include <zlib.h>

static void repaired(const char *in, size_t n, const char *want, size_t want_count)
{
    wn_buf out = WN_BUF_INIT;
    size_t count = wn_json_unicode_repair(in, n, &out);
    if (count != want_count || out.len != strlen(want) || memcmp(out.data, want, out.len) != 0)
        fail_msg("'%.*s' -> '%.*s' (%zu), want '%s' (%zu)", (int)n, in, (int)out.len, out.data,
                 count, want, want_count);
    wn_buf_release(&out);
}
#define REPAIRED(in, want, k) repaired(in, sizeof(in) - 1, want, k)

static void test_json_unicode_repair(void **state)
{
    (void)state;
    REPAIRED("{\"text\":\"plain \\u00e9 \\n\"}", "{\"text\":\"plain \\u00e9 \\n\"}", 0);
    REPAIRED("caf\xe9!", "caf\xef\xbf\xbd!", 1);
    REPAIRED("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 3); /* a raw surrogate */
    REPAIRED("a\\ud800b", "a\\ufffdb", 1);
    REPAIRED("a\\uDC00", "a\\ufffd", 1);
    REPAIRED("\\ud83d\\ude00", "\\ud83d\\ude00", 0);                  /* a pair stays */
    REPAIRED("\\ud800\\ud83d\\ude00", "\\ufffd\\ud83d\\ude00", 1);    /* lone high, then a pair */
    REPAIRED("\\ud83d\\u0041", "\\ufffd\\u0041", 1);
    REPAIRED("\\\\ud800", "\\\\ud800", 0);                            /* an escaped backslash */
    REPAIRED("\\\\\\ud800", "\\\\\\ufffd", 1);
    REPAIRED("\\ud80", "\\ud80", 0);                                  /* cut: left to the parser */
    REPAIRED("end\\", "end\\", 0);
    REPAIRED("\\ud800\\", "\\ufffd\\", 1);
}

static void test_member_of_a_byte_and_unread(void **state)
{
    (void)state;
    /* three one-line members; reading ahead (a peek) must not change whose member a line is */
    const char *lines[] = { "first line\n", "second line\n", "third line\n" };
    wn_buf z = WN_BUF_INIT;
    size_t starts[3];
    for (int i = 0; i < 3; i++) {
        starts[i] = z.len;
        gzip_member(&z, lines[i]);
    }
    wn_in *in = wn_in_open_mem(z.data, z.len, "mem.gz", WN_COMP_AUTO);
    for (int i = 0; i < 3; i++) {
        uint64_t at = wn_in_offset(in);
        size_t len;
        const char *l = wn_in_line(in, &len);
        assert_non_null(l);
        assert_int_equal(len, strlen(lines[i]) - 1);
        const char *p;
        wn_in_peek(in, &p, 64); /* decodes the next member already */
        assert_int_equal(wn_in_member_offset_at(in, at), starts[i]);
    }
    /* bytes given back are read again, at their old offset */
    wn_in_close(in);
    in = wn_in_open_mem(z.data, z.len, "mem.gz", WN_COMP_AUTO);
    char buf[64];
    assert_int_equal(wn_in_read(in, buf, 15), 15); /* "first line\nseco" */
    wn_in_unread(in, buf + 11, 4);
    assert_int_equal(wn_in_offset(in), 11);
    size_t len;
    const char *l = wn_in_line(in, &len);
    assert_int_equal(len, 11);
    assert_memory_equal(l, "second line", 11);
    wn_in_close(in);
    /* given back in front of an empty buffer, more than it holds */
    wn_in *plain = wn_in_open_mem("xyz\n", 4, "mem", WN_COMP_NONE);
    assert_int_equal(wn_in_read(plain, buf, 4), 4);
    wn_in_unread(plain, "ab\ncd", 5);
    l = wn_in_line(plain, &len);
    assert_int_equal(len, 2);
    l = wn_in_line(plain, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(l, "cd", 2);
    assert_null(wn_in_line(plain, &len));
    wn_in_close(plain);
    wn_buf_release(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_unicode_repair),
        cmocka_unit_test(test_member_of_a_byte_and_unread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
