/* cmd_status.c: `winnow status DIR` - done, running, queued, failed and not-started tasks
 * of a run submitted with `winnow run CONFIG --slurm` (see cluster/status.h). */
#include "cli/command.h"
#include "cluster/status.h"
#include "core/args.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: winnow status [--all] DIR\n"
    "\n"
    "Shows, per phase, how many tasks of the Slurm run in DIR (the config's workdir) are\n"
    "done, running, queued, failed or not started, then lists the failed and running tasks\n"
    "with their logs (--all: every unfinished task). Re-run `winnow run CONFIG --slurm` to\n"
    "resubmit the tasks that are not done.\n"
    "Exit: 0 when every task is done, 3 when some are not (yet), 2 on bad usage, 1 when DIR\n"
    "holds no Slurm run.\n";

static void print_table(const wn_run_status *st)
{
    printf("%-28s %6s %8s %7s %7s %12s %6s\n", "phase", "done", "running", "queued", "failed",
           "not started", "tasks");
    for (size_t i = 0; i < st->n;) {
        size_t count[WN_TASK_NSTATES] = {0}, j = i;
        for (; j < st->n && !strcmp(st->tasks[j].phase, st->tasks[i].phase); j++)
            count[st->tasks[j].state]++;
        printf("%-28s %6zu %8zu %7zu %7zu %12zu %6zu\n", st->tasks[i].phase,
               count[WN_TASK_DONE], count[WN_TASK_RUNNING], count[WN_TASK_QUEUED],
               count[WN_TASK_FAILED], count[WN_TASK_NOT_STARTED], j - i);
        i = j;
    }
}

static void print_tasks(const wn_run_status *st, wn_task_state state)
{
    for (size_t i = 0; i < st->n; i++) {
        const wn_task_status *t = &st->tasks[i];
        if (t->state != state) continue;
        printf("%-12s %s %u", wn_task_state_names[state], t->phase, t->index);
        if (t->detail) printf(": %s", t->detail);
        if (t->log) printf("\n             log: %s", t->log);
        putchar('\n');
    }
}

int cmd_status(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {0}};
    int all = 0, c;
    while ((c = getopt_long(argc, argv, "ah", longopts, NULL)) != -1) {
        if (c == 'a') all = 1;
        else if (c == 'h') {
            fputs(usage, stdout);
            return WN_EXIT_OK;
        } else {
            fputs(usage, stderr);
            return WN_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(usage, stderr);
        return WN_EXIT_USAGE;
    }
    wn_run_status st;
    if (wn_run_status_load(argv[optind], &st)) return WN_EXIT_FAILURE;
    print_table(&st);
    if (!st.queue_known)
        puts("(squeue is not available here: running tasks are those that started and have "
             "not finished)");
    print_tasks(&st, WN_TASK_FAILED);
    print_tasks(&st, WN_TASK_RUNNING);
    if (all) {
        print_tasks(&st, WN_TASK_QUEUED);
        print_tasks(&st, WN_TASK_NOT_STARTED);
    }
    int complete = 1;
    for (size_t i = 0; i < st.n; i++) complete &= st.tasks[i].state == WN_TASK_DONE;
    wn_run_status_release(&st);
    return complete ? WN_EXIT_OK : 3;
}
