/* ingest.c: options, format detection and the opener that picks a reader; see ingest.h. */
#include "ingest/ingest.h"
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void wn_ingest_opts_init(wn_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = WN_FMT_AUTO;
    o->max_payload = (uint64_t)32 << 20;
    o->extract_html = true;
    o->only_status_200 = true;
}

static const char *const format_names[] = { "auto", "warc", "arc", "jsonl", "html", "text", "unknown" };

const char *wn_format_name(wn_format f)
{
    return f <= WN_FMT_UNKNOWN ? format_names[f] : "unknown";
}

int wn_ingest_parse_format(const char *s, wn_format *out)
{
    for (int f = WN_FMT_AUTO; f < WN_FMT_UNKNOWN; f++)
        if (!strcmp(s, format_names[f])) {
            *out = (wn_format)f;
            return 0;
        }
    if (!strcmp(s, "wet")) {
        *out = WN_FMT_WARC;
        return 0;
    }
    return -1;
}

static bool starts_ci(const char *p, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return n >= m && strncasecmp(p, prefix, m) == 0;
}

/* A UTF-16 byte-order mark (a Windows "Unicode" file): HTML when the first character that is
 * not a space is '<', else text; WN_FMT_AUTO when there is no such mark. */
static wn_format utf16_format(const char *head, size_t n)
{
    const unsigned char *u = (const unsigned char *)head;
    if (n < 2 || !((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
        return WN_FMT_AUTO;
    bool le = u[0] == 0xFF;
    unsigned first = 0;
    size_t ctrl = 0, units = 0;
    bool high_pending = false; /* a high surrogate waits for its low half */
    for (size_t k = 2; k + 1 < n; k += 2, units++) {
        unsigned unit = le ? (unsigned)u[k] | (unsigned)u[k + 1] << 8
                           : (unsigned)u[k] << 8 | (unsigned)u[k + 1];
        bool space = unit == ' ' || unit == '\t' || unit == '\n' || unit == '\r' || unit == '\f';
        bool low = unit >= 0xDC00 && unit <= 0xDFFF;
        /* binary that happens to start like a mark: a NUL, or surrogates out of pairs (1 in 32
         * random code units is one; text has them only in pairs) */
        if (unit == 0 || low != high_pending)
            return WN_FMT_AUTO;
        high_pending = unit >= 0xD800 && unit <= 0xDBFF;
        ctrl += unit < 0x20 && !space;
        if (!first && !space)
            first = unit;
    }
    if (ctrl * 100 > units) /* the rule for 8-bit text below, in code units */
        return WN_FMT_AUTO;
    return first == '<' ? WN_FMT_HTML : WN_FMT_TEXT;
}

bool wn_ingest_utf16_bom(const char *body, size_t n)
{
    return utf16_format(body, n) != WN_FMT_AUTO;
}

wn_format wn_ingest_detect(const char *head, size_t n)
{
    wn_format utf16 = utf16_format(head, n);
    if (utf16 != WN_FMT_AUTO)
        return utf16; /* its NULs would read as binary below */
    size_t i = 0;
    if (n >= 3 && !memcmp(head, "\xEF\xBB\xBF", 3))
        i = 3; /* UTF-8 byte-order mark */
    while (i < n && isspace((unsigned char)head[i]))
        i++;
    const char *p = head + i;
    size_t m = n - i;
    if (starts_ci(p, m, "WARC/"))
        return WN_FMT_WARC;
    if (starts_ci(p, m, "filedesc://"))
        return WN_FMT_ARC;
    if (m && p[0] == '{')
        return WN_FMT_JSONL;
    if (starts_ci(p, m, "<!doctype html") || starts_ci(p, m, "<html") || starts_ci(p, m, "<head") ||
        starts_ci(p, m, "<!--") || starts_ci(p, m, "<?xml") || starts_ci(p, m, "<body") ||
        starts_ci(p, m, "<meta") || starts_ci(p, m, "<title"))
        return WN_FMT_HTML;
    /* Text if the head has no NULs and few control characters; anything else is binary. */
    size_t ctrl = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)head[k];
        if (c == 0)
            return WN_FMT_UNKNOWN;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f')
            ctrl++;
    }
    if (n == 0 || ctrl * 100 > n)
        return n == 0 ? WN_FMT_TEXT : WN_FMT_UNKNOWN;
    if (m && p[0] == '<')
        return WN_FMT_HTML;
    return WN_FMT_TEXT;
}

wn_source *wn_ingest_open(const char *path, void *ctx, wn_stats *stats)
{
    const wn_ingest_opts *o = ctx;
    char err[512];
    if (o->format == WN_FMT_JSONL)
        return wn_jsonl_source_open(path, (void *)&o->jsonl, stats);
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        wn_stats_error(stats, "io.open", path, 0, "%s", err);
        return NULL;
    }
    wn_format fmt = o->format;
    if (fmt == WN_FMT_AUTO) {
        const char *head;
        size_t n = wn_in_peek(in, &head, 4096);
        fmt = wn_ingest_detect(head, n);
        if (n == 0 && wn_in_failed(in)) {
            stats->docs_in++;
            wn_stats_error(stats, "io.corrupt_container", path, 0, "%s", wn_in_errmsg(in));
            wn_in_close(in);
            return NULL;
        }
    }
    switch (fmt) {
    case WN_FMT_WARC:
        return wn_warc_source_new(in, o);
    case WN_FMT_ARC:
        return wn_arc_source_new(in, o);
    case WN_FMT_JSONL:
        wn_in_close(in); /* the JSONL reader opens its own stream */
        return wn_jsonl_source_open(path, (void *)&o->jsonl, stats);
    case WN_FMT_HTML:
    case WN_FMT_TEXT:
        return wn_file_source_new(in, fmt, o);
    default:
        stats->docs_in++;
        wn_stats_error(stats, "ingest.unknown_format", path, 0,
                       "not a WARC, ARC, JSONL, HTML or text file (binary content); skipped");
        wn_in_close(in);
        return NULL;
    }
}

int wn_payload_kind(const char *content_type, const char *body, size_t len)
{
    if (content_type && *content_type) {
        if (!strcmp(content_type, "text/html") || !strcmp(content_type, "application/xhtml+xml"))
            return WN_RAW_HTML;
        if (!strcmp(content_type, "text/plain"))
            return WN_RAW_TEXT;
        if (strcmp(content_type, "application/octet-stream") && strcmp(content_type, "unknown/unknown"))
            return -1;
    }
    /* no usable type: sniff */
    wn_format f = wn_ingest_detect(body, len < 1024 ? len : 1024);
    return f == WN_FMT_HTML ? WN_RAW_HTML : f == WN_FMT_TEXT ? WN_RAW_TEXT : -1;
}

bool wn_ingest_parse_length(const char *s, unsigned long long *out)
{
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    *out = strtoull(s, &end, 10);
    return !*end && errno != ERANGE;
}

static void strip_angles(const char **s, size_t *n)
{
    if (*n >= 2 && (*s)[0] == '<' && (*s)[*n - 1] == '>') {
        (*s)++;
        *n -= 2;
    }
}

wn_doc *wn_ingest_emit(wn_batch *batch, const struct wn_payload *p, wn_stats *stats)
{
    wn_doc *d = wn_batch_push(batch);
    const char *id = p->id ? p->id : "";
    size_t idn = strlen(id);
    strip_angles(&id, &idn);
    wn_str_set(&d->id, id, idn);
    if (p->url && *p->url) {
        const char *u = p->url;
        size_t un = strlen(u);
        strip_angles(&u, &un);
        wn_str_set(&d->url, u, un);
    }
    if (p->date)
        wn_str_set(&d->created, p->date, strlen(p->date));
    wn_str_set(&d->source, p->source, strlen(p->source));
    wn_str_set(&d->text, p->body, p->body_len);
    d->raw = p->kind;
    if (p->charset)
        snprintf(d->charset, sizeof d->charset, "%s", p->charset);
    if (p->content_type && *p->content_type)
        wn_doc_meta_set(d, "content_type", json_string(p->content_type));
    d->input_bytes = p->body_len;
    stats->docs_out++;
    stats->bytes_out += p->body_len;
    return d;
}

void wn_ingest_record_verror(wn_stats *stats, const char *kind, const char *path, uint64_t offset,
                             bool decompressed, const char *fmt, va_list ap)
{
    char detail[512];
    vsnprintf(detail, sizeof detail, fmt, ap);
    wn_stats_error(stats, kind, path, offset, "%s%s", detail,
                   decompressed ? " (the offset is in the decompressed data: the record does not "
                                  "start a gzip member or zstd frame of its own)" : "");
}

void wn_ingest_record_error(wn_stats *stats, const char *kind, const char *path, uint64_t offset,
                            bool decompressed, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    wn_ingest_record_verror(stats, kind, path, offset, decompressed, fmt, ap);
    va_end(ap);
}
