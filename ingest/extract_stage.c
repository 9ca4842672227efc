/* extract_stage.c: the parallel half of ingest. Readers hand over raw payloads; this stage
 * makes them clean UTF-8 text:
 *   HTML  -> ingest/html.h main-text extraction (boilerplate out, code/math/alt kept)
 *   text  -> converted from its declared charset with ICU, or repaired as UTF-8
 * Invalid bytes become U+FFFD and are counted ("utf8.replaced_sequences" and a per-document
 * count in metadata). Documents with no text left are dropped as "extract.empty". */
#include "core/log.h"
#include "core/utf8.h"
#include "ingest/html.h"
#include "ingest/ingest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct extract_state {
    bool extract_html;
    const char *source_name; /* --source: also for JSONL documents, which the readers pass on */
} extract_state;

static bool is_utf8_name(const char *cs)
{
    return !cs[0] || !strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8") ||
           !strcasecmp(cs, "us-ascii") || !strcasecmp(cs, "ascii");
}

static void set_text(wn_doc *d, wn_buf *b)
{
    size_t n;
    char *s = wn_buf_detach(b, &n);
    wn_str_take(&d->text, s, n);
}

static void text_to_utf8(wn_doc *d, wn_stats *stats)
{
    wn_buf b = WN_BUF_INIT;
    long replaced = -1;
    if (!is_utf8_name(d->charset) && wn_utf8_valid_prefix(d->text.ptr, d->text.len) < d->text.len)
        replaced = wn_charset_to_utf8(d->charset, d->text.ptr, d->text.len, &b);
    if (replaced < 0) {
        /* UTF-8, or a charset ICU does not know: repair as UTF-8 */
        wn_buf_reset(&b);
        if (wn_utf8_valid_prefix(d->text.ptr, d->text.len) == d->text.len) {
            wn_buf_release(&b);
            return;
        }
        replaced = (long)wn_utf8_repair(d->text.ptr, d->text.len, &b);
    }
    set_text(d, &b);
    if (replaced > 0) {
        wn_stats_add(stats, "utf8.replaced_sequences", (double)replaced);
        wn_stats_add(stats, "utf8.docs_with_replacements", 1);
        wn_doc_meta_set(d, "invalid_utf8_replaced", json_integer(replaced));
    }
}

static void extract_doc(void *state, wn_doc *d, wn_stats *stats)
{
    extract_state *st = state;
    if (d->raw == WN_RAW_HTML && st->extract_html) {
        wn_html_result r;
        wn_html_result_init(&r);
        int rc = wn_html_extract(d->text.ptr, d->text.len, d->charset[0] ? d->charset : NULL,
                                 d->url.ptr, &r);
        if (rc == WN_HTML_NOT_HTML) {
            d->drop_reason = "extract.not_html";
        } else if (rc == WN_HTML_ERROR) {
            d->drop_reason = "extract.parser_error";
        } else {
            set_text(d, &r.text);
            if (r.title.len)
                wn_doc_meta_set(d, "title", json_stringn(r.title.data, r.title.len));
            if (r.charset[0])
                wn_doc_meta_set(d, "charset", json_string(r.charset));
            if (r.invalid_bytes) {
                wn_stats_add(stats, "utf8.replaced_sequences", (double)r.invalid_bytes);
                wn_stats_add(stats, "utf8.docs_with_replacements", 1);
                wn_doc_meta_set(d, "invalid_utf8_replaced", json_integer((json_int_t)r.invalid_bytes));
            }
            if (r.truncated)
                wn_stats_add(stats, "html.truncated_pages", 1);
            if (r.declared_utf8_not_utf8)
                wn_stats_add(stats, "warn.declared_utf8_not_utf8", 1);
        }
        wn_html_result_release(&r);
    } else if (d->raw != WN_RAW_NONE) {
        text_to_utf8(d, stats);
    } else if (wn_utf8_valid_prefix(d->text.ptr, d->text.len) < d->text.len) {
        text_to_utf8(d, stats); /* JSONL strings are UTF-8 already, unless \ud800 slipped in */
    }
    d->raw = WN_RAW_NONE;
    if (st->source_name)
        wn_str_set(&d->source, st->source_name, strlen(st->source_name));
    if (!d->drop_reason && d->text.len == 0)
        d->drop_reason = "extract.empty";
}

static void extract_release(void *state)
{
    free(state);
}

wn_stage *wn_ingest_extract_stage_new(const wn_ingest_opts *o)
{
    wn_html_global_init();
    extract_state *st = wn_xcalloc(1, sizeof *st);
    st->extract_html = o->extract_html;
    st->source_name = o->source_name;
    return wn_stage_new("extract", st, extract_doc, extract_release);
}
