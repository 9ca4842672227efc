/* gzip_test_util.h: one gzip member written in memory, for the unit tests of readers that must
 * handle concatenated, cut or damaged members (test_io.c, test_audit_streams.c). */
#ifndef WN_GZIP_TEST_UTIL_H
#define WN_GZIP_TEST_UTIL_H

#include "testutil.h"

#include "core/buf.h"

#include <zlib.h>

/* Append s (NUL-terminated, under 4 KB compressed) to out as one complete gzip member. */
static inline void gzip_member(wn_buf *out, const char *s)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    unsigned char tmp[4096];
    zs.next_in = (Bytef *)s;
    zs.avail_in = (uInt)strlen(s);
    zs.next_out = tmp;
    zs.avail_out = sizeof tmp;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    wn_buf_append(out, tmp, sizeof tmp - zs.avail_out);
    deflateEnd(&zs);
}

#endif
