/* file_source.c: a whole HTML or text file is one document (id = the path). Files larger
 * than --max-payload are skipped and counted, never truncated silently. */
#include "core/log.h"
#include "ingest/ingest.h"

#include <stdlib.h>
#include <string.h>

typedef struct file_state {
    wn_in *in;
    wn_format fmt;
    const wn_ingest_opts *opts;
    bool done;
} file_state;

static size_t file_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                        wn_stats *stats)
{
    file_state *st = src->state;
    if (st->done)
        return 0;
    st->done = true;
    stats->docs_in++;
    wn_buf body = WN_BUF_INIT;
    char chunk[1 << 16];
    ssize_t n;
    bool too_large = false;
    while ((n = wn_in_read(st->in, chunk, sizeof chunk)) > 0) {
        if (body.len + (size_t)n > st->opts->max_payload) {
            too_large = true;
            break;
        }
        wn_buf_append(&body, chunk, (size_t)n);
    }
    size_t added = 0;
    stats->bytes_in += body.len;
    bool failed = wn_in_failed(st->in);
    if (failed && wn_in_failed_after_member(st->in) && !too_large && body.len) {
        /* garbage appended to a whole .gz: the file is kept, the garbage counted apart */
        stats->docs_in++;
        wn_stats_error(stats, "io.corrupt_container", src->path, wn_in_raw_offset(st->in), "%s",
                       wn_in_errmsg(st->in));
        failed = false;
    }
    if (failed) {
        wn_stats_error(stats, "io.corrupt_container", src->path, wn_in_member_offset(st->in), "%s",
                       wn_in_errmsg(st->in));
    } else if (too_large) {
        wn_stats_drop(stats, "skip.too_large", body.len, 0);
    } else if (body.len == 0) {
        wn_stats_drop(stats, "skip.empty_payload", 0, 0);
    } else {
        struct wn_payload p = {
            .id = src->path, .body = body.data, .body_len = body.len,
            .kind = st->fmt == WN_FMT_HTML ? WN_RAW_HTML : WN_RAW_TEXT,
            /* HTML finds its own byte-order mark (ingest/html_charset.c); text is converted
             * from the charset named here, and ICU's "UTF-16" reads the mark's byte order */
            .charset = st->fmt == WN_FMT_TEXT && wn_ingest_utf16_bom(body.data, body.len) ? "UTF-16" : NULL,
            .source = st->opts->source_name ? st->opts->source_name : wn_format_name(st->fmt),
        };
        wn_ingest_emit(batch, &p, stats);
        added = 1;
    }
    wn_buf_release(&body);
    return added;
}

static uint64_t file_consumed(wn_source *src)
{
    return wn_in_raw_consumed(((file_state *)src->state)->in);
}

static void file_close(wn_source *src)
{
    file_state *st = src->state;
    wn_in_close(st->in);
    free(st);
}

wn_source *wn_file_source_new(wn_in *in, wn_format fmt, const wn_ingest_opts *o)
{
    file_state *st = wn_xcalloc(1, sizeof *st);
    st->in = in;
    st->fmt = fmt;
    st->opts = o;
    wn_source *src = wn_xcalloc(1, sizeof *src);
    src->path = wn_in_name(in);
    src->state = st;
    src->next = file_next;
    src->consumed = file_consumed;
    src->close = file_close;
    return src;
}
