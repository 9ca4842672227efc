/* doc.h: the document record that flows through every stage.
 *
 * A document is the Dolma record (see ../shared/FORMATS.md (e)):
 *   {"id","text","source","added","created","metadata":{...},"attributes":{...}}
 * plus the url and date that ingest fills from WARC headers (kept in metadata on output).
 *
 * Strings are (pointer, length), NUL-terminated, owned by the document and freed by
 * wn_doc_release. `metadata` is a jansson object owned by the document (NULL when empty).
 *
 * Attributes follow Dolma: name -> [[start, end, score], ...] with offsets in Unicode code
 * points. A document-level score is [[0, n_chars, score]]; wn_doc_attr_set_score writes that
 * shape. Non-span signals (strings such as a language label) may be stored as plain JSON
 * values under their own names. They are an ordered map: setting a name again replaces
 * its value in place. The ones a document was read with stay in the jansson object
 * `attributes`; the ones set since live in a compact array (`attr`, no JSON built: a filter
 * chain sets ~35 per document) until the document is written, which merges the two as if
 * every set had gone into the object. Read and set them only with wn_doc_attr_*.
 *
 * A stage drops a document by setting drop_reason to a static string such as
 * "gopher.mean_word_length"; the runner counts it and does not write the document (or writes
 * it to the --removed output with the reason).
 */
#ifndef WN_DOC_H
#define WN_DOC_H

#include <jansson.h>
#include <stdbool.h>
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
    json_t *attributes; /* the attributes read with the document: object or NULL */
    json_t *record;     /* the record as its source parsed it, for a stage that reads it
                         * whole (chat data: the conversation), so that no line is parsed
                         * twice; NULL otherwise. Never written out. */
    struct wn_attr *attr;      /* the ones set since, in the order first set (doc_attr.c) */
    uint32_t n_attr, cap_attr;
    uint64_t attr_names[4]; /* bit (hash of name) & 255 set for each entry (doc_attr.c) */

    /* Set by ingest readers: the text is still a raw payload for the extract stage (HTML
     * bytes in `charset`, or text in `charset`); WN_RAW_NONE once it is clean UTF-8. */
    enum { WN_RAW_NONE = 0, WN_RAW_HTML, WN_RAW_TEXT } raw;
    char charset[40];

    const char *drop_reason; /* NULL = kept; static string */
    uint64_t input_index;    /* position in the input stream: the deterministic order
                              * (increasing; consecutive when a stage has process_batch,
                              * else a record that failed to decode leaves a gap) */
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

/* attributes[name] = [[0, n_chars(text), score]] (nothing when score is not finite, as
 * jansson refuses NaN). The name is copied. */
void wn_doc_attr_set_score(wn_doc *d, const char *name, double score);
/* Append [start, end, score] (code points) to attributes[name]. */
void wn_doc_attr_add_span(wn_doc *d, const char *name, size_t start, size_t end, double score);
/* attributes[name] = value (steals the reference; nothing when value is NULL or name is
 * not UTF-8). The name is copied. */
void wn_doc_attr_set(wn_doc *d, const char *name, json_t *value);

/* The fast setters, for signals set on every document: nothing is copied or allocated
 * (but the array, once per document), so `name` and `value` must stay valid until the
 * document is written or released: string constants, or strings a stage owns.
 * attributes[name] = [[0, n_chars, score]]; a score that is not finite stores [[0, n_chars]]
 * (what jansson's array append of json_real(NaN) leaves). `name`: ASCII, not checked. */
void wn_doc_attr_set_signal(wn_doc *d, const char *name, size_t n_chars, double score);
/* As wn_doc_attr_set_signal with `name` copied: for readers of stored attributes
 * (nothing when name is not UTF-8). */
void wn_doc_attr_put_signal(wn_doc *d, const char *name, size_t n_chars, double score);
/* attributes[name] = "value" (nothing when value is not UTF-8, as json_string). */
void wn_doc_attr_set_label(wn_doc *d, const char *name, const char *value);

/* Readers see an attribute as a number or a string: a span list [[start, end, x], ...]
 * reads as its first span's x. wn_doc_attr_get_score: 0 and *out set when that is a
 * number, else -1. wn_doc_attr_get_string: that string (owned by the document), or NULL. */
int wn_doc_attr_get_score(const wn_doc *d, const char *name, double *out);
const char *wn_doc_attr_get_string(const wn_doc *d, const char *name);
/* All attributes as one jansson object owned by the document (NULL when there are none),
 * for readers of the whole map: builds the JSON the compact array saves, so not per
 * document on a hot path. */
json_t *wn_doc_attr_json(wn_doc *d);
/* Whether the document has any attribute (the writer omits an empty map). */
bool wn_doc_attr_any(const wn_doc *d);

/* One attribute set since the document was read; only doc_attr.c and the writer
 * (json_dump.c) look inside. */
typedef struct wn_attr {
    const char *name;
    uint32_t hash;   /* of name: finds it again without a strcmp per entry */
    uint8_t kind;    /* WN_ATTR_SIGNAL, WN_ATTR_LABEL, WN_ATTR_JSON */
    bool own_name;   /* name was copied (freed with the document) */
    size_t n_chars;  /* WN_ATTR_SIGNAL: the span's end */
    union {
        double score;      /* WN_ATTR_SIGNAL */
        const char *label; /* WN_ATTR_LABEL */
        json_t *json;      /* WN_ATTR_JSON, owned */
    } v;
} wn_attr;
enum { WN_ATTR_SIGNAL, WN_ATTR_LABEL, WN_ATTR_JSON };
/* The entry's value as JSON (a new reference). */
json_t *wn_attr_json(const wn_attr *a);
/* The hash wn_doc_attr_set_signal files `name` under: a caller setting the same name on
 * every document computes it once (the filter chain, ~35 names a document). */
uint32_t wn_doc_attr_name_hash(const char *name);
/* wn_doc_attr_set_signal, `hash` being wn_doc_attr_name_hash(name). */
void wn_doc_attr_set_signal_hashed(wn_doc *d, const char *name, uint32_t hash, size_t n_chars,
                                   double score);
/* The entry set under `name`, or NULL. */
const wn_attr *wn_doc_attr_find(const wn_doc *d, const char *name);
/* Free the entries (wn_doc_release does). */
void wn_doc_attr_release(wn_doc *d);
/* Prefetch for writing the memory of the next `n` entries d may get (none before its
 * first): the filter chain asks before each filter, whose signals then find their lines
 * in the cache (see doc_attr.c). Changes nothing. */
void wn_doc_attr_prefetch(const wn_doc *d, size_t n);
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
