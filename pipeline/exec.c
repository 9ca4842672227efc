/* exec.c: the local executor; see exec.h. */
#include "pipeline/exec.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "core/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct ex_task {
    size_t phase, task;
    bool done, started;
    pid_t pid;
    double start;
} ex_task;

static char *log_path(const wn_plan *p, const wn_phase *ph, const wn_task *t)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/.logs/%s-%05u.log", p->workdir, ph->name, t->index);
    return wn_buf_detach(&b, NULL);
}

/* fork + exec; the child's output goes to its log. Returns the pid, 0 when the task has
 * no input at all (nothing to run), or -1. */
static pid_t spawn(const wn_plan *p, const wn_phase *ph, const wn_task *t, const char *exe)
{
    char **argv;
    size_t argc;
    int rc = wn_task_expand_argv(t, exe, &argv, &argc);
    if (rc == 1) {
        wn_warn("%s %u/%zu: the earlier phase left no documents; nothing to do", ph->name,
                t->index, ph->n_tasks);
        return 0;
    }
    if (rc != 0)
        return -1;
    char *log = log_path(p, ph, t);
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed run leaves no orphan writing files */
        if (getppid() != parent)
            _exit(127);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
        }
        execv(exe, argv);
        fprintf(stderr, "cannot run '%s': %s\n", exe, strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        wn_error("cannot start a task: %s", strerror(errno));
    wn_task_argv_free(argv, argc);
    free(log);
    return pid;
}

/* Tasks left per phase, so readiness is a lookup even with thousands of tasks. */
typedef struct ex_state {
    ex_task *ts;
    size_t n;
    size_t *left;   /* per phase: tasks not complete */
    bool *cleaned;  /* per phase: outdir prepared */
    size_t done;
} ex_state;

static bool deps_complete(const wn_plan *p, const ex_state *st, size_t phase)
{
    for (size_t k = 0; k < p->phases[phase].n_deps; k++)
        if (st->left[p->phases[phase].deps[k]] != 0)
            return false;
    return true;
}

static void task_complete(ex_state *st, ex_task *e)
{
    e->done = true;
    st->left[e->phase]--;
    st->done++;
}

static void report_exit(const wn_plan *p, const ex_task *e, int status)
{
    const wn_phase *ph = &p->phases[e->phase];
    char *log = log_path(p, ph, &ph->tasks[e->task]);
    if (WIFEXITED(status))
        wn_error("task %s %zu/%zu failed with exit code %d; see '%s'", ph->name, e->task,
                 ph->n_tasks, WEXITSTATUS(status), log);
    else
        wn_error("task %s %zu/%zu was killed by signal %d; see '%s'", ph->name, e->task,
                 ph->n_tasks, WIFSIGNALED(status) ? WTERMSIG(status) : 0, log);
    free(log);
}

/* Start every ready task there is room for. Returns -1 when one could not start. */
static int launch_ready(const wn_plan *p, ex_state *st, unsigned *running, unsigned max,
                        const wn_exec_opts *o)
{
    for (size_t i = 0; i < st->n && *running < max; i++) {
        ex_task *e = &st->ts[i];
        if (e->done || e->started || !deps_complete(p, st, e->phase))
            continue;
        const wn_phase *ph = &p->phases[e->phase];
        if (!st->cleaned[e->phase]) { /* first task of the phase: nothing of it runs */
            wn_mkdirs(ph->outdir); /* for commands whose -o is a file prefix */
            wn_phase_clean_temporaries(ph);
            st->cleaned[e->phase] = true;
        }
        e->pid = spawn(p, ph, &ph->tasks[e->task], o->exe);
        if (e->pid < 0)
            return -1;
        e->started = true;
        if (e->pid == 0) { /* no input: complete as it is */
            if (wn_task_mark_done(&ph->tasks[e->task]) != 0)
                return -1;
            task_complete(st, e);
            continue;
        }
        e->start = wn_now();
        (*running)++;
    }
    return 0;
}

/* A child ended: record it. Returns false when it failed. */
static bool reap(const wn_plan *p, ex_state *st, ex_task *e, int status, const wn_exec_opts *o)
{
    const wn_phase *ph = &p->phases[e->phase];
    e->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        report_exit(p, e, status);
        e->started = false;
        return false;
    }
    if (wn_task_mark_done(&ph->tasks[e->task]) != 0) {
        e->started = false;
        return false;
    }
    task_complete(st, e);
    if (!o->quiet)
        wn_info("[%zu/%zu] %s %zu/%zu done (%.1f s)", st->done, st->n, ph->name, e->task,
                ph->n_tasks, wn_now() - e->start);
    return true;
}

/* One executor per workdir at a time: two would redo each other's tasks. The lock dies
 * with the process, so a killed run never blocks the next one. Returns the fd or -1. */
static int lock_workdir(const char *workdir)
{
    wn_buf path = WN_BUF_INIT;
    wn_buf_appendf(&path, "%s/.lock", workdir);
    int fd = wn_mkdirs(workdir) == 0 ? open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd < 0) {
        wn_error("cannot create '%s': %s", path.data, strerror(errno));
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        wn_error("another winnow run is working in '%s' (lock '%s')", workdir, path.data);
        close(fd);
        fd = -1;
    }
    wn_buf_release(&path);
    return fd;
}

int wn_plan_execute(const wn_plan *p, const wn_exec_opts *o)
{
    wn_buf logs = WN_BUF_INIT;
    wn_buf_appendf(&logs, "%s/.logs", p->workdir);
    int lock = lock_workdir(p->workdir);
    if (lock >= 0 && wn_mkdirs(logs.data) != 0) {
        wn_error("cannot create '%s': %s", logs.data, strerror(errno));
        close(lock);
        lock = -1;
    }
    wn_buf_release(&logs);
    if (lock < 0)
        return -1;
    double t0 = wn_now();
    ex_state st = {0};
    for (size_t i = 0; i < p->n_phases; i++)
        st.n += p->phases[i].n_tasks;
    st.ts = wn_xcalloc(st.n + 1, sizeof *st.ts);
    st.left = wn_xcalloc(p->n_phases + 1, sizeof *st.left);
    st.cleaned = wn_xcalloc(p->n_phases + 1, sizeof *st.cleaned);
    for (size_t i = 0, k = 0; i < p->n_phases; i++)
        for (size_t t = 0; t < p->phases[i].n_tasks; t++, k++) {
            st.ts[k] = (ex_task){.phase = i, .task = t};
            st.left[i]++;
            if (wn_task_is_done(&p->phases[i].tasks[t]))
                task_complete(&st, &st.ts[k]);
        }
    if (!o->quiet && st.done && st.done == st.n)
        wn_info("run: all %zu tasks already complete; nothing to do", st.n);
    else if (!o->quiet && st.done)
        wn_info("run: %zu of %zu tasks already complete, resuming", st.done, st.n);
    unsigned max = o->max_parallel ? o->max_parallel : p->max_parallel, running = 0;
    bool failed = false;
    for (;;) {
        if (!failed && launch_ready(p, &st, &running, max ? max : 1, o) != 0)
            failed = true;
        if (running == 0)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t i = 0; i < st.n; i++)
            if (st.ts[i].started && !st.ts[i].done && st.ts[i].pid == pid) {
                running--;
                if (!reap(p, &st, &st.ts[i], status, o))
                    failed = true;
                break;
            }
    }
    if (!o->quiet && !failed && st.done == st.n)
        wn_info("run: %zu tasks complete in %.1f s", st.n, wn_now() - t0);
    bool ok = !failed && st.done == st.n;
    free(st.ts);
    free(st.left);
    free(st.cleaned);
    close(lock);
    return ok ? 0 : -1;
}
