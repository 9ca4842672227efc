/* status.h: what became of each task of a run submitted with `winnow run --slurm`.
 *
 * Reads <workdir>/slurm/tasks.tsv (every task and its completion record), the tasks' own
 * records under slurm/status/, jobs.tsv (what was submitted) and, when Slurm answers,
 * squeue. A task is:
 *   done         its completion record (.done) exists
 *   running      squeue shows it running (or it started and squeue cannot be asked)
 *   queued       squeue shows it pending
 *   failed       its command exited non-zero (.failed record), or it started, wrote no exit
 *                and is no longer in the queue (killed: time limit, memory, node failure)
 *   not started  none of the above (never submitted, or cancelled before it ran)
 *
 * Ownership: a wn_run_status owns all its strings; release with wn_run_status_release.
 */
#ifndef WN_CLUSTER_STATUS_H
#define WN_CLUSTER_STATUS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    WN_TASK_DONE,
    WN_TASK_RUNNING,
    WN_TASK_QUEUED,
    WN_TASK_FAILED,
    WN_TASK_NOT_STARTED,
    WN_TASK_NSTATES
} wn_task_state;

extern const char *const wn_task_state_names[WN_TASK_NSTATES];

typedef struct wn_task_status {
    char *phase;
    unsigned index;
    wn_task_state state;
    char *detail; /* the record's text (job, host, time, exit), or NULL */
    char *log;    /* the task's Slurm log when known, or NULL */
} wn_task_status;

typedef struct wn_run_status {
    wn_task_status *tasks; /* in plan order */
    size_t n;
    bool queue_known; /* squeue answered */
} wn_run_status;

/* `dir` is the run's workdir (or its slurm/ directory). Returns 0, or -1 with a message
 * when no submission is recorded there. */
int wn_run_status_load(const char *dir, wn_run_status *st);
void wn_run_status_release(wn_run_status *st);

#endif
