/* slurm_run.c: write the scripts of a plan and submit what is not done.
 *
 * Order of work: refuse if an earlier submission still has jobs queued (a task must never
 * run twice at once); write every script and tasks.tsv (so the directory always describes
 * the whole plan, done or not); then, phase by phase in plan order, submit the unfinished
 * tasks of each part with a dependency on the jobs just submitted for the phases it needs.
 * A needed phase that is already complete adds no dependency.
 */
#include "cluster/proc.h"
#include "cluster/slurm.h"
#include "cluster/slurm_files.h"
#include "cluster/status.h"
#include "core/args.h"
#include "core/io.h"
#include "core/log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct phase_jobs {
    char **ids;
    size_t n;
} phase_jobs;

static int write_text(const char *path, const char *text)
{
    char err[256];
    wn_out *out = wn_out_open(path, WN_COMP_NONE, 0, err, sizeof err);
    if (!out) {
        wn_error("%s", err);
        return -1;
    }
    if (wn_out_write(out, text, strlen(text)) || wn_out_commit(out, err, sizeof err)) {
        wn_error("cannot write '%s': %s", path, err);
        wn_out_abort(out);
        return -1;
    }
    return 0;
}

/* -1 (message printed) when a task of an earlier submission is still queued or running,
 * or squeue cannot tell; 0 when nothing was submitted before or all of it has left. */
static int check_nothing_queued(const char *workdir, const char *slurm_dir)
{
    char *path = wn_slurm_file(slurm_dir, "jobs.tsv");
    int submitted = access(path, F_OK) == 0;
    free(path);
    wn_run_status st;
    if (!submitted || wn_run_status_load(workdir, &st)) return 0; /* nothing recorded */
    int rc = 0;
    if (!st.queue_known) {
        wn_error("cannot ask squeue whether the jobs submitted for '%s' are still queued",
                 workdir);
        rc = -1;
    }
    for (size_t i = 0; !rc && i < st.n; i++)
        if (st.tasks[i].state == WN_TASK_QUEUED || st.tasks[i].state == WN_TASK_RUNNING) {
            wn_error("task %u of '%s' is still %s (%s): wait for it, or scancel it, before "
                     "submitting again", st.tasks[i].index, st.tasks[i].phase,
                     wn_task_state_names[st.tasks[i].state],
                     st.tasks[i].detail ? st.tasks[i].detail : "no record yet");
            rc = -1;
        }
    wn_run_status_release(&st);
    return rc;
}

static int write_tasks_tsv(const wn_plan *plan, const wn_slurm_opts *o, const char *slurm_dir)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    wn_buf b = WN_BUF_INIT;
    wn_buf_appends(&b, "# phase\ttask\tcompletion record\tscript\n");
    for (size_t p = 0; p < plan->n_phases; p++) {
        const wn_phase *ph = &plan->phases[p];
        if (o->mpi_ranks && wn_slurm_mpi_group(plan, p)) { /* one task: the MPI job */
            char *name = wn_slurm_mpi_name(ph), *base = wn_slurm_script_base_named(p, name);
            const char *done = plan->phases[p + 3].tasks[0].done_path;
            wn_buf_appendf(&b, "%s\t0\t%s%s%s\t%s\n", name, *done == '/' ? "" : cwd,
                           *done == '/' ? "" : "/", done, base);
            free(name);
            free(base);
            p += 3;
            continue;
        }
        for (size_t t = 0; t < ph->n_tasks; t++) {
            size_t first = t / o->max_array_size * o->max_array_size;
            char *base = wn_slurm_script_base(plan, p, first, o->max_array_size);
            const char *done = ph->tasks[t].done_path;
            wn_buf_appendf(&b, "%s\t%u\t%s%s%s\t%s\n", ph->name, ph->tasks[t].index,
                           *done == '/' ? "" : cwd, *done == '/' ? "" : "/", done, base);
            free(base);
        }
    }
    char *path = wn_slurm_file(slurm_dir, "tasks.tsv");
    int rc = write_text(path, b.data);
    wn_buf_release(&b);
    free(path);
    return rc;
}

/* sbatch --parsable ...; returns the job id (caller frees) or NULL. */
static char *submit(const wn_slurm_opts *o, const char *script, const char *array,
                    const char *dependency)
{
    wn_buf arr = WN_BUF_INIT, dep = WN_BUF_INIT, out = WN_BUF_INIT;
    wn_buf_appendf(&arr, "--array=%s", array);
    char *argv[8];
    size_t n = 0;
    argv[n++] = o->sbatch;
    argv[n++] = "--parsable";
    argv[n++] = arr.data;
    if (dependency) {
        wn_buf_appendf(&dep, "--dependency=afterok:%s", dependency);
        argv[n++] = dep.data;
        argv[n++] = "--kill-on-invalid-dep=yes";
    }
    argv[n++] = (char *)script;
    argv[n] = NULL;
    int rc = wn_proc_capture(argv, &out, 0);
    char *id = NULL;
    if (rc == 0 && out.len) {
        out.data[strcspn(out.data, ";\n")] = '\0'; /* "id" or "id;cluster" */
        if (*out.data) id = wn_xstrdup(out.data);
    }
    if (!id)
        wn_error("'%s' failed for '%s' (exit %d)%s", o->sbatch, script, rc,
                 rc == 127 ? ": is Slurm installed here?" : "");
    wn_buf_release(&arr);
    wn_buf_release(&dep);
    wn_buf_release(&out);
    return id;
}

static void append_job_log(const char *slurm_dir, const char *phase, size_t first,
                           const char *job, const char *array)
{
    char when[32], *path = wn_slurm_file(slurm_dir, "jobs.tsv");
    time_t now = time(NULL);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    FILE *f = fopen(path, "a");
    free(path);
    if (!f) return;
    fprintf(f, "%s\t%s\t%zu\t%s\t%s\n", when, phase, first, job, array);
    fclose(f);
}

/* afterok list "id:id:..." over the jobs submitted for the phase's deps, NULL if none. */
static char *dependency_list(const wn_phase *ph, const phase_jobs *jobs)
{
    wn_buf b = WN_BUF_INIT;
    for (size_t d = 0; d < ph->n_deps; d++)
        for (size_t j = 0; j < jobs[ph->deps[d]].n; j++) {
            if (b.len) wn_buf_appendc(&b, ':');
            wn_buf_appends(&b, jobs[ph->deps[d]].ids[j]);
        }
    if (!b.len) return NULL;
    return wn_buf_detach(&b, NULL);
}

/* One script to write and submit: `todo` are array indices still to run. */
typedef struct step {
    const char *name;       /* phase name, or the MPI job's name */
    const wn_phase *needs;  /* whose deps the job waits for */
    size_t first, count;    /* tasks of the phase in this script */
    char *base, *text;      /* owned */
    unsigned *todo;         /* owned */
    size_t n_todo;
} step;

/* Writes the step's script, submits its unfinished tasks (unless none or no_submit) and
 * records the job id for every phase in [p, p_last]. Frees the step's buffers. */
static int run_step(step *st, size_t p, size_t p_last, const wn_slurm_opts *o,
                    const char *slurm_dir, phase_jobs *jobs)
{
    wn_buf name = WN_BUF_INIT;
    wn_buf_appendf(&name, "%s.sbatch", st->base);
    char *path = wn_slurm_file(slurm_dir, name.data);
    wn_buf_release(&name);
    int rc = write_text(path, st->text);
    if (!rc && st->n_todo && !o->no_submit) {
        char *array = wn_slurm_array_spec(st->todo, st->n_todo);
        char *deps = dependency_list(st->needs, jobs);
        char *id = submit(o, path, array, deps);
        if (id) {
            append_job_log(slurm_dir, st->name, st->first, id, array);
            printf("submitted '%s': %zu of %zu tasks as job %s%s%s\n", st->name, st->n_todo,
                   st->count, id, deps ? " after " : "", deps ? deps : "");
            for (size_t k = p; k <= p_last; k++) {
                jobs[k].ids = wn_xrealloc(jobs[k].ids, (jobs[k].n + 1) * sizeof *jobs[k].ids);
                jobs[k].ids[jobs[k].n++] = wn_xstrdup(id);
            }
            free(id);
        } else {
            rc = -1;
        }
        free(array);
        free(deps);
    } else if (!rc && !st->n_todo && st->first == 0) {
        printf("'%s' is complete\n", st->name);
    }
    free(path);
    free(st->base);
    free(st->text);
    free(st->todo);
    return rc;
}

static int run_part(const wn_plan *plan, size_t p, size_t first, size_t count,
                    const wn_slurm_opts *o, const char *slurm_dir, phase_jobs *jobs)
{
    const wn_phase *ph = &plan->phases[p];
    step st = {ph->name, ph, first, count,
               wn_slurm_script_base(plan, p, first, o->max_array_size),
               wn_slurm_script(plan, p, first, count, o, slurm_dir),
               wn_xmalloc(count * sizeof *st.todo), 0};
    for (size_t t = first; t < first + count; t++)
        if (!wn_task_is_done(&ph->tasks[t])) st.todo[st.n_todo++] = (unsigned)(t - first);
    return run_step(&st, p, p, o, slurm_dir, jobs);
}

/* The MPI job replacing phases p..p+3; done when the cluster task is. */
static int run_mpi(const wn_plan *plan, size_t p, const wn_slurm_opts *o,
                   const char *slurm_dir, phase_jobs *jobs)
{
    char *name = wn_slurm_mpi_name(&plan->phases[p]);
    step st = {name, &plan->phases[p], 0, 1, wn_slurm_script_base_named(p, name),
               wn_slurm_mpi_script(plan, p, o, slurm_dir), wn_xcalloc(1, sizeof *st.todo),
               !wn_task_is_done(&plan->phases[p + 3].tasks[0])};
    int rc = run_step(&st, p, p + 3, o, slurm_dir, jobs);
    free(name);
    return rc;
}

int wn_slurm_run(const wn_plan *plan, const wn_slurm_opts *o_in)
{
    wn_slurm_opts o = *o_in;
    char exe[PATH_MAX];
    if (!o.exe) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) {
            wn_error("cannot find the winnow executable: set slurm.exe");
            return -1;
        }
        exe[n] = '\0';
        o.exe = exe;
    }
    if (!o.sbatch) o.sbatch = "sbatch";
    if (!o.max_array_size) o.max_array_size = 1000;
    if (!o.mpi_launcher) o.mpi_launcher = "mpirun";
    wn_buf mpi_exe = WN_BUF_INIT;
    if (!o.mpi_exe) { /* beside winnow, as `make winnow-mpi` builds it */
        const char *slash = strrchr(o.exe, '/');
        wn_buf_appendf(&mpi_exe, "%.*swinnow-mpi", slash ? (int)(slash - o.exe + 1) : 0, o.exe);
        o.mpi_exe = mpi_exe.data;
    }

    char *slurm_dir = wn_slurm_dir(plan->workdir);
    char *logs = wn_slurm_file(slurm_dir, "logs");
    int rc = 0;
    if (wn_mkdirs(logs)) {
        wn_error("cannot create '%s'", logs);
        rc = -1;
    }
    free(logs);
    char *abs_dir = rc ? NULL : realpath(slurm_dir, NULL); /* scripts name absolute paths */
    if (abs_dir) {
        free(slurm_dir);
        slurm_dir = abs_dir;
    }
    if (!rc && !o.no_submit) rc = check_nothing_queued(plan->workdir, slurm_dir);
    if (!rc) rc = write_tasks_tsv(plan, &o, slurm_dir);

    phase_jobs *jobs = wn_xcalloc(plan->n_phases ? plan->n_phases : 1, sizeof *jobs);
    for (size_t p = 0; !rc && p < plan->n_phases; p++) {
        const wn_phase *ph = &plan->phases[p];
        if (o.mpi_ranks && wn_slurm_mpi_group(plan, p)) {
            rc = run_mpi(plan, p, &o, slurm_dir, jobs);
            p += 3;
            continue;
        }
        if (o.mpi_ranks && !strcmp(ph->command, "dedup") && ph->n_tasks == 1 &&
            !strstr(ph->name, ".cluster") && !strstr(ph->name, ".count"))
            wn_warn("'%s' runs as one task, not over MPI: slurm.mpi applies to a dedup with "
                    "`split_phases: true` (docs/cluster.md)", ph->name);
        for (size_t first = 0; !rc && first < ph->n_tasks; first += o.max_array_size) {
            size_t count = ph->n_tasks - first < o.max_array_size ? ph->n_tasks - first
                                                                  : o.max_array_size;
            rc = run_part(plan, p, first, count, &o, slurm_dir, jobs);
        }
    }
    if (!rc && o.no_submit) printf("scripts written to '%s'\n", slurm_dir);
    for (size_t p = 0; p < plan->n_phases; p++) {
        for (size_t j = 0; j < jobs[p].n; j++) free(jobs[p].ids[j]);
        free(jobs[p].ids);
    }
    free(jobs);
    free(slurm_dir);
    wn_buf_release(&mpi_exe);
    return rc;
}

int wn_slurm_run_config(const wn_plan *plan, bool scripts_only)
{
    wn_slurm_opts o;
    wn_slurm_opts_init(&o);
    if (wn_slurm_config_load(plan->config_path, &o)) {
        wn_slurm_opts_release(&o);
        return WN_EXIT_USAGE;
    }
    o.no_submit = scripts_only;
    int rc = wn_slurm_run(plan, &o);
    wn_slurm_opts_release(&o);
    return rc ? WN_EXIT_FAILURE : WN_EXIT_OK;
}
