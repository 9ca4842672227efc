/* chat.c: see chat.h. */
#include "tokenize/chat.h"

#include "core/json_fast.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>

int wn_chat_init(wn_chat *c, const wn_tok *tok, wn_chat_train train, char *err, size_t errlen)
{
    static const char *const names[] = { "<|start_header_id|>", "<|end_header_id|>",
                                         "<|eot_id|>" };
    int64_t id[3];
    for (int i = 0; i < 3; i++) {
        id[i] = wn_tok_special(tok, names[i]);
        if (id[i] < 0) {
            snprintf(err, errlen, "the tokenizer has no '%s' token for chat data", names[i]);
            return -1;
        }
    }
    c->tok = tok;
    c->bos = wn_tok_bos(tok);
    c->start_header = (wn_tok_id)id[0];
    c->end_header = (wn_tok_id)id[1];
    c->eot = (wn_tok_id)id[2];
    c->train = train;
    return 0;
}

/* Python's str.strip(): ICU's u_isspace is the same set (Zs, Zl, Zp, \t-\r, \x1c-\x1f,
 * U+0085). Ill-formed bytes are not space. */
static void strip(const char *s, size_t n, size_t *start, size_t *end)
{
    int32_t i = 0, len = (int32_t)n;
    while (i < len) {
        int32_t at = i;
        UChar32 c;
        U8_NEXT(s, i, len, c);
        if (c < 0 || !u_isspace(c)) {
            i = at;
            break;
        }
    }
    int32_t e = len;
    while (e > i) {
        int32_t at = e;
        UChar32 c;
        U8_PREV(s, i, e, c);
        if (c < 0 || !u_isspace(c)) {
            e = at;
            break;
        }
    }
    *start = (size_t)i;
    *end = (size_t)e;
}

static void push(wn_tok_ids *ids, wn_buf *mask, wn_tok_id id, int train)
{
    wn_tok_ids_push(ids, id);
    wn_buf_appendc(mask, (char)(train ? 1 : 0));
}

static void encode_span(const wn_chat *c, const char *s, size_t n, wn_tok_ids *ids,
                        wn_buf *mask, int train)
{
    size_t before = ids->len;
    wn_tok_encode(c->tok, s, n, 0, ids);
    size_t added = ids->len - before;
    wn_buf_grow(mask, added); /* one byte per id, set at once */
    memset(mask->data + mask->len, train ? 1 : 0, added);
    mask->len += added;
    mask->data[mask->len] = '\0';
}

static int known_role(const char *r)
{
    static const char *const roles[] = { "system", "user", "assistant", "ipython", "tool" };
    for (size_t i = 0; i < sizeof roles / sizeof *roles; i++)
        if (strcmp(r, roles[i]) == 0)
            return 1;
    return 0;
}

const char *wn_chat_render(const wn_chat *c, const char *json, size_t len, wn_tok_ids *ids,
                           wn_buf *mask, char *detail, size_t detaillen)
{
    json_error_t je;
    json_t *root = wn_json_loadb_fast(json, len);
    if (!root) /* declined: jansson's own parse says what the line is */
        root = json_loadb(json, len, 0, &je);
    if (!root) {
        if (detail)
            snprintf(detail, detaillen, "invalid json: %s", je.text);
        return "chat.bad_json";
    }
    const char *reason = wn_chat_render_json(c, root, ids, mask, detail, detaillen);
    json_decref(root);
    return reason;
}

const char *wn_chat_render_json(const wn_chat *c, const json_t *root, wn_tok_ids *ids,
                                wn_buf *mask, char *detail, size_t detaillen)
{
    char scratch[8];
    if (!detail) {
        detail = scratch;
        detaillen = sizeof scratch;
    }
    const char *reason = NULL;
    json_t *msgs = json_object_get(root, "messages");
    size_t n = json_array_size(msgs), last_assistant = SIZE_MAX;
    if (!json_is_array(msgs)) {
        snprintf(detail, detaillen, "\"messages\" is missing or not a list");
        reason = "chat.not_a_list";
        goto out;
    }
    if (n == 0) {
        snprintf(detail, detaillen, "\"messages\" is empty");
        reason = "chat.empty";
        goto out;
    }
    /* Validate everything before emitting anything: a rejected conversation adds nothing. */
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(msgs, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        if (!json_is_object(m)) {
            snprintf(detail, detaillen, "message %zu is not an object", i);
            reason = "chat.bad_message";
            goto out;
        }
        if (!role || !known_role(role)) {
            snprintf(detail, detaillen, "message %zu: unknown role '%.40s'", i,
                     role ? role : "(none)");
            reason = "chat.unknown_role";
            goto out;
        }
        if (!json_is_string(json_object_get(m, "content"))) {
            snprintf(detail, detaillen, "message %zu: content missing or not a string", i);
            reason = "chat.missing_content";
            goto out;
        }
        if (strcmp(role, "assistant") == 0)
            last_assistant = i;
    }
    push(ids, mask, c->bos, 0);
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(msgs, i);
        const char *role = json_string_value(json_object_get(m, "role"));
        json_t *content = json_object_get(m, "content");
        int is_assistant = strcmp(role, "assistant") == 0;
        int train = c->train == WN_CHAT_TRAIN_ALL ||
                    (c->train == WN_CHAT_TRAIN_ASSISTANT && is_assistant) ||
                    (c->train == WN_CHAT_TRAIN_LAST && i == last_assistant);
        int train_header = c->train == WN_CHAT_TRAIN_ALL;
        push(ids, mask, c->start_header, train_header);
        encode_span(c, role, strlen(role), ids, mask, train_header);
        push(ids, mask, c->end_header, train_header);
        encode_span(c, "\n\n", 2, ids, mask, train_header);
        size_t s, e;
        strip(json_string_value(content), json_string_length(content), &s, &e);
        encode_span(c, json_string_value(content) + s, e - s, ids, mask, train);
        push(ids, mask, c->eot, train);
    }
out:
    return reason;
}
