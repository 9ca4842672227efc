/* cmd_classify.c: `winnow classify supervised|predict|predict-prob|test|score`.
 *
 * The first four take fastText's own arguments and print its output format, so that
 * `fasttext X ...` can be replaced by `winnow classify X ...`; `score` is the pipeline
 * stage (common options, sharded JSONL out). */
#include "classify/fasttext.h"
#include "classify/ft_tool.h"
#include "classify/score.h"
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/runner.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
        "usage: winnow classify <command> <args>\n\n"
        "fastText-compatible classifiers (models load in, and are written for, the official\n"
        "fastText tool):\n"
        "  supervised -input FILE -output PREFIX [options]   train: PREFIX.bin, PREFIX.vec\n"
        "  predict MODEL FILE|- [k] [threshold]              most likely labels per line\n"
        "      (MODEL may name a shipped model: lid.176.ftz, the fastText language ID)\n"
        "  predict-prob MODEL FILE|- [k] [threshold]         ... with probabilities\n"
        "  test MODEL FILE|- [k] [threshold]                 precision and recall at k\n"
        "  quantize -output PREFIX [-qnorm] [-qout] [-dsub 2] [-cutoff N]\n"
        "                                                    PREFIX.bin -> PREFIX.ftz\n"
        "  score --model M --name NAME INPUT... -o OUTDIR    pipeline stage (see score --help)\n\n"
        "supervised options (fastText's names and defaults):\n"
        "  -lr 0.1  -lrUpdateRate 100  -dim 100  -ws 5  -epoch 5  -minCount 1\n"
        "  -minCountLabel 0  -neg 5  -wordNgrams 1  -loss softmax|ova|hs|ns  -bucket 2000000\n"
        "  -minn 0  -maxn 0  -thread 12  -t 0.0001  -verbose 2  -seed 0\n");
}

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < -2147483647L || v > 2147483647L)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    /* "nan" and "inf" parse, but no rate, threshold or percentage means them: -lr nan trained
     * a model of NaNs, and --threshold nan read as "no threshold" */
    return errno || end == s || *end || !isfinite(*out) ? -1 : 0;
}

static int parse_loss(const char *s, int *loss)
{
    if (!strcmp(s, "hs"))
        *loss = 1;
    else if (!strcmp(s, "ns"))
        *loss = 2;
    else if (!strcmp(s, "softmax"))
        *loss = 3;
    else if (!strcmp(s, "ova") || !strcmp(s, "one-vs-all"))
        *loss = 4;
    else
        return -1;
    return 0;
}

/* One "-name value" pair of `fasttext supervised`. Returns 0, or -1 (message printed). */
static int supervised_arg(wn_ft_train_opts *o, const char **output, const char *name,
                          const char *val)
{
    struct { const char *name; int *v; } ints[] = {
        { "-lrUpdateRate", &o->lr_update_rate }, { "-dim", &o->dim }, { "-ws", &o->ws },
        { "-epoch", &o->epoch }, { "-minCount", &o->min_count },
        { "-minCountLabel", &o->min_count_label }, { "-neg", &o->neg },
        { "-wordNgrams", &o->word_ngrams }, { "-bucket", &o->bucket }, { "-minn", &o->minn },
        { "-maxn", &o->maxn }, { "-thread", &o->threads }, { "-verbose", &o->verbose },
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        if (!strcmp(name, ints[i].name)) {
            if (parse_int(val, ints[i].v) == 0)
                return 0;
            wn_error("bad value '%s' for %s", val, name);
            return -1;
        }
    }
    if (!strcmp(name, "-input")) {
        o->input = val;
    } else if (!strcmp(name, "-output")) {
        *output = val;
    } else if (!strcmp(name, "-lr") || !strcmp(name, "-t")) {
        if (parse_double(val, !strcmp(name, "-lr") ? &o->lr : &o->t)) {
            wn_error("bad value '%s' for %s", val, name);
            return -1;
        }
    } else if (!strcmp(name, "-loss")) {
        if (parse_loss(val, &o->loss)) {
            wn_error("unknown loss '%s': hs, ns, softmax or ova", val);
            return -1;
        }
    } else if (!strcmp(name, "-seed")) {
        int s;
        if (parse_int(val, &s)) {
            wn_error("bad value '%s' for -seed", val);
            return -1;
        }
        o->seed = (uint64_t)(unsigned)s;
    } else if (!strcmp(name, "-label")) {
        if (strcmp(val, "__label__")) {
            wn_error("only the default label prefix '__label__' is supported");
            return -1;
        }
    } else {
        wn_error("unknown argument '%s'; see 'winnow classify --help'", name);
        return -1;
    }
    return 0;
}

/* PREFIX.bin and PREFIX.vec go into PREFIX's directory: a directory that is missing or
 * not writable is said before training (which can take hours), not after. */
static int check_output_dir(const char *prefix)
{
    char *copy = wn_xstrdup(prefix);
    const char *dir = dirname(copy);
    int rc = access(dir, W_OK | X_OK);
    if (rc)
        wn_error("cannot write '%s.bin': %s", prefix, strerror(errno));
    free(copy);
    return rc;
}

static int cmd_supervised(int argc, char **argv)
{
    wn_ft_train_opts o;
    wn_ft_train_defaults(&o);
    const char *output = NULL;
    for (int i = 1; i < argc; i += 2) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return WN_EXIT_OK;
        }
        if (i + 1 >= argc) {
            wn_error("missing value for '%s'", argv[i]);
            return WN_EXIT_USAGE;
        }
        if (supervised_arg(&o, &output, argv[i], argv[i + 1]))
            return WN_EXIT_USAGE;
    }
    if (!o.input || !output) {
        wn_error("supervised needs -input FILE and -output PREFIX");
        return WN_EXIT_USAGE;
    }
    if (check_output_dir(output))
        return WN_EXIT_FAILURE;
    char err[512];
    wn_ft_model *m = wn_ft_train(&o, err, sizeof err);
    if (!m) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    /* as fastText: PREFIX.bin and PREFIX.vec */
    size_t n = strlen(output) + 5;
    char *path = wn_xmalloc(n);
    snprintf(path, n, "%s.bin", output);
    int rc = wn_ft_save(m, path, err, sizeof err);
    if (!rc) {
        snprintf(path, n, "%s.vec", output);
        rc = wn_ft_save_vectors(m, path, err, sizeof err);
    }
    if (rc)
        wn_error("%s", err);
    free(path);
    wn_ft_free(m);
    return rc ? WN_EXIT_FAILURE : WN_EXIT_OK;
}

/* Loads MODEL; a bare file name that is not in the current directory is also looked for
 * among the models winnow ships (data/models, e.g. "lid.176.ftz"). */
static wn_ft_model *load_model(const char *path)
{
    char err[512], rel[300], shipped[4096];
    if (!strchr(path, '/') && access(path, F_OK) != 0) {
        snprintf(rel, sizeof rel, "models/%s", path);
        if (wn_data_path(rel, shipped, sizeof shipped))
            path = shipped;
    }
    wn_ft_model *m = wn_ft_load(path, err, sizeof err);
    if (!m)
        wn_error("%s", err);
    return m;
}

/* predict, predict-prob and test share `MODEL FILE [k] [threshold]`. */
static int cmd_predict_or_test(int argc, char **argv)
{
    const char *cmd = argv[0];
    if (argc < 3 || argc > 5) {
        wn_error("usage: winnow classify %s MODEL FILE|- [k] [threshold]", cmd);
        return WN_EXIT_USAGE;
    }
    int k = 1;
    double threshold = 0.0;
    if ((argc > 3 && parse_int(argv[3], &k)) || (argc > 4 && parse_double(argv[4], &threshold)) ||
        k == 0 || k < -1) {
        wn_error("bad k or threshold: k is a positive count or -1 (all labels)");
        return WN_EXIT_USAGE;
    }
    wn_ft_model *m = load_model(argv[1]);
    if (!m)
        return WN_EXIT_FAILURE;
    FILE *in = strcmp(argv[2], "-") ? fopen(argv[2], "rb") : stdin;
    if (!in) {
        wn_error("cannot open '%s': %s", argv[2], strerror(errno));
        wn_ft_free(m);
        return WN_EXIT_FAILURE;
    }
    int rc;
    if (!strcmp(cmd, "test")) {
        wn_ft_test_result res;
        rc = wn_ft_test_stream(m, in, argv[2], k, (float)threshold, &res);
        if (!rc)
            wn_ft_test_print(&res, k, stdout);
    } else {
        rc = wn_ft_predict_stream(m, in, argv[2], stdout, k, (float)threshold,
                                  !strcmp(cmd, "predict-prob"));
    }
    if (in != stdin)
        fclose(in);
    wn_ft_free(m);
    if (fflush(stdout) != 0) {
        wn_error("cannot write output: %s", strerror(errno));
        rc = -1;
    }
    return rc ? WN_EXIT_FAILURE : WN_EXIT_OK;
}

static void score_usage(FILE *f)
{
    fprintf(f,
        "usage: winnow classify score --model M --name NAME [options] INPUT... -o OUTDIR\n\n"
        "Scores every document with a fastText model and writes the probability of one label\n"
        "into attributes.NAME as [[0, n_chars, p]]. Newlines in the text count as spaces.\n\n"
        "options:\n"
        "  --model M           .bin or .ftz supervised model\n"
        "  --name NAME         attribute name (e.g. quality)\n"
        "  --label L           label whose probability is the score (default: the model's\n"
        "                      first label); '__label__' may be left out\n"
        "  --threshold T       keep only documents with score >= T\n"
        "  --top-percent P     keep only the P%% highest-scoring documents of this task's\n"
        "                      inputs (an extra scoring pass finds the cutoff; ties kept)\n"
        "  -o, --output DIR    output directory\n"
        "  --shard I/N, -j N, --max-shard-size S, --compression C, --force, --quiet,\n"
        "  --max-record-size S (a longer JSONL line is skipped and counted; default 256M)\n");
}

static int cmd_score(int argc, char **argv)
{
    static const struct option own[] = {
        { "model", required_argument, NULL, 'm' },
        { "name", required_argument, NULL, 'n' },
        { "label", required_argument, NULL, 'l' },
        { "threshold", required_argument, NULL, 't' },
        { "top-percent", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct option *opts = wn_merge_long_options(own);
    wn_common_opts common;
    wn_common_init(&common);
    const char *model_path = NULL, *name = NULL, *label = NULL;
    double threshold = NAN, percent = NAN;
    wn_ft_model *m = NULL;
    int c, rc = WN_EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, WN_COMMON_SHORT "h", opts, NULL)) != -1) {
        int r = wn_common_getopt(&common, c, optarg);
        if (r < 0)
            goto out;
        if (r > 0)
            continue;
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'n': name = optarg; break;
        case 'l': label = optarg; break;
        case 't':
            /* the score is a probability: 2 or -1 would keep nothing or everything */
            if (parse_double(optarg, &threshold) || !(threshold >= 0 && threshold <= 1)) {
                wn_error("bad --threshold '%s': expected a probability in [0, 1]", optarg);
                goto out;
            }
            break;
        case 'p':
            if (parse_double(optarg, &percent) || !(percent > 0 && percent <= 100)) {
                wn_error("bad --top-percent '%s': expected a number in (0, 100]", optarg);
                goto out;
            }
            break;
        case 'h': score_usage(stdout); rc = WN_EXIT_OK; goto out;
        default: score_usage(stderr); goto out;
        }
    }
    if (!model_path || !name) {
        wn_error("score needs --model and --name; see 'winnow classify score --help'");
        goto out;
    }
    if (!isnan(threshold) && !isnan(percent)) {
        wn_error("--threshold and --top-percent cannot be combined");
        goto out;
    }
    if (wn_common_finish(&common, argc, argv, optind, true))
        goto out;
    char err[512];
    m = load_model(model_path);
    if (!m) {
        rc = WN_EXIT_FAILURE;
        goto out;
    }
    if (!label)
        label = wn_ft_label(m, 0);
    int label_id = wn_ft_label_index(m, label);
    if (label_id < 0) {
        wn_error("no label '%s' in '%s'", label, model_path);
        goto out;
    }
    if (!isnan(percent)) {
        size_t n;
        float *scores = wn_ft_score_inputs(m, label_id, common.inputs, common.n_inputs, NULL,
                                           NULL, common.threads, &n);
        threshold = wn_ft_top_percent_cutoff(scores, n, percent);
        free(scores);
        if (!common.quiet)
            wn_info("top %g%% of %zu documents: keeping score >= %.9g", percent, n, threshold);
    }
    wn_ft_score_opts so = { .model = m, .name = name, .label = label,
                            .filter = !isnan(threshold), .threshold = threshold };
    wn_stage *st = wn_ft_score_stage_new(&so, err, sizeof err);
    if (!st) {
        wn_error("%s", err);
        goto out;
    }
    wn_stage *stages[] = { st };
    wn_run_opts ro = { .command = "classify", .common = &common, .stages = stages,
                       .n_stages = 1 };
    wn_run_result res;
    rc = wn_run(&ro, &res) ? WN_EXIT_FAILURE : WN_EXIT_OK;
    wn_run_print_summary(&ro, &res);
    wn_run_result_release(&res);
    wn_stage_free(st);
out:
    wn_ft_free(m);
    free(opts);
    wn_common_release(&common);
    return rc;
}

/* `fasttext quantize -output PREFIX`: PREFIX.bin -> PREFIX.ftz. -retrain (training again
 * after pruning) is not done here; -input is only used by it, so it is accepted. */
static int cmd_quantize(int argc, char **argv)
{
    const char *output = NULL;
    bool qnorm = false, qout = false;
    int dsub = 2, cutoff = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-qnorm")) {
            qnorm = true;
        } else if (!strcmp(a, "-qout")) {
            qout = true;
        } else if ((!strcmp(a, "-output") || !strcmp(a, "-input") || !strcmp(a, "-dsub") ||
                    !strcmp(a, "-cutoff") || !strcmp(a, "-verbose") || !strcmp(a, "-thread")) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            int n = 0;
            if (!strcmp(a, "-output")) {
                output = v;
            } else if (!strcmp(a, "-dsub") && (parse_int(v, &n) || n < 1)) {
                wn_error("-dsub: expected a positive number, got '%s'", v);
                return WN_EXIT_USAGE;
            } else if (!strcmp(a, "-dsub")) {
                dsub = n;
            } else if (!strcmp(a, "-cutoff") && (parse_int(v, &n) || n < 0)) {
                wn_error("-cutoff: expected a number of rows, got '%s'", v);
                return WN_EXIT_USAGE;
            } else if (!strcmp(a, "-cutoff")) {
                cutoff = n;
            }
        } else {
            wn_error("quantize: unknown or incomplete argument '%s' (-output PREFIX [-qnorm] "
                     "[-qout] [-dsub N] [-cutoff N]; -retrain is not supported)", a);
            return WN_EXIT_USAGE;
        }
    }
    if (!output) {
        wn_error("quantize needs -output PREFIX (it reads PREFIX.bin, writes PREFIX.ftz)");
        return WN_EXIT_USAGE;
    }
    size_t n = strlen(output) + 5;
    char *path = wn_xmalloc(n), err[512];
    snprintf(path, n, "%s.bin", output);
    wn_ft_model *m = load_model(path);
    int rc = m ? 0 : -1;
    if (!rc && (rc = wn_ft_quantize(m, dsub, qnorm, qout, cutoff, err, sizeof err)) == 0) {
        snprintf(path, n, "%s.ftz", output);
        rc = wn_ft_save(m, path, err, sizeof err);
    }
    if (rc && m)
        wn_error("%s", err);
    wn_ft_free(m);
    free(path);
    return rc ? WN_EXIT_FAILURE : WN_EXIT_OK;
}

int cmd_classify(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? WN_EXIT_USAGE : WN_EXIT_OK;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "supervised"))
        return cmd_supervised(argc - 1, argv + 1);
    if (!strcmp(sub, "predict") || !strcmp(sub, "predict-prob") || !strcmp(sub, "test"))
        return cmd_predict_or_test(argc - 1, argv + 1);
    if (!strcmp(sub, "score"))
        return cmd_score(argc - 1, argv + 1);
    if (!strcmp(sub, "quantize"))
        return cmd_quantize(argc - 1, argv + 1);
    wn_error("unknown classify command '%s'; see 'winnow classify --help'", sub);
    return WN_EXIT_USAGE;
}
