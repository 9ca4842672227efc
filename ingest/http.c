/* http.c: the HTTP response inside a WARC/ARC record (RFC 9112 message syntax): status
 * line, header fields, then the body, with chunked transfer coding (RFC 9112 §7.1) and
 * gzip / deflate / br content codings removed. Decompression is zlib's and libbrotli's. */
#include "ingest/ingest.h"

#include <brotli/decode.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define MAX_DECODED ((size_t)256 << 20) /* a decompression bomb stops here */

void wn_http_response_release(wn_http_response *r)
{
    wn_buf_release(&r->decoded);
}

/* Find the end of the header section: "\r\n\r\n" or "\n\n". Returns body offset or 0. */
static size_t header_end(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\n')
            continue;
        if (s[i + 1] == '\n')
            return i + 2;
        if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static bool header_value(const char *h, size_t n, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    const char *p = h, *end = h + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && isspace((unsigned char)ve[-1]))
                ve--;
            size_t m = (size_t)(ve - v) < outlen - 1 ? (size_t)(ve - v) : outlen - 1;
            memcpy(out, v, m);
            out[m] = '\0';
            return true;
        }
        p = eol + 1;
    }
    return false;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* A chunk-size line that is only hex digits (RFC 9112 §7.1: chunk-size [chunk-ext] CRLF). */
static bool is_size_line(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && isxdigit((unsigned char)s[k]))
        k++;
    return k > 0 && (k == n || s[k] == ';' || (s[k] == '\r' && k + 1 == n));
}

int wn_http_dechunk(const char *s, size_t n, wn_buf *out)
{
    size_t i = 0;
    for (;;) {
        size_t eol = i;
        while (eol < n && s[eol] != '\n')
            eol++;
        if (eol >= n)
            return out->len ? 1 : -1;
        char *end;
        unsigned long long size = strtoull(s + i, &end, 16);
        if (end == s + i)
            return -1;
        bool sized = is_size_line(s + i, eol - i);
        i = eol + 1;
        if (size == 0)
            return 0; /* trailers, if any, are ignored */
        if (size > n - i) {
            if (!out->len && !sized)
                return -1;
            wn_buf_append(out, s + i, n - i);
            return 1;
        }
        wn_buf_append(out, s + i, size);
        i += size;
        if (i < n && s[i] == '\r')
            i++;
        if (i < n && s[i] == '\n')
            i++;
        if (i >= n)
            return 0; /* tolerate a missing last-chunk */
    }
}

static int inflate_all(const char *s, size_t n, int window, wn_buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, window) != Z_OK)
        return -1;
    zs.next_in = (Bytef *)s;
    zs.avail_in = (uInt)n;
    int rc;
    do {
        wn_buf_grow(out, 65536);
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)(out->cap - out->len - 1);
        rc = inflate(&zs, Z_NO_FLUSH);
        out->len = out->cap - 1 - zs.avail_out;
        if (out->len > MAX_DECODED)
            rc = Z_DATA_ERROR;
    } while (rc == Z_OK && zs.avail_in > 0);
    if (rc == Z_OK && zs.avail_in == 0 && out->len > 0)
        rc = Z_STREAM_END; /* a truncated stream that decoded something: keep it */
    inflateEnd(&zs);
    out->data[out->len] = '\0';
    return rc == Z_STREAM_END ? 0 : -1;
}

static int brotli_all(const char *s, size_t n, wn_buf *out)
{
    BrotliDecoderState *bs = BrotliDecoderCreateInstance(NULL, NULL, NULL);
    if (!bs)
        return -1;
    const uint8_t *in = (const uint8_t *)s;
    size_t avail_in = n;
    BrotliDecoderResult r;
    do {
        wn_buf_grow(out, 65536);
        uint8_t *next_out = (uint8_t *)out->data + out->len;
        size_t avail_out = out->cap - out->len - 1;
        size_t before = avail_out;
        r = BrotliDecoderDecompressStream(bs, &avail_in, &in, &avail_out, &next_out, NULL);
        out->len += before - avail_out;
        if (out->len > MAX_DECODED)
            r = BROTLI_DECODER_RESULT_ERROR;
    } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
    BrotliDecoderDestroyInstance(bs);
    out->data[out->len] = '\0';
    return r == BROTLI_DECODER_RESULT_SUCCESS ? 0 : -1;
}

int wn_http_parse(const char *block, size_t len, wn_http_response *r, char *why, size_t whylen)
{
    memset(r, 0, sizeof *r);
    if (len < 12 || strncmp(block, "HTTP/", 5) != 0) {
        snprintf(why, whylen, "payload does not start with an HTTP status line");
        return -1;
    }
    const char *sp = memchr(block, ' ', len < 32 ? len : 32);
    if (!sp || !isdigit((unsigned char)sp[1])) {
        snprintf(why, whylen, "malformed HTTP status line");
        return -1;
    }
    r->status = atoi(sp + 1);
    size_t body = header_end(block, len);
    if (!body) {
        snprintf(why, whylen, "HTTP headers are not terminated");
        return -1;
    }
    const char *h = block;
    size_t hn = body;
    char v[256];
    if (header_value(h, hn, "Content-Type", v, sizeof v)) {
        size_t n = strcspn(v, ";");
        while (n && isspace((unsigned char)v[n - 1]))
            n--;
        snprintf(r->content_type, sizeof r->content_type, "%.*s", (int)n, v);
        lower(r->content_type);
        const char *cs = strcasestr(v, "charset=");
        if (cs) {
            cs += 8;
            if (*cs == '"' || *cs == '\'')
                cs++;
            snprintf(r->charset, sizeof r->charset, "%.*s", (int)strcspn(cs, "\"'; \t"), cs);
            lower(r->charset);
        }
    }
    r->body = r->stored_body = block + body;
    r->body_len = r->stored_body_len = len - body;

    wn_buf tmp = WN_BUF_INIT;
    if (header_value(h, hn, "Transfer-Encoding", v, sizeof v) && strcasestr(v, "chunked")) {
        int rc = wn_http_dechunk(r->body, r->body_len, &tmp);
        if (rc >= 0) {
            r->chunked = true;
            r->truncated_chunks = rc == 1;
            wn_buf_release(&r->decoded);
            r->decoded = tmp;
            tmp = (wn_buf)WN_BUF_INIT;
            r->body = r->decoded.data ? r->decoded.data : "";
            r->body_len = r->decoded.len;
        } else {
            /* warcio does the same: keep the raw body when the framing is broken */
            r->bad_chunking = true;
            wn_buf_release(&tmp);
        }
    }
    if (header_value(h, hn, "Content-Encoding", v, sizeof v)) {
        lower(v);
        int rc = 0;
        bool known = true;
        wn_buf dec = WN_BUF_INIT;
        if (!strcmp(v, "gzip") || !strcmp(v, "x-gzip"))
            rc = inflate_all(r->body, r->body_len, 15 + 32, &dec);
        else if (!strcmp(v, "deflate")) {
            rc = inflate_all(r->body, r->body_len, 15 + 32, &dec);
            if (rc) { /* some servers send raw deflate without the zlib wrapper */
                wn_buf_reset(&dec);
                rc = inflate_all(r->body, r->body_len, -15, &dec);
            }
        } else if (!strcmp(v, "br"))
            rc = brotli_all(r->body, r->body_len, &dec);
        else
            known = false; /* identity, or a coding we cannot undo: sniffing decides later */
        if (known && rc == 0) {
            wn_buf_release(&r->decoded);
            r->decoded = dec;
            r->body = r->decoded.data ? r->decoded.data : "";
            r->body_len = r->decoded.len;
        } else {
            wn_buf_release(&dec);
            /* wget and others often store the already-decoded body and keep the header:
             * if the body looks like text, keep it; otherwise it is broken. */
            if (known && wn_payload_kind(NULL, r->body, r->body_len) < 0) {
                snprintf(why, whylen, "cannot decode Content-Encoding '%s'", v);
                return -1;
            }
        }
    }
    return 0;
}
