/* filter.h: the filter families as core stages, the registry that builds them by name from
 * a config, and the helpers they share.
 *
 * Each family lives in its own file and has one constructor taking wn_fparams (params.h):
 * the constructor reads its parameters (published defaults, overridable), and returns a
 * stage, or NULL with p->err set. Its process_doc computes signals, stores them in the
 * document's attributes ("gopher.mean_word_length": [[0, n_chars, value]]), adds them to the
 * stage's histograms, and drops the document with a static reason string
 * ("gopher.mean_word_length") when a threshold fails. Stored signals let `--where` (where.h)
 * apply other thresholds later without recomputing.
 *
 * Usage:
 *   wn_filter_chain chain;
 *   if (wn_filter_chain_build(&chain, config_or_NULL, base_dir, annotate_only, err, len)) ...
 *   ... run chain.stages[0 .. chain.n) with the runner ...
 *   wn_filter_chain_release(&chain);   (frees stages the runner did not take)
 */
#ifndef WN_FILTER_FILTER_H
#define WN_FILTER_FILTER_H

#include "core/doc.h"
#include "core/stage.h"
#include "core/stats.h"
#include "filter/params.h"
#include "filter/text.h"

#include <jansson.h>
#include <stdbool.h>

typedef wn_stage *(*wn_filter_ctor)(wn_fparams *p);

/* true (the default): filters built afterwards use their AVX2 paths where the CPU has AVX2
 * (c4's line scan); tests set it false to check the baseline paths too. */
extern bool wn_filter_use_avx2;

typedef struct wn_filter_def {
    const char *name;
    wn_filter_ctor make;
    const char *summary;
    /* its process_doc begins with wn_text_analyze(d): the filter before it in a chain may
     * have that analysis made for it (wn_text_next_doc_chars) */
    bool analyses_first;
} wn_filter_def;

/* The registry, sorted by name, terminated by a zero entry. */
extern const wn_filter_def wn_filter_defs[];
const wn_filter_def *wn_filter_find(const char *name);

/* Names of the default chain (the Llama 3 recipe's filters as winnow reads it), in order,
 * NULL-terminated. configs/filters/llama3.yaml spells the same chain out. */
extern const char *const wn_filter_default_chain[];

typedef struct wn_filter_chain {
    wn_stage **stages;
    size_t n;
    json_t *effective; /* {"filters":[{name, params...}]}: what runs, defaults filled in */
} wn_filter_chain;

/* Build from `config` ({"filters":[...]}, NULL = default chain). `base_dir` resolves
 * relative list paths (NULL = data dir). With annotate_only every stage keeps documents:
 * a drop becomes the attribute "<stage>.would_drop" = reason. 0, or -1 with err set. */
int wn_filter_chain_build(wn_filter_chain *c, const json_t *config, const char *base_dir,
                          bool annotate_only, char *err, size_t errlen);
void wn_filter_chain_release(wn_filter_chain *c);

/* A stage around process_doc with state freed by release (which may be NULL = free). */
wn_stage *wn_filter_stage_new(const char *name, void *state,
                              void (*process_doc)(void *, wn_doc *, wn_stats *),
                              void (*release)(void *));

/* Store a document-level signal [[0, n_chars, v]] (`name`: an ASCII string constant, kept by
 * pointer: wn_doc_attr_set_signal) and add it to the stage's histogram named `name` with 50
 * equal bins over [lo, hi). */
void wn_filter_signal(wn_doc *d, size_t n_chars, wn_stats *s, const char *name, double v,
                      double lo, double hi);

/* Host of a URL in lowercase without port or userinfo ("" when there is none). Writes at
 * most cap-1 bytes into out; returns the host length. */
size_t wn_url_host(const char *url, size_t n, char *out, size_t cap);
/* The same as a span of the URL, as written: *host, *host_len; returns the offset where the
 * path (or query, or fragment) starts, n when there is none. */
size_t wn_url_host_span(const char *url, size_t n, const char **host, size_t *host_len);

/* Replace d's text with (s, n) (copied; over the old text when shorter) and invalidate the
 * shared text analysis. */
void wn_filter_set_text(wn_doc *d, const char *s, size_t n);

/* Count a dropped document under "<prefix><host>" so `winnow stats` can show the domains
 * that lost most; called by the chain wrapper. */
void wn_filter_count_domain(wn_stats *s, const wn_doc *d, const char *prefix);

/* The slots of a per-thread table cleared for each document: the power of two from
 * `least` up that holds `want`. wn_filter_table_renew: must a table of `have` slots be
 * allocated again for `cap`? When too small, or huge (over 65,536 slots and 64 times what
 * is wanted): a huge document's memory is given back and later small ones stay in cache. */
static inline size_t wn_filter_table_cap(size_t least, size_t want)
{
    size_t cap = least;
    while (cap < want)
        cap <<= 1;
    return cap;
}
static inline bool wn_filter_table_renew(size_t have, size_t cap)
{
    return cap > have || (have > 65536 && have > cap * 64);
}

/* The families' constructors. */
wn_stage *wn_filter_gopher_quality_new(wn_fparams *p);
wn_stage *wn_filter_gopher_repetition_new(wn_fparams *p);
wn_stage *wn_filter_c4_new(wn_fparams *p);
wn_stage *wn_filter_fineweb_new(wn_fparams *p);
wn_stage *wn_filter_llama3_lines_new(wn_fparams *p);
wn_stage *wn_filter_kl_new(wn_fparams *p);
wn_stage *wn_filter_nsfw_words_new(wn_fparams *p);
wn_stage *wn_filter_url_new(wn_fparams *p);
wn_stage *wn_filter_pii_new(wn_fparams *p);
wn_stage *wn_filter_unicode_new(wn_fparams *p);
wn_stage *wn_filter_langid_new(wn_fparams *p);
wn_stage *wn_filter_where_new(wn_fparams *p);

#endif
