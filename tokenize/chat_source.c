/* chat_source.c: JSONL lines as raw documents for --chat (see tok_stage.h). The
 * conversation is parsed later, in parallel, by the tokenize stage; here each line only
 * gets its name ("<path>:<line>") so that a rejected conversation can be found. */
#include "tokenize/tok_stage.h"

#include "core/buf.h"
#include "core/io.h"

#include <stdbool.h>
#include <stdlib.h>

typedef struct chat_src {
    wn_in *in;
    uint64_t line_no;
    bool done;
} chat_src;

static size_t chat_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                        wn_stats *stats)
{
    chat_src *st = src->state;
    size_t added = 0, bytes = 0;
    while (!st->done && added < max_docs && bytes < max_bytes) {
        size_t len;
        const char *line = wn_in_line(st->in, &len);
        if (!line) {
            if (wn_in_failed(st->in))
                wn_stats_error(stats, "io.corrupt_container", src->path,
                               wn_in_member_offset(st->in), "%s; the rest of the file is unreadable",
                               wn_in_errmsg(st->in));
            st->done = true;
            break;
        }
        st->line_no++;
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue;
        stats->docs_in++;
        stats->bytes_in += len + 1;
        wn_doc *d = wn_batch_push(batch);
        wn_str_set(&d->text, line, len);
        wn_buf id = WN_BUF_INIT;
        wn_buf_appendf(&id, "%s:%llu", src->path, (unsigned long long)st->line_no);
        size_t n;
        char *s = wn_buf_detach(&id, &n);
        wn_str_take(&d->id, s, n);
        d->input_bytes = len + 1;
        stats->docs_out++;
        stats->bytes_out += len;
        bytes += len;
        added++;
    }
    return added;
}

static uint64_t chat_consumed(wn_source *src)
{
    return wn_in_raw_consumed(((chat_src *)src->state)->in);
}

static void chat_close(wn_source *src)
{
    chat_src *st = src->state;
    wn_in_close(st->in);
    free(st);
}

wn_source *wn_chat_source_open(const char *path, void *ctx, wn_stats *stats)
{
    char err[512];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        wn_stats_error(stats, "io.open", path, 0, "%s", err);
        return NULL;
    }
    chat_src *st = wn_xcalloc(1, sizeof *st);
    st->in = in;
    wn_source *src = wn_xcalloc(1, sizeof *src);
    src->path = wn_in_name(in);
    src->state = st;
    src->next = chat_next;
    src->consumed = chat_consumed;
    src->close = chat_close;
    return src;
}
