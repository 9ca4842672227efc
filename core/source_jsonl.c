/* source_jsonl.c: JSONL documents (Dolma, datatrove, or any {"text": ...} lines) as a
 * source; see source.h and jsonl.h. A line that does not parse is an error counted with its
 * line number and byte offset; reading goes on with the next line. */
#include "core/io.h"
#include "core/log.h"
#include "core/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jsonl_state {
    wn_in *in;
    wn_jsonl_opts opts;
    uint64_t line_no;
    bool done;
} jsonl_state;

static size_t jsonl_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                         wn_stats *stats)
{
    jsonl_state *st = src->state;
    size_t added = 0, bytes = 0;
    char err[256];
    while (!st->done && added < max_docs && bytes < max_bytes) {
        uint64_t offset = wn_in_offset(st->in);
        size_t len;
        const char *line = wn_in_line(st->in, &len);
        if (!line) {
            if (wn_in_failed(st->in))
                wn_stats_error(stats, "io.corrupt_container", src->path, wn_in_member_offset(st->in),
                               "%s; the rest of the file is unreadable", wn_in_errmsg(st->in));
            st->done = true;
            break;
        }
        st->line_no++;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue; /* blank lines are not records */
        stats->docs_in++;
        stats->bytes_in += len + 1;
        wn_doc *d = wn_batch_push(batch);
        if (wn_jsonl_parse(line, len, &st->opts, d, err, sizeof err)) {
            wn_stats_error(stats, "jsonl.bad_record", src->path, offset, "line %llu: %s",
                           (unsigned long long)st->line_no, err);
            wn_doc_release(d);
            batch->n--;
            continue;
        }
        if (!d->id.ptr) {
            /* datatrove's rule for documents without an id: path/line-in-file */
            char id[64];
            snprintf(id, sizeof id, "%llu", (unsigned long long)(st->line_no - 1));
            wn_buf b = WN_BUF_INIT;
            wn_buf_appendf(&b, "%s/%s", src->path, id);
            size_t n;
            char *s = wn_buf_detach(&b, &n);
            wn_str_take(&d->id, s, n);
        }
        d->input_bytes = len + 1;
        stats->docs_out++;
        stats->bytes_out += d->text.len;
        bytes += d->text.len;
        added++;
    }
    return added;
}

static uint64_t jsonl_consumed(wn_source *src)
{
    return wn_in_raw_consumed(((jsonl_state *)src->state)->in);
}

static void jsonl_close(wn_source *src)
{
    jsonl_state *st = src->state;
    wn_in_close(st->in);
    free(st);
}

wn_source *wn_jsonl_source_open(const char *path, void *ctx, wn_stats *stats)
{
    char err[512];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        wn_stats_error(stats, "io.open", path, 0, "%s", err);
        return NULL;
    }
    jsonl_state *st = wn_xcalloc(1, sizeof *st);
    st->in = in;
    if (ctx)
        st->opts = *(const wn_jsonl_opts *)ctx;
    wn_source *src = wn_xcalloc(1, sizeof *src);
    src->path = wn_in_name(in);
    src->state = st;
    src->next = jsonl_next;
    src->consumed = jsonl_consumed;
    src->close = jsonl_close;
    return src;
}

void wn_source_close(wn_source *src)
{
    if (!src)
        return;
    src->close(src);
    free(src);
}
