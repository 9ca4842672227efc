/* doc.h: the document record that flows through every stage.
 *
 * A document is the Dolma record (see ../shared/FORMATS.md (e)):
 *   {"id","text","source","added","created","metadata":{...},"attributes":{...}}
 * plus the url and date that ingest fills from WARC headers (kept in metadata on output).
 *
 * Strings are (pointer, length), NUL-terminated, owned by the document and freed by
 * wn_doc_release. `metadata` and `attributes` are jansson objects owned by the document
 * (NULL when empty); use wn_doc_attr_* to add to them so they are created on demand.
 *
 * Attributes follow Dolma: name -> [[start, end, score], ...] with offsets in Unicode code
 * points. A document-level score is [[0, n_chars, score]]; wn_doc_attr_set_score writes that
 * shape. Non-span signals (strings such as a language label) may be stored as plain JSON
 * values under their own names.
 *
 * A stage drops a document by setting drop_reason to a static string such as
 * "gopher.mean_word_length"; the runner counts it and does not write the document (or writes
 * it to the --removed output with the reason).
 */
#ifndef WN_DOC_H
#define WN_DOC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_str {
    char *ptr;
    size_t len;
} wn_str;

typedef struct wn_doc {
    wn_str id;
    wn_str text;
    wn_str source;
    wn_str url;     /* stored as metadata.url in JSONL */
    wn_str added;   /* when acquired (ISO 8601) */
    wn_str created; /* when the original was made, e.g. WARC-Date */
    json_t *metadata;   /* object or NULL */
    json_t *attributes; /* object or NULL */

    /* Set by ingest readers: the text is still a raw payload for the extract stage (HTML
     * bytes in `charset`, or text in `charset`); WN_RAW_NONE once it is clean UTF-8. */
    enum { WN_RAW_NONE = 0, WN_RAW_HTML, WN_RAW_TEXT } raw;
    char charset[40];

    const char *drop_reason; /* NULL = kept; static string */
    uint64_t input_index;    /* position in the input stream: the deterministic order */
    uint64_t input_bytes;    /* bytes of the record as read (for statistics) */
    uint64_t input_line;     /* 1-based line of the record in its file, when line-based */
    uint64_t input_offset;   /* byte offset of the record in its (decompressed) file */
} wn_doc;

void wn_doc_init(wn_doc *d);
void wn_doc_release(wn_doc *d);
/* Replace a string field with a copy of (s, n). */
void wn_str_set(wn_str *f, const char *s, size_t n);
/* Take ownership of a malloc'd (s, n) (s[n] must be '\0'). */
void wn_str_take(wn_str *f, char *s, size_t n);

/* Number of Unicode code points in valid UTF-8 (invalid bytes count one each). */
size_t wn_utf8_count(const char *s, size_t n);

/* attributes[name] = [[0, n_chars(text), score]] */
void wn_doc_attr_set_score(wn_doc *d, const char *name, double score);
/* Append [start, end, score] (code points) to attributes[name]. */
void wn_doc_attr_add_span(wn_doc *d, const char *name, size_t start, size_t end, double score);
/* attributes[name] = value (steals the reference). */
void wn_doc_attr_set(wn_doc *d, const char *name, json_t *value);
/* Look up a stored document-level score; returns 0 and sets *out when present. Accepts a
 * number, or a span list whose first span's score is taken. */
int wn_doc_attr_get_score(const wn_doc *d, const char *name, double *out);
/* metadata[key] = value (steals the reference). */
void wn_doc_meta_set(wn_doc *d, const char *key, json_t *value);

/* A batch: the unit of parallel work. Documents are in input order. */
typedef struct wn_batch {
    wn_doc *docs;
    size_t n, cap;
} wn_batch;

void wn_batch_init(wn_batch *b);
/* Append an initialised empty document and return it. */
wn_doc *wn_batch_push(wn_batch *b);
/* Release every document, keep the array. */
void wn_batch_clear(wn_batch *b);
void wn_batch_release(wn_batch *b);

#endif
