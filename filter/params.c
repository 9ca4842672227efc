/* params.c: YAML config -> jansson, and typed parameter getters; see params.h. */
#include "filter/params.h"
#include "filter/filter.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "core/paths.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

void wn_fparams_init(wn_fparams *p, const char *filter, const json_t *given,
                     const char *base_dir, bool annotate_only)
{
    memset(p, 0, sizeof *p);
    p->filter = filter;
    p->given = given;
    p->effective = json_object();
    p->base_dir = base_dir;
    p->annotate_only = annotate_only;
}

void wn_fparams_release(wn_fparams *p)
{
    json_decref(p->effective);
    p->effective = NULL;
}

/* ---- where a config error is ----
 * wn_yaml_load remembers where each mapping and each of its keys was in the file (the
 * jansson value has no place for it), and the first failure of a filter records the place
 * it is about, so wn_fconfig_error can say 'FILE':LINE:COL: as `winnow run` configs do. */
typedef struct ypos {
    const json_t *map;
    char *key; /* NULL: the mapping itself */
    unsigned line, col;
} ypos;

static struct {
    ypos *v;
    size_t n, cap;
    bool failed; /* fail_* below hold the first failure's place */
    unsigned fail_line, fail_col;
} places;

enum { YAML_MAX_PLACES = 100000 }; /* beyond it (alias bombs) errors lose their place */

static void places_reset(void)
{
    for (size_t i = 0; i < places.n; i++)
        free(places.v[i].key);
    free(places.v);
    memset(&places, 0, sizeof places);
}

static void place_add(const json_t *map, const char *key, const yaml_mark_t *m)
{
    if (places.n == YAML_MAX_PLACES)
        return;
    if (places.n == places.cap) {
        places.cap = places.cap ? places.cap * 2 : 64;
        places.v = wn_xrealloc(places.v, places.cap * sizeof *places.v);
    }
    places.v[places.n++] = (ypos){map, key ? wn_xstrdup(key) : NULL, (unsigned)m->line + 1,
                                  (unsigned)m->column + 1};
}

/* The place of map's key (or of map itself when key is NULL or not found); false when map
 * was not read by wn_yaml_load. */
static bool place_of(const json_t *map, const char *key, unsigned *line, unsigned *col)
{
    const ypos *whole = NULL;
    for (size_t i = 0; i < places.n; i++) {
        const ypos *y = &places.v[i];
        if (y->map != map)
            continue;
        if (key && y->key && !strcmp(y->key, key)) {
            whole = y;
            break;
        }
        if (!y->key && !whole)
            whole = y;
    }
    if (!whole)
        return false;
    *line = whole->line;
    *col = whole->col;
    return true;
}

static void note_failure(const json_t *map, const char *key)
{
    if (!places.failed && map && place_of(map, key, &places.fail_line, &places.fail_col))
        places.failed = true;
}

/* The chain's own refusals (filters/chain.c) come before any parameter is read: the first
 * entry of `filters` that is not a mapping, has no name or names no filter, in the order
 * the chain builds them. */
static void note_chain_failure(const json_t *config)
{
    const json_t *filters = json_object_get(config, "filters");
    if (!json_is_array(filters)) {
        note_failure(config, "filters");
        return;
    }
    size_t i;
    json_t *f;
    json_array_foreach(filters, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        if (!json_is_object(f))
            note_failure(filters, NULL);
        else if (!name || !wn_filter_find(name))
            note_failure(f, name ? "name" : NULL);
        else
            continue;
        return;
    }
}

void wn_fconfig_error(const char *path, const json_t *config, const char *msg)
{
    if (!path) {
        wn_error("%s", msg);
        return;
    }
    if (!places.failed && config)
        note_chain_failure(config);
    if (places.failed)
        wn_error("'%s':%u:%u: %s", path, places.fail_line, places.fail_col, msg);
    else
        wn_error("'%s': %s", path, msg);
}

void wn_fp_fail(wn_fparams *p, const char *fmt, ...)
{
    if (p->err[0])
        return;
    note_failure(p->given, p->key);
    int k = snprintf(p->err, sizeof p->err, "filter '%s': ", p->filter);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + k, sizeof p->err - (size_t)k, fmt, ap);
    va_end(ap);
}

/* The key's value; a getter's failures are placed at it (p->key) until it returns. */
static const json_t *given(wn_fparams *p, const char *key)
{
    p->key = key;
    const json_t *v = p->given ? json_object_get(p->given, key) : NULL;
    return v && !json_is_null(v) ? v : NULL;
}

double wn_fp_num(wn_fparams *p, const char *key, double def)
{
    const json_t *v = given(p, key);
    double x = def;
    if (v && json_is_number(v))
        x = json_number_value(v);
    else if (v)
        wn_fp_fail(p, "parameter '%s' must be a number", key);
    if (!isfinite(x))
        wn_fp_fail(p, "parameter '%s' must be finite", key);
    else if (x < 0) /* no threshold, count or size of a filter is negative */
        wn_fp_fail(p, "parameter '%s' must be >= 0, not %g", key, x);
    json_object_set_new(p->effective, key, json_real(x));
    p->key = NULL;
    return x;
}

double wn_fp_fraction(wn_fparams *p, const char *key, double def)
{
    double x = wn_fp_num(p, key, def);
    p->key = key;
    if (x > 1)
        wn_fp_fail(p, "parameter '%s' is a fraction: between 0 and 1, not %g", key, x);
    p->key = NULL;
    return x;
}

bool wn_fp_bool(wn_fparams *p, const char *key, bool def)
{
    const json_t *v = given(p, key);
    bool x = def;
    if (v && json_is_boolean(v))
        x = json_is_true(v);
    else if (v)
        wn_fp_fail(p, "parameter '%s' must be true or false", key);
    json_object_set_new(p->effective, key, json_boolean(x));
    p->key = NULL;
    return x;
}

const char *wn_fp_str(wn_fparams *p, const char *key, const char *def)
{
    const json_t *v = given(p, key);
    const char *x = def;
    if (v && json_is_string(v))
        x = json_string_value(v);
    else if (v)
        wn_fp_fail(p, "parameter '%s' must be a string", key);
    json_object_set_new(p->effective, key, x ? json_string(x) : json_null());
    p->key = NULL;
    return x;
}

static char *resolve(const wn_fparams *p, const char *path)
{
    if (path[0] == '/')
        return wn_xstrdup(path);
    wn_buf b = WN_BUF_INIT;
    if (p->base_dir) {
        wn_buf_appendf(&b, "%s/%s", p->base_dir, path);
        if (access(b.data, F_OK) == 0 || strncmp(path, "data/", 5) != 0)
            return wn_buf_detach(&b, NULL);
        wn_buf_release(&b);
    }
    if (strncmp(path, "data/", 5) != 0)
        return wn_xstrdup(path);
    /* "data/..." names a file shipped with winnow (core/paths.h); when it is nowhere, the
     * first candidate is returned so the error names a real place */
    char buf[PATH_MAX];
    wn_data_path(path + 5, buf, sizeof buf);
    return wn_xstrdup(buf);
}

static char **strv(wn_fparams *p, const char *key, const char *const *defs, size_t *n,
                   bool paths)
{
    const json_t *v = given(p, key);
    size_t cnt = 0;
    char **out;
    json_t *eff = json_array();
    if (v && json_is_string(v)) {
        out = wn_xcalloc(2, sizeof *out);
        out[cnt++] = paths ? resolve(p, json_string_value(v)) : wn_xstrdup(json_string_value(v));
    } else if (v && json_is_array(v)) {
        out = wn_xcalloc(json_array_size(v) + 1, sizeof *out);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            if (!json_is_string(e)) {
                wn_fp_fail(p, "parameter '%s' must be a list of strings", key);
                continue;
            }
            out[cnt++] = paths ? resolve(p, json_string_value(e)) : wn_xstrdup(json_string_value(e));
        }
    } else {
        if (v)
            wn_fp_fail(p, "parameter '%s' must be a string or a list of strings", key);
        size_t nd = 0;
        while (defs && defs[nd])
            nd++;
        out = wn_xcalloc(nd + 1, sizeof *out);
        for (size_t i = 0; i < nd; i++)
            out[cnt++] = paths ? resolve(p, defs[i]) : wn_xstrdup(defs[i]);
    }
    for (size_t i = 0; i < cnt; i++)
        json_array_append_new(eff, json_string(out[i]));
    json_object_set_new(p->effective, key, eff);
    *n = cnt;
    p->key = NULL;
    return out;
}

char **wn_fp_paths(wn_fparams *p, const char *key, const char *const *defs, size_t *n)
{
    return strv(p, key, defs, n, true);
}

char **wn_fp_strs(wn_fparams *p, const char *key, const char *const *defs, size_t *n)
{
    return strv(p, key, defs, n, false);
}

int wn_fparams_finish(wn_fparams *p)
{
    if (p->given && json_is_object(p->given)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)p->given, k, v) {
            if (strcmp(k, "name") != 0 && !json_object_get(p->effective, k)) {
                p->key = k;
                wn_fp_fail(p, "unknown parameter '%s'", k);
            }
        }
    }
    return p->err[0] ? -1 : 0;
}

/* ---- YAML ---- */

static json_t *scalar_value(const yaml_node_t *n)
{
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(s, len);
    if (len == 0 || !strcmp(s, "~") || !strcasecmp(s, "null"))
        return json_null();
    if (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
        return json_true();
    if (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off"))
        return json_false();
    char *end;
    errno = 0;
    long long ll = strtoll(s, &end, 10);
    if (end == s + len && errno == 0)
        return json_integer(ll);
    errno = 0; /* strtoll's ERANGE on 1e20-sized integers is not strtod's verdict */
    double d = strtod(s, &end);
    if (end == s + len && errno == 0)
        return json_real(d);
    return json_stringn(s, len);
}

/* The conversion refuses what libyaml accepts but a config cannot mean: a key given twice
 * in one mapping (the last one silently won: a second, empty `filters:` ran nothing), and
 * aliases that expand past a million values (nine nested lists of nine aliases hung it). */
typedef struct yaml_conv {
    size_t budget;
    char *err;
    size_t errlen;
    bool failed;
    size_t line, col; /* of the failure, 1-based */
    bool places;      /* remember where mappings and keys are (wn_yaml_load) */
} yaml_conv;

enum { YAML_MAX_VALUES = 1000000 };

static void conv_fail(yaml_conv *c, const yaml_node_t *n, const char *what, const char *key)
{
    if (c->failed)
        return;
    c->failed = true;
    c->line = n->start_mark.line + 1;
    c->col = n->start_mark.column + 1;
    snprintf(c->err, c->errlen, "%s%s%s%s", what, key ? " '" : "", key ? key : "", key ? "'" : "");
}

static json_t *node_to_json(yaml_document_t *doc, yaml_node_t *n, int depth, yaml_conv *c)
{
    if (!n || depth > 64 || c->failed)
        return json_null();
    if (c->budget-- == 0) {
        conv_fail(c, n, "the config expands to more than a million values (aliases?)", NULL);
        return json_null();
    }
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return scalar_value(n);
    case YAML_SEQUENCE_NODE: {
        json_t *a = json_array();
        if (c->places)
            place_add(a, NULL, &n->start_mark);
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && !c->failed; it++)
            json_array_append_new(a, node_to_json(doc, yaml_document_get_node(doc, *it), depth + 1, c));
        return a;
    }
    case YAML_MAPPING_NODE: {
        json_t *o = json_object();
        if (c->places)
            place_add(o, NULL, &n->start_mark);
        for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
             pr < n->data.mapping.pairs.top && !c->failed; pr++) {
            yaml_node_t *k = yaml_document_get_node(doc, pr->key);
            if (!k || k->type != YAML_SCALAR_NODE)
                continue;
            const char *key = (const char *)k->data.scalar.value;
            if (json_object_get(o, key)) {
                conv_fail(c, k, "duplicate key", key);
                break;
            }
            if (c->places)
                place_add(o, key, &k->start_mark);
            json_object_set_new(o, key, node_to_json(doc, yaml_document_get_node(doc, pr->value),
                                                     depth + 1, c));
        }
        return o;
    }
    default:
        return json_null();
    }
}

/* YAML text -> JSON; on failure NULL, the message in err and its place in *line, *col. */
static json_t *parse(const char *text, size_t len, bool places_too, char *err, size_t errlen,
                     size_t *line, size_t *col)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *out = NULL;
    *line = *col = 0;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        *line = parser.problem_mark.line + 1;
        *col = parser.problem_mark.column + 1;
        snprintf(err, errlen, "%s", parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_conv conv = {YAML_MAX_VALUES, err, errlen, false, 0, 0, places_too};
    out = root ? node_to_json(&doc, root, 0, &conv) : json_object();
    if (conv.failed) {
        json_decref(out);
        out = NULL;
        *line = conv.line;
        *col = conv.col;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return out;
}

json_t *wn_yaml_parse(const char *text, size_t len, char *err, size_t errlen)
{
    char e[256];
    size_t line, col;
    json_t *j = parse(text, len, false, e, sizeof e, &line, &col);
    if (!j)
        snprintf(err, errlen, "line %zu: %s", line, e);
    return j;
}

json_t *wn_yaml_load(const char *path, char *err, size_t errlen)
{
    size_t len;
    char e[256];
    char *text = wn_read_file(path, &len, e, sizeof e);
    if (!text) {
        snprintf(err, errlen, "%s", e); /* names the file */
        return NULL;
    }
    places_reset();
    size_t line, col;
    json_t *j = parse(text, len, true, e, sizeof e, &line, &col);
    free(text);
    if (!j)
        snprintf(err, errlen, "'%s':%zu:%zu: %s", path, line, col, e);
    return j;
}
