/* arc.c: Internet Archive ARC v1/v2 reader (the pre-WARC format; warcio and
 * ia-web-commons read it too). A record is one header line
 *   URL IP-address Archive-date Content-type [v2 fields...] Archive-length
 * followed by Archive-length bytes (an HTTP response for http:// URLs) and a newline. The
 * first record (filedesc://) describes the file and is skipped. */
#include "core/log.h"
#include "ingest/ingest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct arc_state {
    wn_in *in;
    const wn_ingest_opts *opts;
    wn_buf block;
    uint64_t record_no;
    bool done;
    bool resyncing; /* after a broken record: skip lines up to the next header line */
    uint64_t prev_start; /* decompressed offset of the previous record (UINT64_MAX: none) */
} arc_state;

/* Splits the header line into fields; returns the count (at most max). */
static int split_fields(char *line, char **f, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
        f[n++] = t;
    return n;
}

/* While resynchronising, a line of a payload must not pass for a header: it needs a URL
 * (scheme:...) first and a date of digits third. */
static bool looks_like_header(char **f, int nf)
{
    if (nf < 5 || !strchr(f[0], ':') || strlen(f[2]) < 8)
        return false;
    for (const char *d = f[2]; *d; d++)
        if (!isdigit((unsigned char)*d))
            return false;
    return true;
}

/* ARC dates are YYYYMMDDhhmmss; documents carry ISO 8601 like WARC-Date. */
static void arc_date_iso(const char *d, char *out, size_t n)
{
    if (strlen(d) >= 14)
        snprintf(out, n, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", d, d + 4, d + 6, d + 8, d + 10, d + 12);
    else
        snprintf(out, n, "%s", d);
}

/* After a wrong Archive-length: the next records may sit inside the block read (a length
 * too long swallowed them). The block goes back to the stream and the reader skips its lines
 * quietly up to the next line that looks like a header, as after any broken record. The
 * header line is not given back, so the reader always moves on. */
static void give_back_block(arc_state *st, size_t n)
{
    if (n)
        wn_in_unread(st->in, st->block.data, n);
    st->resyncing = true;
}

static size_t arc_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                       wn_stats *stats)
{
    arc_state *st = src->state;
    size_t start = batch->n, bytes = 0;
    while (!st->done && batch->n - start < max_docs && bytes < max_bytes) {
        uint64_t at = wn_in_offset(st->in);
        size_t len;
        const char *l = wn_in_line(st->in, &len);
        /* the byte offset in a plain file, else the gzip member the record starts, else (an
         * .arc.gz compressed whole) the offset in the decompressed data */
        bool decompressed;
        uint64_t offset = wn_in_record_offset(st->in, at, st->prev_start, &decompressed);
        if (!l) {
            if (wn_in_failed(st->in)) {
                stats->docs_in++;
                wn_stats_error(stats, "io.corrupt_container", src->path, wn_in_member_offset(st->in),
                               "%s", wn_in_errmsg(st->in));
                if (!wn_in_resync(st->in))
                    st->done = true;
            } else
                st->done = true;
            continue;
        }
        if (len && l[len - 1] == '\r')
            len--;
        if (len == 0)
            continue;
        char *line = wn_xstrndup(l, len);
        char *f[16];
        int nf = split_fields(line, f, 16);
        unsigned long long alen = 0;
        bool good = nf >= 5 && wn_ingest_parse_length(f[nf - 1], &alen) &&
                    (!st->resyncing || looks_like_header(f, nf));
        if (!good) {
            /* one broken record is one error; its remaining lines are skipped quietly */
            if (!st->resyncing) {
                st->prev_start = at;
                stats->docs_in++;
                wn_ingest_record_error(stats, "arc.bad_header", src->path, offset, decompressed,
                               "malformed ARC header line; skipping to the next record");
                st->resyncing = true;
            }
            free(line);
            continue;
        }
        st->resyncing = false;
        st->prev_start = at;
        stats->docs_in++;
        if (alen > st->opts->max_payload + ((uint64_t)1 << 20)) {
            size_t skipped = wn_in_skip(st->in, alen);
            if (skipped < alen)
                wn_ingest_record_error(stats, "arc.truncated_record", src->path, offset, decompressed,
                               "the file ends inside a %llu-byte record", alen);
            else
                wn_stats_drop(stats, "skip.too_large", alen, 0);
            free(line);
            if (skipped < alen && wn_in_failed(st->in) && !wn_in_resync(st->in))
                st->done = true;
            continue;
        }
        wn_buf_reset(&st->block);
        wn_buf_grow(&st->block, alen);
        ssize_t got = wn_in_read(st->in, st->block.data, alen);
        if (got < 0 || (unsigned long long)got < alen) {
            wn_ingest_record_error(stats, "arc.truncated_record", src->path, offset, decompressed,
                           "Archive-length is %llu but only %lld bytes follow", alen, (long long)(got < 0 ? 0 : got));
            free(line);
            if (wn_in_failed(st->in)) {
                if (!wn_in_resync(st->in))
                    st->done = true;
            } else if (got > 0) {
                give_back_block(st, (size_t)got); /* records before the end of the file */
            }
            continue;
        }
        st->block.len = alen;
        st->block.data[alen] = '\0';
        /* a record ends with a newline: anything else means Archive-length was wrong */
        const char *next;
        if (wn_in_peek(st->in, &next, 1) == 1 && *next != '\n' && *next != '\r') {
            wn_ingest_record_error(stats, "arc.wrong_length", src->path, offset, decompressed,
                           "the %llu-byte record is not followed by a newline; skipping to the "
                           "next record", alen);
            give_back_block(st, alen);
            free(line);
            continue;
        }
        stats->bytes_in += len + 1 + alen;
        st->record_no++;
        if (!strncmp(f[0], "filedesc://", 11)) {
            wn_stats_drop(stats, "skip.arc_filedesc", alen, 0);
            free(line);
            continue;
        }
        char date[40], id[64];
        arc_date_iso(f[2], date, sizeof date);
        if (decompressed) /* not to be taken for a stored offset */
            snprintf(id, sizeof id, "arc:d%llu", (unsigned long long)offset);
        else
            snprintf(id, sizeof id, "arc:%llu", (unsigned long long)offset);
        struct wn_payload p = { .id = id, .url = f[0], .date = date,
                                .source = st->opts->source_name ? st->opts->source_name : "arc" };
        wn_http_response http;
        char why[256];
        if (wn_http_parse(st->block.data, st->block.len, &http, why, sizeof why)) {
            /* not HTTP (ftp://, dns:): the block is the payload, typed by the header */
            wn_http_response_release(&http);
            memset(&http, 0, sizeof http);
            p.body = st->block.data;
            p.body_len = st->block.len;
            p.content_type = f[3];
        } else {
            if (st->opts->only_status_200 && http.status != 200) {
                wn_stats_drop(stats, "skip.http_status_not_200", alen, 0);
                wn_http_response_release(&http);
                free(line);
                continue;
            }
            p.body = http.body;
            p.body_len = http.body_len;
            p.content_type = http.content_type[0] ? http.content_type : f[3];
            p.charset = http.charset[0] ? http.charset : NULL;
        }
        int kind = wn_payload_kind(p.content_type, p.body, p.body_len);
        if (kind < 0)
            wn_stats_drop(stats, "skip.not_text_or_html", p.body_len, 0);
        else if (p.body_len == 0)
            wn_stats_drop(stats, "skip.empty_payload", 0, 0);
        else if (p.body_len > st->opts->max_payload)
            wn_stats_drop(stats, "skip.too_large", p.body_len, 0);
        else {
            p.kind = kind;
            wn_doc *d = wn_ingest_emit(batch, &p, stats);
            wn_doc_meta_set(d, "arc_file", json_string(src->path));
            wn_doc_meta_set(d, "arc_offset", json_integer((json_int_t)offset));
            if (decompressed)
                wn_doc_meta_set(d, "arc_offset_decompressed", json_true());
            bytes += d->text.len;
        }
        wn_http_response_release(&http);
        free(line);
    }
    return batch->n - start;
}

static uint64_t arc_consumed(wn_source *src)
{
    return wn_in_raw_consumed(((arc_state *)src->state)->in);
}

static void arc_close(wn_source *src)
{
    arc_state *st = src->state;
    wn_in_close(st->in);
    wn_buf_release(&st->block);
    free(st);
}

wn_source *wn_arc_source_new(wn_in *in, const wn_ingest_opts *o)
{
    arc_state *st = wn_xcalloc(1, sizeof *st);
    st->in = in;
    /* A header line is a URL and four short fields: a line of over 1 MB is junk, refused
     * (and resynchronised past) as before, but no longer read into memory whole first. */
    wn_in_set_max_line(in, (size_t)1 << 20);
    st->opts = o;
    st->prev_start = UINT64_MAX;
    wn_source *src = wn_xcalloc(1, sizeof *src);
    src->path = wn_in_name(in);
    src->state = st;
    src->next = arc_next;
    src->consumed = arc_consumed;
    src->close = arc_close;
    return src;
}
