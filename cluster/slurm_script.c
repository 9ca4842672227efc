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

char *wn_slurm_script(const wn_plan *plan, size_t p, size_t first, size_t count,
                      const wn_slurm_opts *o, const char *slurm_dir)
{
    const wn_phase *ph = &plan->phases[p];
    wn_slurm_resources res = wn_slurm_resources_for(o, ph);
    unsigned cpus = res.cpus ? res.cpus : ph->threads;
    char *base = wn_slurm_script_base(plan, p, first, o->max_array_size);
    char *status = wn_slurm_status_dir(slurm_dir, ph);
    long shard_pos = uniform_shard_position(ph);
    wn_buf b = WN_BUF_INIT;

    wn_buf_appends(&b, "#!/bin/sh\n");
    wn_buf_appendf(&b, "# winnow phase '%s' (%s): tasks %zu-%zu of %zu", ph->name, ph->command,
                   first, first + count - 1, ph->n_tasks);
    if (count < ph->n_tasks) wn_buf_appendf(&b, ", array index = task - %zu", first);
    wn_buf_appendf(&b, ".\n# Written by `winnow run %s --slurm`. Submit by hand with\n"
                       "#   sbatch %s/%s.sbatch\n"
                       "# or only some tasks with  sbatch --array=3,7-9 %s/%s.sbatch\n",
                   plan->config_path, slurm_dir, base, slurm_dir, base);
    wn_buf_appendf(&b, "# A task is done when its .done record exists (see %s/tasks.tsv);\n"
                       "# `winnow status %s` lists done, running and failed tasks.\n",
                   slurm_dir, plan->workdir);
    if (ph->n_deps) {
        wn_buf_appends(&b, "# Needs phases:");
        for (size_t d = 0; d < ph->n_deps; d++)
            wn_buf_appendf(&b, " %s", plan->phases[ph->deps[d]].name);
        wn_buf_appends(&b, " (submitted with --dependency=afterok:...)\n");
    }
    wn_buf_appendf(&b, "#SBATCH --job-name=winnow-%s\n", ph->name);
    wn_buf_appendf(&b, "#SBATCH --array=0-%zu\n", count - 1);
    wn_buf_appendf(&b, "#SBATCH --output=%s/logs/%s-%%A_%%a.log\n", slurm_dir, base);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd)) sbatch_line(&b, "--chdir", cwd); /* relative plan paths */
    sbatch_line(&b, "--partition", res.partition);
    sbatch_line(&b, "--time", res.time);
    sbatch_line(&b, "--mem", res.mem);
    sbatch_line(&b, "--account", res.account);
    if (cpus) wn_buf_appendf(&b, "#SBATCH --cpus-per-task=%u\n", cpus);
    for (size_t i = 0; i < res.n_extra; i++) wn_buf_appendf(&b, "#SBATCH %s\n", res.extra[i]);

    wn_buf_appends(&b, "\nexport LC_ALL=C\n");
    wn_buf_appendf(&b, "N=%zu\nI=$((%zu + SLURM_ARRAY_TASK_ID))\nSTATUS=", ph->n_tasks, first);
    wn_slurm_append_quoted(&b, status);
    wn_buf_appendc(&b, '\n');
    append_done_path(&b, ph, first, count);
    wn_buf_appends(&b,
                   "mkdir -p \"$STATUS\" && rm -f \"$STATUS/$I.failed\"\n"
                   "echo \"job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname) "
                   "since $(date -u +%Y-%m-%dT%H:%M:%SZ)\" >\"$STATUS/$I.started\"\n\n");
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
    /* Like the local executor: the completion record is written after the command exited
     * 0, under a temporary name, then renamed into place. */
    wn_buf_appends(&b,
                   "rc=$?\n"
                   "if [ \"$rc\" -eq 0 ]; then\n"
                   "    mkdir -p \"$(dirname \"$DONE\")\" &&\n"
                   "    echo \"job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname) at "
                   "$(date -u +%Y-%m-%dT%H:%M:%SZ)\" >\"$DONE.tmp-$$\" &&\n"
                   "    mv \"$DONE.tmp-$$\" \"$DONE\" || rc=1\n"
                   "fi\n"
                   "if [ \"$rc\" -ne 0 ]; then\n"
                   "    echo \"exit $rc, job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on "
                   "$(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)\" >\"$STATUS/$I.failed\"\n"
                   "fi\n"
                   "exit \"$rc\"\n");
    free(base);
    free(status);
    return wn_buf_detach(&b, NULL);
}
