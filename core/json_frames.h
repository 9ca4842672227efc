/* json_frames.h: the open objects and arrays of a parse driven by yajl's events, as both
 * event parsers of core build jansson values (jsonl_sax.c for documents, json_fast.c for
 * whole lines): each open container with the key its next value goes under.
 *
 * The keys live in one buffer, innermost last, so that an object's pending key survives
 * the values of the objects inside it. jansson stops at 2048 levels; a parse deeper than
 * WN_JSON_MAX_DEPTH is declined well before that, so it never reads what jansson refuses.
 */
#ifndef WN_JSON_FRAMES_H
#define WN_JSON_FRAMES_H

#include "core/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

enum { WN_JSON_MAX_DEPTH = 1024 };

typedef struct wn_json_frame {
    json_t *c;      /* the container being built (NULL where the caller builds none) */
    size_t key_off; /* an object's pending key: keys.data + key_off, NUL-terminated */
    size_t key_len;
} wn_json_frame;

typedef struct wn_json_frames {
    wn_json_frame stack[WN_JSON_MAX_DEPTH];
    size_t depth;
    wn_buf keys;
} wn_json_frames;

static inline void wn_json_frames_init(wn_json_frames *f)
{
    f->depth = 0;
    f->keys = (wn_buf)WN_BUF_INIT;
}

/* Frees the keys and the containers left open (from frame `from` on: the caller's own
 * below it). */
static inline void wn_json_frames_release(wn_json_frames *f, size_t from)
{
    for (size_t i = from; i < f->depth; i++)
        json_decref(f->stack[i].c);
    wn_buf_release(&f->keys);
}

static inline wn_json_frame *wn_json_frames_top(wn_json_frames *f)
{
    return &f->stack[f->depth - 1];
}

/* The pending key of frame fr. */
static inline const char *wn_json_frames_key(const wn_json_frames *f, const wn_json_frame *fr)
{
    return f->keys.data + fr->key_off;
}

/* The innermost object's next key; false for a NUL in it, which jansson refuses. */
static inline bool wn_json_frames_set_key(wn_json_frames *f, const unsigned char *key,
                                          size_t len)
{
    if (memchr(key, '\0', len))
        return false;
    wn_json_frame *top = wn_json_frames_top(f);
    f->keys.len = top->key_off;
    wn_buf_append(&f->keys, key, len);
    wn_buf_appendc(&f->keys, '\0'); /* kept when an inner object appends its keys */
    top->key_len = len;
    return true;
}

/* Opens the container c (owned by the frame from now on); false when too deep. */
static inline bool wn_json_frames_push(wn_json_frames *f, json_t *c)
{
    if (f->depth == WN_JSON_MAX_DEPTH)
        return false;
    wn_json_frame *fr = &f->stack[f->depth++];
    fr->c = c;
    fr->key_off = f->keys.len;
    fr->key_len = 0;
    return true;
}

/* Closes the innermost container: its frame (valid until the next push). */
static inline wn_json_frame *wn_json_frames_pop(wn_json_frames *f)
{
    wn_json_frame *fr = &f->stack[--f->depth];
    f->keys.len = fr->key_off;
    return fr;
}

#endif
