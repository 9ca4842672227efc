/* yaml.c: libyaml document -> wn_ynode tree with marks, and the checkers; see yaml.h. */
#include "pipeline/yaml.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define Y_MAX_DEPTH 64 /* aliases may form cycles; configs are shallow */

static wn_ynode *y_convert(wn_ydoc *d, yaml_document_t *doc, yaml_node_t *n, int depth)
{
    wn_ynode *out = wn_xcalloc(1, sizeof *out);
    out->line = (unsigned)n->start_mark.line + 1;
    out->col = (unsigned)n->start_mark.column + 1;
    if (depth > Y_MAX_DEPTH) {
        wn_y_error(d, out, "", NULL, "nesting too deep (recursive alias?)");
        out->kind = WN_Y_SCALAR;
        out->scalar = wn_xstrdup("");
        return out;
    }
    switch (n->type) {
    case YAML_SEQUENCE_NODE: {
        out->kind = WN_Y_SEQ;
        size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        out->items = wn_xcalloc(cnt, sizeof *out->items);
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_t *c = yaml_document_get_node(doc, n->data.sequence.items.start[i]);
            out->items[out->n++] = y_convert(d, doc, c, depth + 1);
        }
        break;
    }
    case YAML_MAPPING_NODE: {
        out->kind = WN_Y_MAP;
        size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
        out->items = wn_xcalloc(cnt, sizeof *out->items);
        out->keys = wn_xcalloc(cnt, sizeof *out->keys);
        out->key_lines = wn_xcalloc(cnt, sizeof *out->key_lines);
        out->key_cols = wn_xcalloc(cnt, sizeof *out->key_cols);
        for (size_t i = 0; i < cnt; i++) {
            yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
            yaml_node_t *k = yaml_document_get_node(doc, p->key);
            yaml_node_t *v = yaml_document_get_node(doc, p->value);
            wn_ynode kn = {.line = (unsigned)k->start_mark.line + 1,
                           .col = (unsigned)k->start_mark.column + 1};
            if (k->type != YAML_SCALAR_NODE) {
                wn_y_error(d, &kn, "", NULL, "a key must be a plain string");
                continue;
            }
            const char *key = (const char *)k->data.scalar.value;
            if (wn_y_get(out, key))
                wn_y_error(d, &kn, "", key, "duplicate key");
            size_t j = out->n++;
            out->keys[j] = wn_xstrdup(key);
            out->key_lines[j] = kn.line;
            out->key_cols[j] = kn.col;
            out->items[j] = y_convert(d, doc, v, depth + 1);
        }
        break;
    }
    default:
        out->kind = WN_Y_SCALAR;
        out->scalar = wn_xstrndup((const char *)n->data.scalar.value, n->data.scalar.length);
        out->plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        break;
    }
    return out;
}

static void y_free(wn_ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        y_free(n->items[i]);
        if (n->keys)
            free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->key_lines);
    free(n->key_cols);
    free(n->scalar);
    free(n);
}

wn_ydoc *wn_ydoc_load(const char *path)
{
    char err[512];
    size_t len;
    char *text = wn_read_file(path, &len, err, sizeof err);
    if (!text) {
        wn_error("%s", err);
        return NULL;
    }
    wn_ydoc *d = wn_xcalloc(1, sizeof *d);
    d->path = wn_xstrdup(path);
    const char *slash = strrchr(path, '/');
    d->dir = slash ? wn_xstrndup(path, (size_t)(slash - path + 1)) : wn_xstrdup("");
    d->text = text;
    d->text_len = len;

    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        wn_error("'%s':%zu:%zu: %s%s%s", path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "syntax error",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        wn_ydoc_free(d);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        d->root = wn_xcalloc(1, sizeof *d->root);
        d->root->kind = WN_Y_MAP;
        d->root->line = d->root->col = 1;
    } else {
        d->root = y_convert(d, &doc, root, 0);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (d->root->kind != WN_Y_MAP) {
        wn_y_error(d, d->root, "", NULL, "the config must be a map of keys");
    }
    if (d->errors) {
        wn_ydoc_free(d);
        return NULL;
    }
    return d;
}

void wn_ydoc_free(wn_ydoc *d)
{
    if (!d)
        return;
    y_free(d->root);
    free(d->path);
    free(d->dir);
    free(d->text);
    free(d);
}

static void y_report(const wn_ydoc *d, const char *kind, const wn_ynode *at, const char *where,
                     const char *key, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    const char *dot = where && *where && key ? "." : "";
    fprintf(stderr, "%s: '%s':%u:%u: %s%s%s: %s\n", kind, d->path, at ? at->line : 1,
            at ? at->col : 1, where ? where : "", dot, key ? key : "", msg);
}

void wn_y_error(wn_ydoc *d, const wn_ynode *at, const char *where, const char *key,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    y_report(d, "error", at, where, key, fmt, ap);
    va_end(ap);
    d->errors++;
}

void wn_y_warn(const wn_ydoc *d, const wn_ynode *at, const char *where, const char *key,
               const char *fmt, ...)
{
    if (wn_log_verbosity < 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    y_report(d, "warning", at, where, key, fmt, ap);
    va_end(ap);
}

void wn_y_missing(wn_ydoc *d, const wn_ynode *at, const char *where, const char *key,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (d->missing_ok) {
        if (wn_log_verbosity >= 1)
            y_report(d, "warning", at, where, key, fmt, ap);
    } else {
        y_report(d, "error", at, where, key, fmt, ap);
        d->errors++;
    }
    va_end(ap);
}

const wn_ynode *wn_y_get(const wn_ynode *map, const char *key)
{
    if (!map || map->kind != WN_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i] && strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

bool wn_y_check_keys(wn_ydoc *d, const wn_ynode *map, const char *where,
                     const char *const *allowed)
{
    if (!map || map->kind != WN_Y_MAP) {
        wn_y_error(d, map, where, NULL, "expected a map of keys");
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < map->n; i++) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, map->keys[i]) == 0;
        if (!known) {
            wn_ynode at = {.line = map->key_lines[i], .col = map->key_cols[i]};
            wn_buf hint = WN_BUF_INIT;
            for (const char *const *a = allowed; *a; a++)
                wn_buf_appendf(&hint, "%s%s", a == allowed ? "" : ", ", *a);
            wn_y_error(d, &at, where, map->keys[i], "unknown key (known: %s)",
                       hint.data ? hint.data : "none");
            wn_buf_release(&hint);
            ok = false;
        }
    }
    return ok;
}

/* The scalar under key, or NULL; reports a missing required key or a non-scalar. */
static const wn_ynode *y_scalar(wn_ydoc *d, const wn_ynode *map, const char *where,
                                const char *key, bool required)
{
    const wn_ynode *v = wn_y_get(map, key);
    if (!v) {
        if (required)
            wn_y_error(d, map, where, key, "required key is missing");
        return NULL;
    }
    if (v->kind != WN_Y_SCALAR) {
        wn_y_error(d, v, where, key, "expected a single value, got a %s",
                   v->kind == WN_Y_MAP ? "map" : "list");
        return NULL;
    }
    return v;
}

bool wn_y_str(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
              const char **out, bool required)
{
    const wn_ynode *v = y_scalar(d, map, where, key, required);
    if (v)
        *out = v->scalar;
    return v != NULL;
}

bool wn_y_bool(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
               bool *out, bool required)
{
    const wn_ynode *v = y_scalar(d, map, where, key, required);
    if (!v)
        return false;
    if (v->plain && (!strcmp(v->scalar, "true") || !strcmp(v->scalar, "yes"))) {
        *out = true;
        return true;
    }
    if (v->plain && (!strcmp(v->scalar, "false") || !strcmp(v->scalar, "no"))) {
        *out = false;
        return true;
    }
    wn_y_error(d, v, where, key, "expected true or false, got '%s'", v->scalar);
    return false;
}

bool wn_y_double(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                 double *out, bool required)
{
    const wn_ynode *v = y_scalar(d, map, where, key, required);
    if (!v)
        return false;
    char *end;
    errno = 0;
    double x = strtod(v->scalar, &end);
    if (!v->plain || end == v->scalar || *end || errno || !isfinite(x)) {
        wn_y_error(d, v, where, key, "expected a number, got '%s'", v->scalar);
        return false;
    }
    *out = x;
    return true;
}

bool wn_y_u64(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
              uint64_t *out, bool required)
{
    const wn_ynode *v = y_scalar(d, map, where, key, required);
    if (!v)
        return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v->scalar, &end, 10);
    if (!v->plain || v->scalar[0] == '-' || end == v->scalar || *end || errno) {
        wn_y_error(d, v, where, key, "expected a whole number, got '%s'", v->scalar);
        return false;
    }
    *out = x;
    return true;
}

static int y_parse_suffixed(const char *s, uint64_t *out, const char *suffixes,
                            const double *scales)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno || !(x >= 0))
        return -1;
    double scale = 1;
    if (*end) {
        const char *p = strchr(suffixes, *end);
        if (!p || end[1])
            return -1;
        scale = scales[p - suffixes];
    }
    x *= scale;
    if (x >= 18446744073709551615.0 || x != floor(x))
        return -1;
    *out = (uint64_t)x;
    return 0;
}

int wn_y_parse_count(const char *s, uint64_t *out)
{
    static const double scales[] = {1e3, 1e3, 1e6, 1e6, 1e9, 1e9, 1e9, 1e9, 1e12, 1e12};
    return y_parse_suffixed(s, out, "kKmMbBgGtT", scales);
}

int wn_y_parse_bytes(const char *s, uint64_t *out)
{
    static const double scales[] = {1024.0, 1024.0, 1048576.0, 1048576.0, 1073741824.0,
                                    1073741824.0, 1099511627776.0, 1099511627776.0};
    return y_parse_suffixed(s, out, "kKmMgGtT", scales);
}

static bool y_suffixed(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                       uint64_t *out, bool required, int (*parse)(const char *, uint64_t *),
                       const char *what)
{
    const wn_ynode *v = y_scalar(d, map, where, key, required);
    if (!v)
        return false;
    if (parse(v->scalar, out) != 0) {
        wn_y_error(d, v, where, key, "expected %s, got '%s'", what, v->scalar);
        return false;
    }
    return true;
}

bool wn_y_count(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                uint64_t *out, bool required)
{
    return y_suffixed(d, map, where, key, out, required, wn_y_parse_count,
                      "a count such as 15T, 2.5B, 40M or 1000");
}

bool wn_y_bytes(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                uint64_t *out, bool required)
{
    return y_suffixed(d, map, where, key, out, required, wn_y_parse_bytes,
                      "a size such as 64K, 256M or 1G");
}

bool wn_y_strlist(wn_ydoc *d, const wn_ynode *map, const char *where, const char *key,
                  const char ***out, size_t *n, bool required)
{
    const wn_ynode *v = wn_y_get(map, key);
    if (!v) {
        if (required)
            wn_y_error(d, map, where, key, "required key is missing");
        return false;
    }
    if (v->kind == WN_Y_SCALAR) {
        *out = wn_xmalloc(sizeof **out);
        (*out)[0] = v->scalar;
        *n = 1;
        return true;
    }
    if (v->kind != WN_Y_SEQ) {
        wn_y_error(d, v, where, key, "expected a list of strings");
        return false;
    }
    *out = wn_xcalloc(v->n, sizeof **out);
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->kind != WN_Y_SCALAR) {
            wn_y_error(d, v->items[i], where, key, "item %zu is not a string", i);
            free(*out);
            *out = NULL;
            return false;
        }
        (*out)[i] = v->items[i]->scalar;
    }
    *n = v->n;
    return true;
}

/* "configs/../out/x" -> "out/x", "a/./b" -> "a/b": lexical only (no symlinks followed), so
 * command lines and messages show the paths a user would write. */
static char *y_normalize(const char *path)
{
    char *copy = wn_xstrdup(path), *save = NULL;
    const char **parts = wn_xcalloc(strlen(path) + 1, sizeof *parts);
    size_t n = 0, fixed = 0; /* leading ".." that cannot be collapsed */
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..") && n > fixed)
            n--;
        else if (!strcmp(c, "..") && path[0] != '/')
            parts[n++] = c, fixed = n;
        else if (strcmp(c, ".."))
            parts[n++] = c;
    }
    wn_buf b = WN_BUF_INIT;
    if (path[0] == '/')
        wn_buf_appendc(&b, '/');
    for (size_t i = 0; i < n; i++)
        wn_buf_appendf(&b, "%s%s", i ? "/" : "", parts[i]);
    if (b.len == 0)
        wn_buf_appendc(&b, '.');
    free(parts);
    free(copy);
    return wn_buf_detach(&b, NULL);
}

char *wn_y_resolve(const wn_ydoc *d, const char *path)
{
    if (path[0] == '/' || !d->dir[0])
        return y_normalize(path);
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s%s", d->dir, path);
    char *out = y_normalize(b.data);
    wn_buf_release(&b);
    return out;
}
