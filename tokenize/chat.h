/* chat.h: OpenAI-style conversations rendered in the Llama 3 Instruct format, with a loss
 * mask (meta-llama/llama3 llama/tokenizer.py ChatFormat; ../shared/FORMATS.md (h)):
 *
 *   <|begin_of_text|>
 *   per message: <|start_header_id|> role <|end_header_id|> "\n\n" content.strip() <|eot_id|>
 *
 * The role, "\n\n" and the stripped content are encoded separately, as ChatFormat does.
 * Input is one JSON object with "messages": [{"role": R, "content": "..."}, ...]; roles are
 * system, user, assistant, ipython and tool.
 *
 * Loss mask: one byte per id, 1 = train on it. WN_CHAT_TRAIN_ASSISTANT (default) marks the
 * content of every assistant message and its <|eot_id|>; _LAST only the last assistant
 * message's; _ALL every token but <|begin_of_text|>. Headers are never trained on.
 */
#ifndef WN_CHAT_H
#define WN_CHAT_H

#include "core/buf.h"
#include "tokenize/tokenizer.h"

#include <jansson.h>

typedef enum {
    WN_CHAT_TRAIN_ASSISTANT,
    WN_CHAT_TRAIN_LAST,
    WN_CHAT_TRAIN_ALL,
} wn_chat_train;

/* Token ids of the chat layout, looked up once (Llama 3 names). */
typedef struct wn_chat {
    const wn_tok *tok;
    wn_tok_id bos, start_header, end_header, eot;
    wn_chat_train train;
} wn_chat;

/* 0, or -1 with err set if the tokenizer lacks the chat special tokens. */
int wn_chat_init(wn_chat *c, const wn_tok *tok, wn_chat_train train, char *err, size_t errlen);

/* Render the conversation in json[0..len) into ids and mask (appended; mask is a byte
 * buffer of the same length as the ids added). Returns NULL, or a static drop reason:
 * "chat.bad_json", "chat.not_a_list" (no "messages" array), "chat.bad_message" (not an
 * object), "chat.unknown_role", "chat.missing_content" (absent or not a string),
 * "chat.empty" (no messages). *detail, if not NULL, gets a short human explanation. */
const char *wn_chat_render(const wn_chat *c, const char *json, size_t len, wn_tok_ids *ids,
                           wn_buf *mask, char *detail, size_t detaillen);

/* wn_chat_render of a line already parsed (root: the line's JSON value), as the --chat
 * source leaves it in the document: the same reasons but "chat.bad_json". */
const char *wn_chat_render_json(const wn_chat *c, const json_t *root, wn_tok_ids *ids,
                                wn_buf *mask, char *detail, size_t detaillen);

#endif
