/* filter_helpers.h: building one filter from YAML parameters and running it on a document,
 * for the tests/unit/test_filter_*.c files. */
#ifndef WN_FILTER_HELPERS_H
#define WN_FILTER_HELPERS_H

#include "testutil.h"

#include "core/io.h"
#include "core/jsonl.h"
#include "core/utf8.h"
#include "filter/filter.h"

/* The shipped lists and model: tests run from the repository root (tests/run-unit.sh), and
 * the binaries live in build/tests/, where core/paths.h would not look. */
__attribute__((constructor)) static void filter_test_data_dir(void)
{
    char cwd[4096], dir[4200];
    if (!getenv("WINNOW_DATA") && getcwd(cwd, sizeof cwd)) {
        snprintf(dir, sizeof dir, "%s/data", cwd);
        setenv("WINNOW_DATA", dir, 0);
    }
}

/* A filter from its registry name and YAML parameters ("" for the defaults), built as for
 * `winnow filter --annotate-only` when annotate_only (every signal computed). */
static inline wn_stage *filter_make_mode(const char *name, const char *yaml, bool annotate_only)
{
    char err[512], buf[8192];
    snprintf(buf, sizeof buf, "{name: %s%s%s}", name, *yaml ? ", " : "", yaml);
    json_t *given = wn_yaml_parse(buf, strlen(buf), err, sizeof err);
    assert_non_null(given);
    wn_fparams p;
    wn_fparams_init(&p, name, given, NULL, annotate_only);
    wn_stage *st = wn_filter_find(name)->make(&p);
    if (wn_fparams_finish(&p))
        fail_msg("%s", p.err);
    wn_fparams_release(&p);
    json_decref(given);
    assert_non_null(st);
    return st;
}

/* A filter as `winnow filter` builds it (its rules may stop at the first that fails). */
static inline wn_stage *filter_make(const char *name, const char *yaml)
{
    return filter_make_mode(name, yaml, false);
}

/* Whether d carries the score attribute name. */
static inline bool has_attr(const wn_doc *d, const char *name)
{
    double v;
    return wn_doc_attr_get_score(d, name, &v) == 0;
}

/* Run st on a fresh document with text (s, n) and optional url; returns the drop reason
 * (NULL = kept). The document is left in *d for inspection (release it). */
static inline const char *filter_run(wn_stage *st, wn_doc *d, const char *s, size_t n,
                                     const char *url)
{
    wn_stats stats;
    wn_stats_init(&stats, st->name);
    wn_doc_init(d);
    wn_str_set(&d->text, s, n);
    if (url)
        wn_str_set(&d->url, url, strlen(url));
    wn_text_invalidate();
    st->process_doc(st->state, d, &stats);
    wn_stats_release(&stats);
    return d->drop_reason;
}

static inline double attr(const wn_doc *d, const char *name)
{
    double v = -1;
    if (wn_doc_attr_get_score(d, name, &v))
        fail_msg("attribute '%s' missing", name);
    return v;
}

/* Calls fn on each document of a shared JSONL(.gz) file until it returns nonzero. */
static inline void each_shared_doc(const char *path, int (*fn)(wn_doc *d, void *ctx), void *ctx)
{
    char err[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    const char *line;
    size_t len;
    int stop = 0;
    while (!stop && (line = wn_in_line(in, &len))) {
        wn_doc d;
        wn_doc_init(&d);
        assert_int_equal(wn_jsonl_parse(line, len, NULL, &d, err, sizeof err), 0);
        stop = fn(&d, ctx);
        wn_doc_release(&d);
    }
    wn_in_close(in);
}

static inline const char *meta_str(const wn_doc *d, const char *key)
{
    return json_string_value(json_object_get(d->metadata, key));
}

/* assert_string_equal that does not crash on a NULL reason */
#define assert_reason(got, want)                                                          \
    do {                                                                                  \
        const char *got_ = (got);                                                         \
        if (!got_)                                                                        \
            fail_msg("expected drop reason '%s', document was kept", (want));             \
        assert_string_equal(got_, (want));                                                \
    } while (0)

/* C4's spaces (' ', '\t', '\r', '\v', '\f'), and its sentences byte by byte: runs ending in
 * . ! ? followed by a space, a quote or the end, and a last unfinished one. References for
 * the filter's 16-bytes-at-a-time counts. */
static inline bool ref_c4_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline size_t ref_c4_sentences(const char *p, size_t n)
{
    size_t sentences = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.' || p[i] == '!' || p[i] == '?') {
            bool after = i + 1 == n || ref_c4_space(p[i + 1]) || p[i + 1] == '"' || p[i + 1] == '\'';
            if (in && after) {
                sentences++;
                in = false;
            }
        } else if (!ref_c4_space(p[i])) {
            in = true;
        }
    }
    return sentences + in;
}

#endif
