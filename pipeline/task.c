/* task.c: what executors need from a plan - completion records, command lines, glob
 * expansion, and the --dry-run / JSON views; see plan.h. */
#include "pipeline/plan.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool wn_task_is_done(const wn_task *task)
{
    return access(task->done_path, F_OK) == 0;
}

size_t wn_phase_done_count(const wn_phase *phase)
{
    size_t n = 0;
    for (size_t i = 0; i < phase->n_tasks; i++)
        n += wn_task_is_done(&phase->tasks[i]);
    return n;
}

int wn_task_mark_done(const wn_task *task)
{
    char err[512];
    wn_buf dir = WN_BUF_INIT;
    const char *slash = strrchr(task->done_path, '/');
    wn_buf_append(&dir, task->done_path, slash ? (size_t)(slash - task->done_path) : 0);
    int rc = dir.len && wn_mkdirs(dir.data) != 0 ? -1 : 0;
    wn_buf_release(&dir);
    wn_out *out = rc == 0 ? wn_out_open(task->done_path, WN_COMP_NONE, 0, err, sizeof err) : NULL;
    if (out) {
        char *line = wn_task_command_line(task, "winnow");
        rc = wn_out_write(out, line, strlen(line)) || wn_out_write(out, "\n", 1) ? -1 : 0;
        free(line);
        if (rc == 0)
            rc = wn_out_commit(out, err, sizeof err);
        else
            wn_out_abort(out);
    } else if (rc != 0) {
        snprintf(err, sizeof err, "cannot create the directory of '%s': %s", task->done_path,
                 strerror(errno));
    } else {
        rc = -1; /* err says why wn_out_open failed */
    }
    if (rc != 0)
        wn_error("%s", err);
    return rc;
}

void wn_phase_clean_temporaries(const wn_phase *phase)
{
    DIR *d = opendir(phase->outdir);
    if (!d)
        return;
    struct dirent *e;
    wn_buf p = WN_BUF_INIT;
    while ((e = readdir(d))) {
        if (!strstr(e->d_name, ".tmp-"))
            continue;
        wn_buf_reset(&p);
        wn_buf_appendf(&p, "%s/%s", phase->outdir, e->d_name);
        unlink(p.data);
    }
    wn_buf_release(&p);
    closedir(d);
}

/* Single-quote s for a POSIX shell unless it is made only of safe characters. */
static void shell_quote(wn_buf *b, const char *s)
{
    if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                        "-_./=:,+@%") == strlen(s)) {
        wn_buf_appends(b, s);
        return;
    }
    wn_buf_appendc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            wn_buf_appends(b, "'\\''");
        else
            wn_buf_appendc(b, *s);
    }
    wn_buf_appendc(b, '\'');
}

char *wn_task_command_line(const wn_task *task, const char *exe)
{
    wn_buf b = WN_BUF_INIT;
    shell_quote(&b, exe);
    for (size_t i = 0; i < task->argc; i++) {
        wn_buf_appendc(&b, ' ');
        if (task->argv[i].glob)
            wn_buf_appends(&b, task->argv[i].text);
        else
            shell_quote(&b, task->argv[i].text);
    }
    return wn_buf_detach(&b, NULL);
}

int wn_task_expand_argv(const wn_task *task, const char *exe, char ***argv_out, size_t *argc_out)
{
    size_t n = 0, cap = task->argc + 2;
    char **v = wn_xcalloc(cap, sizeof *v);
    v[n++] = wn_xstrdup(exe);
    for (size_t i = 0; i < task->argc; i++) {
        if (!task->argv[i].glob) {
            v[n++] = wn_xstrdup(task->argv[i].text);
            continue;
        }
        glob_t g;
        int rc = glob(task->argv[i].text, 0, NULL, &g);
        if (rc != 0 || g.gl_pathc == 0) {
            if (rc == 0)
                globfree(&g);
            wn_task_argv_free(v, n);
            *argv_out = NULL;
            *argc_out = 0;
            return rc == 0 || rc == GLOB_NOMATCH ? 1 : -1;
        }
        cap += g.gl_pathc;
        v = wn_xrealloc(v, cap * sizeof *v);
        for (size_t k = 0; k < g.gl_pathc; k++) /* glob(3) sorts */
            v[n++] = wn_xstrdup(g.gl_pathv[k]);
        globfree(&g);
    }
    v[n] = NULL;
    *argv_out = v;
    *argc_out = n;
    return 0;
}

void wn_task_argv_free(char **argv, size_t argc)
{
    if (!argv)
        return;
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

void wn_plan_print(const wn_plan *p, FILE *f)
{
    size_t tasks = 0, done = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        tasks += p->phases[i].n_tasks;
        done += wn_phase_done_count(&p->phases[i]);
    }
    fprintf(f, "plan for '%s': workdir '%s', %zu phases, %zu tasks (%zu complete), up to %u "
            "at once\n", p->config_path, p->workdir, p->n_phases, tasks, done, p->max_parallel);
    for (size_t i = 0; i < p->n_phases; i++) {
        const wn_phase *ph = &p->phases[i];
        fprintf(f, "\nphase %zu/%zu %s: %zu task%s, -j %u", i + 1, p->n_phases, ph->name,
                ph->n_tasks, ph->n_tasks == 1 ? "" : "s", ph->threads);
        for (size_t k = 0; k < ph->n_deps; k++)
            fprintf(f, "%s%s", k ? ", " : ", after ", p->phases[ph->deps[k]].name);
        if (wn_phase_changed(p, i))
            fprintf(f, "\n  CHANGED: its complete tasks ran with other settings; `winnow run` "
                       "refuses this workdir (docs/run.md)");
        fprintf(f, "\n  outputs: %s\n", ph->outputs_glob ? ph->outputs_glob : ph->outdir);
        for (size_t t = 0; t < ph->n_tasks; t++) {
            char *line = wn_task_command_line(&ph->tasks[t], "winnow");
            fprintf(f, "  [%s] %s\n", wn_task_is_done(&ph->tasks[t]) ? "done" : "    ", line);
            free(line);
        }
    }
    if (p->final_outputs)
        fprintf(f, "\ntraining shards: %s\n", p->final_outputs);
}

json_t *wn_plan_to_json(const wn_plan *p)
{
    json_t *phases = json_array();
    for (size_t i = 0; i < p->n_phases; i++) {
        const wn_phase *ph = &p->phases[i];
        json_t *deps = json_array(), *tasks = json_array();
        for (size_t k = 0; k < ph->n_deps; k++)
            json_array_append_new(deps, json_string(p->phases[ph->deps[k]].name));
        for (size_t t = 0; t < ph->n_tasks; t++) {
            json_t *argv = json_array(), *globs = json_array();
            for (size_t k = 0; k < ph->tasks[t].argc; k++) {
                json_array_append_new(argv, json_string(ph->tasks[t].argv[k].text));
                if (ph->tasks[t].argv[k].glob)
                    json_array_append_new(globs, json_integer((json_int_t)k));
            }
            json_array_append_new(tasks, json_pack("{s:I, s:o, s:o, s:s, s:b}", "index",
                (json_int_t)ph->tasks[t].index, "argv", argv, "glob", globs, "done",
                ph->tasks[t].done_path, "complete", wn_task_is_done(&ph->tasks[t])));
        }
        json_array_append_new(phases, json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:i, s:o, s:o}",
            "name", ph->name, "command", ph->command, "source", ph->source, "outdir",
            ph->outdir, "outputs", ph->outputs_glob, "threads", (int)ph->threads, "deps", deps,
            "tasks", tasks));
    }
    return json_pack("{s:s, s:s, s:i, s:s?, s:o}", "config", p->config_path, "workdir",
                     p->workdir, "max_parallel", (int)p->max_parallel, "final_outputs",
                     p->final_outputs, "phases", phases);
}
