/* jsonl_attrs.c: a document's "attributes" object read straight from the line, when it
 * holds only what the filter chain writes; see jsonl_sax.h.
 *
 * An annotated document carries ~35 signals [[0, n_chars, score]]: fed to yajl and built
 * as jansson values they cost more than all the rest of the line. Here they are read by a
 * strict scanner of that one shape into the document's entries (doc.h), and yajl reads the
 * line with the object replaced by {} (as the text is replaced by ""). The scanner accepts
 * a subset of what both yajl and jansson accept, read the same way (jansson's number rules:
 * '.', 'e' or 'E' makes a real; integers must fit 64 bits; reals must not overflow);
 * anything else gives up, and the object goes the ordinary way.
 */
#include "core/jsonl_sax.h"
#include "core/utf8.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef const unsigned char *cursor;

/* Past the expected character (after white space), or NULL. */
static cursor expect(cursor p, cursor end, char c)
{
    p = wn_json_skip_space(p, end);
    return p < end && *p == c ? p + 1 : NULL;
}

/* A string token without escapes or control bytes (UTF-8 was checked by the caller, as
 * for the whole line): its contents in [*s, *s + *n), past its closing quote; or NULL. */
static cursor plain_string(cursor p, cursor end, cursor *s, size_t *n)
{
    p = wn_json_skip_space(p, end);
    if (p == end || *p != '"')
        return NULL;
    p++;
    size_t run = wn_json_run(p, (size_t)(end - p), false);
    if (p + run == end || p[run] != '"')
        return NULL;
    *s = p;
    *n = run;
    return p + run + 1;
}

/* A JSON number token (RFC 8259 grammar): past it, with *real set when it has a fraction or
 * an exponent (jansson's rule for a real); or NULL. */
static cursor number_token(cursor p, cursor end, bool *real)
{
    *real = false;
    if (p < end && *p == '-')
        p++;
    if (p == end || *p < '0' || *p > '9')
        return NULL;
    if (*p++ != '0')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        *real = true;
        if (++p == end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *real = true;
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

/* A non-negative integer token that fits 64 bits, or NULL. */
static cursor integer(cursor p, cursor end, long long *v)
{
    bool real;
    p = wn_json_skip_space(p, end);
    cursor q = number_token(p, end, &real);
    if (!q || real || q == end)
        return NULL;
    /* the token ends before `end` at a byte that is not part of a number: strtoll stops
     * exactly there */
    errno = 0;
    *v = strtoll((const char *)p, NULL, 10);
    return errno == ERANGE || *v < 0 ? NULL : q;
}

/* A real token (fraction or exponent) that does not overflow, or NULL. */
static cursor real_number(cursor p, cursor end, double *x)
{
    bool real;
    p = wn_json_skip_space(p, end);
    cursor q = number_token(p, end, &real);
    if (!q || !real || q == end)
        return NULL;
    errno = 0;
    *x = strtod((const char *)p, NULL);
    return (*x == HUGE_VAL || *x == -HUGE_VAL) && errno == ERANGE ? NULL : q;
}

/* One member value: a signal [[0,n,x]] or a plain string, put into d under `name`. */
static cursor member_value(cursor p, cursor end, wn_doc *d, const char *name)
{
    p = wn_json_skip_space(p, end);
    if (p < end && *p == '"') {
        cursor s;
        size_t n;
        p = plain_string(p, end, &s, &n);
        if (p)
            wn_doc_attr_set(d, name, json_stringn_nocheck((const char *)s, n));
        return p;
    }
    long long start, stop;
    double score;
    if (!(p = expect(p, end, '[')) || !(p = expect(p, end, '[')) ||
        !(p = integer(p, end, &start)) || start != 0 || !(p = expect(p, end, ',')) ||
        !(p = integer(p, end, &stop)) || !(p = expect(p, end, ',')) ||
        !(p = real_number(p, end, &score)) || !(p = expect(p, end, ']')) ||
        !(p = expect(p, end, ']')))
        return NULL;
    wn_doc_attr_put_signal(d, name, (size_t)stop, score);
    return p;
}

const unsigned char *wn_jsonl_read_attributes(const unsigned char *p, const unsigned char *end,
                                              wn_doc *d)
{
    char small[128];
    if (!(p = expect(p, end, '{')))
        return NULL;
    cursor q = expect(p, end, '}');
    if (q)
        return q;
    for (;;) {
        cursor key;
        size_t klen;
        if (!(p = plain_string(p, end, &key, &klen)) || !(p = expect(p, end, ':')) ||
            klen >= sizeof small)
            return NULL;
        memcpy(small, key, klen);
        small[klen] = '\0';
        if (!(p = member_value(p, end, d, small)))
            return NULL;
        p = wn_json_skip_space(p, end);
        if (p == end)
            return NULL;
        if (*p == '}')
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}
