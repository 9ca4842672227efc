/* charset.c: legacy charsets to UTF-8 with ICU's converters (ucnv). */
#include "ingest/ingest.h"

#include <string.h>
#include <strings.h>
#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

typedef struct sub_counter {
    long count;
} sub_counter;

/* ICU calls this for each illegal/unassigned sequence: count it, then substitute U+FFFD. */
static void count_and_substitute(const void *ctx, UConverterToUnicodeArgs *args,
                                 const char *bytes, int32_t len, UConverterCallbackReason reason,
                                 UErrorCode *err)
{
    if (reason <= UCNV_IRREGULAR)
        ((sub_counter *)ctx)->count++;
    UCNV_TO_U_CALLBACK_SUBSTITUTE(NULL, args, bytes, len, reason, err);
}

long wn_charset_to_utf8(const char *charset, const char *s, size_t len, wn_buf *out)
{
    UErrorCode err = U_ZERO_ERROR;
    UConverter *from = ucnv_open(charset, &err);
    if (U_FAILURE(err))
        return -1;
    sub_counter counter = { 0 };
    ucnv_setToUCallBack(from, count_and_substitute, &counter, NULL, NULL, &err);
    err = U_ZERO_ERROR;
    UConverter *to = ucnv_open("UTF-8", &err);
    if (U_FAILURE(err)) {
        ucnv_close(from);
        return -1;
    }
    /* UTF-8 output is at most 3 bytes per UTF-16 unit, one unit per input byte at most for
     * single-byte charsets and fewer for multibyte ones. */
    size_t cap = len * 3 + 16;
    wn_buf_grow(out, cap);
    char *target = out->data + out->len;
    const char *source = s;
    err = U_ZERO_ERROR;
    ucnv_convertEx(to, from, &target, out->data + out->len + cap, &source, s + len, NULL, NULL,
                   NULL, NULL, true, true, &err);
    long rc = -1;
    if (U_SUCCESS(err)) {
        out->len = (size_t)(target - out->data);
        out->data[out->len] = '\0';
        rc = counter.count;
    }
    ucnv_close(from);
    ucnv_close(to);
    return rc;
}
