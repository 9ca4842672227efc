/* ingest.h: raw inputs to documents.
 *
 * Readers (sources, core/source.h), one per container format:
 *   WARC 1.0/1.1 and Common Crawl WET (warc.c), ARC v1 (arc.c), JSONL (core), and whole
 *   files of HTML or plain text, one document each (file_source.c).
 * wn_ingest_open detects the format from the first decompressed bytes (after core/io.h has
 * detected gzip/zstd) unless opts->format says otherwise.
 *
 * Readers are sequential and cheap: they leave HTML and non-UTF-8 text as raw payloads
 * (doc->raw, doc->charset), and the extract stage (extract_stage.c) turns them into clean
 * UTF-8 in parallel.
 *
 * Record accounting, per file: records read (stats.docs_in) = documents (docs_out) + records
 * skipped on purpose (drops, "skip.<why>") + broken records (errors, with file and offset).
 */
#ifndef WN_INGEST_H
#define WN_INGEST_H

#include "core/io.h"
#include "core/jsonl.h"
#include "core/source.h"
#include "core/stage.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    WN_FMT_AUTO = 0,
    WN_FMT_WARC,  /* also WET and .warc.gz/.warc.zst */
    WN_FMT_ARC,
    WN_FMT_JSONL,
    WN_FMT_HTML,
    WN_FMT_TEXT,
    WN_FMT_UNKNOWN,
} wn_format;

typedef struct wn_ingest_opts {
    wn_format format;
    wn_jsonl_opts jsonl;
    const char *source_name; /* "source" field; NULL = per format ("warc", "wet", ...) */
    uint64_t max_payload;    /* larger payloads are skipped as "skip.too_large" */
    bool extract_html;       /* false = keep raw HTML as text */
    bool only_status_200;    /* WARC/ARC responses with another status are skipped */
    bool drop_bad_digest;    /* a WARC record failing its WARC-Block-Digest is an error, not kept */
} wn_ingest_opts;

void wn_ingest_opts_init(wn_ingest_opts *o);
int wn_ingest_parse_format(const char *s, wn_format *out);
const char *wn_format_name(wn_format f);

/* Guess the format from the first bytes of decompressed content. */
wn_format wn_ingest_detect(const char *head, size_t n);
/* Does the body start with a UTF-16 byte-order mark? (Its text is then UTF-16.) */
bool wn_ingest_utf16_bom(const char *body, size_t n);

/* The source opener for wn_run: ctx is a const wn_ingest_opts *. */
wn_source *wn_ingest_open(const char *path, void *ctx, wn_stats *stats);

/* Container readers, used by wn_ingest_open; they take ownership of `in`. */
wn_source *wn_warc_source_new(wn_in *in, const wn_ingest_opts *o);
wn_source *wn_arc_source_new(wn_in *in, const wn_ingest_opts *o);
wn_source *wn_file_source_new(wn_in *in, wn_format fmt, const wn_ingest_opts *o);

/* HTTP response parsing shared by the WARC and ARC readers (http.c). `block` is a full HTTP
 * response (status line, headers, body). On success fills status, content type and charset
 * (lowercased, without parameters) and the decoded body (chunked transfer encoding and
 * gzip/deflate/br content encodings removed). Returns 0, or -1 with a reason. */
typedef struct wn_http_response {
    int status;
    char content_type[128];
    char charset[40];
    const char *body; /* points into block, or into `decoded` */
    size_t body_len;
    const char *stored_body; /* the body as stored: after the headers, before any decoding */
    size_t stored_body_len;
    bool chunked;      /* Transfer-Encoding: chunked, and its framing was removed */
    wn_buf decoded;   /* owned; release with wn_http_response_release */
    bool bad_chunking; /* chunked framing was broken; the raw body was kept */
    bool truncated_chunks; /* the body ends inside a chunk; the data before was kept */
} wn_http_response;

int wn_http_parse(const char *block, size_t len, wn_http_response *r, char *why, size_t whylen);
void wn_http_response_release(wn_http_response *r);

/* Append the data of a chunked body (RFC 9112 §7.1) to `out`, without the framing. Returns
 * 0; 1 when the body ends inside the chunks (the data present is kept); -1 when the framing
 * is broken (a body that is not chunked at all). */
int wn_http_dechunk(const char *s, size_t n, wn_buf *out);

/* Classify a payload by its content type (and a sniff of its first bytes when the type is
 * missing): WN_RAW_HTML, WN_RAW_TEXT, or -1 for anything else (images, PDFs, ...). */
int wn_payload_kind(const char *content_type, const char *body, size_t len);

/* Count the error `kind` of the record at `offset` in `path` (wn_stats_error). `decompressed`
 * says the offset is in the decompressed data (the record shares a gzip member or zstd frame
 * with others, core/io.h's wn_in_record_offset), which the message then says, so that a user
 * does not seek to it in the stored file. */
void wn_ingest_record_error(wn_stats *stats, const char *kind, const char *path, uint64_t offset,
                            bool decompressed, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void wn_ingest_record_verror(wn_stats *stats, const char *kind, const char *path, uint64_t offset,
                             bool decompressed, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

/* A record length field (WARC Content-Length, ARC Archive-length): all digits and within
 * range. strtoull alone takes "-5" and saturates on overflow, and a reader would then
 * swallow the rest of the file. */
bool wn_ingest_parse_length(const char *s, unsigned long long *out);

/* Helper for readers: fill a document from a payload, or count why not. Returns the
 * document or NULL (the record was counted as skipped). */
struct wn_payload {
    const char *id, *url, *date, *source, *content_type, *charset;
    const char *body;
    size_t body_len;
    int kind; /* WN_RAW_HTML / WN_RAW_TEXT */
};
wn_doc *wn_ingest_emit(wn_batch *batch, const struct wn_payload *p, wn_stats *stats);

/* The extract stage: raw HTML -> clean text (ingest/html.h), other text -> valid UTF-8
 * (charset converted with ICU, invalid bytes replaced by U+FFFD and counted). Documents with
 * no text left are dropped as "extract.empty". */
wn_stage *wn_ingest_extract_stage_new(const wn_ingest_opts *o);

/* Convert `len` bytes in `charset` to UTF-8 with ICU, appending to out; returns the number of
 * invalid sequences replaced, or -1 for an unknown charset. */
long wn_charset_to_utf8(const char *charset, const char *s, size_t len, wn_buf *out);

#endif
