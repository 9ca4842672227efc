/* json_fast.c: jansson values from yajl's events; see json_fast.h. */
#include "core/json_fast.h"

#include "core/json_frames.h"
#include "core/jsonl_sax.h"

#include <stdbool.h>
#include <string.h>
#include <yajl/yajl_parse.h>

typedef struct builder {
    wn_json_frames open;
    json_t *root; /* the line's object, once closed */
} builder;

/* A complete value (owned) for the innermost open container: 0 (stop) for a key the object
 * has already, and for a value outside the line's object. */
static int add_value(builder *b, json_t *v)
{
    if (!v || b->open.depth == 0) {
        json_decref(v);
        return 0;
    }
    wn_json_frame *top = wn_json_frames_top(&b->open);
    if (json_is_array(top->c))
        return json_array_append_new(top->c, v) == 0;
    const char *key = wn_json_frames_key(&b->open, top);
    if (json_object_getn(top->c, key, top->key_len)) {
        json_decref(v);
        return 0;
    }
    return json_object_setn_new_nocheck(top->c, key, top->key_len, v) == 0;
}

static int on_null(void *ctx)
{
    return add_value(ctx, json_null());
}

static int on_boolean(void *ctx, int value)
{
    return add_value(ctx, json_boolean(value));
}

static int on_number(void *ctx, const char *num, size_t len)
{
    wn_json_number n = wn_json_parse_number(num, len);
    if (!n.ok)
        return 0;
    return add_value(ctx, n.real ? json_real(n.x) : json_integer(n.i));
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
    if (memchr(s, '\0', len))
        return 0;
    return add_value(ctx, json_stringn_nocheck((const char *)s, len));
}

static int on_key(void *ctx, const unsigned char *key, size_t len)
{
    builder *b = ctx;
    return wn_json_frames_set_key(&b->open, key, len);
}

/* A new container c (owned): the line's object itself at depth 0, which must be an object. */
static int open_container(builder *b, json_t *c)
{
    if (!c || b->root || (b->open.depth == 0 && !json_is_object(c)) ||
        !wn_json_frames_push(&b->open, c)) {
        json_decref(c);
        return 0;
    }
    return 1;
}

static int on_start_map(void *ctx)
{
    return open_container(ctx, json_object());
}

static int on_start_array(void *ctx)
{
    return open_container(ctx, json_array());
}

static int close_container(void *ctx)
{
    builder *b = ctx;
    json_t *c = wn_json_frames_pop(&b->open)->c;
    if (b->open.depth == 0) {
        b->root = c;
        return 1;
    }
    return add_value(b, c);
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string,
    on_start_map, on_key, close_container, on_start_array, close_container,
};

json_t *wn_json_loadb_fast(const char *s, size_t n)
{
    if (!wn_json_same_for_both((const unsigned char *)s, n))
        return NULL;
    /* on the stack (24 KB, of which a few frames are touched), as in jsonl_sax.c: a malloc
     * that large made malloc consolidate its fast bins once a line */
    builder state, *b = &state;
    wn_json_frames_init(&b->open);
    b->root = NULL;
    yajl_handle h = yajl_alloc(&callbacks, NULL, b);
    yajl_config(h, yajl_dont_validate_strings, 1); /* wn_json_same_for_both did it */
    bool ok = yajl_parse(h, (const unsigned char *)s, n) == yajl_status_ok &&
              yajl_complete_parse(h) == yajl_status_ok && b->root;
    yajl_free(h);
    wn_json_frames_release(&b->open, 0); /* what a declined parse left open */
    if (!ok) {
        json_decref(b->root);
        return NULL;
    }
    return b->root;
}
