/* jsonl_sax.h: the fast path of wn_jsonl_parse (internal to core; see jsonl.h).
 *
 * jansson's parser reads ~90 MB/s here; yajl's event parser (Debian libyajl2) ~500 MB/s.
 * The fast path parses a line with yajl's events: the text is copied once, straight into
 * the document, and every other top-level field is built as a jansson value and applied by
 * wn_jsonl_apply_field, the same function the jansson path uses.
 *
 * It declines every line where yajl could decide differently from jansson: bytes that are
 * not strict UTF-8, control bytes (yajl takes \v and \f as white space), \u escapes of
 * surrogates that do not pair (yajl writes '?'), NUL in keys, integers and reals jansson
 * refuses, duplicate top-level keys, very deep nesting, anything but an object with a
 * string text field. The caller then parses the line with jansson, so the document, or the
 * error message, is always the one jansson's parse gives.
 */
#ifndef WN_JSONL_SAX_H
#define WN_JSONL_SAX_H

#include "core/doc.h"

#include <stdbool.h>
#include <stddef.h>

/* 0 when d was filled; -1 when declined (d may hold part of the fields: clear them). */
int wn_jsonl_parse_fast(const char *line, size_t len, const char *text_key, const char *id_key,
                        wn_doc *d);

/* Reads the "attributes" object starting at p (white space, then '{') into d's entries
 * when it holds only signals [[0,n,x]] (x a real) and strings without escapes, with keys
 * without escapes, the line's UTF-8 checked by the caller: returns the end of the object.
 * NULL when it holds anything else (the entries read so far stay in d: release them). */
const unsigned char *wn_jsonl_read_attributes(const unsigned char *p, const unsigned char *end,
                                              wn_doc *d);

/* Whether yajl and jansson read the bytes p[0..n) alike: strict UTF-8, no control byte but
 * tab, LF and CR, and every \u escape of a surrogate part of a high-low pair. */
bool wn_json_same_for_both(const unsigned char *p, size_t n);

/* A number as jansson's lexer reads it: with '.', 'e' or 'E' a real, else an integer; ok is
 * false where jansson refuses it (an integer outside 64 bits, a real that overflows). */
typedef struct wn_json_number {
    bool ok, real;
    long long i;
    double x;
} wn_json_number;
wn_json_number wn_json_parse_number(const char *num, size_t len);

/* The jansson path (the reference: tests compare the fast path with it). 0, or -1 with the
 * reason in err, as wn_jsonl_parse. */
int wn_jsonl_parse_jansson(const char *line, size_t len, const char *text_key, const char *id_key,
                           wn_doc *d, char *err, size_t errlen);

/* Apply one top-level field (not the text) to d; v is borrowed. */
void wn_jsonl_apply_field(wn_doc *d, const char *key, json_t *v, const char *id_key);

#endif
