/* slurm_config.c: the `slurm:` section of a pipeline config (libyaml document API).
 *
 * The section is read from the same file the planner reads; the planner ignores it and this
 * reader ignores everything else, so the two stay independent. */
#include "cluster/slurm.h"
#include "core/buf.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void wn_slurm_opts_init(wn_slurm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_array_size = 1000;
}

static void resources_release(wn_slurm_resources *r)
{
    free(r->partition);
    free(r->time);
    free(r->mem);
    free(r->account);
    for (size_t i = 0; i < r->n_extra; i++) free(r->extra[i]);
    free(r->extra);
    memset(r, 0, sizeof *r);
}

void wn_slurm_opts_release(wn_slurm_opts *o)
{
    resources_release(&o->defaults);
    for (size_t i = 0; i < o->n_overrides; i++) {
        free(o->overrides[i].match);
        resources_release(&o->overrides[i].res);
    }
    free(o->overrides);
    free(o->exe);
    free(o->sbatch);
    free(o->mpi_launcher);
    free(o->mpi_exe);
    wn_slurm_opts_init(o);
}

static void merge(wn_slurm_resources *into, const wn_slurm_resources *from)
{
    if (from->partition) into->partition = from->partition;
    if (from->time) into->time = from->time;
    if (from->mem) into->mem = from->mem;
    if (from->account) into->account = from->account;
    if (from->cpus) into->cpus = from->cpus;
    if (from->n_extra) {
        into->extra = from->extra;
        into->n_extra = from->n_extra;
    }
}

wn_slurm_resources wn_slurm_resources_for(const wn_slurm_opts *o, const wn_phase *phase)
{
    wn_slurm_resources r = o->defaults;
    for (size_t i = 0; i < o->n_overrides; i++)
        if (!strcmp(o->overrides[i].match, phase->command)) merge(&r, &o->overrides[i].res);
    for (size_t i = 0; i < o->n_overrides; i++)
        if (!strcmp(o->overrides[i].match, phase->name)) merge(&r, &o->overrides[i].res);
    return r;
}

typedef struct reader {
    const char *path;
    yaml_document_t doc;
} reader;

static int bad(const reader *r, const yaml_node_t *n, const char *key, const char *what)
{
    wn_error("'%s':%zu:%zu: key '%s': %s", r->path, n->start_mark.line + 1,
             n->start_mark.column + 1, key, what);
    return -1;
}

static const char *scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int get_string(const reader *r, const yaml_node_t *v, const char *key, char **out)
{
    const char *s = scalar(v);
    if (!s || !*s) return bad(r, v, key, "expected a string");
    free(*out);
    *out = wn_xstrdup(s);
    return 0;
}

static int get_uint(const reader *r, const yaml_node_t *v, const char *key, unsigned *out)
{
    const char *s = scalar(v);
    char *end;
    unsigned long x = s ? strtoul(s, &end, 10) : 0;
    if (!s || !*s || *end || x == 0 || x > 1000000) return bad(r, v, key, "expected a positive integer");
    *out = (unsigned)x;
    return 0;
}

static int get_list(const reader *r, const yaml_node_t *v, const char *key,
                    wn_slurm_resources *res)
{
    if (v->type != YAML_SEQUENCE_NODE) return bad(r, v, key, "expected a list of sbatch options");
    for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        const char *s = scalar(yaml_document_get_node((yaml_document_t *)&r->doc, *it));
        if (!s || strncmp(s, "--", 2)) return bad(r, v, key, "each entry must be an option like '--qos=high'");
        res->extra = wn_xrealloc(res->extra, (res->n_extra + 1) * sizeof *res->extra);
        res->extra[res->n_extra++] = wn_xstrdup(s);
    }
    return 0;
}

/* One resource key; returns 1 if `key` is not a resource key. */
static int resource_key(const reader *r, const char *key, const yaml_node_t *v,
                        wn_slurm_resources *res)
{
    if (!strcmp(key, "partition")) return get_string(r, v, key, &res->partition);
    if (!strcmp(key, "time")) return get_string(r, v, key, &res->time);
    if (!strcmp(key, "mem")) return get_string(r, v, key, &res->mem);
    if (!strcmp(key, "account")) return get_string(r, v, key, &res->account);
    if (!strcmp(key, "cpus_per_task")) return get_uint(r, v, key, &res->cpus);
    if (!strcmp(key, "sbatch_args")) return get_list(r, v, key, res);
    return 1;
}

/* Iterate over the (key, value) nodes of a mapping, `pr` naming the cursor. */
#define FOR_PAIRS(r, map, pr, k, v)                                                      \
    for (yaml_node_pair_t *pr = (map)->data.mapping.pairs.start;                           \
         pr < (map)->data.mapping.pairs.top &&                                             \
         ((k) = yaml_document_get_node(&(r)->doc, pr->key),                                \
         (v) = yaml_document_get_node(&(r)->doc, pr->value), 1);                           \
         pr++)

static int read_phases(reader *r, const yaml_node_t *map, wn_slurm_opts *o)
{
    if (map->type != YAML_MAPPING_NODE) return bad(r, map, "phases", "expected a mapping");
    yaml_node_t *k, *v;
    FOR_PAIRS(r, map, pr, k, v) {
        const char *name = scalar(k);
        if (!name || v->type != YAML_MAPPING_NODE)
            return bad(r, v, name ? name : "phases", "expected a mapping of resources");
        o->overrides = wn_xrealloc(o->overrides, (o->n_overrides + 1) * sizeof *o->overrides);
        wn_slurm_override *ov = &o->overrides[o->n_overrides++];
        memset(ov, 0, sizeof *ov);
        ov->match = wn_xstrdup(name);
        yaml_node_t *k2, *v2;
        FOR_PAIRS(r, v, inner, k2, v2) {
            const char *key = scalar(k2);
            int rc = key ? resource_key(r, key, v2, &ov->res) : 1;
            if (rc == 1) return bad(r, k2, key ? key : "?", "unknown key (partition, time, mem, account, cpus_per_task, sbatch_args)");
            if (rc) return -1;
        }
    }
    return 0;
}

static int read_mpi(reader *r, const yaml_node_t *map, wn_slurm_opts *o)
{
    if (map->type != YAML_MAPPING_NODE) return bad(r, map, "mpi", "expected a mapping");
    yaml_node_t *k, *v;
    FOR_PAIRS(r, map, pr, k, v) {
        const char *key = scalar(k);
        int rc;
        if (!key) return bad(r, k, "mpi", "keys must be strings");
        if (!strcmp(key, "ranks")) rc = get_uint(r, v, key, &o->mpi_ranks);
        else if (!strcmp(key, "launcher")) rc = get_string(r, v, key, &o->mpi_launcher);
        else if (!strcmp(key, "exe")) rc = get_string(r, v, key, &o->mpi_exe);
        else return bad(r, k, key, "unknown key in 'slurm.mpi' (ranks, launcher, exe)");
        if (rc) return -1;
    }
    return 0;
}

static int read_section(reader *r, const yaml_node_t *map, wn_slurm_opts *o)
{
    if (map->type != YAML_MAPPING_NODE) return bad(r, map, "slurm", "expected a mapping");
    yaml_node_t *k, *v;
    FOR_PAIRS(r, map, pr, k, v) {
        const char *key = scalar(k);
        int rc;
        if (!key) return bad(r, k, "slurm", "keys must be strings");
        if (!strcmp(key, "phases")) rc = read_phases(r, v, o);
        else if (!strcmp(key, "mpi")) rc = read_mpi(r, v, o);
        else if (!strcmp(key, "max_array_size")) rc = get_uint(r, v, key, &o->max_array_size);
        else if (!strcmp(key, "exe")) rc = get_string(r, v, key, &o->exe);
        else if (!strcmp(key, "sbatch")) rc = get_string(r, v, key, &o->sbatch);
        else if ((rc = resource_key(r, key, v, &o->defaults)) == 1)
            return bad(r, k, key, "unknown key in 'slurm'");
        if (rc) return -1;
    }
    return 0;
}

int wn_slurm_config_load(const char *path, wn_slurm_opts *o)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        wn_error("cannot open '%s'", path);
        return -1;
    }
    yaml_parser_t parser;
    reader r = {.path = path};
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = 0;
    if (!yaml_parser_load(&parser, &r.doc)) {
        wn_error("'%s':%zu:%zu: %s", path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid yaml");
        rc = -1;
    } else {
        yaml_node_t *root = yaml_document_get_root_node(&r.doc);
        if (root && root->type == YAML_MAPPING_NODE) {
            yaml_node_t *k, *v;
            FOR_PAIRS(&r, root, pr, k, v) {
                const char *key = scalar(k);
                if (key && !strcmp(key, "slurm")) rc = read_section(&r, v, o);
            }
        }
        yaml_document_delete(&r.doc);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}
