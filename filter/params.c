/* params.c: YAML config -> jansson, and typed parameter getters; see params.h. */
#include "filter/params.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
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

void wn_fp_fail(wn_fparams *p, const char *fmt, ...)
{
    if (p->err[0])
        return;
    int k = snprintf(p->err, sizeof p->err, "filter '%s': ", p->filter);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + k, sizeof p->err - (size_t)k, fmt, ap);
    va_end(ap);
}

static const json_t *given(wn_fparams *p, const char *key)
{
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
    return x;
}

double wn_fp_fraction(wn_fparams *p, const char *key, double def)
{
    double x = wn_fp_num(p, key, def);
    if (x > 1)
        wn_fp_fail(p, "parameter '%s' is a fraction: between 0 and 1, not %g", key, x);
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
            if (strcmp(k, "name") != 0 && !json_object_get(p->effective, k))
                wn_fp_fail(p, "unknown parameter '%s'", k);
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
} yaml_conv;

enum { YAML_MAX_VALUES = 1000000 };

static void conv_fail(yaml_conv *c, const yaml_node_t *n, const char *what, const char *key)
{
    if (c->failed)
        return;
    c->failed = true;
    snprintf(c->err, c->errlen, "line %zu: %s%s%s%s", n->start_mark.line + 1, what,
             key ? " '" : "", key ? key : "", key ? "'" : "");
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
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top && !c->failed; it++)
            json_array_append_new(a, node_to_json(doc, yaml_document_get_node(doc, *it), depth + 1, c));
        return a;
    }
    case YAML_MAPPING_NODE: {
        json_t *o = json_object();
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
            json_object_set_new(o, key, node_to_json(doc, yaml_document_get_node(doc, pr->value),
                                                     depth + 1, c));
        }
        return o;
    }
    default:
        return json_null();
    }
}

json_t *wn_yaml_parse(const char *text, size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    json_t *out = NULL;
    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "cannot initialise the YAML parser");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        snprintf(err, errlen, "line %zu: %s", parser.problem_mark.line + 1,
                 parser.problem ? parser.problem : "invalid YAML");
        yaml_parser_delete(&parser);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_conv conv = {YAML_MAX_VALUES, err, errlen, false};
    out = root ? node_to_json(&doc, root, 0, &conv) : json_object();
    if (conv.failed) {
        json_decref(out);
        out = NULL;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return out;
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
    json_t *j = wn_yaml_parse(text, len, e, sizeof e);
    free(text);
    if (!j)
        snprintf(err, errlen, "cannot parse '%s': %s", path, e);
    return j;
}
