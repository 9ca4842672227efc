/* plan.c: a checked pipeline config -> phases of shard tasks (command lines); see plan.h. */
#include "pipeline/plan.h"
#include "core/buf.h"
#include "core/log.h"
#include "pipeline/commands.h"
#include "pipeline/config.h"

#include <stdlib.h>
#include <string.h>

typedef struct argv_b {
    wn_task_arg *v;
    size_t n, cap;
} argv_b;

static void arg_push(argv_b *a, const char *text, bool glob)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = wn_xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = (wn_task_arg){wn_xstrdup(text), glob};
}

static void arg_pushf(argv_b *a, const char *fmt, unsigned x, unsigned y)
{
    char s[64];
    snprintf(s, sizeof s, fmt, x, y);
    arg_push(a, s, false);
}

/* Words of a space-separated constant ("--phase sign"). */
static void arg_words(argv_b *a, const char *words)
{
    char *copy = wn_xstrdup(words), *save = NULL;
    for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        arg_push(a, w, false);
    free(copy);
}

/* A stage's options -> arguments, in the config's order (see commands.h). */
static void stage_args(argv_b *a, const wn_ydoc *d, const wn_pl_command *cmd,
                       const wn_ynode *opts)
{
    arg_push(a, cmd->command, false);
    if (cmd->subcommand)
        arg_push(a, cmd->subcommand, false);
    if (opts->kind != WN_Y_MAP)
        return;
    for (size_t i = 0; i < opts->n; i++) { /* positional words first */
        const wn_pl_option *o = wn_pl_option_find(cmd, opts->keys[i]);
        if (o && o->type == WN_PLO_POSITIONAL)
            arg_push(a, opts->items[i]->scalar, false);
    }
    for (size_t i = 0; i < opts->n; i++) {
        const char *key = opts->keys[i];
        const wn_ynode *v = opts->items[i];
        const wn_pl_option *o = wn_pl_option_find(cmd, key);
        char flag[128];
        snprintf(flag, sizeof flag, "--%s", key);
        if (!o || o->type == WN_PLO_POSITIONAL)
            continue; /* args and split_phases are handled by the caller */
        if (o->type == WN_PLO_FLAG) {
            if (!strcmp(v->scalar, "true") || !strcmp(v->scalar, "yes"))
                arg_push(a, flag, false);
        } else if (o->type == WN_PLO_LIST && v->kind == WN_Y_SEQ) {
            for (size_t k = 0; k < v->n; k++) {
                arg_push(a, flag, false);
                arg_push(a, v->items[k]->scalar, false);
            }
        } else if (o->type == WN_PLO_PATH) {
            char *p = wn_y_resolve(d, v->scalar);
            arg_push(a, flag, false);
            arg_push(a, p, false);
            free(p);
        } else {
            arg_push(a, flag, false);
            arg_push(a, v->scalar, false);
        }
    }
    const wn_ynode *raw = wn_y_get(opts, "args");
    if (raw && raw->kind == WN_Y_SEQ)
        for (size_t k = 0; k < raw->n; k++)
            arg_push(a, raw->items[k]->scalar, false);
    else if (raw)
        arg_push(a, raw->scalar, false);
}

static wn_phase *add_phase(wn_plan *p, const char *name, const char *command,
                           const char *source, const char *outdir, const char *outputs_glob)
{
    p->phases = wn_xrealloc(p->phases, (p->n_phases + 1) * sizeof *p->phases);
    wn_phase *ph = &p->phases[p->n_phases++];
    memset(ph, 0, sizeof *ph);
    ph->name = wn_xstrdup(name);
    ph->command = wn_xstrdup(command);
    ph->source = source ? wn_xstrdup(source) : NULL;
    ph->outdir = wn_xstrdup(outdir);
    if (outputs_glob) {
        wn_buf g = WN_BUF_INIT;
        wn_buf_appendf(&g, "%s/%s", outdir, outputs_glob);
        ph->outputs_glob = wn_buf_detach(&g, NULL);
    }
    return ph;
}

static void add_dep(wn_phase *ph, size_t dep)
{
    ph->deps = wn_xrealloc(ph->deps, (ph->n_deps + 1) * sizeof *ph->deps);
    ph->deps[ph->n_deps++] = dep;
}

/* Tasks 0..n-1: the shared arguments, then --shard I/N when sharded, then the inputs. */
static void add_tasks(wn_plan *p, wn_phase *ph, const argv_b *common, unsigned n, bool sharded,
                      const argv_b *inputs)
{
    ph->tasks = wn_xcalloc(n, sizeof *ph->tasks);
    ph->n_tasks = n;
    for (unsigned i = 0; i < n; i++) {
        argv_b a = {0};
        for (size_t k = 0; k < common->n; k++)
            arg_push(&a, common->v[k].text, common->v[k].glob);
        if (sharded) {
            arg_push(&a, "--shard", false);
            arg_pushf(&a, "%u/%u", i, n);
        }
        for (size_t k = 0; k < inputs->n; k++)
            arg_push(&a, inputs->v[k].text, inputs->v[k].glob);
        wn_task *t = &ph->tasks[i];
        t->index = i;
        t->argv = a.v;
        t->argc = a.n;
        wn_buf done = WN_BUF_INIT;
        wn_buf_appendf(&done, "%s/.done/%s-%05u-of-%05u.done", p->workdir, ph->name, i, n);
        t->done_path = wn_buf_detach(&done, NULL);
    }
}

static void argv_release(argv_b *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].text);
    free(a->v);
    memset(a, 0, sizeof *a);
}

static void tail_args(argv_b *a, const char *outdir, unsigned threads)
{
    arg_push(a, "-o", false);
    arg_push(a, outdir, false);
    arg_push(a, "-j", false);
    arg_pushf(a, "%u", threads, 0);
    arg_push(a, "--quiet", false);
}

/* Directory and phase-name part of one run of a stage: "dedup", or "dedup-minhash" /
 * "dedup-2" when the stage is a list of runs. Caller frees. */
static char *run_label(const wn_pl_command *cmd, const wn_ynode *opts, size_t k, size_t n)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appends(&b, cmd->stage);
    if (n > 1) {
        const wn_ynode *m = wn_y_get(opts, "method");
        if (m && m->kind == WN_Y_SCALAR)
            wn_buf_appendf(&b, "-%s", m->scalar);
        else
            wn_buf_appendf(&b, "-%zu", k + 1);
    }
    return wn_buf_detach(&b, NULL);
}

/* The phases of one run of a stage, reading `inputs`; returns the last phase's index. */
static size_t plan_run(wn_plan *p, const wn_pl_config *c, const wn_pl_source *s,
                       const wn_pl_command *cmd, const wn_ynode *opts, const char *label,
                       size_t prev, const argv_b *inputs)
{
    char *outdir = wn_pl_stage_dir(c, s->name, label);
    const wn_ynode *split = wn_y_get(opts, "split_phases"), *method = wn_y_get(opts, "method");
    const wn_pl_cmd_phase *split_phases = wn_pl_split_phases(
        cmd, method && method->kind == WN_Y_SCALAR ? method->scalar : NULL);
    const wn_pl_cmd_phase *phases = split && split->kind == WN_Y_SCALAR &&
        !strcmp(split->scalar, "true") && split_phases ? split_phases : cmd->phases;
    wn_buf out = WN_BUF_INIT;
    wn_buf_appends(&out, outdir);
    if (cmd->output_prefix)
        wn_buf_appendf(&out, "/%s", cmd->output_prefix);
    for (const wn_pl_cmd_phase *cp = phases; cp->suffix; cp++) {
        wn_buf name = WN_BUF_INIT;
        wn_buf_appendf(&name, "%s.%s%s", s->name, label, cp->suffix);
        wn_phase *ph = add_phase(p, name.data, cmd->command, s->name, outdir, cmd->outputs);
        wn_buf_release(&name);
        ph->threads = c->threads;
        if (prev != (size_t)-1)
            add_dep(ph, prev);
        argv_b common = {0};
        stage_args(&common, c->doc, cmd, opts);
        if (cp->phase_arg)
            arg_words(&common, cp->phase_arg);
        tail_args(&common, out.data, c->threads);
        add_tasks(p, ph, &common, cp->sharded ? c->shards : 1, cp->sharded, inputs);
        argv_release(&common);
        prev = p->n_phases - 1;
    }
    wn_buf_release(&out);
    free(outdir);
    return prev;
}

/* The phases of one source: its stages in order, each reading the previous one's outputs.
 * Returns the index of its last phase, or (size_t)-1 when it has none. */
static size_t plan_source(wn_plan *p, const wn_pl_config *c, const wn_pl_source *s)
{
    size_t prev = (size_t)-1;
    argv_b inputs = {0};
    for (size_t i = 0; i < s->n_inputs; i++)
        arg_push(&inputs, s->inputs[i], false);
    for (int st = 0; st < WN_PL_NSTAGES; st++) {
        const wn_ynode *opts = s->stage[st];
        if (!opts)
            continue;
        const wn_pl_command *cmd = wn_pl_command_find(wn_pl_stage_names[st]);
        bool list = opts->kind == WN_Y_SEQ;
        size_t n = list ? opts->n : 1;
        for (size_t k = 0; k < n; k++) {
            const wn_ynode *run = list ? opts->items[k] : opts;
            char *label = run_label(cmd, run, k, n);
            prev = plan_run(p, c, s, cmd, run, label, prev, &inputs);
            free(label);
            /* The next run reads this one's outputs, whatever their number. */
            argv_release(&inputs);
            arg_push(&inputs, p->phases[prev].outputs_glob, true);
        }
    }
    argv_release(&inputs);
    return prev;
}

/* The mix: with shards N > 1, N tasks `mix --shard I/N` each write their part of the
 * shards (docs/mix.md), then one `mix --finish` task writes the manifest. */
static void plan_mix(wn_plan *p, const wn_pl_config *c, const size_t *last)
{
    wn_buf outdir = WN_BUF_INIT;
    wn_buf_appendf(&outdir, "%s/mix", c->workdir);
    wn_phase *ph = add_phase(p, "mix", "mix", NULL, outdir.data, "*.bin");
    ph->threads = c->threads;
    for (size_t i = 0; i < c->n_sources; i++)
        if (last[i] != (size_t)-1)
            add_dep(ph, last[i]);
    argv_b common = {0}, none = {0};
    arg_push(&common, "mix", false);
    arg_push(&common, c->doc->path, false);
    for (size_t i = 0; i < c->n_sources; i++) {
        if (!c->sources[i].stage[WN_PL_TOKENIZE])
            continue;
        char *dir = wn_pl_stage_dir(c, c->sources[i].name, "tokenize");
        wn_buf b = WN_BUF_INIT;
        wn_buf_appendf(&b, "%s=%s", c->sources[i].name, dir);
        arg_push(&common, "--source-dir", false);
        arg_push(&common, b.data, false);
        wn_buf_release(&b);
        free(dir);
    }
    tail_args(&common, outdir.data, c->threads);
    add_tasks(p, ph, &common, c->shards, c->shards > 1, &none);
    if (c->shards > 1) {
        size_t parts = p->n_phases - 1;
        ph = add_phase(p, "mix.finish", "mix", NULL, outdir.data, "*.bin");
        ph->threads = c->threads;
        add_dep(ph, parts);
        arg_push(&common, "--finish", false);
        add_tasks(p, ph, &common, 1, false, &none);
    }
    argv_release(&common);
    p->final_outputs = wn_buf_detach(&outdir, NULL);
}

static wn_plan *plan_load(const char *path, bool missing_ok)
{
    wn_pl_config c;
    if (wn_pl_config_load(&c, path, missing_ok) != 0) {
        wn_pl_config_release(&c);
        return NULL;
    }
    wn_plan *p = wn_xcalloc(1, sizeof *p);
    p->config_path = wn_xstrdup(path);
    p->workdir = wn_xstrdup(c.workdir);
    p->max_parallel = c.parallel;
    size_t *last = wn_xcalloc(c.n_sources + 1, sizeof *last);
    for (size_t i = 0; i < c.n_sources; i++)
        last[i] = plan_source(p, &c, &c.sources[i]);
    if (c.has_mix)
        plan_mix(p, &c, last);
    free(last);
    wn_pl_config_release(&c);
    return p;
}

wn_plan *wn_plan_load(const char *path)
{
    return plan_load(path, false);
}

wn_plan *wn_plan_load_unchecked_files(const char *path)
{
    return plan_load(path, true);
}

void wn_plan_free(wn_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_phases; i++) {
        wn_phase *ph = &p->phases[i];
        for (size_t t = 0; t < ph->n_tasks; t++) {
            for (size_t k = 0; k < ph->tasks[t].argc; k++)
                free(ph->tasks[t].argv[k].text);
            free(ph->tasks[t].argv);
            free(ph->tasks[t].done_path);
        }
        free(ph->tasks);
        free(ph->deps);
        free(ph->name);
        free(ph->command);
        free(ph->source);
        free(ph->outdir);
        free(ph->outputs_glob);
    }
    free(p->phases);
    free(p->config_path);
    free(p->workdir);
    free(p->final_outputs);
    free(p);
}
