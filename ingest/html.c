/* html.c: wn_html_extract, the glue: decode -> SAX page model -> select -> lines. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "ingest/html_internal.h"

/* Per-thread scratch kept between calls (page model, decoded bytes): a batch of pages then
 * costs no allocation after the first few. Freed by wn_html_result_release. */
typedef struct html_scratch {
    html_page page;
    wn_buf utf8;
} html_scratch;


void wn_html_global_init(void)
{
    xmlInitParser();
}

void wn_html_result_init(wn_html_result *r)
{
    memset(r, 0, sizeof *r);
}

void wn_html_result_release(wn_html_result *r)
{
    wn_buf_release(&r->text);
    wn_buf_release(&r->title);
    html_scratch *sc = r->scratch_;
    if (sc) {
        html_page_release(&sc->page);
        wn_buf_release(&sc->utf8);
        free(sc);
    }
    memset(r, 0, sizeof *r);
}

const char *wn_html_strerror(int code)
{
    switch (code) {
    case WN_HTML_OK: return "ok";
    case WN_HTML_EMPTY: return "empty";
    case WN_HTML_NOT_HTML: return "not html";
    default: return "error";
    }
}

static void emit(const html_page *pg, wn_html_result *r)
{
    wn_buf_grow(&r->text, pg->text.len + 16);
    for (size_t i = 0; i < pg->n_blocks; i++) {
        const html_block *b = &pg->blocks[i];
        if (!(b->flags & HB_KEEP))
            continue;
        if (r->text.len)
            wn_buf_appendc(&r->text, '\n');
        wn_buf_append(&r->text, pg->text.data + b->start, b->len);
        r->blocks_kept++;
    }
}

int wn_html_extract_opts(const char *html, size_t len, const char *charset_hint,
                         const char *url, const wn_html_options *opt, wn_html_result *out)
{
    (void)url;
    wn_buf_reset(&out->text);
    wn_buf_reset(&out->title);
    out->charset[0] = '\0';
    out->charset_source = WN_HTML_CS_DEFAULT;
    out->invalid_bytes = out->blocks_total = out->blocks_kept = out->chars_total = 0;
    out->truncated = 0;
    if (!out->scratch_) {
        html_scratch *sc = wn_xcalloc(1, sizeof *sc);
        html_page_init(&sc->page);
        out->scratch_ = sc;
    }
    html_scratch *sc = out->scratch_;
    if (!html)
        len = 0;
    if (len > WN_HTML_MAX_INPUT) {
        len = WN_HTML_MAX_INPUT;
        out->truncated = 1;
    }
    const char *utf8 = NULL;
    size_t utf8_len = 0;
    int rc = html_decode_utf8(html ? html : "", len, charset_hint, &sc->utf8, &utf8,
                              &utf8_len, out);
    if (rc != 0)
        return rc;
    html_page *pg = &sc->page;
    if (html_sax_run(utf8, utf8_len, pg) != 0)
        return WN_HTML_ERROR;
    wn_buf_append(&out->title, pg->title.data ? pg->title.data : "", pg->title.len);
    out->blocks_total = pg->n_blocks;
    out->chars_total = pg->text.len;
    html_select(pg, opt && opt->keep_all);
    if (opt && opt->explain)
        html_explain(pg, opt->explain);
    emit(pg, out);
    return out->text.len ? WN_HTML_OK : WN_HTML_EMPTY;
}

int wn_html_extract(const char *html, size_t len, const char *charset_hint, const char *url,
                    wn_html_result *out)
{
    return wn_html_extract_opts(html, len, charset_hint, url, NULL, out);
}
