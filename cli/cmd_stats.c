/* cmd_stats.c: `winnow stats DIR...` merges the *.stats.json files that data commands write
 * beside their outputs (one per --shard task) and prints one table, or JSON with --json. */
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/stats.h"
#include "filter/report.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct stage_list {
    wn_stats *v;
    size_t n;
} stage_list;

static wn_stats *stage_for(stage_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].stage, name))
            return &l->v[i];
    l->v = wn_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    wn_stats_init(&l->v[l->n], name);
    return &l->v[l->n++];
}

/* 0: merged; 1: JSON of another kind, skipped; -1: unreadable (reported). */
static int merge_file(const char *path, stage_list *l)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j) {
        wn_error("cannot read '%s': %s (line %d)", path, jerr.text, jerr.line);
        return -1;
    }
    if (!json_is_object(json_object_get(j, "source")) && !json_is_array(json_object_get(j, "stages"))) {
        /* annotate.stats.json and other JSON named so: not the runner's layout */
        wn_warn("'%s' has no 'source' or 'stages': not a stage's statistics, skipped", path);
        json_decref(j);
        return 1;
    }
    /* rows are "<command>.<stage>"; a command's variants (dedup's methods, in "method"
     * since the seventh session; older files have none) get rows of their own:
     * "dedup url.read", not the reads of three methods added up */
    json_t *cmd = json_object_get(j, "command"), *method = json_object_get(j, "method");
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s%s%s", json_is_string(cmd) ? json_string_value(cmd) : "",
             json_is_string(method) ? " " : "", json_is_string(method) ? json_string_value(method) : "");
    wn_stats s;
    char name[256];
    if (wn_stats_from_json(&s, json_object_get(j, "source")) == 0) {
        snprintf(name, sizeof name, "%s.%s", prefix, s.stage);
        wn_stats_merge(stage_for(l, name), &s);
        wn_stats_release(&s);
    }
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(j, "stages"), i, st) {
        if (wn_stats_from_json(&s, st))
            continue;
        snprintf(name, sizeof name, "%s.%s", prefix, s.stage);
        wn_stats_merge(stage_for(l, name), &s);
        wn_stats_release(&s);
    }
    json_decref(j);
    return 0;
}

/* nftw has no user pointer, so the collected paths live here for the duration of a walk. */
static struct {
    char **v;
    size_t n;
} found_paths;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    size_t n = strlen(path);
    if (type == FTW_F && n > 11 && !strcmp(path + n - 11, ".stats.json")) {
        found_paths.v = wn_xrealloc(found_paths.v, (found_paths.n + 1) * sizeof *found_paths.v);
        found_paths.v[found_paths.n++] = wn_xstrdup(path);
    }
    return 0;
}

static int parse_count(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_stats(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'J' },
        { "sample", required_argument, NULL, 'S' },
        { "what-if", required_argument, NULL, 'W' },
        { "top", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json_out = 0, c;
    const char *sample = NULL;
    size_t n_sample = 5, top = 10;
    char **what_if = NULL;
    size_t n_what_if = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
        switch (c) {
        case 'J': json_out = 1; break;
        case 'S': sample = optarg; break;
        case 'n':
        case 't':
            if (parse_count(optarg, c == 'n' ? &n_sample : &top)) {
                wn_error("bad %s '%s': expected a count", c == 'n' ? "-n" : "--top", optarg);
                free(what_if);
                return WN_EXIT_USAGE;
            }
            break;
        case 'W':
            what_if = wn_xrealloc(what_if, (n_what_if + 1) * sizeof *what_if);
            what_if[n_what_if++] = optarg;
            break;
        case 'h':
            printf("usage: winnow stats [--json] DIR|FILE...\n"
                   "       winnow stats DIR... --sample REASON [-n 5]\n"
                   "       winnow stats DIR... --what-if EXPR [--what-if EXPR2 ...]\n\n"
                   "Merges the *.stats.json files found in the given directories (one per\n"
                   "--shard task) and prints one table per stage, or JSON with --json.\n"
                   "Filter runs add signal quantiles, the domains that lost most and the PII\n"
                   "rate per domain (--top N rows, default 10).\n"
                   "--sample REASON shows removed documents (from --removed DIR; 'gopher.*'\n"
                   "matches a prefix). --what-if EXPR reads the documents in DIR (best: an\n"
                   "--annotate-only output) and tells what the thresholds in EXPR would remove,\n"
                   "e.g. --what-if 'gopher.symbol_ratio <= 0.15', without rerunning a filter.\n");
            return WN_EXIT_OK;
        default: return WN_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        wn_error("no directories given; see 'winnow stats --help'");
        free(what_if);
        return WN_EXIT_USAGE;
    }
    if (sample || n_what_if) { /* these read documents, not statistics */
        int rc = WN_EXIT_OK;
        if (sample) {
            int k = wn_filter_sample(argv + optind, (size_t)(argc - optind), sample, n_sample, stdout);
            if (k < 0)
                rc = WN_EXIT_FAILURE;
            else if (k == 0)
                fprintf(stderr, "no removed document with reason '%s' found\n", sample);
        }
        json_t *j = NULL;
        if (n_what_if && wn_filter_what_if(argv + optind, (size_t)(argc - optind), what_if, n_what_if,
                                           top, stdout, json_out ? &j : NULL))
            rc = WN_EXIT_USAGE;
        if (j) {
            json_dumpf(j, stdout, JSON_INDENT(1));
            putchar('\n');
            json_decref(j);
        }
        free(what_if);
        return rc;
    }
    stage_list l = { NULL, 0 };
    /* An unreadable file is named and left out; the totals of the others are still
     * printed, but the exit status says they are partial. */
    int found = 0, unreadable = 0;
    for (int a = optind; a < argc; a++) {
        found_paths.n = 0;
        if (nftw(argv[a], collect, 16, FTW_PHYS) != 0) {
            wn_error("cannot read '%s': %s", argv[a], strerror(errno));
            unreadable++;
            continue;
        }
        if (found_paths.n) /* qsort of a NULL array is undefined even for 0 elements */
            qsort(found_paths.v, found_paths.n, sizeof *found_paths.v, cmp_str);
        for (size_t i = 0; i < found_paths.n; i++) {
            int r = merge_file(found_paths.v[i], &l);
            found += r == 0;
            unreadable += r < 0;
            free(found_paths.v[i]);
        }
    }
    free(found_paths.v);
    if (!found) {
        if (argc - optind == 1)
            wn_error("no *.stats.json files in '%s'", argv[optind]);
        else
            wn_error("no *.stats.json files in the %d paths given", argc - optind);
        return WN_EXIT_FAILURE;
    }
    if (json_out) {
        json_t *j = json_array();
        for (size_t i = 0; i < l.n; i++) {
            json_t *stage = wn_stats_to_json(&l.v[i]);
            wn_filter_report_json(&l.v[i], stage);
            json_array_append_new(j, stage);
        }
        char *s = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
        puts(s);
        free(s);
        json_decref(j);
    } else {
        printf("%d statistics file(s)", found);
        if (unreadable)
            printf(", %d left out (unreadable: see the errors above)", unreadable);
        putchar('\n');
        for (size_t i = 0; i < l.n; i++)
            wn_stats_print_summary(&l.v[i], stdout);
        wn_filter_report(l.v, l.n, top, stdout);
    }
    for (size_t i = 0; i < l.n; i++)
        wn_stats_release(&l.v[i]);
    free(l.v);
    return unreadable ? WN_EXIT_FAILURE : WN_EXIT_OK;
}
