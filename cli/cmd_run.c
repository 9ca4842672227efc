/* cmd_run.c: `winnow run CONFIG [--dry-run]` - the whole pipeline from one config.
 * See docs/run.md. */
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"
#include "pipeline/exec.h"
#include "pipeline/plan.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void run_usage(FILE *f)
{
    fputs("usage: winnow run CONFIG [--dry-run [--json]] [--parallel N] [--quiet]\n"
          "\n"
          "Runs ingest -> filter -> dedup -> classify -> tokenize -> mix as the config says,\n"
          "as phases of shard tasks (each a winnow command). A finished task is never redone:\n"
          "run the same command again after an interruption to resume.\n"
          "\n"
          "  --dry-run        print the phases, tasks (command lines) and outputs; run nothing\n"
          "  --json           with --dry-run: the plan as JSON (what cluster scripts read)\n"
          "  --parallel N     tasks at once (default: the config's `parallel`, else cores)\n"
          "  --quiet          only errors\n", f);
}

/* The statistics table of the run: `winnow stats` over every phase's output directory. */
static void print_stats(const wn_plan *p, const char *exe)
{
    char **argv = wn_xcalloc(p->n_phases + 3, sizeof *argv);
    size_t n = 0;
    argv[n++] = (char *)exe;
    argv[n++] = "stats";
    for (size_t i = 0; i < p->n_phases; i++) {
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen |= !strcmp(p->phases[k].outdir, p->phases[i].outdir);
        if (!seen && strcmp(p->phases[i].command, "mix"))
            argv[n++] = p->phases[i].outdir;
    }
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = n > 2 ? fork() : -1;
    if (pid == 0) {
        execv(exe, argv);
        _exit(127);
    }
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
    }
    free(argv);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'}, {"json", no_argument, NULL, 'J'},
        {"parallel", required_argument, NULL, 'P'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool dry = false, json = false, quiet = false;
    unsigned parallel = 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': dry = true; break;
        case 'J': json = true; break;
        case 'q': quiet = true; break;
        case 'P': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v < 1 || v > 4096) {
                wn_error("--parallel: expected a number from 1 to 4096, got '%s'", optarg);
                return WN_EXIT_USAGE;
            }
            parallel = (unsigned)v;
            break;
        }
        case 'h': run_usage(stdout); return WN_EXIT_OK;
        default: run_usage(stderr); return WN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        wn_error("expected one CONFIG");
        run_usage(stderr);
        return WN_EXIT_USAGE;
    }
    if (quiet)
        wn_log_verbosity = 0;
    wn_plan *plan = wn_plan_load(argv[optind]);
    if (!plan)
        return WN_EXIT_USAGE;
    int rc = WN_EXIT_OK;
    if (dry) {
        if (json) {
            json_t *j = wn_plan_to_json(plan);
            json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
            putchar('\n');
            json_decref(j);
        } else {
            wn_plan_print(plan, stdout);
        }
        wn_plan_free(plan);
        return rc;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        wn_error("cannot find the winnow executable (/proc/self/exe)");
        wn_plan_free(plan);
        return WN_EXIT_INTERNAL;
    }
    exe[len] = '\0';
    wn_exec_opts eo = {.exe = exe, .max_parallel = parallel, .quiet = quiet};
    if (wn_plan_execute(plan, &eo) != 0) {
        rc = WN_EXIT_FAILURE;
    } else if (!quiet) {
        print_stats(plan, exe);
        if (plan->final_outputs)
            printf("training shards: %s (manifest: %s/manifest.json)\n", plan->final_outputs,
                   plan->final_outputs);
    }
    wn_plan_free(plan);
    return rc;
}
