/* slurm_script.c: the text of the sbatch scripts.
 *
 * A script is meant to be read and submitted by hand, so it states what it runs in its
 * header comment, uses only #SBATCH lines and plain POSIX shell, and writes its own status
 * records (started / failed) next to the plan's completion records. The command is the
 * phase's task-0 argv with the shard argument replaced by "$I/$N"; when the tasks of a
 * phase differ in more than that, the script falls back to a `case` over the task index.
 */
#include "cluster/slurm.h"
#include "cluster/slurm_files.h"
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Characters that never need quoting in a POSIX shell word. */
static int shell_safe(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=/.,:@%",
                    *s))
            return 0;
    return 1;
}

void wn_slurm_append_quoted(wn_buf *b, const char *s)
{
    if (shell_safe(s)) {
        wn_buf_appends(b, s);
        return;
    }
    wn_buf_appendc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'') wn_buf_appends(b, "'\\''");
        else wn_buf_appendc(b, *s);
    }
    wn_buf_appendc(b, '\'');
}

/* Appends one argument: globs bare (the shell expands them at run time), literals quoted. */
static void append_arg(wn_buf *b, const wn_task_arg *a)
{
    if (a->glob) wn_buf_appends(b, a->text);
    else wn_slurm_append_quoted(b, a->text);
}

/* Is `arg` the shard argument of task `index` of `n`: "I/N" or "--shard=I/N"? */
static int is_shard_arg(const char *arg, unsigned index, size_t n)
{
    char want[64];
    snprintf(want, sizeof want, "%u/%zu", index, n);
    if (!strncmp(arg, "--shard=", 8)) arg += 8;
    return !strcmp(arg, want);
}

/* Position of the shard argument in task 0, provided every task has the same argv except
 * for that argument; -1 when the phase cannot be written as one template. */
static long uniform_shard_position(const wn_phase *ph)
{
    const wn_task *t0 = &ph->tasks[0];
    long pos = -1;
    for (size_t a = 0; a < t0->argc; a++)
        if (!t0->argv[a].glob && is_shard_arg(t0->argv[a].text, t0->index, ph->n_tasks)) {
            pos = (long)a;
            break;
        }
    if (pos < 0) return ph->n_tasks == 1 ? -2 : -1; /* -2: a single unsharded task */
    for (size_t t = 1; t < ph->n_tasks; t++) {
        const wn_task *tk = &ph->tasks[t];
        if (tk->argc != t0->argc) return -1;
        for (size_t a = 0; a < tk->argc; a++) {
            if ((long)a == pos) {
                if (!is_shard_arg(tk->argv[a].text, tk->index, ph->n_tasks)) return -1;
            } else if (strcmp(tk->argv[a].text, t0->argv[a].text) ||
                       tk->argv[a].glob != t0->argv[a].glob) {
                return -1;
            }
        }
    }
    return pos;
}

static void append_command(wn_buf *b, const wn_task *t, const char *exe, long shard_pos)
{
    wn_slurm_append_quoted(b, exe);
    for (size_t a = 0; a < t->argc; a++) {
        wn_buf_appendc(b, ' ');
        if ((long)a == shard_pos)
            wn_buf_appends(b, strncmp(t->argv[a].text, "--shard=", 8) ? "\"$I/$N\""
                                                                        : "\"--shard=$I/$N\"");
        else
            append_arg(b, &t->argv[a]);
    }
}

/* Length of the prefix of task 0's done path before its zero-padded index ("00000"),
 * provided every task's path is that prefix, its index as %05u and the same suffix;
 * -1 otherwise (the script then lists each task's path). */
static long done_index_position(const wn_phase *ph)
{
    const char *p0 = ph->tasks[0].done_path, *hit = NULL;
    char idx[32];
    snprintf(idx, sizeof idx, "%05u", ph->tasks[0].index);
    for (const char *s = strstr(p0, idx); s; s = strstr(s + 1, idx)) hit = s; /* last one */
    if (!hit) return -1;
    size_t pre = (size_t)(hit - p0), suf = strlen(hit + strlen(idx));
    for (size_t t = 0; t < ph->n_tasks; t++) {
        const char *p = ph->tasks[t].done_path;
        snprintf(idx, sizeof idx, "%05u", ph->tasks[t].index);
        size_t len = strlen(p);
        if (len != pre + strlen(idx) + suf || strncmp(p, p0, pre) ||
            strncmp(p + pre, idx, strlen(idx)) || strcmp(p + len - suf, p0 + strlen(p0) - suf))
            return -1;
    }
    return (long)pre;
}

/* DONE=<the task's completion record>, for task $I. */
static void append_done_path(wn_buf *b, const wn_phase *ph, size_t first, size_t count)
{
    long pre = done_index_position(ph);
    if (pre >= 0) {
        const char *p0 = ph->tasks[0].done_path;
        char *head = wn_xstrndup(p0, (size_t)pre);
        wn_buf_appends(b, "DONE=");
        if (*head) wn_slurm_append_quoted(b, head);
        char idx[32];
        snprintf(idx, sizeof idx, "%05u", ph->tasks[0].index);
        wn_buf_appends(b, "$(printf %05d \"$I\")");
        wn_slurm_append_quoted(b, p0 + pre + strlen(idx));
        wn_buf_appendc(b, '\n');
        free(head);
        return;
    }
    wn_buf_appends(b, "case \"$I\" in\n");
    for (size_t t = first; t < first + count; t++) {
        wn_buf_appendf(b, "%u) DONE=", ph->tasks[t].index);
        wn_slurm_append_quoted(b, ph->tasks[t].done_path);
        wn_buf_appends(b, " ;;\n");
    }
    wn_buf_appends(b, "esac\n");
}

static void sbatch_line(wn_buf *b, const char *opt, const char *value)
{
    if (!value || !*value) return;
    wn_buf_appendf(b, "#SBATCH %s=", opt);
    wn_slurm_append_quoted(b, value);
    wn_buf_appendc(b, '\n');
}

/* #SBATCH lines shared by array and MPI scripts (after --job-name and --array). */
static void append_resources(wn_buf *b, const wn_slurm_resources *res, unsigned cpus,
                             const char *slurm_dir, const char *base, bool mpi)
{
    wn_buf_appendf(b, "#SBATCH --output=%s/logs/%s-%%A_%%a.log\n", slurm_dir, base);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) sbatch_line(b, "--chdir", cwd); /* relative plan paths */
    sbatch_line(b, "--partition", res->partition);
    sbatch_line(b, "--time", res->time);
    sbatch_line(b, mpi ? "--mem-per-cpu" : "--mem", res->mem);
    sbatch_line(b, "--account", res->account);
    if (cpus) wn_buf_appendf(b, "#SBATCH --cpus-per-task=%u\n", cpus);
    for (size_t i = 0; i < res->n_extra; i++) wn_buf_appendf(b, "#SBATCH %s\n", res->extra[i]);
}

static void append_header(wn_buf *b, const wn_plan *plan, const char *slurm_dir,
                          const char *base, const wn_phase *needs)
{
    wn_buf_appendf(b, ".\n# Written by `winnow run %s --slurm`. Submit by hand with\n"
                      "#   sbatch %s/%s.sbatch\n",
                   plan->config_path, slurm_dir, base);
    wn_buf_appendf(b, "# A task is done when its .done record exists (see %s/tasks.tsv);\n"
                      "# `winnow status %s` lists done, running and failed tasks.\n",
                   slurm_dir, plan->workdir);
    if (needs->n_deps) {
        wn_buf_appends(b, "# Needs phases:");
        for (size_t d = 0; d < needs->n_deps; d++)
            wn_buf_appendf(b, " %s", plan->phases[needs->deps[d]].name);
        wn_buf_appends(b, " (submitted with --dependency=afterok:...)\n");
    }
}

/* STATUS directory, the task's started record, and mark_done: a completion record is
 * written like the local executor does it, after the command exited 0, under a temporary
 * name, then renamed into place. */
static void append_prologue(wn_buf *b, const char *status)
{
    wn_buf_appends(b, "STATUS=");
    wn_slurm_append_quoted(b, status);
    wn_buf_appends(b,
                   "\nJOB=\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}\"\n"
                   "mark_done() {\n"
                   "    mkdir -p \"$(dirname \"$1\")\" &&\n"
                   "    echo \"job $JOB on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)\" "
                   ">\"$1.tmp-$$\" &&\n"
                   "    mv \"$1.tmp-$$\" \"$1\"\n"
                   "}\n"
                   "mkdir -p \"$STATUS\" && rm -f \"$STATUS/$I.failed\"\n"
                   "echo \"job $JOB on $(hostname) since $(date -u +%Y-%m-%dT%H:%M:%SZ)\" "
                   ">\"$STATUS/$I.started\"\n\n");
}

static void append_epilogue(wn_buf *b)
{
    wn_buf_appends(b,
                   "if [ \"$rc\" -ne 0 ]; then\n"
                   "    echo \"exit $rc, job $JOB on $(hostname) at "
                   "$(date -u +%Y-%m-%dT%H:%M:%SZ)\" >\"$STATUS/$I.failed\"\n"
                   "fi\n"
                   "exit \"$rc\"\n");
}

char *wn_slurm_script(const wn_plan *plan, size_t p, size_t first, size_t count,
                      const wn_slurm_opts *o, const char *slurm_dir)
{
    const wn_phase *ph = &plan->phases[p];
    wn_slurm_resources res = wn_slurm_resources_for(o, ph);
    char *base = wn_slurm_script_base(plan, p, first, o->max_array_size);
    char *status = wn_slurm_status_dir(slurm_dir, ph->name);
    long shard_pos = uniform_shard_position(ph);
    wn_buf b = WN_BUF_INIT;

    wn_buf_appends(&b, "#!/bin/sh\n");
    wn_buf_appendf(&b, "# winnow phase '%s' (%s): tasks %zu-%zu of %zu", ph->name, ph->command,
                   first, first + count - 1, ph->n_tasks);
    if (count < ph->n_tasks) wn_buf_appendf(&b, ", array index = task - %zu", first);
    append_header(&b, plan, slurm_dir, base, ph);
    wn_buf_appendf(&b, "# Only some tasks:  sbatch --array=3,7-9 %s/%s.sbatch\n", slurm_dir, base);
    wn_buf_appendf(&b, "#SBATCH --job-name=winnow-%s\n", ph->name);
    wn_buf_appendf(&b, "#SBATCH --array=0-%zu\n", count - 1);
    append_resources(&b, &res, res.cpus ? res.cpus : ph->threads, slurm_dir, base, false);

    wn_buf_appends(&b, "\nexport LC_ALL=C\n");
    wn_buf_appendf(&b, "N=%zu\nI=$((%zu + SLURM_ARRAY_TASK_ID))\n", ph->n_tasks, first);
    append_done_path(&b, ph, first, count);
    append_prologue(&b, status);
    if (shard_pos != -1) {
        append_command(&b, &ph->tasks[0], o->exe, shard_pos);
        wn_buf_appendc(&b, '\n');
    } else {
        wn_buf_appends(&b, "case \"$I\" in\n");
        for (size_t t = first; t < first + count; t++) {
            wn_buf_appendf(&b, "%u) ", ph->tasks[t].index);
            append_command(&b, &ph->tasks[t], o->exe, -1);
            wn_buf_appends(&b, " ;;\n");
        }
        wn_buf_appends(&b, "*) echo \"no task $I in this script\" >&2; false ;;\nesac\n");
    }
    wn_buf_appends(&b, "rc=$?\n"
                       "if [ \"$rc\" -eq 0 ]; then mark_done \"$DONE\" || rc=1; fi\n");
    append_epilogue(&b);
    free(base);
    free(status);
    return wn_buf_detach(&b, NULL);
}

size_t wn_slurm_mpi_group(const wn_plan *plan, size_t p)
{
    /* the phases winnow-mpi runs: a document dedup's first four, line dedup's first two */
    static const char *const groups[][5] = {{".sign", ".bands", ".merge", ".cluster", NULL},
                                            {".hash", ".count", NULL}};
    for (size_t g = 0; g < sizeof groups / sizeof *groups; g++) {
        size_t prefix = 0, k = 0;
        for (; groups[g][k]; k++) {
            if (p + k >= plan->n_phases)
                break;
            const wn_phase *ph = &plan->phases[p + k];
            size_t n = strlen(ph->name), sl = strlen(groups[g][k]);
            if (strcmp(ph->command, "dedup") || n <= sl ||
                strcmp(ph->name + n - sl, groups[g][k]) || !ph->n_tasks)
                break;
            if (k == 0)
                prefix = n - sl;
            else if (n - sl != prefix || strncmp(ph->name, plan->phases[p].name, prefix))
                break;
        }
        if (!groups[g][k])
            return k;
    }
    return 0;
}

char *wn_slurm_mpi_name(const wn_phase *first)
{
    wn_buf b = WN_BUF_INIT;
    const char *dot = strrchr(first->name, '.');
    size_t prefix = dot ? (size_t)(dot - first->name) : strlen(first->name);
    wn_buf_appendf(&b, "%.*s.mpi", (int)prefix, first->name);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_mpi_script(const wn_plan *plan, size_t p, const wn_slurm_opts *o,
                          const char *slurm_dir)
{
    size_t n_group = wn_slurm_mpi_group(plan, p);
    const wn_phase *sign = &plan->phases[p], *cluster = &plan->phases[p + n_group - 1];
    char *name = wn_slurm_mpi_name(sign), *base = wn_slurm_script_base_named(p, name);
    char *status = wn_slurm_status_dir(slurm_dir, name);
    wn_slurm_resources res = o->defaults;
    for (size_t i = 0; i < o->n_overrides; i++) /* "dedup.mpi" or "<source>.dedup.mpi" */
        if (!strcmp(o->overrides[i].match, "dedup.mpi") || !strcmp(o->overrides[i].match, name))
            res = o->overrides[i].res;
    wn_buf b = WN_BUF_INIT;

    wn_buf_appendf(&b, "#!/bin/sh\n# winnow phases '%s' to '%s' (dedup's global work) as one "
                       "MPI job of %u ranks (winnow-mpi, docs/cluster.md)",
                   sign->name, cluster->name, o->mpi_ranks);
    append_header(&b, plan, slurm_dir, base, sign);
    wn_buf_appendf(&b, "#SBATCH --job-name=winnow-%s\n#SBATCH --array=0\n", name);
    wn_buf_appendf(&b, "#SBATCH --ntasks=%u\n", o->mpi_ranks);
    append_resources(&b, &res, res.cpus ? res.cpus : sign->threads, slurm_dir, base, true);
    wn_buf_appends(&b, "\nexport LC_ALL=C\nI=0\n");
    append_prologue(&b, status);

    /* The last phase's command without its phase and shard: winnow-mpi runs them all. */
    const wn_task *t = &cluster->tasks[0];
    wn_buf_appendf(&b, "%s ", o->mpi_launcher);
    wn_slurm_append_quoted(&b, o->mpi_exe);
    for (size_t a = 0; a < t->argc; a++) {
        if (!t->argv[a].glob && a + 1 < t->argc &&
            (!strcmp(t->argv[a].text, "--phase") || !strcmp(t->argv[a].text, "--shard"))) {
            a++;
            continue;
        }
        wn_buf_appendc(&b, ' ');
        append_arg(&b, &t->argv[a]);
    }
    wn_buf_appends(&b, "\nrc=$?\n"
                       "# every task of these phases is complete: the removal phase and the\n"
                       "# local executor must see them so\n"
                       "if [ \"$rc\" -eq 0 ]; then\n"
                       "    while read -r d; do mark_done \"$d\" || rc=1; done <<'EOF'\n");
    for (size_t k = p; k < p + n_group; k++)
        for (size_t i = 0; i < plan->phases[k].n_tasks; i++)
            wn_buf_appendf(&b, "%s\n", plan->phases[k].tasks[i].done_path);
    wn_buf_appends(&b, "EOF\nfi\n");
    append_epilogue(&b);
    free(name);
    free(base);
    free(status);
    return wn_buf_detach(&b, NULL);
}
