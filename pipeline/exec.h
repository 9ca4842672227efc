/* exec.h: run a plan on this machine by re-executing winnow for each task.
 *
 * Tasks whose phase dependencies are complete are started as child processes (fork, then
 * exec of `exe` with the task's expanded argv), at most max_parallel at once, in plan order.
 * A child's output goes to <workdir>/.logs/<phase>-<I>.log. A child that exits 0 gets its
 * completion record (wn_task_mark_done); complete tasks are never started again, so running
 * the same plan after a kill resumes where it stopped. Children die with the executor
 * (PR_SET_PDEATHSIG), so a killed run leaves no task running behind it. One executor works
 * in a workdir at a time (flock on <workdir>/.lock, released when the process dies).
 */
#ifndef WN_PIPELINE_EXEC_H
#define WN_PIPELINE_EXEC_H

#include "pipeline/plan.h"

#include <stdbool.h>

typedef struct wn_exec_opts {
    const char *exe;       /* the winnow binary, e.g. from /proc/self/exe */
    unsigned max_parallel; /* 0 = plan->max_parallel */
    bool quiet;            /* no per-task progress lines */
} wn_exec_opts;

/* Run every incomplete task. 0 when all are complete; -1 after a task failed (the failure
 * and its log are reported; running tasks are waited for, no new ones start). */
int wn_plan_execute(const wn_plan *plan, const wn_exec_opts *o);

#endif
