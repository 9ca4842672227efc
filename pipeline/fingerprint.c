/* fingerprint.c: what each phase of a run was run with, so that a run of a changed config
 * in the same workdir does not silently keep outputs of the old one.
 *
 * A phase's fingerprint is XXH3-128 over its name, every task's arguments (but -j: outputs
 * are the same at any thread count) and the content of every file an option names (a
 * filter's --config, a classifier's --model, a tokenizer file; for the mix, its section of
 * the run's config): changing a threshold inside filters/llama3.yaml changes the filter
 * phase's fingerprint although its command line stays the same. Input data is not hashed
 * (the phases read it themselves), nor the winnow binary, nor files that a config file
 * itself names (a filter config's word lists). `winnow run` stamps each phase with its
 * fingerprint (`<workdir>/.fingerprints/<phase>`) before running or submitting anything,
 * and refuses to start when a phase that has complete tasks was stamped differently. */
#include "pipeline/plan.h"

#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "pipeline/commands.h"
#include "pipeline/yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

/* The content digest of `path` when it is a regular file (a directory is named, not read;
 * a missing file digests as empty). */
static XXH128_hash_t file_digest(const char *path)
{
    struct stat sb;
    uint64_t d[2], bytes;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && wn_file_xxh3_128(path, d, &bytes) == 0)
        return (XXH128_hash_t){.low64 = d[0], .high64 = d[1]};
    return XXH3_128bits(NULL, 0);
}

/* Files already read for this phase: its tasks name the same config or model, which may be
 * gigabytes, so each is read once. */
typedef struct seen_file {
    const char *path;
    XXH128_hash_t digest;
} seen_file;

static void hash_file(XXH3_state_t *st, const char *path, seen_file **seen, size_t *n_seen)
{
    size_t i = 0;
    while (i < *n_seen && strcmp((*seen)[i].path, path))
        i++;
    if (i == *n_seen) {
        *seen = wn_xrealloc(*seen, (*n_seen + 1) * sizeof **seen);
        (*seen)[i] = (seen_file){path, file_digest(path)};
        (*n_seen)++;
    }
    XXH3_128bits_update(st, &(*seen)[i].digest, sizeof (*seen)[i].digest);
}

/* Add a YAML subtree: kinds, keys and scalars in order. */
static void hash_node(XXH3_state_t *st, const wn_ynode *n)
{
    XXH3_128bits_update(st, &n->kind, sizeof n->kind);
    if (n->kind == WN_Y_SCALAR) {
        XXH3_128bits_update(st, n->scalar, strlen(n->scalar) + 1);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == WN_Y_MAP)
            XXH3_128bits_update(st, n->keys[i], strlen(n->keys[i]) + 1);
        hash_node(st, n->items[i]);
    }
}

/* The mix reads the `mix:` section of the run's config; the rest (parallelism, the other
 * stages' settings) belongs to other phases. */
static void hash_mix_section(XXH3_state_t *st, const char *path)
{
    int verbosity = wn_log_verbosity;
    wn_log_verbosity = 0; /* the plan loaded it already: no message twice */
    wn_ydoc *d = wn_ydoc_load(path);
    wn_log_verbosity = verbosity;
    const wn_ynode *mix = d ? wn_y_get(d->root, "mix") : NULL;
    if (mix)
        hash_node(st, mix);
    wn_ydoc_free(d);
}

/* Is argv[a] the value of an option that names a file (WN_PLO_PATH), or the config file
 * the mix reads? */
static bool names_file(const wn_phase *ph, const wn_task *t, size_t a)
{
    if (t->argv[a].glob)
        return false;
    if (!strcmp(ph->command, "mix"))
        return a == 1; /* winnow mix CONFIG ... */
    if (a < 2 || strncmp(t->argv[a - 1].text, "--", 2))
        return false;
    const wn_pl_command *cmd = wn_pl_command_find(ph->command);
    const wn_pl_option *o = cmd ? wn_pl_option_find(cmd, t->argv[a - 1].text + 2) : NULL;
    return o && o->type == WN_PLO_PATH;
}

char *wn_phase_fingerprint(const wn_phase *ph)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, ph->name, strlen(ph->name) + 1);
    seen_file *seen = NULL;
    size_t n_seen = 0;
    for (size_t t = 0; t < ph->n_tasks; t++) {
        const wn_task *task = &ph->tasks[t];
        for (size_t a = 0; a < task->argc; a++) {
            /* -j N changes how fast, not what: outputs are the same at any thread count */
            if (!task->argv[a].glob && !strcmp(task->argv[a].text, "-j") && a + 1 < task->argc) {
                a++;
                continue;
            }
            XXH3_128bits_update(st, task->argv[a].text, strlen(task->argv[a].text) + 1);
            XXH3_128bits_update(st, task->argv[a].glob ? "g" : "l", 1);
            if (names_file(ph, task, a) && !strcmp(ph->command, "mix"))
                hash_mix_section(st, task->argv[a].text);
            else if (names_file(ph, task, a))
                hash_file(st, task->argv[a].text, &seen, &n_seen);
        }
        XXH3_128bits_update(st, "\n", 1);
    }
    free(seen);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    char *hex = wn_xmalloc(33);
    snprintf(hex, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
    return hex;
}

static char *stamp_path(const wn_plan *p, const wn_phase *ph)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/.fingerprints/%s", p->workdir, ph->name);
    return wn_buf_detach(&b, NULL);
}

/* The fingerprint a stamp file records ("fingerprint HEX" on its first line), or NULL. */
static char *read_stamp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char line[128], hex[64];
    char *got = NULL;
    if (fgets(line, sizeof line, f) && sscanf(line, "fingerprint %63s", hex) == 1)
        got = wn_xstrdup(hex);
    fclose(f);
    return got;
}

/* Append the names of the phases that depend on phase i, directly or not. */
static void append_later(const wn_plan *p, size_t i, bool *mark, wn_buf *names)
{
    for (size_t k = i + 1; k < p->n_phases; k++)
        for (size_t d = 0; d < p->phases[k].n_deps; d++)
            if (p->phases[k].deps[d] == i && !mark[k]) {
                mark[k] = true;
                wn_buf_appendf(names, "%s'%s'", names->len ? ", " : "", p->phases[k].name);
                append_later(p, k, mark, names);
            }
}

bool wn_phase_changed(const wn_plan *p, size_t i)
{
    const wn_phase *ph = &p->phases[i];
    if (!wn_phase_done_count(ph))
        return false;
    char *path = stamp_path(p, ph), *old = read_stamp(path);
    char *now = old ? wn_phase_fingerprint(ph) : NULL;
    bool changed = old && strcmp(old, now);
    free(old);
    free(now);
    free(path);
    return changed;
}

/* The error for phase i, whose `done` complete tasks ran under another fingerprint. */
static void report_changed(const wn_plan *p, size_t i, size_t done, const char *stamp)
{
    const wn_phase *ph = &p->phases[i];
    bool *mark = wn_xcalloc(p->n_phases, sizeof *mark);
    wn_buf later = WN_BUF_INIT;
    append_later(p, i, mark, &later);
    wn_error("phase '%s' ran with other settings: %zu of %zu tasks are complete under "
             "the earlier config or the files it names (stamp '%s'). winnow does not "
             "mix outputs of two configs: give this config another workdir, or remove "
             "'%s' (or the records '%s/.done/%s-*' and the outputs '%s' of this phase"
             "%s%s)",
             ph->name, done, ph->n_tasks, stamp, p->workdir, p->workdir, ph->name, ph->outdir,
             later.len ? " and of the phases after it, " : "", later.len ? later.data : "");
    wn_buf_release(&later);
    free(mark);
}

/* Write the stamp file of a phase (atomically). 0, or -1 with a message. */
static int write_stamp(const char *path, const char *fp, const wn_phase *ph)
{
    wn_buf text = WN_BUF_INIT, dir = WN_BUF_INIT;
    wn_buf_appendf(&text, "fingerprint %s\nphase %s (%zu tasks; see winnow run --dry-run)\n",
                   fp, ph->name, ph->n_tasks);
    wn_buf_append(&dir, path, (size_t)(strrchr(path, '/') - path));
    char err[512];
    int rc = wn_mkdirs(dir.data) ? -1 : 0;
    wn_out *out = rc == 0 ? wn_out_open(path, WN_COMP_NONE, 0, err, sizeof err) : NULL;
    if (!out) {
        if (rc == 0)
            wn_error("%s", err);
        else
            wn_error("cannot create '%s': %s", dir.data, strerror(errno));
        rc = -1;
    } else if (wn_out_write(out, text.data, text.len)) {
        wn_out_abort(out);
        wn_error("cannot write '%s'", path);
        rc = -1;
    } else if (wn_out_commit(out, err, sizeof err)) {
        wn_error("%s", err);
        rc = -1;
    }
    wn_buf_release(&text);
    wn_buf_release(&dir);
    return rc;
}

int wn_plan_check_and_stamp(const wn_plan *p)
{
    /* every fingerprint once (the files they read may be large), then check, then write */
    char **now = wn_xcalloc(p->n_phases, sizeof *now);
    bool *rewrite = wn_xcalloc(p->n_phases, sizeof *rewrite);
    int rc = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        const wn_phase *ph = &p->phases[i];
        char *path = stamp_path(p, ph), *old = read_stamp(path);
        size_t done = wn_phase_done_count(ph);
        now[i] = wn_phase_fingerprint(ph);
        if (done && old && strcmp(old, now[i])) {
            report_changed(p, i, done, path);
            rc = -1;
        }
        rewrite[i] = !old || strcmp(old, now[i]); /* a resumed run rewrites nothing */
        free(old);
        free(path);
    }
    for (size_t i = 0; i < p->n_phases && rc == 0; i++)
        if (rewrite[i]) {
            char *path = stamp_path(p, &p->phases[i]);
            rc = write_stamp(path, now[i], &p->phases[i]);
            free(path);
        }
    for (size_t i = 0; i < p->n_phases; i++)
        free(now[i]);
    free(now);
    free(rewrite);
    return rc;
}
