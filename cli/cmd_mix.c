/* cmd_mix.c: `winnow mix plan CONFIG` and `winnow mix CONFIG -o OUTDIR`.
 *
 * CONFIG is either a mix config (the mix keys at the top level) or a pipeline config with a
 * `mix:` section; see docs/mix.md. */
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"
#include "mix/mix.h"
#include "pipeline/config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void mix_usage(FILE *f)
{
    fputs("usage: winnow mix plan CONFIG [--json] [--source-dir NAME=DIR]...\n"
          "       winnow mix CONFIG -o OUTDIR [--seed N] [--source-dir NAME=DIR]... [--force]\n"
          "                  [--quiet] [--shard I/N | --finish]\n"
          "\n"
          "Plans a token-budget mix of tokenized sources (Megatron .bin/.idx) and writes it\n"
          "as shuffled, packed, sharded training data with a manifest.\n"
          "\n"
          "  plan                  print per source: epochs or sampling rate, tokens taken,\n"
          "                        share vs target, warnings (reads .idx files only)\n"
          "  -o, --output DIR      where train-NNNNN/val-NNNNN shards and manifest.json go\n"
          "  --seed N              override the config's seed\n"
          "  --source-dir NAME=DIR read source NAME from DIR (all *.idx in it)\n"
          "  --json                the plan as JSON on stdout\n"
          "  --shard I/N           write only part I of N of the shards (same plan in every\n"
          "                        part); then --finish once all N parts are complete\n"
          "  --finish              check the parts' records and write the manifest\n"
          "  --force               redo a mix whose mix.done record exists\n"
          "  --quiet               no messages but errors\n", f);
}

typedef struct mix_args {
    bool plan, json, force, quiet, have_seed, finish;
    wn_shard shard;
    uint64_t seed;
    const char *config, *output;
    wn_mix_bind *binds;
    size_t n_binds;
} mix_args;

static int parse_mix_args(mix_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 's'},
        {"source-dir", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'J'},
        {"force", no_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {"threads", required_argument, NULL, 'j'},
        {"shard", required_argument, NULL, 'S'}, {"finish", no_argument, NULL, 'F'},
        {NULL, 0, NULL, 0}};
    int first = 1;
    if (argc > 1 && !strcmp(argv[1], "plan")) {
        a->plan = true;
        first = 2;
    }
    optind = first;
    int opt;
    while ((opt = getopt_long(argc, argv, "o:j:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'o': {
            /* 'out/' named files 'out//manifest.json' in the messages */
            size_t n = strlen(optarg);
            while (n > 1 && optarg[n - 1] == '/')
                optarg[--n] = '\0';
            a->output = optarg;
            break;
        }
        case 'j': break; /* accepted for symmetry with the other commands; mix is I/O bound */
        case 'J': a->json = true; break;
        case 'F': a->finish = true; break;
        case 'S':
            if (wn_parse_shard(optarg, &a->shard) != 0) {
                wn_error("bad --shard '%s': expected I/N with 0 <= I < N", optarg);
                return -1;
            }
            break;
        case 'f': a->force = true; break;
        case 'q': a->quiet = true; break;
        case 's': {
            char *end;
            a->seed = strtoull(optarg, &end, 10);
            if (!*optarg || *end) {
                wn_error("--seed: expected a whole number, got '%s'", optarg);
                return -1;
            }
            a->have_seed = true;
            break;
        }
        case 'd': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                wn_error("--source-dir: expected NAME=DIR, got '%s'", optarg);
                return -1;
            }
            *eq = '\0';
            a->binds = wn_xrealloc(a->binds, (a->n_binds + 1) * sizeof *a->binds);
            a->binds[a->n_binds++] = (wn_mix_bind){optarg, eq + 1};
            break;
        }
        case 'h': mix_usage(stdout); return 1;
        default: mix_usage(stderr); return -1;
        }
    }
    if (optind != argc - 1) {
        wn_error(optind < argc ? "expected one CONFIG, got %d arguments" : "missing CONFIG%.0d",
                 argc - optind);
        mix_usage(stderr);
        return -1;
    }
    a->config = argv[optind];
    if (a->finish && a->shard.count > 1) {
        wn_error("--finish and --shard exclude each other: --finish runs once, after every part");
        return -1;
    }
    if (!a->plan && !a->output) {
        wn_error("missing -o OUTDIR (or use `winnow mix plan CONFIG`)");
        return -1;
    }
    return 0;
}

/* Prints the plan of one spec; -1 when it cannot be met. */
static int show_plan(const wn_mix_spec *s, wn_ydoc *d, const char *path, json_t *out)
{
    wn_mix_plan plan;
    int rc = wn_mix_plan_compute(s, d, path, &plan);
    if (rc == 0) {
        if (out)
            json_object_set_new(out, s->label, wn_mix_plan_to_json(s, &plan));
        else
            wn_mix_plan_print(s, &plan, stdout);
    }
    wn_mix_plan_release(&plan);
    return rc;
}

int cmd_mix(int argc, char **argv)
{
    mix_args a = {.shard = {0, 1}};
    wn_mix_bind *pbinds = NULL;
    size_t n_pbinds = 0;
    int prc = parse_mix_args(&a, argc, argv);
    if (prc != 0) {
        free(a.binds);
        return prc > 0 ? WN_EXIT_OK : WN_EXIT_USAGE;
    }
    if (a.quiet)
        wn_log_verbosity = 0;
    int rc = WN_EXIT_USAGE;
    wn_ydoc *d = wn_ydoc_load(a.config);
    wn_mix_config c = {0};
    if (!d)
        goto out;
    /* A pipeline config: its sources bind to their tokenize outputs unless given. */
    n_pbinds = wn_pipeline_mix_binds(d, &pbinds);
    for (size_t i = 0; i < n_pbinds; i++) {
        a.binds = wn_xrealloc(a.binds, (a.n_binds + 1) * sizeof *a.binds);
        a.binds[a.n_binds++] = pbinds[i];
    }
    const wn_ynode *section = wn_y_get(d->root, "mix");
    bool ok = wn_mix_config_parse(&c, d, section ? section : d->root, section ? "mix" : "",
                                  a.binds, a.n_binds);
    if (a.have_seed)
        c.seed = a.seed;
    if (!ok)
        goto out;
    /* Bound sources have no data yet in a plan made before the pipeline ran. */
    if (wn_mix_count_sources(&c, true) != 0) {
        rc = WN_EXIT_FAILURE;
        goto out;
    }
    if (a.plan) {
        json_t *j = a.json ? json_object() : NULL;
        int bad = show_plan(&c.main, d, a.config, j);
        if (c.anneal.n_sources && !bad) {
            if (!j)
                putchar('\n');
            bad = show_plan(&c.anneal, d, a.config, j);
        }
        if (j && !bad)
            json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)), putchar('\n');
        json_decref(j);
        rc = bad ? WN_EXIT_USAGE : WN_EXIT_OK;
        goto out;
    }
    /* Check both plans against the config before writing anything (warnings come once,
     * from the execution). */
    int verbosity = wn_log_verbosity, bad = 0;
    wn_log_verbosity = 0;
    for (int k = 0; k < 2 && !bad; k++) {
        const wn_mix_spec *s = k ? &c.anneal : &c.main;
        wn_mix_plan check;
        if (s->n_sources)
            bad = wn_mix_plan_compute(s, d, a.config, &check), wn_mix_plan_release(&check);
    }
    wn_log_verbosity = verbosity;
    if (bad)
        goto out;
    if (a.finish)
        rc = wn_mix_finish(&c, a.output, a.force, a.quiet);
    else
        rc = wn_mix_execute_part(&c, a.output, a.shard.index, a.shard.count, a.force, a.quiet);
    rc = rc == 0 ? WN_EXIT_OK : WN_EXIT_FAILURE;
out:
    wn_mix_config_release(&c);
    wn_ydoc_free(d);
    wn_pipeline_mix_binds_free(pbinds, n_pbinds);
    free(a.binds);
    return rc;
}
