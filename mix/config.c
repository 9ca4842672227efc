/* config.c: the `mix:` section of a config, parsed and checked by key and line; see mix.h. */
#include "mix/mix.h"
#include "core/buf.h"
#include "core/log.h"
#include "mix/megatron.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const mix_keys[] = {"seed", "sequence_length", "val_fraction",
    "max_shard_size", "format", "keep_remainder", "budget", "sources", "anneal", NULL};
static const char *const source_keys[] = {"name", "path", "tokens", "weight", "max_epochs",
    "min_share", NULL};
static const char *const anneal_keys[] = {"budget", "sources", NULL};
static const char *const anneal_source_keys[] = {"name", "weight", "max_epochs", "min_share",
    NULL};

/* YAML tree -> JSON (scalars stay strings unless plain numbers/booleans), for manifests. */
static json_t *y_to_json(const wn_ynode *n)
{
    if (n->kind == WN_Y_MAP) {
        json_t *o = json_object();
        for (size_t i = 0; i < n->n; i++)
            json_object_set_new(o, n->keys[i], y_to_json(n->items[i]));
        return o;
    }
    if (n->kind == WN_Y_SEQ) {
        json_t *a = json_array();
        for (size_t i = 0; i < n->n; i++)
            json_array_append_new(a, y_to_json(n->items[i]));
        return a;
    }
    if (n->plain) {
        char *end;
        long long i = strtoll(n->scalar, &end, 10);
        if (end != n->scalar && !*end)
            return json_integer(i);
        double x = strtod(n->scalar, &end);
        if (end != n->scalar && !*end)
            return json_real(x);
        if (!strcmp(n->scalar, "true") || !strcmp(n->scalar, "false"))
            return json_boolean(n->scalar[0] == 't');
    }
    return json_string(n->scalar);
}

static const char *bound_dir(const wn_mix_bind *binds, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(binds[i].name, name))
            return binds[i].dir;
    return NULL;
}

/* Paths of a source: a prefix, a directory or a glob; checked to exist now. */
static void parse_paths(wn_mix_source *s, wn_ydoc *d, const wn_ynode *src, const char *where)
{
    const char **paths = NULL;
    size_t n = 0;
    if (!wn_y_strlist(d, src, where, "path", &paths, &n, false))
        return;
    s->paths = wn_xcalloc(n, sizeof *s->paths);
    for (size_t i = 0; i < n; i++) {
        char *p = wn_y_resolve(d, paths[i]);
        size_t len = strlen(p);
        if (len > 4 && (!strcmp(p + len - 4, ".idx") || !strcmp(p + len - 4, ".bin")))
            p[len - 4] = '\0';
        struct stat st;
        wn_buf idx = WN_BUF_INIT;
        wn_buf_appendf(&idx, "%s.idx", p);
        glob_t g;
        bool exists = stat(p, &st) == 0 || stat(idx.data, &st) == 0;
        if (!exists && glob(p, 0, NULL, &g) == 0) {
            exists = true;
            globfree(&g);
        }
        if (!exists)
            wn_y_missing(d, wn_y_get(src, "path"), where, "path",
                         "no dataset '%s' (expected a .bin/.idx prefix, a directory or a glob)",
                         p);
        wn_buf_release(&idx);
        s->paths[s->n_paths++] = p;
    }
    free(paths);
}

static bool parse_share(wn_ydoc *d, const wn_ynode *src, const char *where, wn_mix_source *s)
{
    bool ok = wn_y_double(d, src, where, "weight", &s->weight, true);
    if (ok && (s->weight < 0 || s->weight > 1)) {
        wn_y_error(d, wn_y_get(src, "weight"), where, "weight", "must be between 0 and 1");
        ok = false;
    }
    if (wn_y_double(d, src, where, "max_epochs", &s->max_epochs, false) && !(s->max_epochs > 0))
        wn_y_error(d, wn_y_get(src, "max_epochs"), where, "max_epochs", "must be positive");
    if (wn_y_double(d, src, where, "min_share", &s->min_share, false) &&
        (s->min_share < 0 || s->min_share > 1))
        wn_y_error(d, wn_y_get(src, "min_share"), where, "min_share", "must be between 0 and 1");
    else if (ok && s->min_share > s->weight + 1e-12)
        wn_y_error(d, wn_y_get(src, "min_share"), where, "min_share",
                   "%g is above the source's weight %g (a floor under its target share)",
                   s->min_share, s->weight);
    return ok;
}

static void check_weights(wn_ydoc *d, const wn_ynode *list, const char *where,
                          const wn_mix_spec *s)
{
    double sum = 0;
    for (size_t i = 0; i < s->n_sources; i++)
        sum += s->sources[i].weight;
    if (fabs(sum - 1.0) > 1e-6)
        wn_y_error(d, list, where, "sources", "weights sum to %.6g, not 1", sum);
}

static void parse_main_sources(wn_mix_config *c, wn_ydoc *d, const wn_ynode *mix,
                               const char *where, const wn_mix_bind *binds, size_t n_binds)
{
    const wn_ynode *list = wn_y_get(mix, "sources");
    if (!list || list->kind != WN_Y_SEQ || list->n == 0) {
        wn_y_error(d, list ? list : mix, where, "sources", "expected a non-empty list of sources");
        return;
    }
    c->main.sources = wn_xcalloc(list->n, sizeof *c->main.sources);
    for (size_t i = 0; i < list->n; i++) {
        const wn_ynode *src = list->items[i];
        char at[128];
        snprintf(at, sizeof at, "%s%ssources[%zu]", where, *where ? "." : "", i);
        wn_mix_source *s = &c->main.sources[c->main.n_sources++];
        s->line = src->line;
        if (src->kind != WN_Y_MAP) {
            wn_y_check_keys(d, src, at, source_keys);
            continue;
        }
        wn_y_check_keys(d, src, at, source_keys);
        const char *name = NULL;
        if (wn_y_str(d, src, at, "name", &name, true)) {
            s->name = wn_xstrdup(name);
            for (size_t j = 0; j + 1 < c->main.n_sources; j++)
                if (c->main.sources[j].name && !strcmp(c->main.sources[j].name, name))
                    wn_y_error(d, wn_y_get(src, "name"), at, "name", "duplicate source '%s'", name);
        }
        parse_share(d, src, at, s);
        parse_paths(s, d, src, at);
        const char *bound = name ? bound_dir(binds, n_binds, name) : NULL;
        if (bound && s->n_paths == 0) {
            s->paths = wn_xcalloc(1, sizeof *s->paths);
            s->paths[s->n_paths++] = wn_xstrdup(bound);
            s->bound = true;
        }
        s->declared = wn_y_count(d, src, at, "tokens", &s->tokens, false);
        if (!s->declared && s->n_paths == 0)
            wn_y_error(d, src, at, NULL, "a source needs a 'path' to its tokenized data%s or "
                       "declared 'tokens'", n_binds ? " (or the name of a pipeline source)" : "");
    }
    check_weights(d, list, where, &c->main);
}

static void parse_anneal(wn_mix_config *c, wn_ydoc *d, const wn_ynode *an, const char *where)
{
    c->anneal.where = *where ? "mix.anneal" : "anneal";
    const char *at0 = c->anneal.where;
    if (!an || an->kind != WN_Y_MAP) {
        wn_y_check_keys(d, an, at0, anneal_keys);
        return;
    }
    wn_y_check_keys(d, an, at0, anneal_keys);
    c->anneal.label = "anneal";
    if (wn_y_count(d, an, at0, "budget", &c->anneal.budget, true))
        c->anneal.budget_line = wn_y_get(an, "budget")->line;
    const wn_ynode *list = wn_y_get(an, "sources");
    if (!list || list->kind != WN_Y_SEQ || list->n == 0) {
        wn_y_error(d, list ? list : an, at0, "sources", "expected a non-empty list of sources");
        return;
    }
    c->anneal.sources = wn_xcalloc(list->n, sizeof *c->anneal.sources);
    for (size_t i = 0; i < list->n; i++) {
        const wn_ynode *src = list->items[i];
        char at[160];
        snprintf(at, sizeof at, "%s.sources[%zu]", at0, i);
        if (src->kind != WN_Y_MAP) {
            wn_y_check_keys(d, src, at, anneal_source_keys);
            continue;
        }
        wn_y_check_keys(d, src, at, anneal_source_keys);
        const char *name = NULL;
        if (!wn_y_str(d, src, at, "name", &name, true))
            continue;
        const wn_mix_source *base = NULL;
        for (size_t j = 0; j < c->main.n_sources; j++)
            if (c->main.sources[j].name && !strcmp(c->main.sources[j].name, name))
                base = &c->main.sources[j];
        if (!base) {
            wn_y_error(d, wn_y_get(src, "name"), at, "name",
                       "'%s' is not one of the mix sources", name);
            continue;
        }
        wn_mix_source *s = &c->anneal.sources[c->anneal.n_sources++];
        s->name = wn_xstrdup(name);
        s->line = src->line;
        s->tokens = base->tokens;
        s->bound = base->bound;
        s->declared = base->declared;
        s->paths = wn_xcalloc(base->n_paths, sizeof *s->paths);
        for (size_t k = 0; k < base->n_paths; k++)
            s->paths[s->n_paths++] = wn_xstrdup(base->paths[k]);
        parse_share(d, src, at, s);
    }
    check_weights(d, list, at0, &c->anneal);
}

bool wn_mix_config_parse(wn_mix_config *c, wn_ydoc *d, const wn_ynode *mix, const char *where,
                         const wn_mix_bind *binds, size_t n_binds)
{
    memset(c, 0, sizeof *c);
    c->sequence_length = 8192;
    c->val_fraction = 0.005;
    c->max_shard_bytes = 1ull << 30;
    c->main.label = "main";
    c->config_path = wn_xstrdup(d->path);
    int errors_before = d->errors;
    c->main.where = where;
    if (!mix || mix->kind != WN_Y_MAP) {
        wn_y_check_keys(d, mix, where, mix_keys);
        return false;
    }
    wn_y_check_keys(d, mix, where, mix_keys); /* go on: report every problem at once */
    c->config_json = y_to_json(mix);
    wn_y_u64(d, mix, where, "seed", &c->seed, false);
    uint64_t len = c->sequence_length;
    if (wn_y_u64(d, mix, where, "sequence_length", &len, false) && (len < 1 || len > (1u << 30)))
        wn_y_error(d, wn_y_get(mix, "sequence_length"), where, "sequence_length",
                   "must be between 1 and 2^30");
    c->sequence_length = (uint32_t)len;
    if (wn_y_double(d, mix, where, "val_fraction", &c->val_fraction, false) &&
        (c->val_fraction < 0 || c->val_fraction >= 1))
        wn_y_error(d, wn_y_get(mix, "val_fraction"), where, "val_fraction",
                   "must be in [0, 1)");
    if (wn_y_bytes(d, mix, where, "max_shard_size", &c->max_shard_bytes, false) &&
        c->max_shard_bytes < 4ull * c->sequence_length)
        wn_y_error(d, wn_y_get(mix, "max_shard_size"), where, "max_shard_size",
                   "smaller than one sequence");
    const char *fmt = NULL;
    if (wn_y_str(d, mix, where, "format", &fmt, false)) {
        if (!strcmp(fmt, "llmc"))
            c->format = WN_MIX_LLMC;
        else if (strcmp(fmt, "megatron"))
            wn_y_error(d, wn_y_get(mix, "format"), where, "format",
                       "expected megatron or llmc, got '%s'", fmt);
    }
    wn_y_bool(d, mix, where, "keep_remainder", &c->keep_remainder, false);
    if (wn_y_count(d, mix, where, "budget", &c->main.budget, false))
        c->main.budget_line = wn_y_get(mix, "budget")->line;
    parse_main_sources(c, d, mix, where, binds, n_binds);
    const wn_ynode *an = wn_y_get(mix, "anneal");
    if (an)
        parse_anneal(c, d, an, where);
    return d->errors == errors_before;
}

static void release_spec(wn_mix_spec *s)
{
    for (size_t i = 0; i < s->n_sources; i++) {
        free(s->sources[i].name);
        for (size_t k = 0; k < s->sources[i].n_paths; k++)
            free(s->sources[i].paths[k]);
        free(s->sources[i].paths);
    }
    free(s->sources);
    s->sources = NULL;
    s->n_sources = 0;
}

void wn_mix_config_release(wn_mix_config *c)
{
    release_spec(&c->main);
    release_spec(&c->anneal);
    json_decref(c->config_json);
    free(c->config_path);
    memset(c, 0, sizeof *c);
}
