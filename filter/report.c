/* report.c: filter statistics a person can act on; see report.h. */
#include "filter/report.h"
#include "filter/filter.h"
#include "filter/where.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* ---- merged statistics ---- */

/* The q-quantile as the lower edge of the bin holding it: exact to one bin width, and 0 (not
 * half a bin) when most values are 0, as most repetition signals are. The last bin also holds
 * every value above the range, so a quantile there is "this or more" (or_more). */
typedef struct quantile {
    double value;
    bool or_more;
} quantile;

static quantile hist_quantile(const wn_hist *h, double q)
{
    if (!h->n)
        return (quantile){0.0, false};
    double target = q * (double)h->n, cum = 0.0, width = (h->hi - h->lo) / h->nbins;
    for (int i = 0; i < h->nbins; i++) {
        cum += (double)h->bins[i];
        if (cum >= target && h->bins[i])
            return (quantile){h->lo + (double)i * width, i == h->nbins - 1};
    }
    return (quantile){h->hi, true};
}

static const struct {
    const char *name;
    double q;
} quantiles[] = {{"p10", 0.1}, {"p50", 0.5}, {"p90", 0.9}};
enum { N_QUANTILES = sizeof quantiles / sizeof quantiles[0] };

/* One table cell: "1960+" for a quantile in the open last bin. */
static const char *quantile_cell(const wn_hist *h, double q, char *cell, size_t size)
{
    quantile x = hist_quantile(h, q);
    snprintf(cell, size, "%.4g%s", x.value, x.or_more ? "+" : "");
    return cell;
}

void wn_filter_report_json(const wn_stats *s, json_t *stage)
{
    json_t *hists = json_object_get(stage, "histograms");
    for (size_t i = 0; i < s->n_hists; i++) {
        const wn_hist *h = &s->hists[i];
        json_t *o = json_object_get(hists, h->name), *or_more = json_array();
        if (!o) {
            json_decref(or_more);
            continue;
        }
        for (size_t k = 0; k < N_QUANTILES; k++) {
            quantile x = hist_quantile(h, quantiles[k].q);
            json_object_set_new(o, quantiles[k].name, json_real(x.value));
            if (x.or_more)
                json_array_append_new(or_more, json_string(quantiles[k].name));
        }
        json_object_set_new(o, "or_more", or_more);
    }
}

typedef struct row {
    const char *name;
    uint64_t docs, bytes, extra;
    double rate;
} row;

static int by_docs(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->docs != y->docs)
        return x->docs > y->docs ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_rate(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->rate != y->rate)
        return x->rate > y->rate ? -1 : 1;
    return by_docs(a, b);
}

/* Counters named "<prefix><key>" as rows (name points after the prefix). */
static row *prefixed(const wn_stats *s, const char *prefix, size_t *n)
{
    size_t k = strlen(prefix), cnt = 0;
    row *r = wn_xcalloc(s->n_counts + 1, sizeof *r);
    for (size_t i = 0; i < s->n_counts; i++)
        if (!strncmp(s->counts[i].name, prefix, k))
            r[cnt++] = (row){s->counts[i].name + k, s->counts[i].docs, s->counts[i].bytes,
                             s->counts[i].chars, 0.0};
    *n = cnt;
    return r;
}

static const wn_count *find_count(const wn_stats *s, const char *name)
{
    for (size_t i = 0; i < s->n_counts; i++)
        if (!strcmp(s->counts[i].name, name))
            return &s->counts[i];
    return NULL;
}

/* PII rows: domains with PII, rate = documents with PII / documents seen. */
static row *pii_rows(const wn_stats *s, size_t *n)
{
    row *r = prefixed(s, "pii.hit:", n);
    for (size_t i = 0; i < *n; i++) {
        char name[320];
        snprintf(name, sizeof name, "pii.seen:%s", r[i].name);
        const wn_count *seen = find_count(s, name);
        r[i].bytes = r[i].extra; /* addresses found (the counter's chars) */
        r[i].extra = seen ? seen->docs : r[i].docs;
        r[i].rate = r[i].extra ? (double)r[i].docs / (double)r[i].extra : 0.0;
    }
    qsort(r, *n, sizeof *r, by_rate);
    return r;
}

void wn_filter_report(const wn_stats *stages, size_t n, size_t top, FILE *f)
{
    for (size_t si = 0; si < n; si++) {
        const wn_stats *s = &stages[si];
        if (s->n_hists) {
            fprintf(f, "\n%s: signals (documents, mean, p10 / p50 / p90)\n", s->stage);
            for (size_t i = 0; i < s->n_hists; i++) {
                const wn_hist *h = &s->hists[i];
                char c10[32], c50[32], c90[32];
                fprintf(f, "  %-36s %10llu  %10.4g  %10s / %10s / %10s\n", h->name,
                        (unsigned long long)h->n, h->n ? h->sum / (double)h->n : 0.0,
                        quantile_cell(h, 0.1, c10, sizeof c10), quantile_cell(h, 0.5, c50, sizeof c50),
                        quantile_cell(h, 0.9, c90, sizeof c90));
            }
        }
        size_t nr;
        row *r = prefixed(s, "lost:", &nr);
        qsort(r, nr, sizeof *r, by_docs);
        if (nr)
            fprintf(f, "\n%s: domains that lost most (documents, bytes)\n", s->stage);
        for (size_t i = 0; i < nr && i < top; i++)
            fprintf(f, "  %-40s %10llu %14llu\n", r[i].name, (unsigned long long)r[i].docs,
                    (unsigned long long)r[i].bytes);
        free(r);
        r = pii_rows(s, &nr);
        if (nr)
            fprintf(f, "\n%s: PII rate by domain (documents with PII / documents, addresses)\n",
                    s->stage);
        for (size_t i = 0; i < nr && i < top; i++)
            fprintf(f, "  %-40s %6.1f%%  %8llu / %-8llu %8llu\n", r[i].name, 100.0 * r[i].rate,
                    (unsigned long long)r[i].docs, (unsigned long long)r[i].extra,
                    (unsigned long long)r[i].bytes);
        free(r);
        r = prefixed(s, "langid.lang:", &nr);
        qsort(r, nr, sizeof *r, by_docs);
        if (nr)
            fprintf(f, "\n%s: languages (documents, bytes)\n", s->stage);
        for (size_t i = 0; i < nr && i < top; i++)
            fprintf(f, "  %-12s %10llu %14llu\n", r[i].name, (unsigned long long)r[i].docs,
                    (unsigned long long)r[i].bytes);
        free(r);
    }
}

static json_t *rows_json(row *r, size_t n, size_t top, bool rate)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n && i < top; i++) {
        json_t *o = json_pack("{s:s, s:I, s:I}", "name", r[i].name, "docs", (json_int_t)r[i].docs,
                              rate ? "addresses" : "bytes", (json_int_t)r[i].bytes);
        if (rate) {
            json_object_set_new(o, "docs_seen", json_integer((json_int_t)r[i].extra));
            json_object_set_new(o, "rate", json_real(r[i].rate));
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* ---- reading stored documents ---- */

static bool jsonl_name(const char *p)
{
    return strstr(p, ".jsonl") != NULL;
}

typedef int (*doc_fn)(wn_doc *d, void *ctx); /* nonzero stops */

/* Lines of the stored documents that could not be read, and files cut short by corrupt
 * data: said on stderr with file and place, and counted in what the commands print, so a
 * figure computed over part of the input never passes for the whole. */
typedef struct unreadable {
    uint64_t records, files;
} unreadable;

static void report_unreadable(const unreadable *u, FILE *f)
{
    if (u->records || u->files)
        fprintf(f, "unreadable: %llu records and %llu files cut short by corrupt data, not in the "
                   "figures (see the warnings)\n",
                (unsigned long long)u->records, (unsigned long long)u->files);
}

static int each_doc(char *const *paths, size_t n_paths, doc_fn fn, void *ctx, unreadable *u)
{
    char **files;
    size_t n_files;
    if (wn_expand_inputs((char **)paths, n_paths, &files, &n_files))
        return -1;
    int rc = 0, stop = 0;
    for (size_t i = 0; i < n_files && !stop; i++) {
        if (!jsonl_name(files[i]))
            continue;
        char err[256];
        wn_in *in = wn_in_open(files[i], WN_COMP_AUTO, err, sizeof err);
        if (!in) {
            wn_error("cannot open '%s': %s", files[i], err);
            rc = -1;
            break;
        }
        const char *line;
        size_t len;
        uint64_t line_no = 0, bad = 0;
        while (!stop && (line = wn_in_line(in, &len))) {
            line_no++;
            wn_doc d;
            wn_doc_init(&d);
            if (len && !wn_jsonl_parse(line, len, NULL, &d, err, sizeof err))
                stop = fn(&d, ctx);
            else if (len && bad++ == 0)
                wn_warn("'%s' line %llu: %s (skipped)", files[i], (unsigned long long)line_no, err);
            wn_doc_release(&d);
        }
        if (bad > 1)
            wn_warn("'%s': %llu more unreadable lines skipped", files[i], (unsigned long long)(bad - 1));
        if (wn_in_failed(in)) {
            wn_warn("'%s': %s; the rest of the file is skipped", files[i], wn_in_errmsg(in));
            u->files++;
        }
        u->records += bad;
        wn_in_close(in);
    }
    wn_free_strv(files, n_files);
    return rc;
}

static const char *removed_by(const wn_doc *d)
{
    const json_t *v = d->metadata ? json_object_get(d->metadata, "winnow_removed_by") : NULL;
    return v ? json_string_value(v) : wn_doc_attr_get_string(d, "winnow_removed_by");
}

typedef struct sample_ctx {
    const char *reason;
    size_t k, shown;
    FILE *f;
} sample_ctx;

static bool reason_matches(const char *pattern, const char *reason)
{
    size_t k = strlen(pattern);
    if (k && pattern[k - 1] == '*')
        return !strncmp(pattern, reason, k - 1);
    return !strcmp(pattern, reason);
}

static int sample_one(wn_doc *d, void *ctx)
{
    sample_ctx *c = ctx;
    const char *r = removed_by(d);
    if (!r || !reason_matches(c->reason, r))
        return 0;
    fprintf(c->f, "--- %s  %.*s  %.*s\n", r, (int)d->id.len, d->id.ptr ? d->id.ptr : "",
            (int)d->url.len, d->url.ptr ? d->url.ptr : "");
    size_t show = d->text.len < 600 ? d->text.len : 600;
    while (show < d->text.len && show > 0 && ((unsigned char)d->text.ptr[show] & 0xC0) == 0x80)
        show--; /* do not cut a UTF-8 sequence */
    fwrite(d->text.ptr, 1, show, c->f);
    fprintf(c->f, "%s\n", show < d->text.len ? " [...]" : "");
    return ++c->shown >= c->k;
}

int wn_filter_sample(char *const *paths, size_t n_paths, const char *reason, size_t k, FILE *f)
{
    sample_ctx c = {reason, k, 0, f};
    unreadable u = {0, 0};
    if (each_doc(paths, n_paths, sample_one, &c, &u))
        return -1;
    report_unreadable(&u, f);
    return (int)c.shown;
}

/* ---- what if ---- */

typedef struct whatif {
    wn_where *w;
    uint64_t docs, bytes, fail_docs, fail_bytes, marginal_docs, marginal_bytes,
        rescued_docs, rescued_bytes, missing;
    wn_stats domains; /* "lost:<host>" for the marginal documents */
} whatif;

typedef struct whatif_ctx {
    whatif *w;
    size_t n;
} whatif_ctx;

/* The reasons a stored document was (or would have been) dropped for: winnow_removed_by of
 * a --removed output, and every "<stage>.would_drop" of an --annotate-only output. Returns
 * how many; *other tells whether one of them is a rule EXPR does not decide again. */
static size_t drop_reasons(wn_doc *d, const wn_where *w, bool *other)
{
    size_t n = 0;
    const char *r = removed_by(d);
    *other = false;
    if (r) {
        n++;
        *other |= !wn_where_decides(w, r);
    }
    const char *k;
    json_t *v;
    json_t *attributes = wn_doc_attr_json(d);
    if (attributes)
        json_object_foreach(attributes, k, v) {
            size_t len = strlen(k);
            if (len > 11 && !strcmp(k + len - 11, ".would_drop") && json_is_string(v)) {
                n++;
                *other |= !wn_where_decides(w, json_string_value(v));
            }
        }
    return n;
}

static int whatif_one(wn_doc *d, void *ctx)
{
    whatif_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++) {
        whatif *w = &c->w[i];
        bool missing, other;
        wn_where_note_present(w->w, d);
        bool pass = wn_where_eval(w->w, d, &missing);
        size_t reasons = drop_reasons(d, w->w, &other);
        w->docs++;
        w->bytes += d->text.len;
        w->missing += missing;
        if (!pass) {
            w->fail_docs++;
            w->fail_bytes += d->text.len;
        }
        if (other)
            continue; /* another filter family removes it whatever EXPR says */
        if (!pass) {
            w->marginal_docs++;
            w->marginal_bytes += d->text.len;
            wn_filter_count_domain(&w->domains, d, "lost:");
        } else if (reasons) {
            w->rescued_docs++; /* only rules EXPR re-decides dropped it, and EXPR keeps it */
            w->rescued_bytes += d->text.len;
        }
    }
    return 0;
}

static double pct(uint64_t a, uint64_t b)
{
    return b ? 100.0 * (double)a / (double)b : 0.0;
}

int wn_filter_what_if(char *const *paths, size_t n_paths, char *const *exprs, size_t n_exprs,
                      size_t top, FILE *f, json_t **json)
{
    whatif *w = wn_xcalloc(n_exprs, sizeof *w);
    int rc = 0;
    for (size_t i = 0; i < n_exprs; i++) {
        char err[512];
        wn_stats_init(&w[i].domains, "what-if");
        if (!(w[i].w = wn_where_parse(exprs[i], err, sizeof err))) {
            wn_error("--what-if: %s", err);
            rc = -1;
        }
    }
    whatif_ctx c = {w, n_exprs};
    unreadable u = {0, 0};
    if (!rc)
        rc = each_doc(paths, n_paths, whatif_one, &c, &u);
    if (!rc && !json)
        report_unreadable(&u, f);
    if (json && !rc)
        *json = json_array();
    for (size_t i = 0; i < n_exprs && !rc; i++) {
        whatif *x = &w[i];
        size_t nr;
        row *r = prefixed(&x->domains, "lost:", &nr);
        qsort(r, nr, sizeof *r, by_docs);
        if (json) {
            json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                "expr", exprs[i], "docs", (json_int_t)x->docs, "bytes", (json_int_t)x->bytes,
                "fail_docs", (json_int_t)x->fail_docs, "fail_bytes", (json_int_t)x->fail_bytes,
                "removed_only_by_expr_docs", (json_int_t)x->marginal_docs,
                "removed_only_by_expr_bytes", (json_int_t)x->marginal_bytes,
                "kept_by_expr_docs", (json_int_t)x->rescued_docs,
                "kept_by_expr_bytes", (json_int_t)x->rescued_bytes,
                "missing_attribute", (json_int_t)x->missing);
            json_object_set_new(o, "unreadable_records", json_integer((json_int_t)u.records));
            json_object_set_new(o, "unreadable_files", json_integer((json_int_t)u.files));
            json_t *names = json_array();
            for (size_t k = 0; wn_where_absent_name(x->w, k); k++)
                json_array_append_new(names, json_string(wn_where_absent_name(x->w, k)));
            json_object_set_new(o, "absent_attributes", names);
            json_object_set_new(o, "domains", rows_json(r, nr, top, false));
            json_array_append_new(*json, o);
        } else {
            fprintf(f, "what if: %s\n", exprs[i]);
            fprintf(f, "  documents read               %10llu  %14llu bytes\n",
                    (unsigned long long)x->docs, (unsigned long long)x->bytes);
            fprintf(f, "  fail EXPR                    %10llu  %14llu bytes  (%.2f%% docs, %.2f%% bytes)\n",
                    (unsigned long long)x->fail_docs, (unsigned long long)x->fail_bytes,
                    pct(x->fail_docs, x->docs), pct(x->fail_bytes, x->bytes));
            fprintf(f, "  removed by EXPR alone        %10llu  %14llu bytes  (the other filters keep them)\n",
                    (unsigned long long)x->marginal_docs, (unsigned long long)x->marginal_bytes);
            fprintf(f, "  kept by EXPR, were dropped   %10llu  %14llu bytes  (only for the signals EXPR names)\n",
                    (unsigned long long)x->rescued_docs, (unsigned long long)x->rescued_bytes);
            if (i > 0)
                fprintf(f, "  versus the first EXPR        %+10lld  %+14lld bytes removed\n",
                        (long long)x->marginal_docs - (long long)w[0].marginal_docs,
                        (long long)x->marginal_bytes - (long long)w[0].marginal_bytes);
            if (x->missing)
                fprintf(f, "  attribute missing in         %10llu documents (counted as failing)\n",
                        (unsigned long long)x->missing);
            wn_buf absent = WN_BUF_INIT;
            if (wn_where_absent_names(x->w, &absent))
                fprintf(f, "  no document has %s (a misspelled signal?)\n", absent.data);
            wn_buf_release(&absent);
            if (nr)
                fprintf(f, "  domains losing most to EXPR alone:\n");
            for (size_t k = 0; k < nr && k < top; k++)
                fprintf(f, "    %-40s %8llu docs %12llu bytes\n", r[k].name,
                        (unsigned long long)r[k].docs, (unsigned long long)r[k].bytes);
        }
        free(r);
    }
    for (size_t i = 0; i < n_exprs; i++) {
        wn_where_free(w[i].w);
        wn_stats_release(&w[i].domains);
    }
    free(w);
    return rc;
}
