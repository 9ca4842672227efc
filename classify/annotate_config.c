/* annotate_config.c: annotation configs (YAML via libyaml) and prompt rendering. */
#include "classify/annotate_config.h"
#include "core/io.h"
#include "core/log.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- YAML -> JSON (first document only) ---- */

static json_t *scalar_to_json(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(s, n);
    if (!strcmp(s, "true")) return json_true();
    if (!strcmp(s, "false")) return json_false();
    if (!strcmp(s, "null") || !strcmp(s, "~") || n == 0) return json_null();
    char *end;
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (*end == '\0' && errno == 0)
        return json_integer(i);
    double d = strtod(s, &end);
    if (*end == '\0' && isfinite(d))
        return json_real(d);
    return json_stringn(s, n);
}

/* Builds the node whose start event is `ev`; returns NULL with err set on failure. */
static json_t *yaml_node(yaml_parser_t *p, yaml_event_t *ev, char *err, size_t errlen);

static int next_event(yaml_parser_t *p, yaml_event_t *ev, char *err, size_t errlen)
{
    if (yaml_parser_parse(p, ev))
        return 0;
    snprintf(err, errlen, "line %zu: %s", p->problem_mark.line + 1,
             p->problem ? p->problem : "invalid yaml");
    return -1;
}

static json_t *yaml_collection(yaml_parser_t *p, bool mapping, char *err, size_t errlen)
{
    json_t *node = mapping ? json_object() : json_array();
    for (;;) {
        yaml_event_t ev;
        if (next_event(p, &ev, err, errlen) < 0)
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return node;
        }
        if (!mapping) {
            json_t *v = yaml_node(p, &ev, err, errlen);
            if (!v)
                goto fail;
            json_array_append_new(node, v);
            continue;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            snprintf(err, errlen, "line %zu: mapping keys must be scalars", ev.start_mark.line + 1);
            yaml_event_delete(&ev);
            goto fail;
        }
        char *key = wn_xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
        size_t key_line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (json_object_get(node, key)) { /* the last one silently won */
            snprintf(err, errlen, "line %zu: duplicate key '%s'", key_line, key);
            free(key);
            goto fail;
        }
        if (next_event(p, &ev, err, errlen) < 0) {
            free(key);
            goto fail;
        }
        json_t *v = yaml_node(p, &ev, err, errlen);
        if (!v) {
            free(key);
            goto fail;
        }
        json_object_set_new(node, key, v);
        free(key);
    }
fail:
    json_decref(node);
    return NULL;
}

static json_t *yaml_node(yaml_parser_t *p, yaml_event_t *ev, char *err, size_t errlen)
{
    json_t *v = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        v = scalar_to_json(ev);
        break;
    case YAML_MAPPING_START_EVENT:
    case YAML_SEQUENCE_START_EVENT:
        v = yaml_collection(p, ev->type == YAML_MAPPING_START_EVENT, err, errlen);
        break;
    default:
        snprintf(err, errlen, "line %zu: unsupported yaml (anchors and aliases are not)",
                 ev->start_mark.line + 1);
    }
    yaml_event_delete(ev);
    return v;
}

json_t *wn_yaml_load_file(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = wn_read_file(path, &len, err, errlen);
    if (!text)
        return NULL;
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    json_t *root = NULL;
    for (;;) {
        yaml_event_t ev;
        if (next_event(&p, &ev, err, errlen) < 0)
            break;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            if (!root)
                root = json_object(); /* an empty file is an empty mapping */
            break;
        }
        if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT ||
            ev.type == YAML_SCALAR_EVENT) {
            root = yaml_node(&p, &ev, err, errlen);
            break;
        }
        yaml_event_delete(&ev); /* stream/document start */
    }
    yaml_parser_delete(&p);
    free(text);
    return root;
}

/* ---- config ---- */

static const char *const known_keys[] = {
    "name", "prompt", "system", "kind", "min", "max", "answer_regex", "max_tokens",
    "temperature", "top_logprobs", "max_chars", "request", "choices", "positive", NULL,
};

static char *get_str(json_t *root, const char *key)
{
    json_t *v = json_object_get(root, key);
    return json_is_string(v) ? wn_xstrdup(json_string_value(v)) : NULL;
}

static int get_int(json_t *root, const char *key, int dflt, int lo, int hi, const char *path,
                   int *out)
{
    json_t *v = json_object_get(root, key);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        wn_error("config '%s': '%s' must be an integer from %d to %d", path, key, lo, hi);
        return -1;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

/* The prompt path is relative to the config's folder. */
static char *read_beside(const char *config_path, const char *name, char *err, size_t errlen)
{
    wn_buf p = WN_BUF_INIT;
    if (name[0] != '/') {
        char *copy = wn_xstrdup(config_path);
        wn_buf_appendf(&p, "%s/", dirname(copy));
        free(copy);
    }
    wn_buf_appends(&p, name);
    size_t len;
    char *text = wn_read_file(p.data, &len, err, errlen);
    wn_buf_release(&p);
    return text;
}

static int load_choices(wn_ann_config *c, json_t *root)
{
    json_t *arr = json_object_get(root, "choices"), *v;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) < 2) {
        wn_error("config '%s': kind 'choice' needs 'choices', a list of at least two words", c->path);
        return -1;
    }
    c->choices = wn_xcalloc(json_array_size(arr), sizeof *c->choices);
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            wn_error("config '%s': choices must be strings", c->path);
            return -1;
        }
        char *w = wn_xstrdup(json_string_value(v));
        for (char *q = w; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        c->choices[c->n_choices++] = w;
    }
    char *pos = get_str(root, "positive");
    c->positive = -1;
    for (size_t k = 0; pos && k < c->n_choices; k++)
        if (!strcasecmp(pos, c->choices[k]))
            c->positive = (int)k;
    free(pos);
    if (c->positive < 0) {
        wn_error("config '%s': 'positive' must name one of the choices", c->path);
        return -1;
    }
    return 0;
}

static int compile_regex(wn_ann_config *c)
{
    int code;
    PCRE2_SIZE off;
    c->re = pcre2_compile((PCRE2_SPTR)c->answer_regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code,
                          &off, NULL);
    if (!c->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        wn_error("config '%s': answer_regex at offset %zu: %s", c->path, (size_t)off, (char *)msg);
        return -1;
    }
    uint32_t groups = 0;
    pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &groups);
    if (groups < 1) {
        wn_error("config '%s': answer_regex needs a capture group around the score", c->path);
        return -1;
    }
    return 0;
}

static int load_fields(wn_ann_config *c, json_t *root)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        size_t k = 0;
        while (known_keys[k] && strcmp(known_keys[k], key))
            k++;
        if (!known_keys[k]) {
            wn_error("config '%s': unknown key '%s'", c->path, key);
            return -1;
        }
    }
    char err[512];
    char *prompt_name = get_str(root, "prompt");
    c->name = get_str(root, "name");
    c->system = get_str(root, "system");
    c->answer_regex = get_str(root, "answer_regex");
    if (!c->name || !prompt_name || !c->answer_regex) {
        free(prompt_name);
        wn_error("config '%s': 'name', 'prompt' and 'answer_regex' are required", c->path);
        return -1;
    }
    c->prompt = read_beside(c->path, prompt_name, err, sizeof err);
    free(prompt_name);
    if (!c->prompt) {
        wn_error("config '%s': prompt: %s", c->path, err);
        return -1;
    }
    if (!strstr(c->prompt, "{{text}}")) {
        wn_error("config '%s': the prompt template has no {{text}}", c->path);
        return -1;
    }
    char *kind = get_str(root, "kind");
    int bad_kind = !kind || (strcmp(kind, "scale") && strcmp(kind, "choice"));
    c->kind = kind && !strcmp(kind, "choice") ? WN_ANN_CHOICE : WN_ANN_SCALE;
    free(kind);
    if (bad_kind) {
        wn_error("config '%s': 'kind' must be 'scale' or 'choice'", c->path);
        return -1;
    }
    int max_chars;
    if (get_int(root, "min", 0, -1000, 1000, c->path, &c->min) < 0 ||
        get_int(root, "max", 5, -1000, 1000, c->path, &c->max) < 0 ||
        get_int(root, "max_tokens", 256, 1, 1 << 20, c->path, &c->max_tokens) < 0 ||
        get_int(root, "top_logprobs", 0, 0, 20, c->path, &c->top_logprobs) < 0 ||
        get_int(root, "max_chars", 10000, 1, 1 << 30, c->path, &max_chars) < 0)
        return -1;
    c->max_chars = (size_t)max_chars;
    if (c->kind == WN_ANN_SCALE && c->min >= c->max) {
        wn_error("config '%s': 'min' must be below 'max'", c->path);
        return -1;
    }
    v = json_object_get(root, "temperature");
    c->temperature = v ? json_number_value(v) : 0.0;
    if (v && (!json_is_number(v) || c->temperature < 0)) {
        wn_error("config '%s': 'temperature' must be a number >= 0", c->path);
        return -1;
    }
    v = json_object_get(root, "request");
    if (v && !json_is_object(v)) {
        wn_error("config '%s': 'request' must be a mapping", c->path);
        return -1;
    }
    c->request = json_incref(v);
    if (c->kind == WN_ANN_CHOICE && load_choices(c, root) < 0)
        return -1;
    return compile_regex(c);
}

int wn_ann_config_load(wn_ann_config *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->path = wn_xstrdup(path);
    char err[512];
    json_t *root = wn_yaml_load_file(path, err, sizeof err);
    if (!root) {
        wn_error("cannot read config '%s': %s", path, err);
        wn_ann_config_release(c);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(root))
        wn_error("config '%s': expected a mapping at the top", path);
    else
        rc = load_fields(c, root);
    json_decref(root);
    if (rc < 0)
        wn_ann_config_release(c);
    return rc;
}

void wn_ann_config_release(wn_ann_config *c)
{
    free(c->path);
    free(c->name);
    free(c->system);
    free(c->prompt);
    for (size_t i = 0; i < c->n_choices; i++)
        free(c->choices[i]);
    free(c->choices);
    free(c->answer_regex);
    pcre2_code_free(c->re);
    json_decref(c->request);
    memset(c, 0, sizeof *c);
}

size_t wn_utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    /* step back over continuation bytes so the cut lands on a sequence start */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

void wn_ann_render_prompt(const wn_ann_config *c, const char *text, size_t len, wn_buf *out)
{
    static const char mark[] = "{{text}}";
    size_t keep = wn_utf8_cut(text, len, c->max_chars);
    const char *p = c->prompt, *hit;
    while ((hit = strstr(p, mark))) {
        wn_buf_append(out, p, (size_t)(hit - p));
        wn_buf_append(out, text, keep);
        p = hit + sizeof mark - 1;
    }
    wn_buf_appends(out, p);
}
