/* jsonl_sax.c: a JSONL document parsed with yajl's events; see jsonl_sax.h. */
#include "core/jsonl_sax.h"
#include "core/buf.h"
#include "core/json_frames.h"
#include "core/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>
#include <yajl/yajl_parse.h>

/* The code point of the \u escape at r (its "\u" is there; the line ends at end), a
 * surrogate pair read whole, with *len its bytes (6, or 12 for a pair): -1 when it is not
 * four hex digits, or is a surrogate that does not pair, which yajl and jansson may read
 * differently. */
static inline long unicode_escape(const unsigned char *r, const unsigned char *end,
                                  size_t *len)
{
    long cp = end - r >= 6 ? wn_json_hex4(r + 2) : -1, lo;
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return -1;
    *len = 6;
    if (cp < 0xD800 || cp > 0xDBFF)
        return cp;
    /* a high surrogate: its low one must follow */
    if (end - r < 12 || r[6] != '\\' || r[7] != 'u' || (lo = wn_json_hex4(r + 8)) < 0xDC00 ||
        lo > 0xDFFF)
        return -1;
    *len = 12;
    return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
}

/* Whether yajl and jansson read the line's bytes alike: strict UTF-8, no control byte but
 * tab, LF and CR (white space to both outside strings, an error to both inside; yajl also
 * takes \v and \f as white space, jansson does not), and every \u escape of a surrogate
 * part of a high-low pair. Escapes are walked as the lexers walk them (a backslash takes
 * the next character), which keeps us in step with them inside strings; a backslash
 * outside strings fails both parsers anyway. */
bool wn_json_same_for_both(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        i += wn_json_plain_prefix(p + i, n - i);
        if (i >= n)
            break;
        unsigned c = p[i];
        if (c >= 0x80) {
            size_t k = wn_utf8_seq_len(p + i, n - i);
            if (!k)
                return false;
            i += k;
        } else if (c < 0x20) {
            if (c != '\t' && c != '\n' && c != '\r')
                return false;
            i++;
        } else if (c == '\\') {
            if (i + 1 >= n || p[i + 1] != 'u') {
                i += 2;
                continue;
            }
            size_t k;
            if (unicode_escape(p + i, p + n, &k) < 0)
                return false;
            i += k;
        } else {
            i++; /* '"' */
        }
    }
    return true;
}

/* ---- the text member, read here rather than by yajl ----
 *
 * The text is most of a line, and yajl lexes a string a byte at a time, then decodes it
 * again into its own buffer. So the first top-level member whose key is spelled exactly
 * text_key (no escapes) is found by a skim of the members before it, its string decoded
 * straight into the document's buffer, and yajl reads the line with that string replaced by
 * "". String tokens end at the first quote not escaped, for the skim as for both lexers,
 * so the line yajl reads has the same tokens but that one: it is valid exactly when the
 * line is. A text holding what both parsers may read differently (a raw control byte, a
 * surrogate escape that does not pair) is left to yajl and the checks as before. */

/* Just past the string token that starts at p (a quote), or NULL when it does not end. */
static const unsigned char *string_end(const unsigned char *p, const unsigned char *end)
{
    for (p++; p < end;) {
        p += wn_json_run(p, (size_t)(end - p), false);
        if (p >= end)
            break;
        if (*p == '"')
            return p + 1;
        p += *p == '\\' ? 2 : 1;
    }
    return NULL;
}

/* The ',' or '}' that ends the member value starting at p, or NULL. */
static const unsigned char *value_end(const unsigned char *p, const unsigned char *end)
{
    size_t depth = 0;
    while (p && p < end) {
        unsigned c = *p;
        if (c == '"') {
            p = string_end(p, end);
            continue;
        }
        if (depth == 0 && (c == ',' || c == '}'))
            return p;
        if (c == '{' || c == '[')
            depth++;
        else if ((c == '}' || c == ']') && depth-- == 0)
            return NULL;
        p++;
    }
    return NULL;
}

/* Where the value of the first member keyed text_key (spelled without escapes) starts, or
 * NULL. */
static const unsigned char *find_text(const unsigned char *p, const unsigned char *end,
                                      const char *text_key)
{
    size_t klen = strlen(text_key);
    p = wn_json_skip_space(p, end);
    if (p == end || *p != '{')
        return NULL;
    for (p++;;) {
        p = wn_json_skip_space(p, end);
        if (p == end || *p != '"')
            return NULL;
        const unsigned char *key = p + 1, *kend = string_end(p, end);
        if (!kend)
            return NULL;
        bool match = (size_t)(kend - 1 - key) == klen && !memcmp(key, text_key, klen) &&
                     !memchr(key, '\\', klen);
        p = wn_json_skip_space(kend, end);
        if (p == end || *p != ':')
            return NULL;
        p = wn_json_skip_space(p + 1, end);
        if (match)
            return p;
        p = value_end(p, end);
        if (!p || *p != ',')
            return NULL;
        p++;
    }
}

/* Decode the run of \u escapes at *p (the first one's "\u" is there) into *w as UTF-8,
 * moving both past it; false at an escape that is not four hex digits or a surrogate that
 * does not pair (as wn_json_same_for_both refuses). A run, not an escape a call: in a
 * text that json.dumps wrote with ensure_ascii, a word of Cyrillic or CJK is escapes back
 * to back. */
static bool decode_unicode_escapes(const unsigned char **p, const unsigned char *end, char **w)
{
    const unsigned char *r = *p;
    uint8_t *o = (uint8_t *)*w;
    size_t wrote = 0;
    do {
        size_t k;
        long cp = unicode_escape(r, end, &k);
        if (cp < 0)
            return false;
        r += k;
        /* UTF-8 of cp (never a surrogate here): never longer than its escape, so the
         * output has room */
        U8_APPEND_UNSAFE(o, wrote, (UChar32)cp);
    } while (end - r >= 2 && r[0] == '\\' && r[1] == 'u');
    *p = r;
    *w += wrote;
    return true;
}

/* Decode the string token at p (a quote; the line ends at end) into out (room for end - p
 * bytes), setting *tok_end past its closing quote: its length, or -1 when it does not end
 * or holds what yajl and jansson may read differently (left to them): it checks what
 * wn_json_same_for_both checks, so that a decoded token need not be read by it. */
static long decode_string(const unsigned char *p, const unsigned char *end, char *out,
                          const unsigned char **tok_end)
{
    char *w = out;
    for (p++;;) {
        size_t plain = wn_json_copy_run(p, (size_t)(end - p), true, w);
        w += plain;
        p += plain;
        if (p == end)
            return -1;
        if (*p == '"')
            break;
        if (*p >= 0x80) { /* checked here: wn_json_same_for_both need not read the text again */
            /* the whole run of non-ASCII characters at once: one copy, not one a character
             * (CJK and Cyrillic text is all such runs) */
            const unsigned char *q = p;
            do {
                size_t k = wn_utf8_seq_len(q, (size_t)(end - q));
                if (!k)
                    return -1;
                q += k;
            } while (q < end && *q >= 0x80);
            memcpy(w, p, (size_t)(q - p));
            w += q - p;
            p = q;
            continue;
        }
        if (*p != '\\' || end - p < 2)
            return -1; /* a raw control byte */
        if (p[1] == 'u') {
            if (!decode_unicode_escapes(&p, end, &w))
                return -1;
            continue;
        }
        unsigned c = p[1];
        p += 2;
        switch (c) {
        case '"': case '\\': case '/': *w++ = (char)c; continue;
        case 'b': *w++ = '\b'; continue;
        case 'f': *w++ = '\f'; continue;
        case 'n': *w++ = '\n'; continue;
        case 'r': *w++ = '\r'; continue;
        case 't': *w++ = '\t'; continue;
        default: return -1;
        }
    }
    *tok_end = p + 1;
    return (long)(w - out);
}

/* A signal as the filters store it, [[0, n_chars, score]] with a real score, read from
 * the "attributes" object straight into the document's entries (doc.h): an annotated
 * document carries ~35 of them, which as jansson values cost 6 allocations each to build
 * and as many to free. The events are followed step by step; at the first that does not
 * fit, what was read so far is built as JSON and the event goes the ordinary way. */
enum span_step {
    SPAN_NONE,   /* not reading a signal */
    SPAN_OUTER,  /* [ */
    SPAN_INNER,  /* [[ */
    SPAN_START,  /* [[0 */
    SPAN_END,    /* [[0,n */
    SPAN_SCORE,  /* [[0,n,x */
    SPAN_CLOSED, /* [[0,n,x] */
};

typedef struct sax {
    wn_doc *d;
    const char *text_key, *id_key;
    wn_json_frames open;
    wn_buf seen; /* the document's keys so far, each NUL-terminated */
    char *text;  /* the text decoded by decode_string, for the member yajl reads as "" */
    size_t text_len;
    bool closed, have_text;
    size_t attrs_depth; /* depth of the "attributes" object read into entries; 0: none open */
    enum span_step span;
    long long span_end;
    double span_score;
} sax;

/* The pending key of f (the document's own object has no container: its c is NULL). */
static const char *pending_key(const sax *s, const wn_json_frame *f)
{
    return wn_json_frames_key(&s->open, f);
}

static bool seen_before(sax *s, const char *key, size_t len)
{
    for (size_t off = 0; off < s->seen.len;) {
        const char *k = s->seen.data + off;
        size_t kl = strlen(k);
        if (kl == len && memcmp(k, key, len) == 0)
            return true;
        off += kl + 1;
    }
    wn_buf_append(&s->seen, key, len);
    wn_buf_appendc(&s->seen, '\0');
    return false;
}

/* A complete value (owned) for the innermost open container, or for the document. */
static int add_value(sax *s, json_t *v)
{
    if (!v || s->open.depth == 0) {
        json_decref(v);
        return 0; /* a document that is not an object: jansson says why */
    }
    wn_json_frame *top = wn_json_frames_top(&s->open);
    if (s->open.depth == s->attrs_depth) {
        wn_doc_attr_set(s->d, pending_key(s, top), v);
        return 1;
    }
    if (s->open.depth > 1) {
        if (json_is_array(top->c))
            json_array_append_new(top->c, v);
        else
            json_object_setn_new_nocheck(top->c, pending_key(s, top), top->key_len, v);
        return 1;
    }
    const char *key = pending_key(s, top);
    int ok = !seen_before(s, key, top->key_len) && strcmp(key, s->text_key) != 0;
    if (ok)
        wn_jsonl_apply_field(s->d, key, v, s->id_key);
    json_decref(v);
    return ok;
}

wn_json_number wn_json_parse_number(const char *num, size_t len)
{
    char small[64];
    char *z = len < sizeof small ? small : wn_xmalloc(len + 1);
    memcpy(z, num, len);
    z[len] = '\0';
    wn_json_number n = { false, false, 0, 0 };
    errno = 0;
    if (strpbrk(z, ".eE")) {
        n.real = true;
        n.x = strtod(z, NULL);
        n.ok = !((n.x == HUGE_VAL || n.x == -HUGE_VAL) && errno == ERANGE);
    } else {
        n.i = strtoll(z, NULL, 10);
        n.ok = errno != ERANGE;
    }
    if (z != small)
        free(z);
    return n;
}

static int open_container(sax *s, json_t *c);
static int close_container(void *ctx);

/* The signal read so far did not fit: build it as the JSON it is, so the event that did
 * not fit goes on from there as in any other value. */
static int span_to_json(sax *s)
{
    enum span_step step = s->span;
    s->span = SPAN_NONE;
    int ok = open_container(s, json_array());
    if (ok && step >= SPAN_INNER)
        ok = open_container(s, json_array());
    if (ok && step >= SPAN_START)
        ok = add_value(s, json_integer(0));
    if (ok && step >= SPAN_END)
        ok = add_value(s, json_integer(s->span_end));
    if (ok && step >= SPAN_SCORE)
        ok = add_value(s, json_real(s->span_score));
    if (ok && step >= SPAN_CLOSED)
        ok = close_container(s);
    return ok;
}

/* Follow a signal with one more event: the start of an array ('['), its end (']') or a
 * number (n). True when the event fits (and is taken); false when it does not, after the
 * signal read so far was built as JSON (*failed set if that failed). */
static bool span_takes(sax *s, char ev, const wn_json_number *n, int *failed)
{
    enum span_step next = SPAN_NONE;
    switch (s->span) {
    case SPAN_OUTER: next = ev == '[' ? SPAN_INNER : SPAN_NONE; break;
    case SPAN_INNER: next = ev == 'n' && !n->real && n->i == 0 ? SPAN_START : SPAN_NONE; break;
    case SPAN_START: next = ev == 'n' && !n->real && n->i >= 0 ? SPAN_END : SPAN_NONE; break;
    case SPAN_END: next = ev == 'n' && n->real ? SPAN_SCORE : SPAN_NONE; break;
    case SPAN_SCORE: next = ev == ']' ? SPAN_CLOSED : SPAN_NONE; break;
    case SPAN_CLOSED:
        if (ev != ']')
            break;
        s->span = SPAN_NONE;
        wn_doc_attr_put_signal(s->d, pending_key(s, wn_json_frames_top(&s->open)),
                               (size_t)s->span_end, s->span_score);
        return true;
    case SPAN_NONE: return false;
    }
    if (next == SPAN_NONE) {
        *failed = !span_to_json(s);
        return false;
    }
    if (next == SPAN_END)
        s->span_end = n->i;
    if (next == SPAN_SCORE)
        s->span_score = n->x;
    s->span = next;
    return true;
}

/* The event goes on the ordinary way unless a signal being read takes it: returns 1 when
 * taken, 0 when the parse must stop (declined), -1 to go on. */
static int span_event(sax *s, char ev, const wn_json_number *n)
{
    int failed = 0;
    if (s->span == SPAN_NONE)
        return -1;
    if (span_takes(s, ev, n, &failed))
        return 1;
    return failed ? 0 : -1;
}

static int on_null(void *ctx)
{
    int r = span_event(ctx, 'v', NULL);
    return r >= 0 ? r : add_value(ctx, json_null());
}

static int on_boolean(void *ctx, int b)
{
    int r = span_event(ctx, 'v', NULL);
    return r >= 0 ? r : add_value(ctx, json_boolean(b));
}

static int on_number(void *ctx, const char *num, size_t len)
{
    wn_json_number n = wn_json_parse_number(num, len);
    if (!n.ok)
        return 0;
    int r = span_event(ctx, 'n', &n);
    if (r >= 0)
        return r;
    return add_value(ctx, n.real ? json_real(n.x) : json_integer(n.i));
}

static int on_string(void *ctx, const unsigned char *str, size_t len)
{
    sax *s = ctx;
    int r = span_event(s, 'v', NULL);
    if (r >= 0)
        return r;
    if (s->open.depth == 1 && strcmp(pending_key(s, &s->open.stack[0]), s->text_key) == 0) {
        if (seen_before(s, s->text_key, s->open.stack[0].key_len))
            return 0;
        if (s->text) { /* the first text member is the one replaced by "" */
            wn_str_take(&s->d->text, s->text, s->text_len);
            s->text = NULL;
        } else {
            wn_str_set(&s->d->text, (const char *)str, len);
        }
        s->have_text = true;
        return 1;
    }
    return add_value(s, json_stringn_nocheck((const char *)str, len));
}

static int on_key(void *ctx, const unsigned char *key, size_t len)
{
    sax *s = ctx;
    return wn_json_frames_set_key(&s->open, key, len);
}

static int open_container(sax *s, json_t *c)
{
    if (s->closed || (s->open.depth == 0 && c && !json_is_object(c)) ||
        !wn_json_frames_push(&s->open, c)) {
        json_decref(c);
        return 0;
    }
    return 1;
}

static int close_container(void *ctx)
{
    sax *s = ctx;
    int r = span_event(s, ']', NULL);
    if (r >= 0)
        return r;
    if (s->open.depth == s->attrs_depth) { /* its values are in the document already */
        wn_json_frames_pop(&s->open);
        s->attrs_depth = 0;
        return 1;
    }
    wn_json_frame *f = wn_json_frames_pop(&s->open);
    if (s->open.depth == 0) {
        s->closed = true;
        return 1;
    }
    return add_value(s, f->c);
}

/* Whether the object starting now is the document's "attributes", to be read into its
 * entries: what wn_jsonl_apply_field would do with it, without building it. */
static bool attributes_start(sax *s)
{
    if (s->open.depth != 1)
        return false;
    const char *key = pending_key(s, &s->open.stack[0]);
    return strcmp(key, "attributes") == 0 && strcmp(key, s->text_key) != 0 &&
           strcmp(key, s->id_key) != 0;
}

static int on_start_map(void *ctx)
{
    sax *s = ctx;
    int r = span_event(s, '{', NULL);
    if (r >= 0)
        return r;
    if (attributes_start(s)) {
        if (seen_before(s, "attributes", s->open.stack[0].key_len) || !open_container(s, NULL))
            return 0;
        s->attrs_depth = s->open.depth;
        return 1;
    }
    return open_container(s, s->open.depth ? json_object() : NULL);
}

static int on_start_array(void *ctx)
{
    sax *s = ctx;
    int r = span_event(s, '[', NULL);
    if (r >= 0)
        return r;
    if (s->open.depth && s->open.depth == s->attrs_depth) {
        s->span = SPAN_OUTER; /* perhaps a signal */
        return 1;
    }
    return s->open.depth ? open_container(s, json_array()) : 0;
}

static const yajl_callbacks callbacks = {
    on_null, on_boolean, NULL, NULL, on_number, on_string,
    on_start_map, on_key, close_container, on_start_array, close_container,
};

int wn_jsonl_parse_fast(const char *line, size_t len, const char *text_key, const char *id_key,
                        wn_doc *d)
{
    /* on the stack (25 KB, of which a few frames are touched): allocated, a request that
     * large made malloc consolidate its fast bins once a document */
    sax state, *s = &state;
    s->d = d;
    s->text_key = text_key;
    s->id_key = id_key;
    wn_json_frames_init(&s->open);
    s->seen = (wn_buf)WN_BUF_INIT;
    s->closed = s->have_text = false;
    s->text = NULL;
    s->attrs_depth = 0;
    s->span = SPAN_NONE;
    const unsigned char *in = (const unsigned char *)line, *end = in + len, *tok_end;
    const unsigned char *tok = find_text(in, end, text_key);
    size_t in_len = len;
    wn_buf rest = WN_BUF_INIT;
    bool ok = false;
    if (tok && tok < end && *tok == '"') {
        s->text = wn_xmalloc((size_t)(end - tok));
        long n = decode_string(tok, end, s->text, &tok_end);
        if (n >= 0) {
            s->text = wn_xrealloc(s->text, (size_t)n + 1); /* the rest of the line may be long */
            s->text[n] = '\0';
            s->text_len = (size_t)n;
            wn_buf_append(&rest, line, (size_t)(tok - in));
            wn_buf_append(&rest, "\"\"", 2);
            wn_buf_append(&rest, tok_end, (size_t)(end - tok_end));
            in = (const unsigned char *)rest.data;
            in_len = rest.len;
        } else {
            free(s->text);
            s->text = NULL;
        }
    }
    wn_buf rest2 = WN_BUF_INIT;
    /* the line as yajl reads it (the text, when decoded, was checked by decode_string) */
    if (!wn_json_same_for_both(in, in_len))
        goto done;
    if (strcmp(text_key, "attributes") != 0 && strcmp(id_key, "attributes") != 0) {
        /* the attributes when they hold only signals (jsonl_attrs.c): yajl reads {} */
        const unsigned char *a = find_text(in, in + in_len, "attributes"), *a_end;
        if (a && (a_end = wn_jsonl_read_attributes(a, in + in_len, d)) != NULL) {
            wn_buf_append(&rest2, in, (size_t)(a - in));
            wn_buf_append(&rest2, "{}", 2);
            wn_buf_append(&rest2, a_end, (size_t)(in + in_len - a_end));
            in = (const unsigned char *)rest2.data;
            in_len = rest2.len;
        } else {
            wn_doc_attr_release(d); /* what it read before giving up */
        }
    }
    yajl_handle h = yajl_alloc(&callbacks, NULL, s);
    yajl_config(h, yajl_dont_validate_strings, 1); /* wn_json_same_for_both did it */
    ok = yajl_parse(h, in, in_len) == yajl_status_ok &&
         yajl_complete_parse(h) == yajl_status_ok && s->closed && s->have_text;
    yajl_free(h);
done:
    free(s->text); /* when yajl stopped before the text */
    wn_buf_release(&rest);
    wn_buf_release(&rest2);
    wn_json_frames_release(&s->open, 1); /* containers a declined parse left open */
    wn_buf_release(&s->seen);
    return ok ? 0 : -1;
}
