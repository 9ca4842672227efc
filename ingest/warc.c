/* warc.c: WARC 1.0/1.1 reader (also Common Crawl WET), after the grammar in
 * iipc/warc-specifications warc-1.1 §4 (see ../shared/FORMATS.md (f)).
 *
 *   warc-record = "WARC/" version CRLF *named-field CRLF block CRLF CRLF
 *
 * Fields are parsed by name (never by position), values may continue on lines that start
 * with SP/HT, and `<...>` around URIs is stripped (WARC 1.0 and wget write it). Compression
 * is handled below us (core/io.h): a .warc.gz is a stream of gzip members, a .warc.zst a
 * stream of zstd frames (after a dictionary frame, when there is one), or either compressed
 * whole, as one member or frame: offsets then name the record in the decompressed data.
 *
 * Resynchronisation: after a broken record (bad header, wrong Content-Length, truncation) we
 * skip lines until the next "WARC/1." line, and after a corrupt gzip member we jump to the
 * next member header (wn_in_resync). Every broken record counts one error with file and
 * offset; nothing is skipped silently.
 *
 * WARC-Block-Digest, when a record has one, is checked over the block as stored (digest.h);
 * a record without one (Heritrix's WARC 0.17 files have only payload digests) has its
 * WARC-Payload-Digest checked over the payload of a record that becomes a document.
 * A mismatch is damage no container check caught (a byte changed before compression, or in
 * a plain .warc): by default the record is kept, since a changed byte rarely spoils a page
 * and a writer with a wrong digest everywhere would otherwise lose a whole file, counted as
 * warn.block_digest_mismatch, logged with file and offset once per file, and the document
 * marked "warc_block_digest_mismatch"; --drop-bad-digest makes it the error
 * warc.block_digest_mismatch instead (warcio check's view). Payload digests alike
 * ("payload" for "block").
 */
#include "core/log.h"
#include "ingest/digest.h"
#include "ingest/ingest.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_HEADER_BYTES (1u << 20)

typedef struct warc_state {
    wn_in *in;
    const wn_ingest_opts *opts;
    wn_buf header;   /* raw header lines, '\n'-separated, continuation lines folded */
    wn_buf block;
    bool done;
    /* resync_to_version consumed the next record's version line, found at this offset */
    bool at_version;
    uint64_t version_offset;
    /* the decompressed offset where the previous record started (UINT64_MAX: none yet) */
    uint64_t prev_start;
    /* the first kept mismatch of this file, of each digest, was logged */
    bool block_mismatch_logged, payload_mismatch_logged;
} warc_state;

/* A record's offset as a user can use it: the stored offset of its gzip member / zstd frame
 * when the record starts it, else (one frame holding many records) the decompressed offset,
 * with `decompressed` set. Call once per record, in order. */
typedef struct record_at {
    uint64_t offset;
    bool decompressed;
} record_at;

static record_at record_offset(warc_state *st, uint64_t line_off)
{
    record_at r;
    r.offset = wn_in_record_offset(st->in, line_off, st->prev_start, &r.decompressed);
    st->prev_start = line_off;
    return r;
}

/* Count an error of the record at `at`, saying which kind of offset it names (ingest.h). */
static void record_error(wn_stats *stats, const char *kind, const char *path, record_at at,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void record_error(wn_stats *stats, const char *kind, const char *path, record_at at,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wn_ingest_record_verror(stats, kind, path, at.offset, at.decompressed, fmt, ap);
    va_end(ap);
}

/* Value of header field `name` (case-insensitive) in the folded header, copied to out. */
static bool field(const wn_buf *h, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = h->data, *end = h->data + h->len;
    while (p && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            size_t n = (size_t)(ve - v);
            if (n >= outlen)
                n = outlen - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return true;
        }
        p = eol + 1;
    }
    return false;
}

static bool is_version_line(const char *line, size_t len)
{
    return len >= 6 && !memcmp(line, "WARC/", 5) && isdigit((unsigned char)line[5]);
}

/* Next line without its line ending (WARC uses CRLF; some writers bare LF). */
static const char *warc_line(warc_state *st, size_t *len)
{
    const char *line = wn_in_line(st->in, len);
    if (line && *len && line[*len - 1] == '\r')
        (*len)--;
    return line;
}

enum header_result { HEADER_OK, HEADER_EOF, HEADER_TOO_LONG };

/* Read header lines after the version line into st->header. */
static enum header_result read_header(warc_state *st)
{
    wn_buf_reset(&st->header);
    for (;;) {
        size_t len;
        const char *line = warc_line(st, &len);
        if (!line)
            return HEADER_EOF;
        if (len == 0)
            return HEADER_OK;
        if (st->header.len + len > MAX_HEADER_BYTES)
            return HEADER_TOO_LONG;
        if ((line[0] == ' ' || line[0] == '\t') && st->header.len) {
            /* continuation: fold into the previous field */
            st->header.len--; /* drop its '\n' */
            wn_buf_appendc(&st->header, ' ');
            while (len && (*line == ' ' || *line == '\t'))
                line++, len--;
        }
        wn_buf_append(&st->header, line, len);
        wn_buf_appendc(&st->header, '\n');
    }
}

/* Skip to the next version line; returns it consumed (true, with its offsets noted for the
 * next record) or false at end. */
static bool resync_to_version(warc_state *st)
{
    for (;;) {
        uint64_t at = wn_in_offset(st->in);
        size_t len;
        const char *line = warc_line(st, &len);
        if (!line)
            return false;
        if (is_version_line(line, len)) {
            st->at_version = true;
            st->version_offset = at;
            return true;
        }
    }
}

static void lower_type(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* "text/html; charset=UTF-8" -> type "text/html", charset "utf-8" */
static void split_content_type(const char *v, char *type, size_t tn, char *charset, size_t cn)
{
    size_t n = strcspn(v, ";");
    while (n && isspace((unsigned char)v[n - 1]))
        n--;
    if (n >= tn)
        n = tn - 1;
    memcpy(type, v, n);
    type[n] = '\0';
    lower_type(type);
    if (charset && cn) {
        charset[0] = '\0';
        const char *c = strcasestr(v, "charset=");
        if (c) {
            c += 8;
            if (*c == '"' || *c == '\'')
                c++;
            size_t m = strcspn(c, "\"'; \t");
            if (m >= cn)
                m = cn - 1;
            memcpy(charset, c, m);
            charset[m] = '\0';
            lower_type(charset);
        }
    }
}

static const char *skip_reason(const char *type)
{
    if (!strcasecmp(type, "warcinfo")) return "skip.warcinfo";
    if (!strcasecmp(type, "request")) return "skip.request";
    if (!strcasecmp(type, "metadata")) return "skip.metadata";
    if (!strcasecmp(type, "revisit")) return "skip.revisit";
    if (!strcasecmp(type, "continuation")) return "skip.continuation";
    return "skip.other_record_type";
}

/* What a record's digests found: whether a kept record failed one, and whether its
 * WARC-Payload-Digest is still to be checked (the block digest covers the payload when it
 * was checked). */
typedef struct record_digests {
    bool block_mismatch, payload_mismatch;
    bool check_payload;
} record_digests;

/* Count the outcome `r` of a record's `which` digest ("block" or "payload"; the header field
 * held `value`, over `len` bytes whose own digest is `actual`). Returns false when the
 * record must be dropped (a mismatch under --drop-bad-digest: counted as its error);
 * `*mismatch` says whether a record kept failed it. */
static bool count_digest(warc_state *st, const char *path, record_at at, wn_stats *stats,
                         const char *which, wn_digest_result r, const char *value, size_t len,
                         const char *actual, bool *logged, bool *mismatch)
{
    char key[64];
    const char *field_name = !strcmp(which, "block") ? "WARC-Block-Digest" : "WARC-Payload-Digest";
    *mismatch = false;
    switch (r) {
    case WN_DIGEST_MATCH:
        snprintf(key, sizeof key, "%s_digests_verified", which);
        wn_stats_add(stats, key, 1);
        return true;
    case WN_DIGEST_UNKNOWN_ALGORITHM:
        snprintf(key, sizeof key, "warn.%s_digest_unknown_algorithm", which);
        wn_stats_add(stats, key, 1);
        return true;
    case WN_DIGEST_UNREADABLE:
        snprintf(key, sizeof key, "warn.%s_digest_unreadable", which);
        wn_stats_add(stats, key, 1);
        return true;
    case WN_DIGEST_MISMATCH:
        break;
    }
    if (st->opts->drop_bad_digest) {
        snprintf(key, sizeof key, "warc.%s_digest_mismatch", which);
        record_error(stats, key, path, at,
                     "%s is %s but the %zu-byte %s's is %s: the record is damaged; dropped "
                     "(--drop-bad-digest)", field_name, value, len, which, actual);
        return false;
    }
    snprintf(key, sizeof key, "warn.%s_digest_mismatch", which);
    wn_stats_add(stats, key, 1);
    *mismatch = true;
    if (!*logged) {
        *logged = true;
        wn_warn("%s: '%s' at offset %llu%s: %s is %s but the %zu-byte %s's is %s: the record is "
                "damaged; kept and marked (--drop-bad-digest drops it; further mismatches in "
                "this file are only counted)", key, path, (unsigned long long)at.offset,
                at.decompressed ? " (decompressed)" : "", field_name, value, len, which, actual);
    }
    return true;
}

/* Check the record's WARC-Block-Digest, if any. Returns false when the record must be
 * dropped. A record whose block digest is absent or unreadable has its payload digest
 * checked instead (check_payload_digest), once its payload is known. */
static bool check_block_digest(warc_state *st, const char *path, record_at at, wn_stats *stats,
                               record_digests *rd)
{
    char value[256], actual[128] = "";
    *rd = (record_digests){ .check_payload = true };
    if (!field(&st->header, "WARC-Block-Digest", value, sizeof value))
        return true;
    wn_digest_result r = wn_warc_digest_check(value, st->block.data, st->block.len, actual,
                                              sizeof actual);
    rd->check_payload = r != WN_DIGEST_MATCH && r != WN_DIGEST_MISMATCH;
    return count_digest(st, path, at, stats, "block", r, value, st->block.len, actual,
                        &st->block_mismatch_logged, &rd->block_mismatch);
}

/* Check the record's WARC-Payload-Digest, if any, when its block digest did not cover it.
 * The payload is the HTTP body after the headers for an HTTP response (`http`), else the
 * whole block (WARC 1.1 §5.9). Writers disagree on a chunked body: most (warcio, wget,
 * Heritrix) hash it as stored, with its chunk framing; the specification, and tools since,
 * without it. Either is taken as a match. Returns false when the record must be dropped. */
static bool check_payload_digest(warc_state *st, const char *path, record_at at,
                                 const wn_http_response *http, wn_stats *stats,
                                 record_digests *rd)
{
    char value[256], actual[128] = "";
    if (!rd->check_payload || !field(&st->header, "WARC-Payload-Digest", value, sizeof value))
        return true;
    const char *data = http ? http->stored_body : st->block.data;
    size_t len = http ? http->stored_body_len : st->block.len;
    wn_digest_result r = wn_warc_digest_check(value, data, len, actual, sizeof actual);
    if (r == WN_DIGEST_MISMATCH && http && http->chunked) {
        wn_buf entity = WN_BUF_INIT;
        wn_http_dechunk(data, len, &entity);
        if (wn_warc_digest_check(value, entity.data ? entity.data : "", entity.len, NULL, 0) ==
            WN_DIGEST_MATCH)
            r = WN_DIGEST_MATCH;
        wn_buf_release(&entity);
    }
    return count_digest(st, path, at, stats, "payload", r, value, len, actual,
                        &st->payload_mismatch_logged, &rd->payload_mismatch);
}

/* Turn one complete record into a document or a counted skip. */
static void handle_record(warc_state *st, const char *path, record_at at, wn_batch *batch,
                          wn_stats *stats, record_digests *rd)
{
    char type[64] = "", id[512] = "", uri[8192] = "", date[64] = "", ctype[256] = "", lang[64] = "";
    field(&st->header, "WARC-Type", type, sizeof type);
    field(&st->header, "WARC-Record-ID", id, sizeof id);
    field(&st->header, "WARC-Target-URI", uri, sizeof uri);
    field(&st->header, "WARC-Date", date, sizeof date);
    field(&st->header, "Content-Type", ctype, sizeof ctype);
    field(&st->header, "WARC-Identified-Content-Language", lang, sizeof lang);

    struct wn_payload p = { .id = id, .url = uri, .date = date, .body = st->block.data,
                            .body_len = st->block.len };
    char ptype[128], pcharset[40];
    wn_http_response http;
    memset(&http, 0, sizeof http);
    bool is_response = !strcasecmp(type, "response");
    const wn_http_response *payload_http = NULL; /* the payload is its body, not the block */

    if (is_response && st->block.len == 0) {
        /* a valid record with nothing in it (a fetch that got no bytes): not broken data */
        wn_stats_drop(stats, "skip.empty_payload", 0, 0);
        return;
    }
    if (is_response && (strncasecmp(ctype, "application/http", 16) == 0 || !ctype[0])) {
        char why[256];
        if (wn_http_parse(st->block.data, st->block.len, &http, why, sizeof why)) {
            record_error(stats, "http.bad_response", path, at, "%s", why);
            wn_http_response_release(&http);
            return;
        }
        if (http.bad_chunking)
            wn_stats_add(stats, "warn.http_bad_chunking_kept_raw", 1);
        if (http.truncated_chunks)
            wn_stats_add(stats, "warn.http_truncated_chunked_body", 1);
        if (st->opts->only_status_200 && http.status != 200) {
            wn_stats_drop(stats, "skip.http_status_not_200", st->block.len, 0);
            wn_http_response_release(&http);
            return;
        }
        payload_http = &http;
        p.body = http.body;
        p.body_len = http.body_len;
        p.content_type = http.content_type;
        p.charset = http.charset[0] ? http.charset : NULL;
        p.source = st->opts->source_name ? st->opts->source_name : "warc";
    } else if (is_response || !strcasecmp(type, "resource") || !strcasecmp(type, "conversion")) {
        split_content_type(ctype, ptype, sizeof ptype, pcharset, sizeof pcharset);
        p.content_type = ptype;
        p.charset = pcharset[0] ? pcharset : NULL;
        bool wet = !strcasecmp(type, "conversion");
        p.source = st->opts->source_name ? st->opts->source_name : wet ? "wet" : "warc";
    } else {
        wn_stats_drop(stats, skip_reason(type), st->block.len, 0);
        return;
    }

    int kind = wn_payload_kind(p.content_type, p.body, p.body_len);
    if (kind < 0) {
        wn_stats_drop(stats, "skip.not_text_or_html", p.body_len, 0);
    } else if (p.body_len == 0) {
        wn_stats_drop(stats, "skip.empty_payload", 0, 0);
    } else if (p.body_len > st->opts->max_payload) {
        wn_stats_drop(stats, "skip.too_large", p.body_len, 0);
    } else if (check_payload_digest(st, path, at, payload_http, stats, rd)) {
        p.kind = kind;
        wn_doc *d = wn_ingest_emit(batch, &p, stats);
        wn_doc_meta_set(d, "warc_file", json_string(path));
        wn_doc_meta_set(d, "warc_offset", json_integer((json_int_t)at.offset));
        if (at.decompressed)
            wn_doc_meta_set(d, "warc_offset_decompressed", json_true());
        if (lang[0])
            wn_doc_meta_set(d, "warc_language", json_string(lang));
        if (http.status)
            wn_doc_meta_set(d, "http_status", json_integer(http.status));
        if (rd->block_mismatch)
            wn_doc_meta_set(d, "warc_block_digest_mismatch", json_true());
        if (rd->payload_mismatch)
            wn_doc_meta_set(d, "warc_payload_digest_mismatch", json_true());
    }
    wn_http_response_release(&http);
}

/* Jump to the next gzip member / zstd frame after corrupt data; the end of the file if there
 * is none. */
static void resync_container(warc_state *st, wn_stats *stats)
{
    uint64_t before = wn_in_raw_consumed(st->in), size = wn_in_raw_size(st->in);
    if (!wn_in_resync(st->in)) {
        st->done = true;
        /* no member / frame follows: the rest of the file is lost, and says how much */
        if (size > before)
            wn_stats_add(stats, "bytes_lost_after_corruption", (double)(size - before));
    } else
        wn_stats_add(stats, "bytes_skipped_resync", (double)(wn_in_raw_consumed(st->in) - before));
}

/* After a container error: count it (one broken record) and try to go on. The offset names
 * the member / frame that failed, or where the decompressed data stopped when that frame
 * holds earlier records too (a WARC compressed as one frame). */
static void container_failed(warc_state *st, const char *path, wn_stats *stats, bool record_counted)
{
    if (!record_counted)
        stats->docs_in++;
    uint64_t good = wn_in_offset(st->in);
    bool decompressed;
    uint64_t at = wn_in_record_offset(st->in, good, st->prev_start, &decompressed);
    if (decompressed)
        wn_stats_error(stats, "io.corrupt_container", path, at,
                       "%s; decoding stopped at this offset in the decompressed data (a frame "
                       "holding many records cannot be read past damage)", wn_in_errmsg(st->in));
    else
        wn_stats_error(stats, "io.corrupt_container", path, at, "%s", wn_in_errmsg(st->in));
    resync_container(st, stats);
}

/* After a broken record, already counted with its error: skip to the next version line
 * without counting the lines skipped as another broken record. Corrupt compressed data on
 * the way is an error of its own, so it counts as one more record read. */
static void skip_broken_record(warc_state *st, const char *path, wn_stats *stats)
{
    if (resync_to_version(st))
        return;
    if (wn_in_failed(st->in))
        container_failed(st, path, stats, false);
    else
        st->done = true;
}

/* The block just read was not followed by CRLF CRLF, so Content-Length was wrong. When it
 * was too long, the next record starts inside the block, after a blank line (the block may
 * end in the middle of its "WARC/1.x"): put it back so that record is read, not lost with
 * this one. */
static void give_back_next_record(warc_state *st)
{
    const char *b = st->block.data;
    size_t n = st->block.len;
    for (size_t i = 2; i < n; i++) {
        bool after_blank = (b[i - 1] == '\n' && b[i - 2] == '\n') ||
                           (i >= 4 && !memcmp(b + i - 4, "\r\n\r\n", 4));
        size_t m = n - i < 5 ? n - i : 5;
        if (after_blank && !memcmp(b + i, "WARC/", m) && (n - i <= 5 || isdigit((unsigned char)b[i + 5]))) {
            wn_in_unread(st->in, b + i, n - i);
            return;
        }
    }
}

/* Is the block just read followed by its CRLF CRLF? Returns how many line-ending bytes to
 * skip, or -1 when Content-Length must have been wrong. Writers that end records with bare
 * LFs, or with fewer than four bytes, are accepted when the next record (or the end of the
 * file) follows. */
static int block_end(warc_state *st)
{
    const char *tail;
    size_t tn = wn_in_peek(st->in, &tail, 9);
    size_t k = 0;
    while (k < tn && k < 4 && (tail[k] == '\r' || tail[k] == '\n'))
        k++;
    if (k == 4 || k == tn)
        return (int)k;
    if (k == 0)
        return -1;
    size_t m = tn - k < 5 ? tn - k : 5;
    return !memcmp(tail + k, "WARC/", m) ? (int)k : -1;
}

static size_t warc_next(wn_source *src, wn_batch *batch, size_t max_docs, size_t max_bytes,
                        wn_stats *stats)
{
    warc_state *st = src->state;
    size_t start = batch->n, bytes = 0;
    while (!st->done && batch->n - start < max_docs && bytes < max_bytes) {
        /* where the record's version line starts in the decompressed data (record_offset
         * turns it into the offset a user can seek to) */
        uint64_t line_off = wn_in_offset(st->in);
        record_at offset;
        if (st->at_version) {
            /* a resynchronisation already consumed this record's version line */
            st->at_version = false;
            offset = record_offset(st, st->version_offset);
        } else {
            size_t len;
            const char *line = warc_line(st, &len);
            if (!line) {
                if (wn_in_failed(st->in))
                    container_failed(st, src->path, stats, false);
                else
                    st->done = true;
                continue;
            }
            if (len == 0)
                continue; /* record separators */
            if (!is_version_line(line, len)) {
                stats->docs_in++;
                record_error(stats, "warc.bad_record", src->path, record_offset(st, line_off),
                             "expected a 'WARC/1.x' version line; skipping to the next record");
                skip_broken_record(st, src->path, stats);
                continue;
            }
            offset = record_offset(st, line_off);
        }
        stats->docs_in++;
        enum header_result hr = read_header(st);
        if (hr == HEADER_TOO_LONG) {
            record_error(stats, "warc.bad_header", src->path, offset,
                         "the record header is longer than %u bytes; skipping to the next record",
                         MAX_HEADER_BYTES);
            skip_broken_record(st, src->path, stats);
            continue;
        }
        if (hr == HEADER_EOF) {
            if (wn_in_failed(st->in))
                container_failed(st, src->path, stats, true);
            else {
                record_error(stats, "warc.truncated_record", src->path, offset,
                             "the file ends inside a record header");
                st->done = true;
            }
            continue;
        }
        char cl[32];
        unsigned long long clen = 0;
        if (!field(&st->header, "Content-Length", cl, sizeof cl) || !wn_ingest_parse_length(cl, &clen)) {
            record_error(stats, "warc.bad_header", src->path, offset,
                         "missing or invalid Content-Length; skipping to the next record");
            skip_broken_record(st, src->path, stats);
            continue;
        }
        if (clen > st->opts->max_payload + MAX_HEADER_BYTES) {
            size_t skipped = wn_in_skip(st->in, clen);
            if (skipped < clen) {
                bool failed = wn_in_failed(st->in);
                record_error(stats, "warc.truncated_record", src->path, offset,
                             "the file ends inside a %llu-byte block%s", clen,
                             failed ? " (corrupt compressed data)" : "");
                if (failed)
                    resync_container(st, stats);
                continue;
            }
            wn_stats_drop(stats, "skip.too_large", clen, 0);
            continue;
        }
        wn_buf_reset(&st->block);
        wn_buf_grow(&st->block, clen);
        ssize_t got = wn_in_read(st->in, st->block.data, clen);
        if (got < 0 || (unsigned long long)got < clen) {
            bool failed = wn_in_failed(st->in);
            record_error(stats, "warc.truncated_record", src->path, offset,
                         "Content-Length is %llu but only %lld bytes follow%s", clen,
                         (long long)(got < 0 ? 0 : got), failed ? " (corrupt compressed data)" : "");
            if (failed)
                resync_container(st, stats);
            continue;
        }
        st->block.len = clen;
        st->block.data[clen] = '\0';
        stats->bytes_in += st->header.len + clen;
        /* The block must be followed by CRLF CRLF. Anything else means Content-Length was
         * wrong, and the block cannot be trusted. */
        int k = block_end(st);
        if (k < 0) {
            record_error(stats, "warc.wrong_content_length", src->path, offset,
                         "the %llu-byte block is not followed by CRLF CRLF; skipping to the next record",
                         clen);
            give_back_next_record(st);
            skip_broken_record(st, src->path, stats);
            continue;
        }
        wn_in_skip(st->in, (size_t)k);
        record_digests rd;
        if (!check_block_digest(st, src->path, offset, stats, &rd))
            continue;
        size_t before = batch->n;
        handle_record(st, src->path, offset, batch, stats, &rd);
        if (batch->n > before)
            bytes += batch->docs[batch->n - 1].text.len;
    }
    return batch->n - start;
}

static uint64_t warc_consumed(wn_source *src)
{
    return wn_in_raw_consumed(((warc_state *)src->state)->in);
}

static void warc_close(wn_source *src)
{
    warc_state *st = src->state;
    wn_in_close(st->in);
    wn_buf_release(&st->header);
    wn_buf_release(&st->block);
    free(st);
}

wn_source *wn_warc_source_new(wn_in *in, const wn_ingest_opts *o)
{
    warc_state *st = wn_xcalloc(1, sizeof *st);
    st->in = in;
    /* A line longer than a whole header may be is refused as it was (HEADER_TOO_LONG, or
     * junk skipped while resynchronising); cut, it is not first read into memory whole,
     * as a file of binary junk without a newline would be. */
    wn_in_set_max_line(in, MAX_HEADER_BYTES + 1);
    st->opts = o;
    st->prev_start = UINT64_MAX;
    wn_source *src = wn_xcalloc(1, sizeof *src);
    src->path = wn_in_name(in);
    src->state = st;
    src->next = warc_next;
    src->consumed = warc_consumed;
    src->close = warc_close;
    return src;
}
