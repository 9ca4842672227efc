/* config.c: pipeline config parsing and checks; see config.h. */
#include "pipeline/config.h"
#include "core/buf.h"
#include "core/log.h"
#include "pipeline/commands.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const wn_pl_stage_names[WN_PL_NSTAGES] = {
    "ingest", "filter", "dedup", "classify", "tokenize",
};

static const char *const top_keys[] = {"workdir", "parallel", "threads", "shards", "sources",
    "tokenize", "mix", "slurm", NULL}; /* slurm: read by cluster/slurm.h */
static const char *const source_keys[] = {"name", "inputs", "ingest", "filter", "dedup",
    "classify", "tokenize", NULL};

static bool path_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Check a stage's options against its command's table. */
static void check_stage(wn_ydoc *d, const wn_ynode *opts, const char *where, int stage)
{
    const wn_pl_command *cmd = wn_pl_command_find(wn_pl_stage_names[stage]);
    if (opts->kind == WN_Y_SCALAR && opts->plain && !strcmp(opts->scalar, "{}"))
        return;
    if (opts->kind != WN_Y_MAP) {
        wn_y_error(d, opts, where, NULL, "expected a map of %s options ({} for none)",
                   cmd->command);
        return;
    }
    for (size_t i = 0; i < opts->n; i++) {
        const char *key = opts->keys[i];
        const wn_ynode *v = opts->items[i];
        wn_ynode at = {.line = opts->key_lines[i], .col = opts->key_cols[i]};
        if (!strcmp(key, "args")) {
            const char **list;
            size_t n;
            if (wn_y_strlist(d, opts, where, "args", &list, &n, false))
                free(list);
            continue;
        }
        if (!strcmp(key, "split_phases") && cmd->split_phases) {
            bool b = false;
            const wn_ynode *method = wn_y_get(opts, "method");
            const char *m = method && method->kind == WN_Y_SCALAR ? method->scalar : NULL;
            if (wn_y_bool(d, opts, where, key, &b, false) && b && !wn_pl_split_phases(cmd, m))
                wn_y_error(d, v, where, key, "%s method '%s' runs as one task (it has no "
                           "phases to split)", cmd->command, m ? m : "?");
            continue;
        }
        const wn_pl_option *o = wn_pl_option_find(cmd, key);
        if (!o) {
            wn_y_error(d, &at, where, key, "'%s' has no option --%s (see winnow %s --help; "
                       "pass others with args: [...])", cmd->command, key, cmd->command);
            continue;
        }
        if (o->type == WN_PLO_LIST) {
            const char **list;
            size_t n;
            if (wn_y_strlist(d, opts, where, key, &list, &n, false))
                free(list);
        } else if (o->type == WN_PLO_FLAG) {
            bool b;
            wn_y_bool(d, opts, where, key, &b, false);
        } else if (v->kind != WN_Y_SCALAR) {
            wn_y_error(d, v, where, key, "expected a single value");
        } else if (o->type == WN_PLO_PATH) {
            char *p = wn_y_resolve(d, v->scalar);
            if (!path_exists(p))
                wn_y_missing(d, v, where, key, "no such file '%s'", p);
            free(p);
        }
    }
}

static void parse_source(wn_pl_config *c, wn_pl_source *s, const wn_ynode *n, const char *where)
{
    wn_ydoc *d = c->doc;
    if (!wn_y_check_keys(d, n, where, source_keys))
        return;
    wn_y_str(d, n, where, "name", &s->name, true);
    if (s->name && (!s->name[0] || strchr(s->name, '/') || s->name[0] == '.' ||
                    !strcmp(s->name, "mix")))
        wn_y_error(d, wn_y_get(n, "name"), where, "name",
                   "'%s' cannot name a directory (no '/', no leading '.', not 'mix')", s->name);
    const char **inputs = NULL;
    size_t n_inputs = 0;
    if (wn_y_strlist(d, n, where, "inputs", &inputs, &n_inputs, true)) {
        s->inputs = wn_xcalloc(n_inputs ? n_inputs : 1, sizeof *s->inputs);
        for (size_t i = 0; i < n_inputs; i++) {
            char *p = wn_y_resolve(d, inputs[i]);
            if (!path_exists(p))
                wn_y_missing(d, wn_y_get(n, "inputs"), where, "inputs", "no such file '%s'", p);
            s->inputs[s->n_inputs++] = p;
        }
        if (n_inputs == 0)
            wn_y_error(d, wn_y_get(n, "inputs"), where, "inputs", "no inputs listed");
    }
    free(inputs);
    for (int st = 0; st < WN_PL_NSTAGES; st++) {
        const wn_ynode *opts = wn_y_get(n, wn_pl_stage_names[st]);
        if (!opts && st == WN_PL_TOKENIZE)
            opts = wn_y_get(d->root, "tokenize");
        if (!opts)
            continue;
        char *at = wn_xmalloc(strlen(where) + 32);
        sprintf(at, "%s.%s", wn_y_get(n, wn_pl_stage_names[st]) ? where : "",
                wn_pl_stage_names[st]);
        const char *shown = at[0] == '.' ? at + 1 : at;
        if (opts->kind == WN_Y_SEQ && opts->n > 0) { /* the command once per item */
            for (size_t k = 0; k < opts->n; k++) {
                char item[96];
                snprintf(item, sizeof item, "%s[%zu]", shown, k);
                check_stage(d, opts->items[k], item, st);
            }
        } else {
            check_stage(d, opts, shown, st);
        }
        s->stage[st] = opts;
        free(at);
    }
}

static bool positive(wn_ydoc *d, const wn_ynode *root, const char *key, unsigned *out)
{
    uint64_t v;
    if (!wn_y_u64(d, root, "", key, &v, false))
        return false;
    if (v < 1 || v > 4096) {
        wn_y_error(d, wn_y_get(root, key), "", key, "must be between 1 and 4096");
        return false;
    }
    *out = (unsigned)v;
    return true;
}

static void parse_sources(wn_pl_config *c)
{
    wn_ydoc *d = c->doc;
    const wn_ynode *list = wn_y_get(d->root, "sources");
    if (!list || list->kind != WN_Y_SEQ || list->n == 0) {
        wn_y_error(d, list ? list : d->root, "", "sources", "expected a non-empty list of sources");
        return;
    }
    c->sources = wn_xcalloc(list->n, sizeof *c->sources);
    for (size_t i = 0; i < list->n; i++) {
        char where[64];
        snprintf(where, sizeof where, "sources[%zu]", i);
        wn_pl_source *s = &c->sources[c->n_sources++];
        parse_source(c, s, list->items[i], where);
        for (size_t j = 0; s->name && j + 1 < c->n_sources; j++)
            if (c->sources[j].name && !strcmp(c->sources[j].name, s->name))
                wn_y_error(d, wn_y_get(list->items[i], "name"), where, "name",
                           "duplicate source '%s'", s->name);
    }
}

char *wn_pl_stage_dir(const wn_pl_config *c, const char *name, const char *stage)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s/%s", c->workdir, name, stage);
    return wn_buf_detach(&b, NULL);
}

static char *workdir_of(const wn_ydoc *d)
{
    const wn_ynode *w = wn_y_get(d->root, "workdir");
    const char *rel = w && w->kind == WN_Y_SCALAR ? w->scalar : "winnow-run";
    return wn_y_resolve(d, rel);
}

int wn_pl_config_load(wn_pl_config *c, const char *path, bool missing_ok)
{
    memset(c, 0, sizeof *c);
    c->doc = wn_ydoc_load(path);
    if (!c->doc)
        return -1;
    wn_ydoc *d = c->doc;
    d->missing_ok = missing_ok;
    wn_y_check_keys(d, d->root, "", top_keys);
    const char *w = NULL;
    wn_y_str(d, d->root, "", "workdir", &w, false);
    c->workdir = workdir_of(d);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    c->parallel = cores > 0 ? (unsigned)cores : 1;
    positive(d, d->root, "parallel", &c->parallel);
    c->threads = c->parallel <= (unsigned)cores ? (unsigned)cores / c->parallel : 1;
    positive(d, d->root, "threads", &c->threads);
    c->shards = c->parallel;
    positive(d, d->root, "shards", &c->shards);
    parse_sources(c);
    const wn_ynode *mix = wn_y_get(d->root, "mix");
    if (mix) {
        wn_mix_bind *binds;
        size_t n = wn_pipeline_mix_binds(d, &binds);
        for (size_t i = 0; i < c->n_sources; i++)
            if (!c->sources[i].stage[WN_PL_TOKENIZE] && c->sources[i].name)
                for (size_t k = 0; k < n; k++)
                    if (!strcmp(binds[k].name, c->sources[i].name))
                        binds[k].name = ""; /* untokenized sources cannot be mixed */
        c->has_mix = wn_mix_config_parse(&c->mix, d, mix, "mix", binds, n);
        wn_pipeline_mix_binds_free(binds, n);
        /* When every source's size is known now, an impossible budget is a config error
         * before the pipeline runs rather than a failure at its end. */
        if (c->has_mix && d->errors == 0 && !missing_ok &&
            wn_mix_count_sources(&c->mix, false) == 0 && wn_mix_counts_known(&c->mix)) {
            int verbosity = wn_log_verbosity;
            wn_log_verbosity = 0; /* warnings come with the mix itself */
            for (int k = 0; k < 2; k++) {
                const wn_mix_spec *s = k ? &c->mix.anneal : &c->mix.main;
                wn_mix_plan plan;
                if (s->n_sources) {
                    wn_mix_plan_compute(s, d, d->path, &plan);
                    wn_mix_plan_release(&plan);
                }
            }
            wn_log_verbosity = verbosity;
        }
    }
    return d->errors ? -1 : 0;
}

void wn_pl_config_release(wn_pl_config *c)
{
    for (size_t i = 0; i < c->n_sources; i++) {
        for (size_t k = 0; k < c->sources[i].n_inputs; k++)
            free(c->sources[i].inputs[k]);
        free(c->sources[i].inputs);
    }
    free(c->sources);
    free(c->workdir);
    if (c->has_mix || c->mix.config_path)
        wn_mix_config_release(&c->mix);
    wn_ydoc_free(c->doc);
    memset(c, 0, sizeof *c);
}

size_t wn_pipeline_mix_binds(const wn_ydoc *d, wn_mix_bind **out)
{
    *out = NULL;
    const wn_ynode *list = wn_y_get(d->root, "sources");
    if (!list || list->kind != WN_Y_SEQ || !wn_y_get(d->root, "mix"))
        return 0;
    char *workdir = workdir_of(d);
    size_t n = 0;
    *out = wn_xcalloc(list->n ? list->n : 1, sizeof **out);
    for (size_t i = 0; i < list->n; i++) {
        const wn_ynode *name = wn_y_get(list->items[i], "name");
        if (!name || name->kind != WN_Y_SCALAR)
            continue;
        wn_buf b = WN_BUF_INIT;
        wn_buf_appendf(&b, "%s/%s/tokenize", workdir, name->scalar);
        (*out)[n].name = name->scalar;
        (*out)[n++].dir = wn_buf_detach(&b, NULL);
    }
    free(workdir);
    return n;
}

void wn_pipeline_mix_binds_free(wn_mix_bind *binds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)binds[i].dir);
    free(binds);
}
