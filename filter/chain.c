/* chain.c: the filter registry, chain building from a config, and shared stage helpers. */
#include "filter/filter.h"
#include "filter/where.h"
#include "core/buf.h"

#include <ctype.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The last field: the filter analyses every document first thing (wn_filter_def). */
const wn_filter_def wn_filter_defs[] = {
    {"c4", wn_filter_c4_new, "C4 line and document rules (Raffel et al. 2020)", true},
    {"fineweb", wn_filter_fineweb_new,
     "FineWeb line punctuation, short lines, duplicates, lists", true},
    {"gopher_quality", wn_filter_gopher_quality_new, "Gopher quality rules (Rae et al. 2021)",
     true},
    {"gopher_repetition", wn_filter_gopher_repetition_new, "Gopher repetition rules", true},
    {"kl_divergence", wn_filter_kl_new,
     "Llama 3 token-distribution KL divergence (word unigrams)", false},
    {"langid", wn_filter_langid_new, "fastText lid.176 language identification", false},
    {"llama3_lines", wn_filter_llama3_lines_new, "Llama 3 duplicated n-gram coverage per line",
     true},
    {"nsfw_words", wn_filter_nsfw_words_new, "LDNOOBW dirty-word counting (Llama 3, C4)", false},
    {"pii", wn_filter_pii_new, "e-mail and IP addresses to placeholders, counted per domain",
     false},
    {"unicode", wn_filter_unicode_new, "NFC normalisation, control characters, invalid UTF-8",
     false},
    {"url", wn_filter_url_new, "URL/domain blocklists and RefinedWeb URL words", false},
    {"where", wn_filter_where_new, "keep documents whose stored signals satisfy 'expr'", false},
    {NULL, NULL, NULL, false},
};

const char *const wn_filter_default_chain[] = {
    "unicode", "url", "langid", "gopher_repetition", "gopher_quality", "c4", "fineweb",
    "llama3_lines", "nsfw_words", "pii", NULL,
};

const wn_filter_def *wn_filter_find(const char *name)
{
    for (const wn_filter_def *d = wn_filter_defs; d->name; d++)
        if (!strcmp(d->name, name))
            return d;
    return NULL;
}

/* ---- a plain stage ---- */

typedef struct plain_stage {
    void (*release)(void *);
} plain_stage;

static void stage_release_free(void *state)
{
    free(state);
}

wn_stage *wn_filter_stage_new(const char *name, void *state,
                              void (*process_doc)(void *, wn_doc *, wn_stats *),
                              void (*release)(void *))
{
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = name;
    st->state = state;
    st->process_doc = process_doc;
    st->release = release ? release : stage_release_free;
    return st;
}

/* ---- the wrapper every chain stage gets: domain accounting and annotate-only ---- */

typedef struct wrap_state {
    wn_stage *inner;
    bool annotate_only;
    char *would_drop_attr; /* "<name>.would_drop" */
    const struct wrap_state *prev; /* the chain's stage before this one (NULL: the first) */
    bool next_analyses; /* the chain's next stage analyses every document first thing */
    bool doc_at_a_time; /* no stage of the chain sees whole batches (wn_text.h) */
} wrap_state;

/* The stage and document this thread ran last: when the next stage is the chain's next
 * on the same document, the text analysis need not be checked again (wn_text_stage_begin). */
static _Thread_local struct {
    const wrap_state *w;
    const wn_doc *d;
} last_run;

void wn_filter_count_domain(wn_stats *s, const wn_doc *d, const char *prefix)
{
    char host[256];
    size_t n = d->url.len ? wn_url_host(d->url.ptr, d->url.len, host, sizeof host) : 0;
    /* prefix + host, copied: pii counts every document, and snprintf cost more than the
     * counting */
    char name[300];
    size_t np = strlen(prefix);
    if (np > sizeof name - sizeof host)
        np = sizeof name - sizeof host; /* with the host's < 256 bytes, name holds it all */
    if (!n)
        n = strlen(strcpy(host, "(no url)"));
    memcpy(name, prefix, np);
    memcpy(name + np, host, n + 1);
    /* the characters from the analysis when the filter had it: pii counts every document */
    wn_stats_count(s, name, 1, d->text.len, wn_text_doc_chars(d));
}

static void wrap_doc(void *state, wn_doc *d, wn_stats *s)
{
    wrap_state *w = state;
    wn_text_stage_begin(d, w->prev && last_run.w == w->prev && last_run.d == d);
    wn_text_stage_next_analyses(w->next_analyses);
    wn_text_stage_doc_at_a_time(w->doc_at_a_time);
    /* the lines of the signals this filter will set (gopher_repetition's 13 span 7) */
    wn_doc_attr_prefetch(d, 16);
    w->inner->process_doc(w->inner->state, d, s);
    bool lost = d->drop_reason && !w->annotate_only;
    if (lost) /* before the release: the filter's analysis, if it had one, has the count */
        wn_filter_count_domain(s, d, "lost:");
    wn_text_release();
    last_run.w = w;
    last_run.d = d;
    if (!d->drop_reason)
        return;
    if (lost) {
        /* the reason names the rule; this names the filter that ran it */
        wn_doc_attr_set_label(d, "winnow.removed_by_filter", w->inner->name);
    } else {
        wn_doc_attr_set_label(d, w->would_drop_attr, d->drop_reason);
        d->drop_reason = NULL;
    }
}

static void wrap_batch(void *state, wn_batch *b, wn_stats *s)
{
    wrap_state *w = state;
    w->inner->process_batch(w->inner->state, b, s);
    wn_text_release();
    last_run.w = NULL;
}

static int wrap_finish(void *state, wn_stats *s)
{
    wrap_state *w = state;
    return w->inner->finish(w->inner->state, s);
}

static void wrap_release(void *state)
{
    wrap_state *w = state;
    wn_stage_free(w->inner);
    free(w->would_drop_attr);
    free(w);
}

static wn_stage *wrap(wn_stage *inner, bool annotate_only, const wn_stage *prev)
{
    wrap_state *w = wn_xcalloc(1, sizeof *w);
    w->inner = inner;
    w->prev = prev ? prev->state : NULL;
    w->annotate_only = annotate_only;
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s.would_drop", inner->name);
    w->would_drop_attr = wn_buf_detach(&b, NULL);
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = inner->name;
    st->state = w;
    st->process_doc = inner->process_doc ? wrap_doc : NULL;
    st->process_batch = inner->process_batch ? wrap_batch : NULL;
    st->finish = inner->finish ? wrap_finish : NULL;
    st->release = wrap_release;
    return st;
}

/* ---- chain ---- */

static int add_stage(wn_filter_chain *c, const json_t *given, const char *base_dir,
                     bool annotate_only, char *err, size_t errlen)
{
    const char *name = given ? json_string_value(json_object_get(given, "name")) : NULL;
    if (!name) {
        snprintf(err, errlen, "each filter needs a 'name'");
        return -1;
    }
    const wn_filter_def *def = wn_filter_find(name);
    if (!def) {
        snprintf(err, errlen, "unknown filter '%s'", name);
        return -1;
    }
    wn_fparams p;
    wn_fparams_init(&p, def->name, given, base_dir, annotate_only);
    wn_stage *st = def->make(&p);
    if (wn_fparams_finish(&p) || !st) {
        snprintf(err, errlen, "%s", p.err[0] ? p.err : "cannot build filter");
        wn_stage_free(st);
        wn_fparams_release(&p);
        return -1;
    }
    json_t *eff = json_object();
    json_object_set_new(eff, "name", json_string(def->name));
    json_object_update(eff, p.effective);
    json_array_append_new(json_object_get(c->effective, "filters"), eff);
    wn_fparams_release(&p);
    if (c->n && def->analyses_first)
        ((wrap_state *)c->stages[c->n - 1]->state)->next_analyses = true;
    c->stages = wn_xrealloc(c->stages, (c->n + 1) * sizeof *c->stages);
    c->stages[c->n] = wrap(st, annotate_only, c->n ? c->stages[c->n - 1] : NULL);
    c->n++;
    return 0;
}

/* How many documents' analyses the filters share (filter/text.h), for a caller that has not
 * said (`winnow filter` does, from its batch size): the runner takes a document through all
 * the filters before the next, so a few slots per thread do, and their memory stays in
 * cache; a filter that sees whole batches (process_batch) splits that pass, and then one
 * slot per document of a batch (the runner's default --batch-size) keeps each analysis.
 * With 1,024 slots for the default chain, the filter bench wrote every analysis to cold
 * memory, which `winnow filter` no longer did: the chain on prose measured ~3% slower. */
static void init_text_cache(const wn_filter_chain *c)
{
    size_t slots = 8 * (size_t)omp_get_max_threads();
    bool doc_at_a_time = true;
    for (size_t i = 0; i < c->n; i++)
        if (c->stages[i]->process_batch) {
            slots = 1024;
            doc_at_a_time = false;
        }
    /* and then each document's analysis reaches all its filters through the trust */
    for (size_t i = 0; i < c->n; i++)
        ((wrap_state *)c->stages[i]->state)->doc_at_a_time = doc_at_a_time;
    wn_text_cache_init(slots);
}

int wn_filter_chain_build(wn_filter_chain *c, const json_t *config, const char *base_dir,
                          bool annotate_only, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->effective = json_object();
    json_object_set_new(c->effective, "filters", json_array());
    if (!config) {
        for (size_t i = 0; wn_filter_default_chain[i]; i++) {
            json_t *g = json_pack("{ss}", "name", wn_filter_default_chain[i]);
            int rc = add_stage(c, g, base_dir, annotate_only, err, errlen);
            json_decref(g);
            if (rc)
                goto fail;
        }
        init_text_cache(c);
        return 0;
    }
    const json_t *filters = json_object_get(config, "filters");
    if (!json_is_array(filters)) {
        snprintf(err, errlen, "the config needs a 'filters' list");
        goto fail;
    }
    size_t i;
    json_t *g;
    json_array_foreach(filters, i, g) {
        if (!json_is_object(g)) {
            snprintf(err, errlen, "filter %zu: expected a mapping", i + 1);
            goto fail;
        }
        if (add_stage(c, g, base_dir, annotate_only, err, errlen))
            goto fail;
    }
    init_text_cache(c);
    return 0;
fail:
    wn_filter_chain_release(c);
    return -1;
}

void wn_filter_chain_release(wn_filter_chain *c)
{
    for (size_t i = 0; i < c->n; i++)
        wn_stage_free(c->stages[i]);
    free(c->stages);
    json_decref(c->effective);
    memset(c, 0, sizeof *c);
}

/* ---- where, as a filter a config can name ---- */

wn_stage *wn_filter_where_new(wn_fparams *p)
{
    const char *expr = wn_fp_str(p, "expr", NULL);
    char err[512];
    wn_where *w = expr ? wn_where_parse(expr, err, sizeof err) : NULL;
    if (!w) {
        wn_fp_fail(p, "%s", expr ? err : "needs 'expr'");
        return NULL;
    }
    return wn_where_stage_new(w);
}

/* ---- helpers ---- */

/* Each signal name's attribute hash and histogram, by the name's address: the names are
 * string constants (as wn_stats_hist_const finds their histograms), so a name is hashed
 * once per thread, not per document (~60 names a document, ~50 instructions each with its
 * strlen), and its histogram is the one at the index kept here while that entry is still
 * the name's (wn_stats_hist_find_const), without wn_stats_hist_const's call and search.
 * Open addressing without eviction: the program has a few dozen such names, and a name
 * that finds no place within a few slots is hashed and looked up every time (correct,
 * only slower). */
enum { SIGNAL_SLOTS = 256, SIGNAL_PROBES = 8 };
typedef struct signal_slot {
    const char *name;
    uint32_t hash;
    uint32_t hist;         /* the index of name's histogram in stats's */
    const wn_stats *stats; /* the statistics the name last added to on this thread */
} signal_slot;
static _Thread_local signal_slot signal_slots[SIGNAL_SLOTS];

/* name's slot, or NULL when it has no place */
static signal_slot *signal_of(const char *name)
{
    size_t i = (size_t)(((uintptr_t)name * 0x9E3779B97F4A7C15ull) >> 56) % SIGNAL_SLOTS;
    for (int probe = 0; probe < SIGNAL_PROBES; probe++, i = (i + 1) % SIGNAL_SLOTS) {
        signal_slot *g = &signal_slots[i];
        if (g->name == name)
            return g;
        if (!g->name) {
            *g = (signal_slot){name, wn_doc_attr_name_hash(name), 0, NULL};
            return g;
        }
    }
    return NULL;
}

void wn_filter_signal(wn_doc *d, size_t n_chars, wn_stats *s, const char *name, double v,
                      double lo, double hi)
{
    signal_slot *g = signal_of(name);
    if (!g) {
        wn_stats_hist_const(s, name, lo, hi, 50, v);
        wn_doc_attr_set_signal_hashed(d, name, wn_doc_attr_name_hash(name), n_chars, v);
        return;
    }
    wn_hist *h;
    if (g->stats == s && g->hist < s->n_hists && s->hists[g->hist].id == name) {
        h = &s->hists[g->hist];
    } else {
        h = wn_stats_hist_find_const(s, name, lo, hi, 50);
        g->stats = s;
        g->hist = (uint32_t)(h - s->hists);
    }
    wn_hist_add(h, v);
    wn_doc_attr_set_signal_hashed(d, name, g->hash, n_chars, v);
}

size_t wn_url_host_span(const char *url, size_t n, const char **host, size_t *host_len)
{
    const char *p = url, *end = url + n;
    const char *scheme = memmem(url, n, "://", 3);
    if (scheme)
        p = scheme + 3;
    const char *h = p;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    const char *hend = p;
    const char *at = memrchr(h, '@', (size_t)(hend - h));
    if (at)
        h = at + 1;
    const char *colon = memchr(h, ':', (size_t)(hend - h));
    if (colon && h < hend && *h != '[')
        hend = colon;
    while (hend > h && hend[-1] == '.')
        hend--;
    *host = h;
    *host_len = (size_t)(hend - h);
    return (size_t)(p - url);
}

size_t wn_url_host(const char *url, size_t n, char *out, size_t cap)
{
    const char *h;
    size_t hn, k = 0;
    wn_url_host_span(url, n, &h, &hn);
    for (; k < hn && k + 1 < cap; k++)
        out[k] = (char)tolower((unsigned char)h[k]);
    if (cap)
        out[k] = '\0';
    return k;
}

void wn_filter_set_text(wn_doc *d, const char *s, size_t n)
{
    /* shorter (c4 and llama3_lines drop lines): over the old text, which the document owns,
     * sparing a malloc, a free of the old text and, for c4, a cache-cold destination. The
     * document keeps the old allocation until it is released. */
    if (d->text.ptr && n < d->text.len) {
        memmove(d->text.ptr, s, n); /* (s, n) may point into the old text */
        d->text.ptr[n] = '\0';
        d->text.len = n;
        wn_text_invalidate();
        return;
    }
    /* copy first: (s, n) may point into the old text */
    char *copy = wn_xmalloc(n + 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    wn_str_take(&d->text, copy, n);
    wn_text_invalidate();
}
