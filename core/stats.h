/* stats.h: per-stage statistics, kept per thread and merged at the end.
 *
 * A wn_stats holds plain counters (documents and bytes in and out), drops by reason
 * (documents, bytes, characters), errors by kind (count plus the first sample's file,
 * offset and detail), named sums, and named histograms. Names are copied on first use.
 * Counters are uint64_t; sums are double.
 *
 * Reconciliation, which every stage must keep: docs_in == docs_out + sum(drops) + errors
 * that consumed a document. The tests check it on every stats file they write
 * (tests/lib/stats_reconcile.py, run by the docs-example tests, and the audit tests).
 *
 * Threads: one wn_stats per thread (no locking); wn_stats_merge adds one into another.
 * wn_stats_to_json / wn_stats_from_json round-trip through *.stats.json so `winnow stats`
 * can merge shards.
 */
#ifndef WN_STATS_H
#define WN_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wn_count {
    char *name;
    uint64_t docs, bytes, chars;
} wn_count;

typedef struct wn_errkind {
    char *name;
    uint64_t count;
    char *sample_file;
    uint64_t sample_offset;
    char *sample_detail;
} wn_errkind;

typedef struct wn_sum {
    char *name;
    double value;
} wn_sum;

/* Histogram with fixed, named bins: `nbins` equal-width bins over [lo, hi); values below
 * go to bin 0 and above to the last. Fixed bins make shard histograms addable. */
typedef struct wn_hist {
    char *name;
    const char *id; /* the string constant it was last found by (wn_stats_hist_const) */
    double lo, hi;
    int nbins;
    uint64_t *bins;
    uint64_t n;
    double sum;
} wn_hist;

typedef struct wn_stats {
    char *stage;
    uint64_t docs_in, bytes_in, docs_out, bytes_out;
    wn_count *drops;   size_t n_drops;
    wn_errkind *errors; size_t n_errors;
    wn_sum *sums;      size_t n_sums;
    wn_hist *hists;    size_t n_hists;
    wn_count *counts;  size_t n_counts; /* free-form named counters (e.g. per-domain) */
    size_t cap_counts;
    double seconds;
    struct wn_count_index *count_index; /* private: hash index over counts */
} wn_stats;

void wn_stats_init(wn_stats *s, const char *stage);
void wn_stats_release(wn_stats *s);

void wn_stats_drop(wn_stats *s, const char *reason, uint64_t bytes, uint64_t chars);
/* Count an error; the first of each kind keeps its sample and is logged once as a warning
 * with file and offset (later ones are only counted). */
void wn_stats_error(wn_stats *s, const char *kind, const char *file, uint64_t offset,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void wn_stats_add(wn_stats *s, const char *name, double value);
void wn_stats_count(wn_stats *s, const char *name, uint64_t docs, uint64_t bytes, uint64_t chars);
void wn_stats_hist(wn_stats *s, const char *name, double lo, double hi, int nbins, double value);
/* As wn_stats_hist, for a `name` that is a string constant (the same bytes at its address
 * for the life of the process): found by its address, without comparing its bytes (a
 * filter chain adds ~35 signals a document). */
void wn_stats_hist_const(wn_stats *s, const char *name, double lo, double hi, int nbins,
                         double value);
/* The histogram wn_stats_hist_const(s, name, lo, hi, nbins, v) adds v to (made when new),
 * for a caller that finds it itself the next times (the filter chain keeps its index per
 * name: s->hists moves when a histogram is added, and h->id == name says the entry at
 * that index is still name's) and adds with wn_hist_add. */
wn_hist *wn_stats_hist_find_const(wn_stats *s, const char *name, double lo, double hi,
                                  int nbins);
/* Add value to h as wn_stats_hist does: below lo and NaN into the first bin, from hi on into
 * the last. Inline: the filter chain adds ~60 signals a document. */
static inline void wn_hist_add(wn_hist *h, double value)
{
    int b = value != value ? 0 : (int)((value - h->lo) / (h->hi - h->lo) * h->nbins);
    if (value < h->lo)
        b = 0;
    if (b < 0)
        b = 0;
    if (b >= h->nbins)
        b = h->nbins - 1;
    h->bins[b]++;
    h->n++;
    h->sum += value;
}

uint64_t wn_stats_drops_total(const wn_stats *s);
uint64_t wn_stats_errors_total(const wn_stats *s);
/* Value of a named drop/error/sum/count or 0 when absent. */
uint64_t wn_stats_drop_docs(const wn_stats *s, const char *reason);
uint64_t wn_stats_error_count(const wn_stats *s, const char *kind);
double wn_stats_sum(const wn_stats *s, const char *name);

void wn_stats_merge(wn_stats *into, const wn_stats *from);

/* Counters named "<family>:<key>" (one per web domain, say) are bounded: a family of more
 * than `max` keeps the keys that rank among the `max` with most documents in some family
 * (so at most `max` times the number of families), and sums the rest into
 * "<family>:(other)", so totals are unchanged. Statistics are written bounded by
 * WN_STATS_FAMILY_MAX; merging prunes to that when the counters pass 8x that. */
#define WN_STATS_FAMILY_MAX 10000
void wn_stats_prune_counts(wn_stats *s, size_t max);

/* Serialise: {"stage", "docs_in", ..., "drops":{reason:{docs,bytes,chars}}, "errors":{kind:
 * {count, sample:{file, offset, detail}}}, "sums":{}, "counts":{}, "histograms":{}} */
json_t *wn_stats_to_json(const wn_stats *s);
int wn_stats_from_json(wn_stats *s, const json_t *j);
/* How statistics are written (json_dumpf flags). Keys sorted: counters are kept in the order
 * threads first met them, which varies from run to run at -j2; sorted, a rerun differs only
 * in its timings (and float sums merged in another order, past the 10th digit). */
#define WN_STATS_JSON_FLAGS (JSON_INDENT(1) | JSON_REAL_PRECISION(10) | JSON_SORT_KEYS)

/* Write to `path` atomically (WN_STATS_JSON_FLAGS). 0 on success. */
int wn_stats_write(const wn_stats *s, const char *path);

/* The short human summary printed at the end of a command. */
void wn_stats_print_summary(const wn_stats *s, FILE *f);

#endif
