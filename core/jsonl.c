/* jsonl.c: Dolma/datatrove JSONL documents; see jsonl.h.
 *
 * Parsing: yajl's event parser when it reads the line as jansson would (jsonl_sax.c),
 * jansson otherwise, so documents and error messages are jansson's. Writing is done here
 * because the layout must be fixed (key order, compact, stable number formatting); the
 * escapers and the jansson-compatible value writer are in json_dump.c.
 */
#include "core/jsonl.h"
#include "core/jsonl_sax.h"
#include "core/io.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_from_json(wn_str *f, json_t *v)
{
    if (json_is_string(v)) {
        wn_str_set(f, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        char tmp[32];
        int n = snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        wn_str_set(f, tmp, (size_t)n);
    } else if (json_is_real(v)) {
        char tmp[64];
        int n = snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
        wn_str_set(f, tmp, (size_t)n);
    }
}

void wn_jsonl_apply_field(wn_doc *d, const char *key, json_t *v, const char *id_key)
{
    if (strcmp(key, id_key) == 0)
        set_from_json(&d->id, v);
    else if (strcmp(key, "source") == 0)
        set_from_json(&d->source, v);
    else if (strcmp(key, "added") == 0)
        set_from_json(&d->added, v);
    else if (strcmp(key, "created") == 0)
        set_from_json(&d->created, v);
    else if (strcmp(key, "url") == 0 && json_is_string(v))
        set_from_json(&d->url, v);
    else if (strcmp(key, "metadata") == 0 && json_is_object(v)) {
        /* merge: metadata keys first seen win over top-level extras */
        const char *mk;
        json_t *mv;
        json_object_foreach(v, mk, mv) {
            if (strcmp(mk, "url") == 0 && json_is_string(mv) && !d->url.ptr)
                set_from_json(&d->url, mv);
            else
                wn_doc_meta_set(d, mk, json_incref(mv));
        }
    } else if (strcmp(key, "attributes") == 0 && json_is_object(v)) {
        /* shared, not copied: the parse that built v lets go of it */
        json_decref(d->attributes);
        d->attributes = json_incref(v);
    } else {
        /* unknown top-level keys are kept, as datatrove's reader does */
        wn_doc_meta_set(d, key, json_incref(v));
    }
}

int wn_jsonl_parse_jansson(const char *line, size_t len, const char *text_key, const char *id_key,
                           wn_doc *d, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, &jerr);
    if (!root) {
        snprintf(err, errlen, "invalid json at column %d: %s", jerr.column, jerr.text);
        return -1;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "line is not a json object");
        json_decref(root);
        return -1;
    }
    json_t *text = json_object_get(root, text_key);
    if (!text) {
        snprintf(err, errlen, "missing text field '%s'", text_key);
        json_decref(root);
        return -1;
    }
    if (!json_is_string(text)) {
        snprintf(err, errlen, "text field '%s' is not a string", text_key);
        json_decref(root);
        return -1;
    }
    wn_str_set(&d->text, json_string_value(text), json_string_length(text));

    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, text_key) != 0)
            wn_jsonl_apply_field(d, key, v, id_key);
    }
    json_decref(root);
    return 0;
}

/* Forget what a declined fast parse filled in. */
static void clear_parsed(wn_doc *d)
{
    wn_str *fields[] = { &d->id, &d->text, &d->source, &d->url, &d->added, &d->created };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        free(fields[i]->ptr);
        *fields[i] = (wn_str){ NULL, 0 };
    }
    json_decref(d->metadata);
    json_decref(d->attributes);
    d->metadata = d->attributes = NULL;
    wn_doc_attr_release(d);
}

int wn_jsonl_parse(const char *line, size_t len, const wn_jsonl_opts *opts, wn_doc *d,
                   char *err, size_t errlen)
{
    const char *text_key = opts && opts->text_field ? opts->text_field : "text";
    const char *id_key = opts && opts->id_field ? opts->id_field : "id";
    if (wn_jsonl_parse_fast(line, len, text_key, id_key, d) == 0)
        return 0;
    clear_parsed(d);
    return wn_jsonl_parse_jansson(line, len, text_key, id_key, d, err, errlen);
}

/* metadata and attributes values are written as jansson wrote them with
 * JSON_COMPACT | JSON_REAL_PRECISION(10) */
enum { REAL_PRECISION = 10 };

static void append_field(wn_buf *out, const char *key, const wn_str *v)
{
    wn_buf_appendc(out, ',');
    wn_json_append_string(out, key, strlen(key));
    wn_buf_appendc(out, ':');
    wn_json_append_string(out, v->ptr ? v->ptr : "", v->len);
}

void wn_jsonl_write(wn_buf *out, const wn_doc *d, int with_reason)
{
    wn_buf_append(out, "{\"id\":", 6);
    wn_json_append_string(out, d->id.ptr ? d->id.ptr : "", d->id.len);
    append_field(out, "text", &d->text);
    append_field(out, "source", &d->source);
    append_field(out, "added", &d->added);
    append_field(out, "created", &d->created);

    wn_buf_append(out, ",\"metadata\":{", 13);
    int first = 1;
    if (d->url.ptr) {
        wn_buf_append(out, "\"url\":", 6);
        wn_json_append_string(out, d->url.ptr, d->url.len);
        first = 0;
    }
    if (d->metadata) {
        const char *key;
        json_t *v;
        json_object_foreach(d->metadata, key, v) {
            if (d->url.ptr && strcmp(key, "url") == 0)
                continue;
            if (!first)
                wn_buf_appendc(out, ',');
            first = 0;
            wn_json_append_string(out, key, strlen(key));
            wn_buf_appendc(out, ':');
            wn_json_append_value(out, v, REAL_PRECISION);
        }
    }
    wn_buf_appendc(out, '}');
    if (wn_doc_attr_any(d)) {
        wn_buf_append(out, ",\"attributes\":", 14);
        wn_json_append_attributes(out, d, REAL_PRECISION);
    }
    if (with_reason && d->drop_reason) {
        wn_buf_append(out, ",\"winnow_removed_by\":", 21);
        wn_json_append_string(out, d->drop_reason, strlen(d->drop_reason));
    }
    wn_buf_append(out, "}\n", 2);
}

int wn_json_write_file(const char *path, json_t *j, size_t flags)
{
    wn_buf b = WN_BUF_INIT;
    char *text = json_dumps(j, flags);
    json_decref(j);
    if (text)
        wn_buf_appends(&b, text);
    free(text);
    wn_buf_appendc(&b, '\n');
    char err[512];
    int rc = -1;
    wn_out *out = wn_out_open(path, WN_COMP_NONE, 0, err, sizeof err);
    if (out) {
        wn_out_write(out, b.data, b.len);
        rc = wn_out_commit(out, err, sizeof err);
    }
    if (rc)
        wn_error("%s", err);
    wn_buf_release(&b);
    return rc;
}
