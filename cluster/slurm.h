/* slurm.h: run a plan (pipeline/plan.h) on a Slurm cluster.
 *
 * Every phase becomes one job array over its shard tasks (array index = shard I, each
 * task runs the phase's command with `--shard I/N`); a phase larger than the cluster's
 * array cap is split into several arrays ("parts") of at most max_array_size tasks, whose
 * scripts add a fixed offset to SLURM_ARRAY_TASK_ID. A phase waits for the phases it
 * depends on with `--dependency=afterok:<their job ids>` and is cancelled if one of them
 * fails (`--kill-on-invalid-dep=yes`).
 *
 * Files, all under <workdir>/slurm/ (shared storage: every node must see the workdir):
 *   NN-<phase>[.partK].sbatch   the scripts, readable, each submittable by hand
 *   logs/NN-<phase>-%A_%a.log   stdout+stderr of each task
 *   status/<phase>/I.started    written by the task when it starts (job id, host, time)
 *   status/<phase>/I.failed     written by the task when its command fails (exit code)
 *   tasks.tsv                   phase, index, completion record: what `winnow status` reads
 *   jobs.tsv                    one line per submitted array: time, phase, offset, job id
 * A task is done when the plan's completion record (its `.done` file) exists; the Slurm
 * records only tell running from failed.
 *
 * Re-running submits only the tasks that are not done, as arrays with explicit index
 * lists (`--array=3,7-9`), and refuses while jobs of an earlier submission are still in
 * the queue, so no task runs twice at once.
 *
 * Ownership: wn_slurm_opts owns its strings (wn_slurm_opts_release frees them).
 */
#ifndef WN_CLUSTER_SLURM_H
#define WN_CLUSTER_SLURM_H

#include "pipeline/plan.h"

#include <stdbool.h>
#include <stddef.h>

/* Resources of one phase's tasks; NULL / 0 = not set (Slurm's default). */
typedef struct wn_slurm_resources {
    char *partition;
    char *time;      /* Slurm time limit, e.g. "04:00:00" */
    char *mem;       /* memory per task, e.g. "8G" */
    char *account;
    unsigned cpus;   /* cpus per task; 0 = the phase's threads */
    char **extra;    /* extra sbatch options, one per #SBATCH line, e.g. "--qos=high" */
    size_t n_extra;
} wn_slurm_resources;

/* Per-phase overrides, matched by phase name ("web.filter") or command ("filter"). */
typedef struct wn_slurm_override {
    char *match;
    wn_slurm_resources res;
} wn_slurm_override;

typedef struct wn_slurm_opts {
    wn_slurm_resources defaults;
    wn_slurm_override *overrides;
    size_t n_overrides;
    unsigned max_array_size; /* tasks per array; default 1000 (Slurm's MaxArraySize 1001) */
    char *exe;               /* winnow binary the scripts run; default: this executable */
    char *sbatch;            /* sbatch command; default "sbatch" */
    bool no_submit;          /* write scripts only (--scripts-only) */
    /* MPI for dedup's global phases (`slurm: mpi:`): with ranks > 0, each dedup run split
     * into phases (split_phases: true) has its sign, bands, merge and cluster phases
     * replaced by one job of `ranks` MPI ranks running winnow-mpi; its remove phase stays
     * a job array. */
    unsigned mpi_ranks;
    char *mpi_launcher;      /* default "mpirun" (OpenMPI reads the Slurm allocation) */
    char *mpi_exe;           /* default: winnow-mpi beside the winnow binary */
} wn_slurm_opts;

void wn_slurm_opts_init(wn_slurm_opts *o);
void wn_slurm_opts_release(wn_slurm_opts *o);

/* Read the optional `slurm:` mapping of the config file at `path` into o:
 *
 *   slurm:
 *     partition: cpu
 *     time: "04:00:00"
 *     mem: 8G
 *     cpus_per_task: 4
 *     account: myproject
 *     max_array_size: 1000
 *     sbatch_args: ["--qos=normal"]
 *     phases:
 *       dedup: {mem: 64G, time: "12:00:00"}
 *       dedup.mpi: {mem: 4G}      # the MPI job; its mem is per CPU (--mem-per-cpu)
 *     mpi: {ranks: 16, launcher: mpirun, exe: /shared/bin/winnow-mpi}
 *
 * Unknown keys are errors (with line and column). A config without the section leaves o
 * unchanged. Returns 0 or -1 (message printed). */
int wn_slurm_config_load(const char *path, wn_slurm_opts *o);

/* The resources that apply to `phase`: defaults, then the override for its command, then
 * the one for its name. Strings point into o. */
wn_slurm_resources wn_slurm_resources_for(const wn_slurm_opts *o, const wn_phase *phase);

/* The script text of one array part: tasks [first, first+count) of plan->phases[p].
 * `log_dir`/`status_dir` are absolute. Caller frees. */
char *wn_slurm_script(const wn_plan *plan, size_t p, size_t first, size_t count,
                      const wn_slurm_opts *o, const char *slurm_dir);

/* The number of phases from p that one winnow-mpi job replaces: 4 when they are a dedup
 * run's sign, bands, merge and cluster phases, 2 for line dedup's hash and count; else 0. */
size_t wn_slurm_mpi_group(const wn_plan *plan, size_t p);
/* "<source>.dedup.mpi" for the group starting at `first`. Caller frees. */
char *wn_slurm_mpi_name(const wn_phase *first);
/* The script of the MPI job replacing the group at p (o->mpi_* set). Caller frees. */
char *wn_slurm_mpi_script(const wn_plan *plan, size_t p, const wn_slurm_opts *o,
                          const char *slurm_dir);

/* Write every script and tasks.tsv, then submit the tasks that are not done (unless
 * o->no_submit). Prints one line per submitted array. Returns 0, or -1 (message printed;
 * arrays submitted before the failure stay submitted and are listed in jobs.tsv). */
int wn_slurm_run(const wn_plan *plan, const wn_slurm_opts *o);

/* `winnow run CONFIG --slurm [--scripts-only]`: options from the config's `slurm:`
 * section, then wn_slurm_run. Returns a WN_EXIT_* code. */
int wn_slurm_run_config(const wn_plan *plan, bool scripts_only);

/* "<workdir>/slurm". Caller frees. */
char *wn_slurm_dir(const char *workdir);

#endif
