/* cmd_run.c: `winnow run CONFIG [--dry-run]` - the whole pipeline from one config.
 * See docs/run.md. */
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"
#include "cluster/slurm.h"
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
          "       winnow run CONFIG --slurm [--scripts-only]\n"
          "\n"
          "Runs ingest -> filter -> dedup -> classify -> tokenize -> mix as the config says,\n"
          "as phases of shard tasks (each a winnow command). A finished task is never redone:\n"
          "run the same command again after an interruption to resume.\n"
          "\n"
          "  --dry-run        print the phases, tasks (command lines) and outputs; run nothing\n"
          "  --json           with --dry-run: the plan as JSON (what cluster scripts read)\n"
          "  --parallel N     tasks at once (default: the config's `parallel`, else cores)\n"
          "  --quiet          only errors\n"
          "  --slurm          submit the phases as Slurm job arrays (config `slurm:`, see\n"
          "                   docs/cluster.md); again later: resubmit what did not finish\n"
          "  --scripts-only   with --slurm: write the sbatch scripts, submit nothing\n", f);
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

/* Exit status of `exe args...` with its output discarded, -1 when it could not run. */
static int run_quietly(const char *exe, char *const argv[])
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execv(exe, argv);
        _exit(127);
    }
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) < 0)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Every command the plan uses must exist in this winnow (stages land one by one), checked
 * before any task starts. */
static int check_commands(const wn_plan *p, const char *exe)
{
    int bad = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        const wn_phase *ph = &p->phases[i];
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen |= !strcmp(p->phases[k].command, ph->command);
        char *argv[] = {(char *)exe, ph->command, "--help", NULL};
        if (!seen && run_quietly(exe, argv) != 0) {
            wn_error("phase '%s' needs the command 'winnow %s', which this build does not "
                     "have", ph->name, ph->command);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"dry-run", no_argument, NULL, 'n'}, {"json", no_argument, NULL, 'J'},
        {"parallel", required_argument, NULL, 'P'}, {"quiet", no_argument, NULL, 'q'},
        {"slurm", no_argument, NULL, 'S'}, {"scripts-only", no_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    bool dry = false, json = false, quiet = false, slurm = false, scripts_only = false;
    unsigned parallel = 0;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': dry = true; break;
        case 'J': json = true; break;
        case 'q': quiet = true; break;
        case 'S': slurm = true; break;
        case 'W': scripts_only = true; break;
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
    /* a flag that only modifies another must not be taken alone: --scripts-only without
     * --slurm used to run the whole pipeline here (on a login node, say) */
    const char *lone = json && !dry ? "--json needs --dry-run"
                       : scripts_only && !slurm ? "--scripts-only needs --slurm"
                       : NULL;
    if (lone) {
        wn_error("%s", lone);
        run_usage(stderr);
        return WN_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        wn_error("expected one CONFIG");
        run_usage(stderr);
        return WN_EXIT_USAGE;
    }
    if (quiet)
        wn_log_verbosity = 0;
    wn_plan *plan = dry ? wn_plan_load_unchecked_files(argv[optind]) : wn_plan_load(argv[optind]);
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
    /* A changed config must not resume on the old one's outputs; checked before any work. */
    if (wn_plan_check_and_stamp(plan) != 0) {
        wn_plan_free(plan);
        return WN_EXIT_USAGE;
    }
    if (slurm) {
        rc = wn_slurm_run_config(plan, scripts_only);
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
    if (check_commands(plan, exe) != 0) {
        rc = WN_EXIT_USAGE;
    } else if (wn_plan_execute(plan, &eo) != 0) {
        rc = WN_EXIT_FAILURE;
    } else if (!quiet) {
        print_stats(plan, exe);
        if (plan->final_outputs)
            printf("training shards: %s (manifest: %s/manifest.json)\n", plan->final_outputs,
                   plan->final_outputs);
        else /* no mix: each source's last outputs */
            for (size_t i = 0; i < plan->n_phases; i++) {
                const wn_phase *ph = &plan->phases[i];
                bool last = true;
                for (size_t k = i + 1; k < plan->n_phases; k++)
                    last &= !ph->source || !plan->phases[k].source ||
                            strcmp(plan->phases[k].source, ph->source);
                if (last && ph->outputs_glob)
                    printf("outputs of '%s': %s\n", ph->source ? ph->source : ph->name,
                           ph->outputs_glob);
            }
    }
    wn_plan_free(plan);
    return rc;
}
