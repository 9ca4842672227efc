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
    size_t j = at + 1, last_dot = 0;
    while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '-' || s[j] == '.')) {
        if (s[j] == '.') {
            if (s[j - 1] == '.' || s[j - 1] == '@')
                break;
            last_dot = j;
        }
        j++;
    }
    while (j > at + 1 && (s[j - 1] == '.' || s[j - 1] == '-'))
        j--;
    if (!last_dot || last_dot >= j)
        return false;
    size_t tld = j - last_dot - 1;
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

static void pii_doc(void *state, wn_doc *d, wn_stats *s)
{
    const pii *p = state;
    const char *t = d->text.ptr;
    size_t n = d->text.len, emails = 0, ips = 0, copied = 0;
    /* most documents hold none of '@', ':' and '.': skip the scan for them */
    bool at = n && memchr(t, '@', n), colon = n && memchr(t, ':', n);
    bool dot = n && memchr(t, '.', n);
    wn_buf_reset(&out);
    for (size_t i = 0; (at || colon || dot) && i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        size_t a = i, b = 0;
        const char *repl = NULL;
        if (c == '@') {
            if (email_at(t, n, i, copied, &a, &b)) {
                repl = p->email_repl;
                emails++;
            }
        } else if (hexc(c) && (i == 0 || !(isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.' ||
                                           t[i - 1] == ':'))) {
            size_t k = dot && isdigit(c) ? ipv4_at(t, n, i) : 0;
            if (!k && colon)
                k = ipv6_at(t, n, i);
            if (k) {
                b = i + k;
                repl = p->ip_repl;
                ips++;
            }
        }
        if (!repl)
            continue;
        wn_buf_append(&out, t + copied, a - copied);
        wn_buf_appends(&out, repl);
        copied = b;
        i = b - 1;
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
