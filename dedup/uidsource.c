/* uidsource.c: JSONL source wrapper that assigns shard-independent uids. */
#include "dedup/uidsource.h"

#include "core/buf.h"
#include "dedup/format.h"

#include <stdlib.h>
#include <string.h>

typedef struct wrap {
    wn_source *inner;
    wn_dedup_uids *u;
    long file;
} wrap;

void wn_dedup_uids_init(wn_dedup_uids *u, char **all_inputs, size_t n_all,
                        const wn_jsonl_opts *jsonl, uint64_t flags)
{
    memset(u, 0, sizeof *u);
    u->all_inputs = all_inputs;
    u->n_all_inputs = n_all;
    u->jsonl = jsonl;
    u->flags = flags;
    u->file_docs = wn_xcalloc(n_all ? n_all : 1, sizeof *u->file_docs);
}

void wn_dedup_uids_release(wn_dedup_uids *u)
{
    free(u->file_docs);
    memset(u, 0, sizeof *u);
}

long wn_dedup_input_index(char **all_inputs, size_t n, const char *path)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(all_inputs[mid], path) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && strcmp(all_inputs[lo], path) == 0 ? (long)lo : -1;
}

static size_t wrap_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                        wn_stats *stats)
{
    wrap *w = src->state;
    size_t got = w->inner->next(w->inner, batch, max_docs, max_bytes, stats);
    wn_dedup_uids *u = w->u;
    u->cur_file = (uint64_t)w->file;
    if (batch->n) {
        uint64_t last = batch->docs[batch->n - 1].input_line;
        if (last > u->file_docs[w->file]) u->file_docs[w->file] = last;
    }
    return got;
}

static int wrap_decode(wn_source *src, wn_doc *doc, char *err, size_t errlen)
{
    wrap *w = src->state;
    return w->inner->decode(w->inner, doc, err, errlen);
}

static uint64_t wrap_consumed(wn_source *src)
{
    wrap *w = src->state;
    return w->inner->consumed ? w->inner->consumed(w->inner) : 0;
}

static void wrap_close(wn_source *src)
{
    wrap *w = src->state;
    wn_source_close(w->inner);
    free(w);
}

wn_source *wn_dedup_uid_source_open(const char *path, void *ctx, wn_stats *stats)
{
    wn_dedup_uids *u = ctx;
    long file = wn_dedup_input_index(u->all_inputs, u->n_all_inputs, path);
    if (file < 0) {
        wn_stats_error(stats, "dedup.input", path, 0, "input not in the list of all inputs");
        return NULL;
    }
    wn_source *inner = wn_jsonl_source_open(path, (void *)u->jsonl, stats);
    if (!inner) return NULL;
    wrap *w = wn_xcalloc(1, sizeof *w);
    w->inner = inner;
    w->u = u;
    w->file = file;
    wn_source *s = wn_xcalloc(1, sizeof *s);
    s->path = inner->path;
    s->state = w;
    s->next = wrap_next;
    s->decode = inner->decode ? wrap_decode : NULL;
    s->error_kind = inner->error_kind;
    s->consumed = wrap_consumed;
    s->close = wrap_close;
    return s;
}

uint64_t wn_dedup_uid_of(const wn_dedup_uids *u, const wn_doc *d)
{
    /* input_line is 1-based; records without one (not line-based) count from 1 too */
    uint64_t rec = d->input_line ? d->input_line - 1 : d->input_index;
    return WN_DEDUP_UID(u->cur_file, rec) | u->flags;
}

const char *wn_dedup_doc_date(const wn_doc *d, size_t *len)
{
    if (d->created.len) {
        *len = d->created.len;
        return d->created.ptr;
    }
    json_t *v = d->metadata ? json_object_get(d->metadata, "date") : NULL;
    if (v && json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    *len = 0;
    return "";
}
