/* status.c: classify every task of a Slurm run (see status.h). */
#include "cluster/status.h"
#include "cluster/proc.h"
#include "cluster/slurm.h"
#include "cluster/slurm_files.h"
#include "core/buf.h"
#include "core/log.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const wn_task_state_names[WN_TASK_NSTATES] = {"done", "running", "queued",
                                                          "failed", "not started"};

typedef struct job_entry {
    char phase[512];
    unsigned first;
    char id[64];
} job_entry;

typedef struct queue_entry {
    char key[96]; /* "<arrayjob>_<index>" */
    int running;
} queue_entry;

static int cmp_queue(const void *a, const void *b)
{
    return strcmp(((const queue_entry *)a)->key, ((const queue_entry *)b)->key);
}

static char *read_small(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    wn_buf b = WN_BUF_INIT;
    char chunk[1024];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) wn_buf_append(&b, chunk, n);
    fclose(f);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r')) b.data[--b.len] = '\0';
    if (!b.data) wn_buf_appends(&b, "");
    return wn_buf_detach(&b, NULL);
}

static queue_entry *load_queue(size_t *n, bool *known)
{
    wn_buf q = WN_BUF_INIT;
    *n = 0;
    *known = wn_squeue_mine(&q) == 0;
    queue_entry *v = NULL;
    for (char *s = q.data; *known && s && *s;) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = '\0';
        char key[96], state[64];
        if (sscanf(s, "%95s %63s", key, state) == 2) {
            v = wn_xrealloc(v, (*n + 1) * sizeof *v);
            snprintf(v[*n].key, sizeof v[*n].key, "%s", key);
            v[*n].running = strcmp(state, "PENDING") != 0 && strcmp(state, "REQUEUED") != 0;
            (*n)++;
        }
        s = nl ? nl + 1 : NULL;
    }
    if (*n) qsort(v, *n, sizeof *v, cmp_queue);
    wn_buf_release(&q);
    return v;
}

static job_entry *load_jobs(const char *slurm_dir, size_t *n)
{
    char line[2048], *path = wn_slurm_file(slurm_dir, "jobs.tsv");
    job_entry *v = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    free(path);
    if (!f) return NULL;
    while (fgets(line, sizeof line, f)) {
        job_entry e;
        char when[64];
        if (sscanf(line, "%63s %511s %u %63s", when, e.phase, &e.first, e.id) != 4) continue;
        v = wn_xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = e;
    }
    fclose(f);
    return v;
}

/* Is task (phase, index) in the queue under any submission? 0 no, 1 pending, 2 running.
 * The newest submission wins, so scan jobs.tsv backwards. */
static int queued_state(const job_entry *jobs, size_t n_jobs, const queue_entry *q, size_t n_q,
                        const char *phase, unsigned index, char *job_out, size_t job_len)
{
    for (size_t j = n_jobs; j-- > 0;) {
        if (strcmp(jobs[j].phase, phase) || index < jobs[j].first) continue;
        queue_entry key;
        snprintf(key.key, sizeof key.key, "%s_%u", jobs[j].id, index - jobs[j].first);
        const queue_entry *hit = n_q ? bsearch(&key, q, n_q, sizeof *q, cmp_queue) : NULL;
        if (hit) {
            snprintf(job_out, job_len, "%s", key.key);
            return hit->running ? 2 : 1;
        }
    }
    return 0;
}

/* The log of the job named in a record ("job 12_3 on ..."), given the script base. */
static char *log_path(const char *slurm_dir, const char *base, const char *job)
{
    if (!job || !*job) return NULL;
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/logs/%s-%s.log", slurm_dir, base, job);
    return wn_buf_detach(&b, NULL);
}

static void job_of_record(const char *record, char *job, size_t len)
{
    job[0] = '\0';
    const char *s = record ? strstr(record, "job ") : NULL;
    if (s) snprintf(job, len, "%.*s", (int)strcspn(s + 4, " ,\n"), s + 4);
}

static int classify(wn_task_status *t, const char *slurm_dir, const char *done_path,
                    const char *base, const job_entry *jobs, size_t n_jobs,
                    const queue_entry *q, size_t n_q, bool queue_known)
{
    char job[96] = "";
    struct stat sb;
    if (stat(done_path, &sb) == 0) {
        t->state = WN_TASK_DONE;
        return 0;
    }
    int inq = queued_state(jobs, n_jobs, q, n_q, t->phase, t->index, job, sizeof job);
    char *failed = wn_slurm_record_path(slurm_dir, t->phase, t->index, "failed");
    char *started = wn_slurm_record_path(slurm_dir, t->phase, t->index, "started");
    if (inq) {
        t->state = inq == 2 ? WN_TASK_RUNNING : WN_TASK_QUEUED;
        t->detail = inq == 2 ? read_small(started) : NULL;
        if (!t->detail) {
            wn_buf b = WN_BUF_INIT;
            wn_buf_appendf(&b, "job %s", job);
            t->detail = wn_buf_detach(&b, NULL);
        }
    } else if ((t->detail = read_small(failed))) {
        t->state = WN_TASK_FAILED;
        job_of_record(t->detail, job, sizeof job);
    } else if ((t->detail = read_small(started))) {
        job_of_record(t->detail, job, sizeof job);
        if (queue_known) {
            t->state = WN_TASK_FAILED;
            wn_buf b = WN_BUF_INIT;
            wn_buf_appendf(&b, "%s; no exit recorded and no longer queued: killed (time limit, "
                               "memory or node failure)", t->detail);
            free(t->detail);
            t->detail = wn_buf_detach(&b, NULL);
        } else {
            t->state = WN_TASK_RUNNING; /* cannot tell without squeue */
        }
    } else {
        t->state = WN_TASK_NOT_STARTED;
    }
    if (t->state != WN_TASK_QUEUED && t->state != WN_TASK_NOT_STARTED)
        t->log = log_path(slurm_dir, base, job);
    free(failed);
    free(started);
    return 0;
}

int wn_run_status_load(const char *dir, wn_run_status *st)
{
    memset(st, 0, sizeof *st);
    char *slurm_dir = wn_slurm_dir(dir);
    char *path = wn_slurm_file(slurm_dir, "tasks.tsv");
    if (access(path, R_OK)) { /* maybe dir is the slurm directory itself */
        free(slurm_dir);
        free(path);
        slurm_dir = wn_xstrdup(dir);
        path = wn_slurm_file(slurm_dir, "tasks.tsv");
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        int n = (int)strlen(dir); /* 'out/' is named 'out', not 'out//slurm' */
        while (n > 1 && dir[n - 1] == '/')
            n--;
        wn_error("no Slurm run recorded in '%.*s' (expected '%.*s/slurm/tasks.tsv', written by "
                 "`winnow run CONFIG --slurm`)", n, dir, n, dir);
        free(slurm_dir);
        free(path);
        return -1;
    }
    size_t n_jobs, n_q;
    job_entry *jobs = load_jobs(slurm_dir, &n_jobs);
    queue_entry *q = load_queue(&n_q, &st->queue_known);
    char *l = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&l, &cap, f)) > 0) {
        if (l[0] == '#') continue;
        l[strcspn(l, "\n")] = '\0';
        char *phase = strtok(l, "\t"), *idx = strtok(NULL, "\t"), *done = strtok(NULL, "\t"),
             *base = strtok(NULL, "\t");
        if (!phase || !idx || !done || !base) {
            wn_warn("'%s': malformed line skipped", path);
            continue;
        }
        st->tasks = wn_xrealloc(st->tasks, (st->n + 1) * sizeof *st->tasks);
        wn_task_status *t = &st->tasks[st->n++];
        memset(t, 0, sizeof *t);
        t->phase = wn_xstrdup(phase);
        t->index = (unsigned)strtoul(idx, NULL, 10);
        classify(t, slurm_dir, done, base, jobs, n_jobs, q, n_q, st->queue_known);
    }
    free(l);
    fclose(f);
    free(jobs);
    free(q);
    free(slurm_dir);
    free(path);
    return 0;
}

void wn_run_status_release(wn_run_status *st)
{
    for (size_t i = 0; i < st->n; i++) {
        free(st->tasks[i].phase);
        free(st->tasks[i].detail);
        free(st->tasks[i].log);
    }
    free(st->tasks);
    memset(st, 0, sizeof *st);
}
