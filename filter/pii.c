/* pii.c: e-mail and IP addresses replaced by placeholders and counted (Llama 3 removed
 * PII; Dolma's placeholders are the defaults: "|||EMAIL_ADDRESS|||", "|||IP_ADDRESS|||").
 *
 * Recognised by scanning, not regex loops:
 *   e-mail  local@domain with local in [A-Za-z0-9._%+-], domain labels [A-Za-z0-9-] joined
 *           by dots, the last label alphabetic and >= 2 letters;
 *   IPv4    four dot-separated decimals 0..255 not inside a longer number/dotted run;
 *   IPv6    a run of hex digits and colons (optionally ending in an IPv4) with >= 2 colons,
 *           not touching letters or digits, that inet_pton accepts.
 * Signals: pii.emails, pii.ips. Statistics: counters "pii.seen:<host>" (every document)
 * and "pii.hit:<host>" (documents with PII; chars = addresses found), from which `winnow
 * stats` prints the per-domain PII rate so whole domains can be blocked, as Llama 3 did.
 * The document is never dropped; with --annotate-only its text is left as it was.
 */
#include "filter/filter.h"
#include "core/buf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct pii {
    char *email_repl, *ip_repl;
    bool rewrite, by_domain;
} pii;

static _Thread_local wn_buf out;

static bool local_char(unsigned char c)
{
    return isalnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* E-mail around the '@' at s[at]; sets [*a, *b) and returns true when valid. */
static bool email_at(const char *s, size_t n, size_t at, size_t lo, size_t *a, size_t *b)
{
    size_t i = at;
    while (i > lo && local_char((unsigned char)s[i - 1]))
        i--;
    while (i < at && s[i] == '.')
        i++;
    if (i == at)
        return false;
    size_t j = at + 1;
    while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '.')) {
        if (s[j] == '.' && (s[j - 1] == '.' || s[j - 1] == '@'))
            break;
        j++;
    }
    while (j > at + 1 && (s[j - 1] == '.' || s[j - 1] == '-'))
        j--; /* a sentence's full stop is not part of the address */
    const char *dot = j > at + 1 ? memrchr(s + at + 1, '.', j - at - 1) : NULL;
    if (!dot)
        return false;
    size_t last_dot = (size_t)(dot - s), tld = j - last_dot - 1;
    if (tld < 2)
        return false;
    for (size_t k = last_dot + 1; k < j; k++)
        if (!isalpha((unsigned char)s[k]))
            return false;
    *a = i;
    *b = j;
    return true;
}

/* IPv4 starting at s[i] (a digit not preceded by a digit or '.'). Returns its length or 0. */
static size_t ipv4_at(const char *s, size_t n, size_t i)
{
    size_t j = i;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (j >= n || s[j] != '.')
                return 0;
            j++;
        }
        size_t k = j;
        unsigned v = 0;
        while (k < n && k - j < 4 && isdigit((unsigned char)s[k]))
            v = v * 10 + (unsigned)(s[k++] - '0');
        if (k == j || k - j > 3 || v > 255)
            return 0;
        j = k;
    }
    if (j < n && (isalnum((unsigned char)s[j]) ||
                  (s[j] == '.' && j + 1 < n && isdigit((unsigned char)s[j + 1]))))
        return 0;
    return j - i;
}

static bool hexc(unsigned char c)
{
    return isxdigit(c) || c == ':';
}

/* IPv6 starting at s[i]; returns its length or 0. */
static size_t ipv6_at(const char *s, size_t n, size_t i)
{
    size_t j = i, colons = 0;
    while (j < n && j - i < 46 && (hexc((unsigned char)s[j]) || s[j] == '.')) {
        colons += s[j] == ':';
        j++;
    }
    while (j > i && (s[j - 1] == '.' || (s[j - 1] == ':' && (j - i < 2 || s[j - 2] != ':'))))
        j--;
    if (colons < 2 || j - i < 3 || j - i > 45 || (j < n && isalnum((unsigned char)s[j])))
        return 0;
    char tmp[46];
    memcpy(tmp, s + i, j - i);
    tmp[j - i] = '\0';
    unsigned char addr[16];
    return inet_pton(AF_INET6, tmp, addr) == 1 ? j - i : 0;
}

typedef struct span {
    size_t a, b;
    bool ip;
} span;

static _Thread_local span *spans;
static _Thread_local size_t n_spans, cap_spans;

static void add_span(size_t a, size_t b, bool ip)
{
    if (n_spans == cap_spans) {
        cap_spans = cap_spans ? 2 * cap_spans : 64;
        spans = wn_xrealloc(spans, cap_spans * sizeof *spans);
    }
    spans[n_spans++] = (span){a, b, ip};
}

static int by_start(const void *x, const void *y)
{
    const span *p = x, *q = y;
    return p->a < q->a ? -1 : p->a > q->a;
}

static bool ip_boundary(const char *t, size_t i)
{
    return i == 0 || !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.' || t[i - 1] == ':');
}

/* The first '.' in [q, end) that follows an ASCII digit (t <= q): where an IPv4 address
 * can have its first dot. Prose has a '.' every sentence and rarely a digit before it, so
 * this skips what a memchr per '.' stopped at: 16 bytes a step with SSE2, the dots and the
 * digits one byte before them as two masks. */
static const char *digit_dot(const char *t, const char *q, const char *end)
{
    if (q == t && q < end)
        q++; /* nothing before the first byte */
#if defined(__SSE2__)
    for (; q + 16 <= end; q += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        __m128i d = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(q - 1)),
                                 _mm_set1_epi8('0'));
        /* unsigned x <= 9 is min(x, 9) == x */
        uint32_t digit = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
        uint32_t m = wn_bytes_eq16(v, '.') & digit;
        if (m)
            return q + __builtin_ctz(m);
    }
#endif
    for (; q < end; q++)
        if (*q == '.' && q[-1] >= '0' && q[-1] <= '9')
            return q;
    return NULL;
}

/* Candidates are found from their rare anchor bytes ('@', '.' after a digit, ':'), so
 * text without them costs three scans. */
static void find_spans(const char *t, size_t n)
{
    n_spans = 0;
    if (!n)
        return;
    for (const char *q = t; (q = memchr(q, '@', (size_t)(t + n - q))); q++) {
        size_t a, b;
        if (email_at(t, n, (size_t)(q - t), 0, &a, &b)) {
            add_span(a, b, false);
            q = t + b - 1;
        }
    }
    /* a '.' without a digit before it starts no IPv4 (it needs one there) */
    for (const char *q = t; (q = digit_dot(t, q, t + n)); q++) {
        size_t k = (size_t)(q - t), i = k;
        while (i > 0 && k - i < 3 && isdigit((unsigned char)t[i - 1]))
            i--;
        size_t len = i < k && ip_boundary(t, i) ? ipv4_at(t, n, i) : 0;
        if (len) {
            add_span(i, i + len, true);
            q = t + i + len - 1;
        }
    }
    for (const char *q = t; (q = memchr(q, ':', (size_t)(t + n - q))); q++) {
        size_t k = (size_t)(q - t), i = k;
        while (i > 0 && k - i < 40 && hexc((unsigned char)t[i - 1]))
            i--;
        size_t len = ip_boundary(t, i) ? ipv6_at(t, n, i) : 0;
        if (len) {
            add_span(i, i + len, true);
            q = t + i + len - 1;
        }
    }
    if (n_spans > 1)
        qsort(spans, n_spans, sizeof *spans, by_start);
}

static void pii_doc(void *state, wn_doc *d, wn_stats *s)
{
    const pii *p = state;
    const char *t = d->text.ptr;
    size_t n = d->text.len, emails = 0, ips = 0, copied = 0;
    find_spans(t, n);
    wn_buf_reset(&out);
    for (size_t i = 0; i < n_spans; i++) {
        if (spans[i].a < copied)
            continue; /* overlaps the previous one (an IP inside an address) */
        wn_buf_append(&out, t + copied, spans[i].a - copied);
        wn_buf_appends(&out, spans[i].ip ? p->ip_repl : p->email_repl);
        copied = spans[i].b;
        emails += !spans[i].ip;
        ips += spans[i].ip;
    }
    const wn_text *tx = wn_text_analyze(d);
    wn_filter_signal(d, tx->n_chars, s, "pii.emails", (double)emails, 0, 50);
    wn_filter_signal(d, tx->n_chars, s, "pii.ips", (double)ips, 0, 50);
    if (p->by_domain) {
        wn_filter_count_domain(s, d, "pii.seen:");
        if (emails + ips) {
            char host[256], name[300];
            size_t hn = d->url.len ? wn_url_host(d->url.ptr, d->url.len, host, sizeof host) : 0;
            snprintf(name, sizeof name, "pii.hit:%s", hn ? host : "(no url)");
            wn_stats_count(s, name, 1, 0, emails + ips);
        }
    }
    wn_stats_add(s, "pii.emails", (double)emails);
    wn_stats_add(s, "pii.ips", (double)ips);
    if (!(emails + ips) || !p->rewrite)
        return;
    wn_buf_append(&out, t + copied, n - copied);
    wn_filter_set_text(d, out.data, out.len);
}

static void pii_release(void *state)
{
    pii *f = state;
    free(f->email_repl);
    free(f->ip_repl);
    free(f);
}

wn_stage *wn_filter_pii_new(wn_fparams *p)
{
    pii *f = wn_xcalloc(1, sizeof *f);
    const char *e = wn_fp_str(p, "email_replacement", "|||EMAIL_ADDRESS|||");
    const char *ip = wn_fp_str(p, "ip_replacement", "|||IP_ADDRESS|||");
    f->email_repl = wn_xstrdup(e ? e : "");
    f->ip_repl = wn_xstrdup(ip ? ip : "");
    f->by_domain = wn_fp_bool(p, "stats_by_domain", true);
    f->rewrite = !p->annotate_only;
    return wn_filter_stage_new("pii", f, pii_doc, pii_release);
}
