/* cmd_filter.c: `winnow filter INPUT... -o OUTDIR [--config FILE] [--annotate-only]
 * [--where EXPR] [--removed DIR]` runs the filter chain (filter/filter.h) over Dolma JSONL.
 *
 * Without --config the default chain runs (the Llama 3 recipe's filters, see
 * configs/filters/llama3.yaml). With --where and no --config only the thresholds in EXPR
 * are applied to stored signals (from an earlier --annotate-only run); with both, the
 * chain runs first. --print-config shows every parameter in use and exits. */
#include "cli/command.h"
#include "core/args.h"
#include "core/log.h"
#include "core/runner.h"
#include "filter/filter.h"
#include "filter/text.h"
#include "filter/where.h"

#include <getopt.h>
#include <omp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: winnow filter INPUT... -o OUTDIR [options]\n"
            "\n"
            "  --config FILE      filter chain and parameters (YAML or JSON; default: the\n"
            "                     Llama 3 recipe, configs/filters/llama3.yaml)\n"
            "  --annotate-only    keep every document; record signals and would-be drops\n"
            "  --where EXPR       keep documents whose stored signals satisfy EXPR, e.g.\n"
            "                     'gopher.symbol_ratio <= 0.15 && langid.score >= 0.65'\n"
            "                     (repeatable; all must hold)\n"
            "  --removed DIR      also write removed documents, with the reason, to DIR\n"
            "  --print-config     print the chain with every parameter in use, then exit\n"
            "  --list-filters     list the filters a config can name, then exit\n"
            "  --compression C    zst (default), gz or none, and --compression-level N\n"
            "                     (zst: default 3, 1 is faster with larger files)\n"
            "  -o, --output DIR   -j N  --shard I/N  --quiet  --force  (as every command)\n"
            "  --max-record-size S  a longer JSONL line is skipped unread and counted as an\n"
            "                     error with its file and offset (default 256M)\n");
}

static void list_filters(void)
{
    for (const wn_filter_def *d = wn_filter_defs; d->name; d++)
        printf("%-18s %s\n", d->name, d->summary);
}

/* How many documents' text analyses the filters share (filter/text.h). The runner takes a
 * document through all the filters before the next (core/runner.c), so only the documents
 * in flight need a slot: a few per thread, whose memory stays in cache (a slot per document
 * of a batch was ~7% of a run, writing analyses to cold memory). A filter that sees whole
 * batches (kl_divergence building its reference) splits that pass in two: then a slot per
 * document of a batch keeps one analysis per document. */
static size_t text_cache_slots(const json_t *config, const wn_common_opts *c)
{
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(config, "filters"), i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (name && !strcmp(name, "kl_divergence"))
            return c->batch_docs;
    }
    int threads = c->threads > 0 ? c->threads : omp_get_max_threads();
    return 8 * (size_t)threads;
}

int cmd_filter(int argc, char **argv)
{
    static const struct option own[] = {
        {"config", required_argument, NULL, 'c'},
        {"annotate-only", no_argument, NULL, 'A'},
        {"where", required_argument, NULL, 'w'},
        {"removed", required_argument, NULL, 'r'},
        {"print-config", no_argument, NULL, 'P'},
        {"list-filters", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option *longs = wn_merge_long_options(own);
    wn_common_opts common;
    wn_common_init(&common);
    const char *config_path = NULL, *removed = NULL;
    bool annotate = false, print_config = false;
    char **wheres = NULL;
    size_t n_wheres = 0;
    int rc = WN_EXIT_USAGE, opt;
    json_t *config = NULL;
    wn_filter_chain chain = {0};
    wn_stage **stages = NULL;
    size_t n_stages = 0;

    optind = 1;
    while ((opt = getopt_long(argc, argv, WN_COMMON_SHORT "h", longs, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'A': annotate = true; break;
        case 'r': removed = optarg; break;
        case 'P': print_config = true; break;
        case 'L': list_filters(); rc = WN_EXIT_OK; goto out;
        case 'h': usage(stdout); rc = WN_EXIT_OK; goto out;
        case 'w':
            wheres = realloc(wheres, (n_wheres + 1) * sizeof *wheres);
            wheres[n_wheres++] = optarg;
            break;
        default: {
            int r = wn_common_getopt(&common, opt, optarg);
            if (r == 1)
                break;
            if (r == 0)
                usage(stderr);
            goto out;
        }
        }
    }

    char err[1024];
    char *base = NULL;
    if (config_path) {
        config = wn_yaml_load(config_path, err, sizeof err);
        if (!config) {
            wn_error("%s", err);
            goto out;
        }
        char *tmp = strdup(config_path);
        base = strdup(dirname(tmp));
        free(tmp);
    }
    wn_text_cache_init(text_cache_slots(config, &common));
    /* --where alone re-decides stored signals: no filter runs */
    bool run_chain = config_path || !n_wheres;
    int built = run_chain ? wn_filter_chain_build(&chain, config, base, annotate, err, sizeof err) : 0;
    free(base);
    if (built) {
        wn_fconfig_error(config_path, config, err);
        goto out;
    }
    if (print_config) {
        json_dumpf(chain.effective, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        rc = WN_EXIT_OK;
        goto out;
    }
    if (wn_common_finish(&common, argc, argv, optind, true))
        goto out;

    stages = calloc(chain.n + n_wheres + 1, sizeof *stages);
    for (size_t i = 0; i < chain.n; i++)
        stages[n_stages++] = chain.stages[i];
    chain.n = 0; /* the stages now belong to this function */
    for (size_t i = 0; i < n_wheres; i++) {
        wn_where *w = wn_where_parse(wheres[i], err, sizeof err);
        if (!w) {
            wn_error("--where: %s", err);
            goto out;
        }
        stages[n_stages++] = wn_where_stage_new(w);
    }

    wn_run_opts o = {
        .command = "filter",
        .common = &common,
        .stages = stages,
        .n_stages = n_stages,
        .removed_dir = removed,
    };
    wn_run_result res;
    rc = wn_run(&o, &res) ? WN_EXIT_FAILURE : WN_EXIT_OK;
    wn_run_print_summary(&o, &res);
    wn_run_result_release(&res);
out:
    for (size_t i = 0; i < n_stages; i++)
        wn_stage_free(stages[i]);
    free(stages);
    wn_filter_chain_release(&chain);
    json_decref(config);
    free(wheres);
    free(longs);
    wn_common_release(&common);
    return rc;
}
