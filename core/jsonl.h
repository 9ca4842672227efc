/* jsonl.h: Dolma-style JSONL documents, in and out.
 *
 * Reading accepts Dolma ({"id","text","source","added","created","metadata"}) and datatrove
 * ({"text","id","metadata"} with url/date inside metadata) lines, and any JSONL with the
 * text under another key (text_field). Keys that are not known are kept in metadata, as
 * datatrove's reader does, so nothing a user had is lost. metadata.url fills doc.url.
 *
 * Writing emits {"id","text","source","added","created","metadata":{..,"url"},
 * "attributes":{..}} with keys in that fixed order and metadata keys in insertion order,
 * so output bytes depend only on the documents.
 */
#ifndef WN_JSONL_H
#define WN_JSONL_H

#include "core/buf.h"
#include "core/doc.h"

typedef struct wn_jsonl_opts {
    const char *text_field; /* default "text" */
    const char *id_field;   /* default "id" */
} wn_jsonl_opts;

/* Parse one JSON line into d (which must be initialised). Returns 0, or -1 with a short
 * reason in err ("invalid json: ...", "missing text field", "text is not a string"). */
int wn_jsonl_parse(const char *line, size_t len, const wn_jsonl_opts *opts, wn_doc *d,
                   char *err, size_t errlen);

/* Append d as one JSON line (with '\n'). `with_reason` adds "winnow_removed_by": reason
 * for documents written to the removed output. */
void wn_jsonl_write(wn_buf *out, const wn_doc *d, int with_reason);

/* Append s as a JSON string literal (quotes included), escaping as JSON requires. Invalid
 * UTF-8 bytes are written as U+FFFD so the output is always valid JSON. */
void wn_json_append_string(wn_buf *out, const char *s, size_t n);

/* Append v exactly as jansson's json_dump_callback writes it with JSON_COMPACT |
 * JSON_ENCODE_ANY | JSON_REAL_PRECISION(precision), several times faster (no callback per
 * token, no loop-check table). */
void wn_json_append_value(wn_buf *out, const json_t *v, int precision);

/* Append d's attributes as one JSON object, as wn_json_append_value would write the object
 * holding them all (wn_doc_attr_json), without building it. */
void wn_json_append_attributes(wn_buf *out, const wn_doc *d, int precision);

/* Write j (a jansson value; the reference is stolen) to `path` atomically, with jansson
 * dump `flags`, followed by a newline. 0, or -1 after printing an error naming the file. */
int wn_json_write_file(const char *path, json_t *j, size_t flags);

#endif
