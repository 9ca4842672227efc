/* json_dump.c: JSON strings and values appended to a wn_buf; see jsonl.h.
 *
 * wn_json_append_value writes what jansson 2.14's json_dump_callback writes with
 * JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(p) (src/dump.c and jsonp_dtostr in
 * src/strconv.c), byte for byte, because the documents' metadata and attributes have always
 * been written by jansson and outputs must not change. jansson's dump is slow for what we
 * write (one callback per token, a hash table insert + snprintf("%p") per container for its
 * loop check, snprintf per number), and a filtered document carries ~35 signals.
 * tests/unit/test_json_dump.c compares the two on many values.
 */
#include "core/jsonl.h"
#include "core/utf8.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* How the two escapers differ: our own document fields use lowercase hex and repair
 * invalid UTF-8 to U+FFFD; jansson uses uppercase hex and fails on invalid UTF-8. */
typedef struct escape_style {
    const char *hex;
    bool repair;
} escape_style;

static const escape_style OURS = { "0123456789abcdef", true };
static const escape_style JANSSON = { "0123456789ABCDEF", false };

/* wn_buf_appendc without the call: the writers below emit many single characters */
static inline void put(wn_buf *b, char c)
{
    if (b->len + 1 >= b->cap)
        wn_buf_grow(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

/* Escapes in chunks: the buffer is grown once per chunk for the worst case (6 bytes out per
 * byte in), then written through a plain pointer, which keeps the common case (long runs of
 * ordinary text) a tight loop. Returns -1 (output left partial) on invalid UTF-8 when the
 * style does not repair. */
static int append_escaped(wn_buf *out, const char *s, size_t n, const escape_style *st)
{
    enum { CHUNK = 1 << 16 };
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    put(out, '"');
    while (p < end) {
        const unsigned char *stop = end - p > CHUNK ? p + CHUNK : end;
        wn_buf_grow(out, (size_t)(stop - p) * 6 + 8);
        char *w = out->data + out->len;
        while (p < stop) {
            size_t plain = wn_json_copy_run(p, (size_t)(stop - p), true, w);
            w += plain;
            p += plain;
            if (p == stop)
                break;
            unsigned c = *p;
            if (c >= 0x80) {
                /* a whole valid sequence may cross `stop`; the +8 slack covers it */
                size_t k = wn_utf8_seq_len(p, (size_t)(end - p));
                if (k) {
                    memcpy(w, p, k);
                    w += k;
                    p += k;
                } else if (st->repair) {
                    memcpy(w, "\xEF\xBF\xBD", 3);
                    w += 3;
                    p++;
                } else {
                    out->len = (size_t)(w - out->data);
                    return -1;
                }
                continue;
            }
            p++;
            *w++ = '\\';
            switch (c) {
            case '"': *w++ = '"'; break;
            case '\\': *w++ = '\\'; break;
            case '\n': *w++ = 'n'; break;
            case '\r': *w++ = 'r'; break;
            case '\t': *w++ = 't'; break;
            case '\b': *w++ = 'b'; break;
            case '\f': *w++ = 'f'; break;
            default:
                *w++ = 'u';
                *w++ = '0';
                *w++ = '0';
                *w++ = st->hex[c >> 4];
                *w++ = st->hex[c & 15];
            }
        }
        out->len = (size_t)(w - out->data);
    }
    put(out, '"');
    return 0;
}

void wn_json_append_string(wn_buf *out, const char *s, size_t n)
{
    append_escaped(out, s, n, &OURS);
}

/* Powers of ten that are exact doubles (up to 1e22). */
static const double pow10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                1e22 };

/* The `precision` significant digits of a > 0 as printf rounds them, and the decimal
 * exponent of the first: false when double arithmetic cannot tell for sure (the caller
 * then asks printf, which works on the exact binary value).
 *
 * a * 10^s (or a / 10^-s) with an exact power of ten is one rounding, so the computed m is
 * within a relative 2^-53 of the exact scaled value: below 10^12, within 1.2e-4 of it.
 * Rounding m to an integer then gives printf's digits unless m is that close to a half
 * (printf rounds the exact value, ties to even), which is left to printf. */
static bool real_digits(double a, int precision, uint64_t *digits, int *exp10)
{
    if (precision > 12)
        return false;
    int e = (int)floor(log10(a));
    for (int tries = 0; tries < 2; tries++) {
        int s = precision - 1 - e;
        if (s > 22 || s < -22)
            return false;
        double m = s >= 0 ? a * pow10[s] : a / pow10[-s];
        /* log10 may be off by one next to a power of ten: scale again */
        if (m < pow10[precision - 1]) {
            e--;
            continue;
        }
        if (m >= pow10[precision]) {
            e++;
            continue;
        }
        double r = floor(m + 0.5);
        if (fabs(m - floor(m) - 0.5) < 1e-3)
            return false;
        *digits = (uint64_t)r;
        *exp10 = e;
        if (*digits == (uint64_t)pow10[precision]) { /* 9.99..96 rounds up to 10 */
            *digits /= 10;
            *exp10 = e + 1;
        }
        return true;
    }
    return false;
}

/* Writes the decimal digits of v, exactly n of them (zero-padded), at w. */
static void put_digits(char *w, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        w[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* jansson's text of a real v != 0 printed with "%.<precision>g", from its digits (see
 * real_digits): fixed notation for exponents -4 .. precision-1, else d.ddde<exp>; trailing
 * zeros of the fraction dropped (and the point with them); ".0" when no point nor
 * exponent is left; the exponent without '+' or leading zeros. Returns the length. */
static int format_real(char *buf, bool negative, uint64_t digits, int e, int precision)
{
    char d[24];
    put_digits(d, digits, precision);
    int nd = precision;
    while (nd > 1 && d[nd - 1] == '0')
        nd--; /* significant digits once trailing zeros are dropped */
    char *w = buf;
    if (negative)
        *w++ = '-';
    if (e < -4 || e >= precision) {
        *w++ = d[0];
        if (nd > 1) {
            *w++ = '.';
            memcpy(w, d + 1, (size_t)nd - 1);
            w += nd - 1;
        }
        *w++ = 'e';
        if (e < 0)
            *w++ = '-';
        char x[8];
        int nx = 0;
        for (unsigned u = (unsigned)abs(e); u; u /= 10)
            x[nx++] = (char)('0' + u % 10);
        while (nx)
            *w++ = x[--nx];
        return (int)(w - buf);
    }
    if (e < 0) {
        memcpy(w, "0.", 2);
        w += 2;
        memset(w, '0', (size_t)(-e - 1));
        w += -e - 1;
        memcpy(w, d, (size_t)nd);
        w += nd;
        return (int)(w - buf);
    }
    int whole = e + 1;
    memcpy(w, d, (size_t)whole);
    w += whole;
    *w++ = '.';
    if (nd > whole) {
        memcpy(w, d + whole, (size_t)(nd - whole));
        w += nd - whole;
    } else {
        *w++ = '0';
    }
    return (int)(w - buf);
}

/* jansson's jsonp_dtostr, as it is: snprintf "%.<precision>g", then the fix-ups below. */
static void append_real_printf(wn_buf *out, double v, int precision)
{
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (n < 0 || (size_t)n >= sizeof buf)
        return; /* not reached: %.17g of a double is at most 24 characters */
    char point = localeconv()->decimal_point[0];
    char *dot = point != '.' ? strchr(buf, point) : NULL;
    if (dot)
        *dot = '.';
    char *e = strchr(buf, 'e');
    if (!e && !strchr(buf, '.')) {
        buf[n++] = '.';
        buf[n++] = '0';
        buf[n] = '\0';
    }
    if (e) {
        char *start = e + 1, *digits = start + 1;
        if (*start == '-')
            start++;
        while (*digits == '0')
            digits++;
        if (digits != start) {
            memmove(start, digits, (size_t)(buf + n - digits) + 1);
            n -= (int)(digits - start);
        }
    }
    wn_buf_append(out, buf, (size_t)n);
}

/* jansson's jsonp_dtostr: "%.<precision>g" (17 when 0) in the C locale's notation, ".0"
 * added when the result would read back as an integer, and the exponent without '+' or
 * leading zeros ("1e+05" -> "1e5"). printf costs ~1 us a number, and an annotated document
 * carries ~35, so the digits are worked out here when double arithmetic is sure of them
 * (real_digits), which is nearly always; tests/unit/test_json_dump.c compares with
 * jansson on many values, near-ties included. */
static void append_real(wn_buf *out, double v, int precision)
{
    if (precision <= 0 || precision > 17)
        precision = 17;
    /* Fast path: an integral value of at most `precision` digits prints as its digits
     * ("%.10g" of 70.0 is "70"), which jansson completes to "70.0". */
    if (fabs(v) < pow10[precision] && v == trunc(v)) {
        if (signbit(v))
            put(out, '-');
        wn_buf_append_int(out, (int64_t)fabs(v));
        wn_buf_append(out, ".0", 2);
        return;
    }
    uint64_t digits;
    int e;
    if (isfinite(v) && real_digits(fabs(v), precision, &digits, &e)) {
        char text[48];
        wn_buf_append(out, text, (size_t)format_real(text, v < 0, digits, e, precision));
        return;
    }
    append_real_printf(out, v, precision);
}

/* jansson gives up on deeper values (its parser stops at 2048); so do we, and let it say */
enum { MAX_DEPTH = 2048 };

static int append_value(wn_buf *out, const json_t *v, int precision, int depth)
{
    if (depth > MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_NULL:
        wn_buf_append(out, "null", 4);
        return 0;
    case JSON_TRUE:
        wn_buf_append(out, "true", 4);
        return 0;
    case JSON_FALSE:
        wn_buf_append(out, "false", 5);
        return 0;
    case JSON_INTEGER:
        wn_buf_append_int(out, json_integer_value(v));
        return 0;
    case JSON_REAL:
        append_real(out, json_real_value(v), precision);
        return 0;
    case JSON_STRING:
        return append_escaped(out, json_string_value(v), json_string_length(v), &JANSSON);
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        put(out, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                put(out, ',');
            if (append_value(out, json_array_get(v, i), precision, depth + 1))
                return -1;
        }
        put(out, ']');
        return 0;
    }
    case JSON_OBJECT: {
        put(out, '{');
        int first = 1;
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first)
                put(out, ',');
            first = 0;
            if (append_escaped(out, json_object_iter_key(it), json_object_iter_key_len(it), &JANSSON))
                return -1;
            put(out, ':');
            if (append_value(out, json_object_iter_value(it), precision, depth + 1))
                return -1;
        }
        put(out, '}');
        return 0;
    }
    }
    return -1;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    wn_buf_append(data, buffer, size);
    return 0;
}

void wn_json_append_value(wn_buf *out, const json_t *v, int precision)
{
    size_t start = out->len;
    if (v && append_value(out, v, precision, 1) == 0)
        return;
    /* what we do not reproduce (invalid UTF-8 in a string built unchecked, very deep
     * nesting) is left to jansson, so the bytes stay the same as before */
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    json_dump_callback(v, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(precision));
}

/* An entry of the compact attribute array, written as wn_attr_json's value would be. */
static int append_attr(wn_buf *out, const wn_attr *a, int precision)
{
    switch (a->kind) {
    case WN_ATTR_SIGNAL:
        wn_buf_append(out, "[[0,", 4);
        wn_buf_append_int(out, (int64_t)a->n_chars);
        if (isfinite(a->v.score)) { /* else jansson has no real to add: [[0,n]] */
            put(out, ',');
            append_real(out, a->v.score, precision);
        }
        wn_buf_append(out, "]]", 2);
        return 0;
    case WN_ATTR_LABEL:
        return append_escaped(out, a->v.label, strlen(a->v.label), &JANSSON);
    default:
        return append_value(out, a->v.json, precision, 2);
    }
}

/* The object's keys in their order, each with the entry's value when one was set since,
 * then the entries the object does not hold: what the object would hold had every entry
 * been set into it (json_object_set keeps a key's position). */
static int append_merged(wn_buf *out, const wn_doc *d, int precision)
{
    json_t *obj = d->attributes;
    int first = 1;
    put(out, '{');
    for (void *it = obj ? json_object_iter(obj) : NULL; it; it = json_object_iter_next(obj, it)) {
        const char *key = json_object_iter_key(it);
        const wn_attr *a = wn_doc_attr_find(d, key);
        if (!first)
            put(out, ',');
        first = 0;
        if (append_escaped(out, key, json_object_iter_key_len(it), &JANSSON))
            return -1;
        put(out, ':');
        if (a ? append_attr(out, a, precision) : append_value(out, json_object_iter_value(it), precision, 2))
            return -1;
    }
    for (uint32_t i = 0; i < d->n_attr; i++) {
        const wn_attr *a = &d->attr[i];
        if (obj && json_object_get(obj, a->name))
            continue;
        if (!first)
            put(out, ',');
        first = 0;
        if (append_escaped(out, a->name, strlen(a->name), &JANSSON))
            return -1;
        put(out, ':');
        if (append_attr(out, a, precision))
            return -1;
    }
    put(out, '}');
    return 0;
}

void wn_json_append_attributes(wn_buf *out, const wn_doc *d, int precision)
{
    size_t start = out->len;
    if (append_merged(out, d, precision) == 0)
        return;
    /* as wn_json_append_value: what we do not reproduce goes to jansson, here the merged
     * object built for real */
    out->len = start;
    out->data[start] = '\0';
    json_t *merged = d->attributes ? json_copy(d->attributes) : json_object();
    for (uint32_t i = 0; i < d->n_attr; i++)
        json_object_set_new_nocheck(merged, d->attr[i].name, wn_attr_json(&d->attr[i]));
    wn_json_append_value(out, merged, precision);
    json_decref(merged);
}
