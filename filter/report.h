/* report.h: what `winnow stats` shows about filter runs, beyond the basic table.
 *
 *   wn_filter_report      per stage: signal histograms as quantiles, the domains that lost
 *                         most documents ("lost:<host>" counters), the per-domain PII rate
 *                         ("pii.seen:" / "pii.hit:"), languages ("langid.lang:")
 *   wn_filter_report_json the same quantiles added to `winnow stats --json`
 *   wn_filter_sample      a few removed documents whose "winnow_removed_by" matches REASON
 *   wn_filter_what_if     the cost of a threshold, from stored signals: how many documents
 *                         and bytes fail EXPR, and how many of those the chain had kept
 *
 * All read what earlier runs stored; none reruns a filter. Inputs for sample and what-if are
 * directories or files of JSONL (plain, .gz, .zst); output goes to `f` (text) or is returned
 * as JSON when `json` is non-NULL.
 */
#ifndef WN_FILTER_REPORT_H
#define WN_FILTER_REPORT_H

#include "core/stats.h"

#include <jansson.h>
#include <stdio.h>

/* Print the filter-specific sections for merged stage statistics; `top` rows per list. */
void wn_filter_report(const wn_stats *stages, size_t n, size_t top, FILE *f);

/* Add to each histogram of `stage` (wn_stats_to_json(s)) the quantiles the table prints:
 * "p10", "p50", "p90" as numbers (a bin's lower edge) and "or_more", the names of those in
 * the last bin, which also holds every value above the range ("1960+" in the table). */
void wn_filter_report_json(const wn_stats *s, json_t *stage);

/* Print up to k removed documents (id, url, reason, first 600 characters). Returns the number
 * printed, or -1 when an input cannot be read (message printed). A reason ending in '*'
 * matches as a prefix ("gopher.*"). */
int wn_filter_sample(char *const *paths, size_t n_paths, const char *reason, size_t k, FILE *f);

/* Evaluate each expression over the documents in paths. Returns 0, or -1 on a bad
 * expression or unreadable input (message printed). With json != NULL the result is stored
 * there instead of printed. */
int wn_filter_what_if(char *const *paths, size_t n_paths, char *const *exprs, size_t n_exprs,
                      size_t top, FILE *f, json_t **json);

#endif
