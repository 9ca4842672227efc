/* html.h: HTML page -> clean UTF-8 main text (boilerplate removed), with libxml2's
 * streaming HTML parser (SAX) and ICU for charsets.
 *
 * Ownership: a wn_html_result owns its buffers. Initialise it once, pass it to any number
 * of wn_html_extract calls (each call resets it and reuses the allocations, so one result
 * per thread makes a batch cheap), release it at the end. Nothing returned points into the
 * input. The input is never modified and need not be NUL-terminated.
 *
 * Thread safety: call wn_html_global_init() once from the main thread before extracting in
 * parallel (it initialises libxml2); after that wn_html_extract is re-entrant, one result
 * per thread.
 *
 *   wn_html_result r;
 *   wn_html_result_init(&r);
 *   if (wn_html_extract(body, body_len, http_charset, url, &r) == WN_HTML_OK)
 *       use(r.text.data, r.text.len, r.title.data);
 *   wn_html_result_release(&r);
 *
 * Output text: UTF-8, no NULs, no markdown. One line per block: paragraph, heading, list
 * item, table row (cells separated by a tab), blockquote, caption; consecutive blocks are
 * separated by '\n' (no blank lines, no trailing newline). Runs of whitespace inside a block
 * collapse to one space, except in <pre> and inline <code>/<kbd>/<samp>/<tt>, which are
 * kept verbatim (their own newlines kept).
 * Image alt text and MathML/TeX annotations are kept inline. script, style, nav, header,
 * footer, aside, forms and blocks judged boilerplate (link density, text density, class and
 * id hints) are dropped.
 */
#ifndef WN_HTML_H
#define WN_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* Where the charset used for decoding came from. */
typedef enum wn_html_charset_source {
    WN_HTML_CS_DEFAULT = 0, /* nothing found, input was valid UTF-8 or we assumed it */
    WN_HTML_CS_BOM,         /* byte-order mark */
    WN_HTML_CS_HTTP,        /* charset_hint argument (HTTP Content-Type) */
    WN_HTML_CS_META,        /* <meta charset> / <meta http-equiv content-type> */
    WN_HTML_CS_DETECTED     /* ICU charset detection */
} wn_html_charset_source;

typedef struct wn_html_result {
    wn_buf text;   /* main text, UTF-8 (see above); data may be NULL when len == 0 */
    wn_buf title;  /* <title> (or og:title when there is none), whitespace collapsed */
    char charset[40];                /* charset decoded from, canonical name ("UTF-8") */
    wn_html_charset_source charset_source;
    uint64_t invalid_bytes;  /* ill-formed sequences replaced by U+FFFD (one per maximal
                              * ill-formed subpart, as core/utf8.h counts) */
    uint64_t blocks_total;   /* text blocks seen in the page */
    uint64_t blocks_kept;    /* blocks in the output */
    uint64_t chars_total;    /* visible text bytes seen (after whitespace collapsing) */
    int truncated;           /* input was larger than WN_HTML_MAX_INPUT; only its head was used */
    int declared_utf8_not_utf8; /* declared UTF-8 (BOM, HTTP, meta) but mostly other bytes:
                                 * decoded in the charset they are in (see html_charset.c) */
    void *scratch_;          /* private: parser workspace reused between calls */
} wn_html_result;

enum {
    WN_HTML_OK = 0,
    WN_HTML_EMPTY = 1,      /* parsed fine but no main text was found (text.len == 0) */
    WN_HTML_NOT_HTML = -1,  /* input looks binary (NULs / control bytes); text left empty */
    WN_HTML_ERROR = -2      /* the parser could not be created (out of memory) */
};

/* Pages larger than this are cut to this many bytes before parsing (counted in
 * `truncated`): a crawler's 50 MB page is almost always a dump, not an article. */
#define WN_HTML_MAX_INPUT ((size_t)32 << 20)

/* Once per process, from the main thread, before any parallel extraction. Idempotent. */
void wn_html_global_init(void);

void wn_html_result_init(wn_html_result *r);
void wn_html_result_release(wn_html_result *r);

/* Extract the main text of one HTML page.
 *   html, len     the raw bytes of the page, any charset
 *   charset_hint  charset from the HTTP Content-Type header, or NULL; trusted over the
 *                 meta tag unless the bytes contradict it (e.g. a "UTF-8" hint on bytes that
 *                 are not UTF-8 falls back to the meta tag, then to detection)
 *   url           page URL or NULL (reserved for URL-based hints; not used yet, never
 *                 fetched)
 * Returns WN_HTML_OK, WN_HTML_EMPTY, WN_HTML_NOT_HTML or WN_HTML_ERROR. Always leaves
 * `out` in a defined state (possibly empty text). Never prints. */
int wn_html_extract(const char *html, size_t len, const char *charset_hint, const char *url,
                    wn_html_result *out);

/* Options for debugging and evaluation; wn_html_extract uses the defaults (all zero). */
typedef struct wn_html_options {
    int keep_all;  /* 1: no boilerplate removal, every visible block (still no script/style) */
    void *explain; /* a FILE *: print every block with its container path and the verdict */
} wn_html_options;

int wn_html_extract_opts(const char *html, size_t len, const char *charset_hint,
                         const char *url, const wn_html_options *opt, wn_html_result *out);

/* Human name of a return code ("ok", "empty", "not html", "error"). */
const char *wn_html_strerror(int code);

#endif
