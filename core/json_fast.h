/* json_fast.h: a JSON object parsed into jansson values by yajl's events.
 *
 * jansson's own parser reads ~90 MB/s here, yajl's ~500 MB/s (jsonl_sax.h). A chat line
 * (tokenize --chat) is nearly all message strings, and parsing it with jansson was a third
 * of a chat run's time; a 9 MB tokenizer.json took 120-140 ms. This builds the same values
 * from yajl's events (70-90 ms for that file).
 *
 * It declines every line where the value could differ from what json_loadb(s, n, 0) gives,
 * or where jansson would refuse the line: what jsonl_sax.h declines (bytes that are not
 * strict UTF-8, control bytes, \u escapes of surrogates that do not pair, numbers jansson
 * refuses, deep nesting), a NUL in a string or a key (jansson needs JSON_ALLOW_NUL for one),
 * a key twice in one object (jansson keeps the last; yajl's order of events would have to be
 * followed to agree), and a line that is not an object. The caller then parses the line
 * with jansson, so the value, or the error, is always jansson's.
 */
#ifndef WN_JSON_FAST_H
#define WN_JSON_FAST_H

#include <jansson.h>
#include <stddef.h>

/* The value of the JSON object s[0..n) (a new reference), or NULL when declined. */
json_t *wn_json_loadb_fast(const char *s, size_t n);

#endif
