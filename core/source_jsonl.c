/* source_jsonl.c: JSONL documents (Dolma, datatrove, or any {"text": ...} lines) as a
 * source; see source.h and jsonl.h. A line that does not parse is an error counted with its
 * line number and byte offset; reading goes on with the next line. So is a line longer than
 * --max-record-size, which is skipped without being held in memory. */
#include "core/args.h"
#include "core/io.h"
#include "core/log.h"
#include "core/source.h"
#include "core/utf8.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char WN_DECODE_FAILED[] = "";

typedef struct jsonl_state {
    wn_in *in;
    wn_jsonl_opts opts;
    uint64_t line_no;
    bool done;
    /* Lines already decoded, for the reader to free: a stack linked through the lines' own
     * first bytes (see give_back). */
    _Atomic(char *) spent;
} jsonl_state;

/* Lines are read (allocated) on one thread and decoded on any. Freed where they were
 * decoded, a line went back to the reading thread's malloc arena under its lock, while the
 * reader was allocating from it: with -j2 a thousand futex waits a run. So a decoded line
 * is pushed on the source's spent stack instead (lock-free: pushes race only with each
 * other and with take_back's exchange, so there is no ABA), and the reader frees them all
 * before reading the next batch, on its own thread, where malloc hands the memory straight
 * back to the new lines. A line too short to hold the link is freed at once. */
static void give_back(jsonl_state *st, char *line, size_t len)
{
    if (len + 1 < sizeof(char *)) {
        free(line);
        return;
    }
    char *head = atomic_load_explicit(&st->spent, memory_order_relaxed);
    do
        memcpy(line, &head, sizeof head);
    while (!atomic_compare_exchange_weak_explicit(&st->spent, &head, line, memory_order_release,
                                                  memory_order_relaxed));
}

/* Frees every line decoded so far (their documents no longer point at them). */
static void take_back(jsonl_state *st)
{
    char *p = atomic_exchange_explicit(&st->spent, NULL, memory_order_acquire);
    while (p) {
        char *next;
        memcpy(&next, p, sizeof next);
        free(p);
        p = next;
    }
}

/* Reading only splits lines (cheap, sequential); jsonl_decode parses them in parallel. */
static size_t jsonl_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                         wn_stats *stats)
{
    jsonl_state *st = src->state;
    take_back(st);
    size_t added = 0, bytes = 0;
    while (!st->done && added < max_docs && bytes < max_bytes) {
        uint64_t offset = wn_in_offset(st->in);
        size_t len;
        const char *line = wn_in_line(st->in, &len);
        if (!line) {
            if (!wn_in_failed(st->in)) {
                st->done = true;
                break;
            }
            /* corrupt data: one error, then on at the next gzip member (a concatenated
             * .jsonl.gz); a line cut there fails to parse and is counted on its own */
            stats->docs_in++;
            char msg[256];
            snprintf(msg, sizeof msg, "%s", wn_in_errmsg(st->in));
            uint64_t member = wn_in_member_offset(st->in);
            st->done = !wn_in_resync(st->in);
            wn_stats_error(stats, "io.corrupt_container", src->path, member, "%s; %s", msg,
                           st->done ? "the rest of the file is unreadable" : "going on at the next gzip member");
            continue;
        }
        uint64_t cut = wn_in_line_cut(st->in);
        if (cut) {
            st->line_no++;
            stats->docs_in++;
            stats->bytes_in += cut + 1;
            wn_stats_error(stats, "jsonl.record_too_large", src->path, offset,
                           "line %llu: a record of %llu bytes, over --max-record-size (%llu "
                           "bytes); skipped",
                           (unsigned long long)st->line_no, (unsigned long long)cut,
                           (unsigned long long)wn_max_record_size());
            continue;
        }
        if (st->line_no++ == 0 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
            line += 3; /* a UTF-8 byte-order mark (Windows tools write one) */
            len -= 3;
            offset += 3;
        }
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
            len--;
        if (len == 0)
            continue; /* blank lines are not records */
        stats->docs_in++;
        stats->bytes_in += len + 1;
        wn_doc *d = wn_batch_push(batch);
        wn_str_set(&d->text, line, len);
        d->input_bytes = len + 1;
        d->input_line = st->line_no;
        d->input_offset = offset;
        bytes += len;
        added++;
    }
    return added;
}

static int jsonl_decode(wn_source *src, wn_doc *d, char *err, size_t errlen)
{
    jsonl_state *st = src->state;
    wn_str line = d->text;
    d->text = (wn_str){ NULL, 0 };
    int rc = wn_jsonl_parse(line.ptr, line.len, &st->opts, d, err, errlen);
    if (rc != 0) {
        /* refused for its Unicode alone? keep the document with U+FFFD there (counted) */
        wn_buf fixed = WN_BUF_INIT;
        char again[64];
        if (wn_json_unicode_repair(line.ptr, line.len, &fixed) > 0 &&
            wn_jsonl_parse(fixed.data, fixed.len, &st->opts, d, again, sizeof again) == 0)
            rc = 1;
        wn_buf_release(&fixed);
    }
    if (rc >= 0 && !d->id.ptr) {
        /* datatrove's rule for documents without an id: path/line-in-file */
        wn_buf b = WN_BUF_INIT;
        wn_buf_appendf(&b, "%s/%llu", src->path, (unsigned long long)(d->input_line - 1));
        size_t n;
        char *s = wn_buf_detach(&b, &n);
        wn_str_take(&d->id, s, n);
    }
    give_back(st, line.ptr, line.len);
    return rc;
}

static uint64_t jsonl_consumed(wn_source *src)
{
    return wn_in_raw_consumed(((jsonl_state *)src->state)->in);
}

static void jsonl_close(wn_source *src)
{
    jsonl_state *st = src->state;
    take_back(st);
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
    atomic_init(&st->spent, NULL);
    st->in = in;
    wn_in_set_max_line(in, (size_t)wn_max_record_size());
    if (ctx)
        st->opts = *(const wn_jsonl_opts *)ctx;
    wn_source *src = wn_xcalloc(1, sizeof *src);
    src->path = wn_in_name(in);
    src->state = st;
    src->next = jsonl_next;
    src->decode = jsonl_decode;
    src->error_kind = "jsonl.bad_record";
    src->read_ahead = true;
    src->consumed = jsonl_consumed;
    src->close = jsonl_close;
    return src;
}

size_t wn_source_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                      wn_stats *stats)
{
    size_t first = batch->n;
    size_t got = src->next(src, batch, max_docs, max_bytes, stats);
    if (got)
        wn_source_decode(src, batch, first, stats);
    return got;
}

int wn_source_decode_doc(wn_source *src, wn_doc *d, wn_stats *s)
{
    if (!src->decode)
        return 0;
    char err[256];
    int rc = src->decode(src, d, err, sizeof err);
    if (rc < 0) {
        wn_stats_error(s, src->error_kind ? src->error_kind : "decode.bad_record", src->path,
                       d->input_offset, "line %llu: %s", (unsigned long long)d->input_line, err);
        d->drop_reason = WN_DECODE_FAILED;
        return -1;
    }
    if (rc > 0)
        wn_stats_add(s, "decode.unicode_repaired", 1);
    s->docs_out++;
    s->bytes_out += d->text.len;
    return 0;
}

void wn_source_decode(wn_source *src, wn_batch *batch, size_t first, wn_stats *stats)
{
    if (!src->decode)
        return;
    /* Per-thread statistics, merged below: no counter is shared between threads. */
    int nthreads = omp_get_max_threads();
    wn_stats *per_thread = wn_xcalloc((size_t)nthreads, sizeof *per_thread);
    for (int t = 0; t < nthreads; t++)
        wn_stats_init(&per_thread[t], stats->stage);
    long n = (long)batch->n;
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = (long)first; i < n; i++)
        wn_source_decode_doc(src, &batch->docs[i], &per_thread[omp_get_thread_num()]);
    for (int t = 0; t < nthreads; t++) {
        wn_stats_merge(stats, &per_thread[t]);
        wn_stats_release(&per_thread[t]);
    }
    free(per_thread);
    size_t keep = first;
    for (size_t i = first; i < batch->n; i++) {
        if (batch->docs[i].drop_reason) {
            wn_doc_release(&batch->docs[i]);
            continue;
        }
        if (keep != i)
            batch->docs[keep] = batch->docs[i];
        keep++;
    }
    batch->n = keep;
}

void wn_source_close(wn_source *src)
{
    if (!src)
        return;
    src->close(src);
    free(src);
}
