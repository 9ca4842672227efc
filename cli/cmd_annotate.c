/* cmd_annotate.c: `winnow annotate`: label a seeded sample of documents with an LLM served
 * through the OpenAI-compatible chat completions API (see docs/annotate.md). */
#include "classify/annotate.h"
#include "classify/annotate_config.h"
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/paths.h"

#include <curl/curl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: winnow annotate --config C --url URL --model NAME [options] -o OUTDIR INPUT...\n"
    "\n"
    "Sends a seeded sample of the JSONL documents in INPUT to an OpenAI-compatible server\n"
    "(vLLM, llama.cpp's server, TGI, Ollama) and writes their labels to OUTDIR:\n"
    "labels.jsonl, unparseable.jsonl, and when complete train.txt (fastText format).\n"
    "Run the same command again to resume after an interruption.\n"
    "\n"
    "  --config C          a YAML config, or a name in configs/annotate/ (fineweb-edu,\n"
    "                      quality-yesno, code-edu, math-reasoning)\n"
    "  --url URL           server base, e.g. http://127.0.0.1:8080/v1\n"
    "  --model NAME        model name sent with each request\n"
    "  --sample N          documents to label (default 10000)\n"
    "  --seed S            sampling seed, also sent as the request seed (default 0)\n"
    "  --parallel N        requests in flight (default 8)\n"
    "  --timeout SEC       per request (default 120)\n"
    "  --retries N         retries per document on 429, 5xx, timeouts (default 6)\n"
    "  --backoff SEC       first retry delay, doubled each time (default 1)\n"
    "  --max-backoff SEC   cap on the delay (default 60); Retry-After is honoured\n"
    "  --api-key-env VAR   environment variable holding the API key (default\n"
    "                      OPENAI_API_KEY; unset: no key is sent). Never logged.\n"
    "  --threshold T       scale configs: labels high (score >= T) / low instead of 0..5\n"
    "  --text-field F      JSON key of the text (default text)\n"
    "  --id-field F        JSON key of the id (default id)\n"
    "  -o, --output DIR    output directory (required)\n"
    "  --force             start over, discarding earlier labels in DIR\n"
    "  --quiet             no progress, no summary\n"
    "  --max-record-size S a longer JSONL line is skipped and counted (default 256M)\n";

enum {
    OPT_CONFIG = 1, OPT_URL, OPT_MODEL, OPT_SAMPLE, OPT_SEED, OPT_PARALLEL, OPT_TIMEOUT,
    OPT_RETRIES, OPT_BACKOFF, OPT_MAX_BACKOFF, OPT_KEY_ENV, OPT_THRESHOLD, OPT_TEXT_FIELD,
    OPT_ID_FIELD, OPT_HELP,
};

static const struct option own_options[] = {
    {"config", required_argument, NULL, OPT_CONFIG},
    {"url", required_argument, NULL, OPT_URL},
    {"model", required_argument, NULL, OPT_MODEL},
    {"sample", required_argument, NULL, OPT_SAMPLE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"parallel", required_argument, NULL, OPT_PARALLEL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"backoff", required_argument, NULL, OPT_BACKOFF},
    {"max-backoff", required_argument, NULL, OPT_MAX_BACKOFF},
    {"api-key-env", required_argument, NULL, OPT_KEY_ENV},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"text-field", required_argument, NULL, OPT_TEXT_FIELD},
    {"id-field", required_argument, NULL, OPT_ID_FIELD},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

/* A number in [lo, hi], or -1 after a message naming the option. */
static int parse_num(const char *opt, const char *arg, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (end == arg || *end || v < lo || v > hi) {
        wn_error("%s: '%s' is not a number from %g to %g", opt, arg, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* A bare name ("fineweb-edu") that is not a file names a shipped config:
 * configs/annotate/NAME.yaml beside the executable (or one folder up, for build/winnow),
 * then in the data directories of core/paths.h. */
static char *resolve_config(const char *arg)
{
    if (access(arg, F_OK) == 0 || strchr(arg, '/'))
        return wn_xstrdup(arg);
    char rel[256], buf[PATH_MAX + 512], exe[PATH_MAX];
    snprintf(rel, sizeof rel, "configs/annotate/%s.yaml", arg);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (int up = 0; up < 2; up++) {
            snprintf(buf, sizeof buf, "%s%s/%s", exe, up ? "/.." : "", rel);
            if (access(buf, R_OK) == 0)
                return wn_xstrdup(buf);
        }
    }
    if (wn_data_path(rel, buf, sizeof buf))
        return wn_xstrdup(buf);
    return wn_xstrdup(arg); /* the load names what was asked for */
}

typedef struct cli_state {
    wn_ann_opts o;
    const char *config_arg, *key_env;
} cli_state;

static int parse_own(cli_state *st, int opt, const char *arg)
{
    double v;
    wn_ann_opts *o = &st->o;
    switch (opt) {
    case OPT_CONFIG: st->config_arg = arg; return 0;
    case OPT_URL: o->url = arg; return 0;
    case OPT_MODEL: o->model = arg; return 0;
    case OPT_KEY_ENV: st->key_env = arg; return 0;
    case OPT_TEXT_FIELD: o->jopts.text_field = arg; return 0;
    case OPT_ID_FIELD: o->jopts.id_field = arg; return 0;
    case OPT_SAMPLE:
        if (parse_num("--sample", arg, 1, 1e9, &v) < 0) return -1;
        o->sample = (size_t)v;
        return 0;
    case OPT_SEED:
        if (parse_num("--seed", arg, 0, 9007199254740992.0, &v) < 0) return -1;
        o->seed = (uint64_t)v;
        return 0;
    case OPT_PARALLEL:
        if (parse_num("--parallel", arg, 1, 1024, &v) < 0) return -1;
        o->parallel = (int)v;
        return 0;
    case OPT_TIMEOUT: return parse_num("--timeout", arg, 0.001, 86400, &o->timeout);
    case OPT_BACKOFF: return parse_num("--backoff", arg, 0, 3600, &o->backoff);
    case OPT_MAX_BACKOFF: return parse_num("--max-backoff", arg, 0, 3600, &o->backoff_max);
    case OPT_RETRIES:
        if (parse_num("--retries", arg, 0, 100, &v) < 0) return -1;
        o->retries = (int)v;
        return 0;
    case OPT_THRESHOLD:
        o->use_threshold = true;
        return parse_num("--threshold", arg, -1000, 1000, &o->threshold);
    }
    return -1;
}

int cmd_annotate(int argc, char **argv)
{
    cli_state st = {.key_env = "OPENAI_API_KEY"};
    wn_ann_opts *o = &st.o;
    o->sample = 10000;
    o->parallel = 8;
    o->timeout = 120;
    o->connect_timeout = 10;
    o->retries = 6;
    o->backoff = 1;
    o->backoff_max = 60;
    wn_common_opts common;
    wn_common_init(&common);
    struct option *longopts = wn_merge_long_options(own_options);
    int opt, rc = WN_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, WN_COMMON_SHORT "h", longopts, NULL)) != -1) {
        if (opt == 'h' || opt == OPT_HELP) {
            fputs(usage, stdout);
            rc = WN_EXIT_OK;
            goto out;
        }
        int c = wn_common_getopt(&common, opt, optarg);
        if (c < 0 || (c == 0 && (opt == '?' || parse_own(&st, opt, optarg) < 0))) {
            if (opt == '?')
                fputs(usage, stderr);
            goto out;
        }
    }
    if (!st.config_arg || !o->url || !o->model) {
        wn_error("--config, --url and --model are required");
        fputs(usage, stderr);
        goto out;
    }
    if (wn_common_finish(&common, argc, argv, optind, true) < 0)
        goto out;
    if (common.n_inputs == 0) {
        wn_error("no input files");
        goto out;
    }
    char *config_path = resolve_config(st.config_arg);
    wn_ann_config config;
    int loaded = wn_ann_config_load(&config, config_path);
    free(config_path);
    if (loaded < 0)
        goto out;
    o->config = &config;
    o->api_key = getenv(st.key_env);
    o->outdir = common.output;
    o->force = common.force;
    o->quiet = common.quiet;
    o->inputs = common.inputs;
    o->n_inputs = common.n_inputs;
    if (o->quiet)
        wn_log_verbosity = 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        wn_error("cannot initialise libcurl");
        rc = WN_EXIT_INTERNAL;
    } else {
        int r = wn_ann_run(o);
        rc = r == 0 ? WN_EXIT_OK : r == 2 ? WN_EXIT_USAGE : WN_EXIT_FAILURE;
        curl_global_cleanup();
    }
    wn_ann_config_release(&config);
out:
    free(longopts);
    wn_common_release(&common);
    return rc;
}
