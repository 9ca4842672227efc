/* cmd_dedup.c: `winnow dedup url|exact|minhash|line|semantic INPUT... -o OUTDIR`.
 *
 * The document-level methods run as five phases with files between them (docs/dedup.md);
 * --phase runs one of them (for a distributed run), the default runs them all here. */
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "core/runner.h"
#include "dedup/eval.h"
#include "dedup/extsort.h"
#include "dedup/fingerprint.h"
#include "dedup/index.h"
#include "dedup/lines.h"
#include "dedup/minhash.h"
#include "dedup/remove.h"
#include "dedup/sem_files.h"
#include "dedup/semantic.h"
#include "dedup/uidsource.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dedup_cli {
    wn_common_opts common;
    char **all;                /* every input, sorted: uids index into it */
    size_t n_all;
    const char *method_name;
    wn_dedup_config cfg;
    char config[WN_DEDUP_CONFIG_MAX + 1];
    const char *phase;         /* sign|bands|merge|cluster|remove|all */
    const char *state;         /* state directory */
    wn_buf state_buf;
    uint64_t mem_bytes;
    unsigned parts;
    int keep;                  /* -1 = method default */
    const char *clusters_tsv;
    double verify;             /* 0 = off */
    const char *index_in, *index_out;
    const char *removed_dir;
    wn_jsonl_opts jsonl;
    wn_lines_config lines;
    wn_sem_config sem;
} dedup_cli;

static void usage(FILE *f)
{
    fprintf(f,
"usage: winnow dedup url|exact|minhash INPUT... -o OUTDIR [options]\n"
"       winnow dedup line INPUT... -o OUTDIR [--bucket-docs N] [--max-repeats K] [--ccnet]\n"
"       winnow dedup semantic INPUT... -o OUTDIR [--embeddings FILE --dim D] [--k K] [--eps E]\n"
"                     [--phase embed|kmeans|assign|select|apply|all] [--memory SIZE]\n"
"       winnow dedup eval STATE_DIR PAIRS.tsv [NAME]   (recall/precision vs exact Jaccard)\n"
"\n"
"document-level (url, exact, minhash):\n"
"  --phase P          sign|bands|merge|cluster|remove|all (default all); see docs/dedup.md\n"
"  --state DIR        phase files (default OUTDIR/state)\n"
"  --memory SIZE      external-sort budget per process (default 1G)\n"
"  --parts P          band-key partitions (default 1); merge --shard I/N takes P%%N==I\n"
"  --bands B --rows R --ngram N --seed S   MinHash LSH (default 14 x 8, 5-grams, seed 1)\n"
"  --keep RULE        earliest|latest|first (default: earliest; url: latest)\n"
"  --clusters FILE    write 'document id<TAB>cluster' for every clustered document\n"
"  --verify J         keep only candidate pairs with exact word n-gram Jaccard >= J\n"
"  --index DIR        also deduplicate against a saved index (its documents stay)\n"
"  --index-out DIR    save the signatures of the kept documents as an index\n"
"  --removed DIR      write removed documents there (with winnow_removed_by)\n"
"  --text-field F     JSON key of the text (default text)\n"
"line (Llama 3 / CCNet line-level):\n"
"  --phase P          hash|count|apply|all (default all)\n"
"  --bucket-docs N    documents per bucket (default 30000000)\n"
"  --max-repeats K    remove lines seen more than K times in a bucket (default 6)\n"
"  --ccnet            remove every repeat of a line, keep its first occurrence\n"
"  --index-out DIR    save the line counts of these inputs; --index DIR counts them too\n"
"semantic (SemDeDup):\n"
"  --embeddings FILE  float32 .npy (n x d) or raw float32 rows (with --dim); default: the\n"
"                     built-in hashed TF-IDF random projection (--dim, default 256)\n"
"  --k K              k-means clusters (default: sqrt(n))\n"
"  --eps E            drop documents with cosine > 1 - E to a kept one (default 0.05)\n"
"  --iterations N     k-means iterations (default 20)\n"
"  --kmeans-sample N  rows k-means trains on (default 256 per cluster, at most half of\n"
"                     --memory); --memory also bounds sorting and selection\n"
"  --seed S, --clusters FILE, --removed DIR, --state DIR  as above\n"
"common: --shard I/N -j N --quiet --force --compression C --batch-size N\n"
"        --max-record-size S (a longer JSONL line is skipped and counted; default 256M)\n");
}

enum {
    OPT_PHASE = 0x100, OPT_STATE, OPT_MEMORY, OPT_PARTS, OPT_BANDS, OPT_ROWS, OPT_NGRAM,
    OPT_SEED, OPT_KEEP, OPT_CLUSTERS, OPT_VERIFY, OPT_INDEX, OPT_INDEX_OUT, OPT_REMOVED,
    OPT_TEXT_FIELD, OPT_BUCKET, OPT_MAXREP, OPT_CCNET, OPT_EMB, OPT_DIM, OPT_K, OPT_EPS,
    OPT_ITER, OPT_SAMPLE, OPT_HELP,
};

static const struct option own_options[] = {
    {"phase", required_argument, NULL, OPT_PHASE},
    {"state", required_argument, NULL, OPT_STATE},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"parts", required_argument, NULL, OPT_PARTS},
    {"bands", required_argument, NULL, OPT_BANDS},
    {"rows", required_argument, NULL, OPT_ROWS},
    {"ngram", required_argument, NULL, OPT_NGRAM},
    {"seed", required_argument, NULL, OPT_SEED},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"clusters", required_argument, NULL, OPT_CLUSTERS},
    {"verify", required_argument, NULL, OPT_VERIFY},
    {"index", required_argument, NULL, OPT_INDEX},
    {"index-out", required_argument, NULL, OPT_INDEX_OUT},
    {"removed", required_argument, NULL, OPT_REMOVED},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"bucket-docs", required_argument, NULL, OPT_BUCKET},
    {"max-repeats", required_argument, NULL, OPT_MAXREP},
    {"ccnet", no_argument, NULL, OPT_CCNET},
    {"embeddings", required_argument, NULL, OPT_EMB},
    {"dim", required_argument, NULL, OPT_DIM},
    {"k", required_argument, NULL, OPT_K},
    {"eps", required_argument, NULL, OPT_EPS},
    {"iterations", required_argument, NULL, OPT_ITER},
    {"kmeans-sample", required_argument, NULL, OPT_SAMPLE},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static int parse_uint(const char *opt, const char *arg, unsigned long long max,
                      unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!*arg || *end || v > max || arg[0] == '-' || errno == ERANGE) {
        wn_error("bad --%s '%s': expected a number up to %llu", opt, arg, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* A count that must not be 0 (a 0 used to exit 2 without a word). */
static int parse_positive(const char *opt, const char *arg, unsigned long long max,
                          unsigned long long *out)
{
    if (parse_uint(opt, arg, max, out))
        return -1;
    if (*out == 0) {
        wn_error("bad --%s '%s': expected a number from 1 to %llu", opt, arg, max);
        return -1;
    }
    return 0;
}

static int parse_double(const char *opt, const char *arg, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (!*arg || *end || !(v >= lo && v <= hi)) {
        wn_error("bad --%s '%s': expected a number in [%g, %g]", opt, arg, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static char *state_path(const dedup_cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *state_path(const dedup_cli *c, const char *fmt, ...)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/", c->state);
    va_list ap;
    va_start(ap, fmt);
    wn_buf_vappendf(&b, fmt, ap);
    va_end(ap);
    return wn_buf_detach(&b, NULL);
}

/* wn_dedup_glob of a pattern inside the state directory. */
static void glob_state(const dedup_cli *c, const char *pattern, char ***out, size_t *n)
{
    char *pat = state_path(c, "%s", pattern);
    wn_dedup_glob(pat, out, n);
    free(pat);
}

static bool phase_is(const dedup_cli *c, const char *p)
{
    return !strcmp(c->phase, "all") || !strcmp(c->phase, p);
}

/* Remove the files of `pattern` in the state directory (stale runs of an earlier run). */
static void remove_state(const dedup_cli *c, const char *pattern)
{
    char *pat = state_path(c, "%s", pattern);
    wn_dedup_remove_glob(pat);
    free(pat);
}

/* --phase all starts from a clean state directory, so nothing of an earlier run mixes in. */
static void clean_state(const dedup_cli *c)
{
    static const char *patterns[] = {
        "sig-*.wsig", "docs-*.wdoc", "files-*.wfl", "sign-*.stats.json", "bands-*.wbk",
        "edges-*.wed", "edges-verified.wev", "clusters.wcl", "remove.wrm", "cluster.json",
        "lines-*.wlh", "lineruns-*", "lineset.wls", "lines.json", "semantic-remove.wrm",
        "semantic.json", "sem-*", "fprint-*.wfp",
    };
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) remove_state(c, patterns[i]);
}

/* The per-shard files of phase 1 must come from one run: N files, shards 0..N-1 of N.
 * Returns N, or 0 after an error message. */
static unsigned check_shard_files(const dedup_cli *c, const char *pattern, wn_dedup_kind kind,
                                  const char *config)
{
    char **v;
    size_t n;
    glob_state(c, pattern, &v, &n);
    unsigned count = 0, missing = UINT_MAX;
    bool ok = n > 0;
    char err[1024];
    for (size_t i = 0; i < n && ok; i++) {
        wn_dedup_file *f = wn_dedup_file_open(v[i], kind, config, err, sizeof err);
        if (!f) {
            wn_error("%s", err);
            ok = false;
            break;
        }
        const wn_dedup_header *h = wn_dedup_file_header(f);
        if (i == 0) count = h->shard_count;
        if (h->shard_count == count && h->shard_index > i) {
            missing = (unsigned)i; /* files sort by shard: a gap in one run's files */
            ok = false;
        } else if (h->shard_count != count || h->shard_index != i) {
            wn_error("'%s' holds files of different runs ('%s' is part %u of %u, %zu such "
                     "files): give every phase the same --shard count / --parts, or use a "
                     "fresh --state directory", c->state, v[i], h->shard_index,
                     h->shard_count, n);
            ok = false;
        }
        wn_dedup_file_close(f);
    }
    if (ok && n && n < count)
        missing = (unsigned)n; /* shards 0..n-1 of one run, the last ones not there yet */
    if (missing < count) {
        /* a shard not done yet, which used to be called "files of different runs" too */
        wn_error("'%s' has %zu of the %u '%s' files of this run (part %u of %u is missing): "
                 "run the earlier phase for every shard (or partition) first", c->state, n,
                 count, pattern, missing, count);
        ok = false;
    }
    if (n == 0) wn_error("no '%s' in '%s': run the first phase first", pattern, c->state);
    wn_free_strv(v, n);
    return ok ? count : 0;
}

/* ---- document-level phases ---- */

static int phase_sign(dedup_cli *c)
{
    unsigned n = c->common.shard.count, first = c->common.shard.index, last = first;
    if (!strcmp(c->phase, "all")) { first = 0; last = n - 1; }
    for (unsigned s = first; s <= last; s++) {
        wn_dedup_sign_opts o = {
            .config = &c->cfg, .all_inputs = c->all, .n_all_inputs = c->n_all,
            .shard_index = s, .shard_count = n, .outdir = c->state, .jsonl = &c->jsonl,
            .batch_docs = c->common.batch_docs,
        };
        wn_stats st;
        wn_stats_init(&st, "dedup.sign");
        char err[1024];
        int rc = wn_dedup_sign_shard(&o, &st, err, sizeof err);
        if (rc) wn_error("%s", err);
        else {
            /* the runner's layout, so `winnow stats OUTDIR` lists it */
            char *sp = state_path(c, "sign-%05u.stats.json", s);
            char shard[64];
            snprintf(shard, sizeof shard, "%u/%u", s, n);
            json_t *j = json_pack("{s:s,s:s,s:s,s:[o]}", "command", "dedup-sign", "method",
                                  c->method_name, "shard", shard, "stages", wn_stats_to_json(&st));
            rc = wn_json_write_file(sp, j, JSON_INDENT(1));
            free(sp);
            if (!c->common.quiet)
                wn_info("dedup %s: shard %u/%u: %llu documents signed", c->method_name, s, n,
                        (unsigned long long)st.docs_out);
        }
        wn_stats_release(&st);
        if (rc) return WN_EXIT_FAILURE;
    }
    return 0;
}

static int phase_bands(dedup_cli *c)
{
    char **sigs = NULL;
    size_t n_sigs = 0;
    if (!strcmp(c->phase, "all")) {
        glob_state(c, "sig-*.wsig", &sigs, &n_sigs);
    } else {
        char *p = state_path(c, "sig-%05u.wsig", c->common.shard.index);
        wn_strv_push(&sigs, &n_sigs, p);
        free(p);
    }
    if (strcmp(c->phase, "all")) { /* runs of an earlier try of this task */
        char pat[64];
        snprintf(pat, sizeof pat, "bands-s%05u-*.wbk", c->common.shard.index);
        remove_state(c, pat);
        if (c->common.shard.index == 0) remove_state(c, "bands-s655*.wbk");
    }
    if (c->index_in && (c->common.shard.index == 0 || !strcmp(c->phase, "all")))
        wn_dedup_index_sig_files(c->index_in, &sigs, &n_sigs);
    int rc = 0;
    for (size_t i = 0; i < n_sigs && rc == 0; i++) {
        char **runs = NULL;
        size_t n_runs = 0;
        char err[1024];
        if (wn_dedup_emit_bands(sigs[i], c->config, c->parts, c->mem_bytes, c->state, &runs,
                                &n_runs, err, sizeof err)) {
            wn_error("%s", err);
            rc = WN_EXIT_FAILURE;
        }
        wn_free_strv(runs, n_runs);
    }
    wn_free_strv(sigs, n_sigs);
    return rc;
}

static int phase_merge(dedup_cli *c)
{
    bool all = !strcmp(c->phase, "all");
    unsigned n_sign = check_shard_files(c, "sig-*.wsig", WN_DEDUP_KIND_SIGNATURES, c->config);
    if (!n_sign) return WN_EXIT_FAILURE;
    for (unsigned p = 0; p < c->parts; p++) {
        if (!all && p % c->common.shard.count != c->common.shard.index) continue;
        char *pat = state_path(c, "bands-s*-p%05u-r*.wbk", p);
        char **found, **runs = NULL;
        size_t n_found, n_runs = 0;
        wn_dedup_glob(pat, &found, &n_found);
        free(pat);
        /* runs of this run's sign shards and of the index (shard 65536 + generation) only */
        for (size_t i = 0; i < n_found; i++) {
            const char *b = strrchr(found[i], '/');
            unsigned sh = (unsigned)strtoul((b ? b + 1 : found[i]) + strlen("bands-s"), NULL, 10);
            if (sh < n_sign || sh >= 65536) wn_strv_push(&runs, &n_runs, found[i]);
        }
        wn_free_strv(found, n_found);
        char *edges = state_path(c, "edges-p%05u.wed", p);
        char err[1024];
        uint64_t n_edges = 0;
        int rc = wn_dedup_merge_bands_part(runs, n_runs, c->config, p, c->parts, edges,
                                           &n_edges, err, sizeof err);
        if (rc) wn_error("%s", err);
        free(edges);
        wn_free_strv(runs, n_runs);
        if (rc) return WN_EXIT_FAILURE;
    }
    return 0;
}

static void write_cluster_json(const dedup_cli *c, const wn_dedup_cluster_result *r,
                               uint64_t verified_kept, uint64_t verified_dropped)
{
    json_t *j = json_object();
    json_object_set_new(j, "method", json_string(c->method_name));
    json_object_set_new(j, "config", json_string(c->config));
    json_object_set_new(j, "documents", json_integer((json_int_t)r->docs));
    json_object_set_new(j, "clustered", json_integer((json_int_t)r->clustered));
    json_object_set_new(j, "clusters", json_integer((json_int_t)r->clusters));
    json_object_set_new(j, "removed", json_integer((json_int_t)r->removed));
    json_object_set_new(j, "removed_bytes", json_integer((json_int_t)r->removed_bytes));
    if (c->verify > 0) {
        json_object_set_new(j, "verify_threshold", json_real(c->verify));
        json_object_set_new(j, "verified_edges_kept", json_integer((json_int_t)verified_kept));
        json_object_set_new(j, "verified_edges_dropped",
                            json_integer((json_int_t)verified_dropped));
    }
    json_t *h = json_object();
    for (int k = 1; k < 17; k++) {
        if (!r->size_hist[k]) continue;
        char label[64];
        if (k == 16) snprintf(label, sizeof label, ">=%llu", 1ull << k);
        else snprintf(label, sizeof label, "%llu-%llu", 1ull << k, (1ull << (k + 1)) - 1);
        json_object_set_new(h, label, json_integer((json_int_t)r->size_hist[k]));
    }
    json_object_set_new(j, "cluster_size_histogram", h);
    char *path = state_path(c, "cluster.json");
    wn_json_write_file(path, j, JSON_INDENT(1)); /* prints its own error */
    free(path);
}

static int phase_cluster(dedup_cli *c)
{
    char **edges, **docs;
    size_t n_edges, n_docs;
    /* one run's documents and every partition of one run's edges, nothing else */
    if (!check_shard_files(c, "docs-*.wdoc", WN_DEDUP_KIND_DOCS, c->config) ||
        !check_shard_files(c, "edges-p*.wed", WN_DEDUP_KIND_EDGES, c->config))
        return WN_EXIT_FAILURE;
    glob_state(c, "edges-p*.wed", &edges, &n_edges);
    glob_state(c, "docs-*.wdoc", &docs, &n_docs);
    char err[1024];
    int rc = 0;
    uint64_t vk = 0, vd = 0;
    if (c->verify > 0) {
        char *out = state_path(c, "edges-verified.wev");
        rc = wn_dedup_verify_edges(edges, n_edges, c->all, c->n_all, &c->jsonl, &c->cfg,
                                   c->verify, out, &vk, &vd, err, sizeof err);
        wn_free_strv(edges, n_edges);
        edges = NULL;
        n_edges = 0;
        wn_strv_push(&edges, &n_edges, out);
        free(out);
    }
    char *clusters = state_path(c, "clusters.wcl"), *remove = state_path(c, "remove.wrm");
    wn_dedup_cluster_result r;
    wn_dedup_keep keep = c->keep >= 0 ? (wn_dedup_keep)c->keep
                         : c->cfg.method == WN_DEDUP_URL ? WN_KEEP_LATEST : WN_KEEP_EARLIEST;
    if (rc == 0)
        rc = wn_dedup_cluster(edges, n_edges, docs, n_docs, c->config, keep, clusters, remove,
                              c->clusters_tsv, &r, err, sizeof err);
    if (rc) wn_error("%s", err);
    else {
        write_cluster_json(c, &r, vk, vd);
        if (!c->common.quiet)
            wn_info("dedup %s: %llu documents, %llu in %llu clusters, %llu to remove "
                    "(%.1f MB)", c->method_name, (unsigned long long)r.docs,
                    (unsigned long long)r.clustered, (unsigned long long)r.clusters,
                    (unsigned long long)r.removed, r.removed_bytes / 1e6);
    }
    if (rc == 0 && c->index_out) { /* the kept documents' signatures, for later runs */
        char **sigs;
        size_t n_sigs;
        glob_state(c, "sig-*.wsig", &sigs, &n_sigs);
        rc = wn_dedup_index_save(c->index_out, c->index_in, sigs, n_sigs, remove, c->config,
                                 err, sizeof err);
        if (rc) wn_error("%s", err);
        wn_free_strv(sigs, n_sigs);
    }
    free(clusters);
    free(remove);
    wn_free_strv(edges, n_edges);
    wn_free_strv(docs, n_docs);
    return rc ? WN_EXIT_FAILURE : 0;
}

static const char *removal_reason(wn_dedup_method m)
{
    return m == WN_DEDUP_MINHASH ? "dedup.minhash" : m == WN_DEDUP_EXACT ? "dedup.exact"
                                                                         : "dedup.url";
}

/* Streams this shard (or, for --phase all, every shard) through `stage_fn`'s stage. */
static int run_streaming(dedup_cli *c, const char *command, wn_stage *stage,
                         wn_dedup_uids *uids)
{
    wn_stage *stages[] = {stage};
    unsigned first = c->common.shard.index, last = first;
    if (!strcmp(c->phase, "all")) { first = 0; last = c->common.shard.count - 1; }
    int rc = 0;
    for (unsigned s = first; s <= last && rc == 0; s++) {
        wn_common_opts common = c->common;
        common.shard.index = s;
        common.inputs = wn_xcalloc(c->n_all + 1, sizeof *common.inputs);
        common.n_inputs = 0;
        for (size_t k = s; k < c->n_all; k += common.shard.count)
            common.inputs[common.n_inputs++] = c->all[k];
        wn_run_opts ro = {.command = command, .common = &common,
                          .open = wn_dedup_uid_source_open, .open_ctx = uids,
                          .stages = stages, .n_stages = 1, .removed_dir = c->removed_dir,
                          .method = c->method_name};
        wn_run_result res;
        rc = wn_run(&ro, &res);
        wn_run_print_summary(&ro, &res);
        wn_run_result_release(&res);
        free(common.inputs);
    }
    return rc ? WN_EXIT_FAILURE : 0;
}

/* The inputs this run's shards read are those the first phase read (fingerprint.h): an
 * input edited in place would have other documents at the places the state names. Not
 * checked by --phase all, whose first phase just read them. */
static bool inputs_unchanged(dedup_cli *c, const char *config)
{
    if (!strcmp(c->phase, "all"))
        return true;
    unsigned first = c->common.shard.index, last = first;
    char **tables;
    size_t n_tables;
    glob_state(c, "fprint-*.wfp", &tables, &n_tables);
    char err[1024];
    int rc = wn_dedup_fprint_check(tables, n_tables, config, c->all, c->n_all, first, last,
                                   c->common.shard.count, err, sizeof err);
    wn_free_strv(tables, n_tables);
    if (rc)
        wn_error("%s", err);
    return rc == 0;
}

/* Phase 5 for any removal file: stream the inputs, drop its uids with `reason`. */
static int remove_listed(dedup_cli *c, const char *remove_path, const char *config,
                         const char *reason)
{
    char err[1024];
    if (!inputs_unchanged(c, config))
        return WN_EXIT_FAILURE;
    wn_dedup_removal *r = wn_dedup_removal_load(remove_path, config, err, sizeof err);
    if (!r) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    wn_dedup_uids uids;
    wn_dedup_uids_init(&uids, c->all, c->n_all, &c->jsonl, 0);
    wn_stage *st = wn_dedup_remove_stage(r, &uids, reason);
    char **tables;
    size_t n_tables;
    glob_state(c, "files-*.wfl", &tables, &n_tables);
    uint64_t *signed_records = wn_dedup_signed_records(tables, n_tables, config, c->n_all);
    wn_free_strv(tables, n_tables);
    wn_dedup_remove_check_inputs(st, signed_records);
    int rc = run_streaming(c, "dedup", st, &uids);
    wn_stage_free(st);
    free(signed_records);
    wn_dedup_uids_release(&uids);
    wn_dedup_removal_free(r);
    return rc;
}

/* A phase run before the one that writes its input: say which phase to run, not only
 * "cannot open". */
static bool have_state_file(const char *path, const char *writer_phase)
{
    if (access(path, F_OK) == 0 || errno != ENOENT)
        return true;
    wn_error("no '%s': run --phase %s first", path, writer_phase);
    return false;
}

static int phase_remove(dedup_cli *c)
{
    char *remove = state_path(c, "remove.wrm");
    int rc = have_state_file(remove, "cluster")
                 ? remove_listed(c, remove, c->config, removal_reason(c->cfg.method))
                 : WN_EXIT_FAILURE;
    free(remove);
    return rc;
}

static int run_documents(dedup_cli *c)
{
    static const char *phases[] = {"sign", "bands", "merge", "cluster", "remove", "all"};
    bool ok = false;
    for (size_t i = 0; i < sizeof phases / sizeof *phases; i++) ok |= !strcmp(c->phase, phases[i]);
    if (!ok) {
        wn_error("bad --phase '%s': expected sign, bands, merge, cluster, remove or all",
                 c->phase);
        return WN_EXIT_USAGE;
    }
    char err[512];
    if (wn_dedup_config_text(&c->cfg, c->config, sizeof c->config, err, sizeof err)) {
        wn_error("%s", err);
        return WN_EXIT_USAGE;
    }
    if (c->verify > 0 && c->cfg.method != WN_DEDUP_MINHASH) {
        wn_error("--verify applies to minhash only");
        return WN_EXIT_USAGE;
    }
    if (!strcmp(c->phase, "all")) clean_state(c);
    int rc = 0;
    if (phase_is(c, "sign")) rc = phase_sign(c);
    if (!rc && phase_is(c, "bands")) rc = phase_bands(c);
    if (!rc && phase_is(c, "merge")) rc = phase_merge(c);
    if (!rc && phase_is(c, "cluster")) rc = phase_cluster(c);
    if (!rc && phase_is(c, "remove")) rc = phase_remove(c);
    return rc;
}

/* ---- line-level and semantic ---- */

static int run_lines(dedup_cli *c)
{
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_lines_config_text(&c->lines, config, sizeof config);
    char err[1024];
    bool all = !strcmp(c->phase, "all");
    if (!all && strcmp(c->phase, "hash") && strcmp(c->phase, "count") && strcmp(c->phase, "apply")) {
        wn_error("bad --phase '%s' for line: expected hash, count, apply or all", c->phase);
        return WN_EXIT_USAGE;
    }
    if (all) clean_state(c);
    if (all || !strcmp(c->phase, "hash")) {
        unsigned first = all ? 0 : c->common.shard.index;
        unsigned last = all ? c->common.shard.count - 1 : first;
        for (unsigned s = first; s <= last; s++) {
            wn_lines_hash_opts o = {c->all, c->n_all, s, c->common.shard.count, c->state,
                                    &c->jsonl, c->mem_bytes, config, NULL};
            if (wn_lines_hash_shard(&o, NULL, err, sizeof err)) {
                wn_error("%s", err);
                return WN_EXIT_FAILURE;
            }
        }
    }
    if (all || !strcmp(c->phase, "count")) {
        char **lf, **ff;
        size_t n_lf, n_ff;
        if (!check_shard_files(c, "lines-*.wlh", WN_DEDUP_KIND_LINES, config) ||
            !check_shard_files(c, "files-*.wfl", WN_DEDUP_KIND_FILES, config))
            return WN_EXIT_FAILURE;
        glob_state(c, "lines-*.wlh", &lf, &n_lf);
        glob_state(c, "files-*.wfl", &ff, &n_ff);
        char *set = state_path(c, "lineset.wls");
        wn_lines_count_result r;
        enum { TOP = 20 };
        wn_dedup_lineset_rec top[TOP];
        int rc = wn_lines_count_index(lf, n_lf, ff, n_ff, c->index_in, &c->lines, config, set,
                                      &r, top, TOP, err, sizeof err);
        if (rc == 0 && c->index_out)
            rc = wn_lines_index_save(c->index_out, c->index_in, lf, n_lf, config, err, sizeof err);
        if (rc) wn_error("%s", err);
        else if (!c->common.quiet)
            wn_info("dedup line: %u bucket(s), %llu distinct lines, %llu to remove "
                    "(%llu occurrences)", r.buckets, (unsigned long long)r.distinct_lines,
                    (unsigned long long)r.removable_lines,
                    (unsigned long long)r.removable_occurrences);
        free(set);
        wn_free_strv(lf, n_lf);
        wn_free_strv(ff, n_ff);
        if (rc) return WN_EXIT_FAILURE;
    }
    if (all || !strcmp(c->phase, "apply")) {
        char **ff;
        size_t n_ff;
        glob_state(c, "files-*.wfl", &ff, &n_ff);
        char *set = state_path(c, "lineset.wls");
        if (!have_state_file(set, "count")) {
            free(set);
            wn_free_strv(ff, n_ff);
            return WN_EXIT_FAILURE;
        }
        if (!inputs_unchanged(c, config)) {
            free(set);
            wn_free_strv(ff, n_ff);
            return WN_EXIT_FAILURE;
        }
        wn_dedup_uids uids;
        wn_dedup_uids_init(&uids, c->all, c->n_all, &c->jsonl, 0);
        char *report = state_path(c, "lines.json");
        wn_stage *st = wn_lines_stage_new(set, ff, n_ff, &c->lines, config, &uids, report, err,
                                          sizeof err);
        free(report);
        free(set);
        wn_free_strv(ff, n_ff);
        int rc = 0;
        if (!st) {
            wn_error("%s", err);
            rc = WN_EXIT_FAILURE;
        } else {
            rc = run_streaming(c, "dedup", st, &uids);
        }
        wn_stage_free(st);
        wn_dedup_uids_release(&uids);
        if (rc) return rc;
    }
    return 0;
}

/* SemDeDup: four phases with files in the state directory (dedup/semantic.h), then the
 * common removal stage. */
static int run_semantic(dedup_cli *c)
{
    static const char *phases[] = {"embed", "kmeans", "assign", "select", "apply", "all"};
    bool ok = false;
    for (size_t i = 0; i < sizeof phases / sizeof *phases; i++) ok |= !strcmp(c->phase, phases[i]);
    if (!ok) {
        wn_error("bad --phase '%s' for semantic: expected embed, kmeans, assign, select, apply "
                 "or all", c->phase);
        return WN_EXIT_USAGE;
    }
    if (!strcmp(c->phase, "all")) clean_state(c);
    char err[1024];
    wn_sem_state st = {c->state, c->mem_bytes};
    int rc = 0;
    if (phase_is(c, "embed"))
        rc = wn_sem_embed_phase(&c->sem, &st, c->all, c->n_all, &c->jsonl, err, sizeof err);
    if (!rc && phase_is(c, "kmeans")) rc = wn_sem_kmeans_phase(&c->sem, &st, err, sizeof err);
    if (!rc && phase_is(c, "assign")) rc = wn_sem_assign_phase(&c->sem, &st, err, sizeof err);
    if (!rc && phase_is(c, "select"))
        rc = wn_sem_select_phase(&c->sem, &st, c->clusters_tsv, err, sizeof err);
    if (rc) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    if (!phase_is(c, "apply")) return 0;
    char config[WN_DEDUP_CONFIG_MAX + 1];
    wn_sem_config_text(&c->sem, config, sizeof config);
    char *remove = wn_sem_path(&st, WN_SEM_REMOVE);
    rc = have_state_file(remove, "select") ? remove_listed(c, remove, config, "dedup.semantic")
                                           : WN_EXIT_FAILURE;
    free(remove);
    return rc;
}

/* `winnow dedup eval STATE_DIR PAIRS.tsv [NAME]`: the evaluation table (dedup/eval.h). */
static int run_eval(int argc, char **argv)
{
    if (argc < 3) {
        wn_error("usage: winnow dedup eval STATE_DIR PAIRS.tsv [NAME]");
        return WN_EXIT_USAGE;
    }
    /* the run's config is in its signature files */
    char **sigs = NULL;
    size_t n = 0;
    char err[1024];
    wn_buf pat = WN_BUF_INIT;
    wn_buf_appendf(&pat, "%s/sig-*.wsig", argv[1]);
    wn_dedup_glob(pat.data, &sigs, &n);
    wn_buf_release(&pat);
    if (!n) {
        wn_error("no signature files in '%s'", argv[1]);
        return WN_EXIT_USAGE;
    }
    wn_dedup_file *f = wn_dedup_file_open(sigs[0], WN_DEDUP_KIND_SIGNATURES, NULL, err, sizeof err);
    wn_free_strv(sigs, n);
    if (!f) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    char config[WN_DEDUP_CONFIG_MAX + 1];
    snprintf(config, sizeof config, "%s", wn_dedup_file_header(f)->config);
    wn_dedup_file_close(f);
    if (wn_dedup_eval(argv[1], argv[2], config, argc > 3 ? argv[3] : argv[2], stdout, err,
                      sizeof err)) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    return WN_EXIT_OK;
}

int cmd_dedup(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? WN_EXIT_USAGE : WN_EXIT_OK;
    }
    dedup_cli c;
    memset(&c, 0, sizeof c);
    c.method_name = argv[1];
    enum { M_DOC, M_LINE, M_SEM } kind = M_DOC;
    if (!strcmp(argv[1], "eval")) return run_eval(argc - 1, argv + 1);
    if (!strcmp(argv[1], "minhash")) wn_dedup_config_default(&c.cfg, WN_DEDUP_MINHASH);
    else if (!strcmp(argv[1], "exact")) wn_dedup_config_default(&c.cfg, WN_DEDUP_EXACT);
    else if (!strcmp(argv[1], "url")) wn_dedup_config_default(&c.cfg, WN_DEDUP_URL);
    else if (!strcmp(argv[1], "line")) kind = M_LINE;
    else if (!strcmp(argv[1], "semantic")) kind = M_SEM;
    else {
        wn_error("unknown dedup method '%s': expected url, exact, minhash, line or semantic",
                 argv[1]);
        return WN_EXIT_USAGE;
    }
    wn_common_init(&c.common);
    wn_lines_config_default(&c.lines);
    wn_sem_config_default(&c.sem);
    c.phase = "all";
    c.mem_bytes = (uint64_t)1 << 30;
    c.parts = 1;
    c.keep = -1;
    struct option *opts = wn_merge_long_options(own_options);
    int opt, rc = WN_EXIT_USAGE;
    unsigned long long u;
    argc--;
    argv++;
    optind = 1;
    while ((opt = getopt_long(argc, argv, WN_COMMON_SHORT "h", opts, NULL)) != -1) {
        int r = wn_common_getopt(&c.common, opt, optarg);
        if (r < 0) goto out;
        if (r > 0) continue;
        switch (opt) {
        case OPT_PHASE: c.phase = optarg; break;
        case OPT_STATE: c.state = optarg; break;
        case OPT_MEMORY:
            if (wn_parse_size(optarg, &c.mem_bytes) || c.mem_bytes < 4096) {
                wn_error("bad --memory '%s': expected a size such as 512M (at least 4K)", optarg);
                goto out;
            }
            break;
        case OPT_PARTS:
            if (parse_positive("parts", optarg, 65536, &u)) goto out;
            c.parts = (unsigned)u;
            break;
        case OPT_BANDS:
            if (parse_uint("bands", optarg, WN_MH_MAX_VALUES, &u)) goto out;
            c.cfg.bands = (unsigned)u;
            break;
        case OPT_ROWS:
            if (parse_uint("rows", optarg, WN_MH_MAX_VALUES, &u)) goto out;
            c.cfg.rows = (unsigned)u;
            break;
        case OPT_NGRAM:
            if (parse_uint("ngram", optarg, 64, &u)) goto out;
            c.cfg.ngram = (unsigned)u;
            break;
        case OPT_SEED:
            if (parse_uint("seed", optarg, UINT64_MAX, &u)) goto out;
            c.cfg.seed = u;
            c.sem.seed = u;
            break;
        case OPT_KEEP:
            if (!strcmp(optarg, "earliest")) c.keep = WN_KEEP_EARLIEST;
            else if (!strcmp(optarg, "latest")) c.keep = WN_KEEP_LATEST;
            else if (!strcmp(optarg, "first")) c.keep = WN_KEEP_FIRST;
            else {
                wn_error("bad --keep '%s': expected earliest, latest or first", optarg);
                goto out;
            }
            break;
        case OPT_CLUSTERS: c.clusters_tsv = optarg; break;
        case OPT_VERIFY:
            if (parse_double("verify", optarg, 0.0, 1.0, &c.verify)) goto out;
            break;
        case OPT_INDEX: c.index_in = optarg; break;
        case OPT_INDEX_OUT: c.index_out = optarg; break;
        case OPT_REMOVED: c.removed_dir = optarg; break;
        case OPT_TEXT_FIELD: c.jsonl.text_field = optarg; break;
        case OPT_BUCKET:
            if (parse_positive("bucket-docs", optarg, UINT64_MAX, &u)) goto out;
            c.lines.bucket_docs = u;
            break;
        case OPT_MAXREP:
            if (parse_uint("max-repeats", optarg, UINT32_MAX, &u)) goto out;
            c.lines.max_repeats = (uint32_t)u;
            break;
        case OPT_CCNET: c.lines.ccnet = true; break;
        case OPT_EMB: c.sem.embeddings = optarg; break;
        case OPT_DIM:
            if (parse_positive("dim", optarg, 65536, &u)) goto out;
            c.sem.dim = (unsigned)u;
            break;
        case OPT_K:
            if (parse_positive("k", optarg, 1u << 24, &u)) goto out;
            c.sem.k = (unsigned)u;
            break;
        case OPT_EPS:
            if (parse_double("eps", optarg, 0.0, 2.0, &c.sem.eps)) goto out;
            break;
        case OPT_ITER:
            if (parse_uint("iterations", optarg, 10000, &u)) goto out;
            c.sem.iterations = (unsigned)u;
            break;
        case OPT_SAMPLE:
            if (parse_positive("kmeans-sample", optarg, UINT64_MAX, &u)) goto out;
            c.sem.sample = u;
            break;
        case 'h': case OPT_HELP: usage(stdout); rc = WN_EXIT_OK; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (wn_common_finish(&c.common, argc, argv, optind, true)) goto out;
    if (wn_expand_inputs(argv + optind, (size_t)(argc - optind), &c.all, &c.n_all)) {
        wn_error("cannot read the inputs");
        goto out;
    }
    if (c.n_all >= (1u << 23)) { /* uid: 23 bits of file number (dedup/format.h) */
        wn_error("dedup takes at most 8,388,607 input files (%zu given); concatenate some",
                 c.n_all);
        goto out;
    }
    for (size_t i = 1; i < c.n_all; i++)
        if (!strcmp(c.all[i], c.all[i - 1])) {
            wn_error("input '%s' given twice", c.all[i]);
            goto out;
        }
    if (c.index_in && kind != M_SEM) { /* a typo must not mean "no index" silently */
        wn_buf idx = WN_BUF_INIT;
        wn_buf_appendf(&idx, "%s/index.json", c.index_in);
        bool found = access(idx.data, R_OK) == 0;
        wn_buf_release(&idx);
        if (!found) {
            wn_error("--index '%s' is not a dedup index (no index.json; make one with --index-out)",
                     c.index_in);
            goto out;
        }
    }
    if (!c.state) {
        /* -o out/ gave 'out//state' in every message */
        size_t n = strlen(c.common.output);
        while (n > 1 && c.common.output[n - 1] == '/')
            n--;
        wn_buf_append(&c.state_buf, c.common.output, n);
        wn_buf_appends(&c.state_buf, "/state");
        c.state = c.state_buf.data;
    }
    if (wn_mkdirs(c.common.output) || wn_mkdirs(c.state)) {
        wn_error("cannot create directories '%s' and '%s': %s", c.common.output, c.state,
                 strerror(errno));
        rc = WN_EXIT_FAILURE;
        goto out;
    }
    rc = kind == M_DOC ? run_documents(&c) : kind == M_LINE ? run_lines(&c) : run_semantic(&c);
out:
    free(opts);
    wn_free_strv(c.all, c.n_all);
    wn_common_release(&c.common);
    wn_buf_release(&c.state_buf);
    return rc;
}
