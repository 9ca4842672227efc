/* tokenizer.h: the Llama 3 tokenizer (byte-level BPE, 128,000 ranks + 256 special tokens).
 *
 * Ownership and threads: wn_tok_load* returns a tokenizer the caller frees with wn_tok_free.
 * A loaded tokenizer is immutable: every other function takes `const wn_tok *` and may be
 * called from any number of threads at once with no locking (each call keeps its scratch on
 * its own stack, or in a heap block it frees before returning, and its piece cache in a
 * block of the calling thread's own, mapped on its first encode; see wn_tok_cache_clear). Id vectors (wn_tok_ids) and
 * output buffers belong to the caller; functions append to them and never keep them.
 *
 * Exactness: ids equal Meta's tiktoken and Hugging Face tokenizers' for any valid UTF-8:
 * the Llama 3 pre-tokenizer regex with Unicode properties from ICU, then byte-level BPE by
 * rank, a piece that is itself a token being one token.
 *
 * Invalid UTF-8: each byte that is not part of a well-formed UTF-8 sequence is treated by
 * the pre-tokenizer as one punctuation-like character (like U+FFFD, class "not letter,
 * number or space") and keeps its own byte through BPE, so decode(encode(x)) == x for ANY
 * byte string; nothing is replaced or dropped. (Hugging Face would first replace such bytes
 * by U+FFFD; tiktoken cannot take them at all.)
 *
 *   char err[256];
 *   wn_tok *t = wn_tok_load_default(err, sizeof err);
 *   if (!t) { fprintf(stderr, "%s\n", err); return 1; }
 *   wn_tok_ids ids = WN_TOK_IDS_INIT;
 *   wn_tok_ids_push(&ids, wn_tok_bos(t));
 *   wn_tok_encode(t, text, len, 0, &ids);
 *   ... ids.ids[0 .. ids.len) ...
 *   size_t n = wn_tok_count(t, text, len, 0);    // same count, nothing stored
 *   wn_tok_ids_release(&ids);
 *   wn_tok_free(t);
 */
#ifndef WN_TOKENIZER_H
#define WN_TOKENIZER_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct wn_tok wn_tok;
typedef uint32_t wn_tok_id;

/* A growable vector of ids owned by the caller. */
typedef struct wn_tok_ids {
    wn_tok_id *ids;
    size_t len, cap;
} wn_tok_ids;
#define WN_TOK_IDS_INIT { NULL, 0, 0 }

void wn_tok_ids_push(wn_tok_ids *v, wn_tok_id id);
/* Make room for `extra` more ids. */
void wn_tok_ids_reserve(wn_tok_ids *v, size_t extra);
/* Forget the contents, keep the allocation. */
void wn_tok_ids_reset(wn_tok_ids *v);
void wn_tok_ids_release(wn_tok_ids *v);

/* Load flags. */
enum {
    /* Name the special tokens as Llama 3.1 does (<|finetune_right_pad_id|> 128004,
     * <|eom_id|> 128008, <|python_tag|> 128010, reserved numbering shifted) instead of the
     * Llama 3 names. Ids are the same; only names (lookup, decode text) differ. Applies to
     * tiktoken files; a tokenizer.json keeps its own names. */
    WN_TOK_LOAD_LLAMA31_NAMES = 1u << 0,
};

/* Load a tokenizer from `path`: Meta's tiktoken `tokenizer.model` (base64 token, rank per
 * line) or a Hugging Face `tokenizer.json` (ByteLevel BPE), detected by content. Returns
 * NULL with a message in err ("cannot open 'x': ...", "'x' line 12: bad base64") on failure. */
wn_tok *wn_tok_load(const char *path, char *err, size_t errlen);
/* As wn_tok_load with load flags; a NULL path loads the shipped default. */
wn_tok *wn_tok_load_flags(const char *path, unsigned flags, char *err, size_t errlen);
/* Load the shipped Llama 3 tokenizer, data/tokenizer/llama3.tiktoken (core/paths.h:
 * $WINNOW_DATA or the data/ directory next to the executable). */
wn_tok *wn_tok_load_default(char *err, size_t errlen);
/* Accepts NULL. */
void wn_tok_free(wn_tok *t);

/* Encode flags. */
enum {
    /* Recognise special-token names written in the text (e.g. "<|eot_id|>") as the special
     * token, as Hugging Face does. Default: they are ordinary text, as in Meta's tokenizer. */
    WN_TOK_SPECIAL_IN_TEXT = 1u << 0,
};

/* Append the ids of text[0..len) to out (no BOS/EOS: push them yourself). Text need not be
 * NUL-terminated and may hold any bytes (see invalid UTF-8 above). O(len log len) at
 * worst, on any input (no quadratic case). */
void wn_tok_encode(const wn_tok *t, const char *text, size_t len, unsigned flags,
                   wn_tok_ids *out);
/* Number of ids wn_tok_encode would append, without storing them. */
size_t wn_tok_count(const wn_tok *t, const char *text, size_t len, unsigned flags);

/* Encoding remembers the ids of recent pieces in a fixed-size cache private to the calling
 * thread (about 10 MB mapped on the thread's first encode and unmapped when it exits; nothing
 * shared, checked against the piece's bytes, so the ids never depend on it). This empties
 * the calling thread's cache (mapping it first if need be), so the next encode starts cold:
 * for benchmarks that replay the same text and must not be measured on a warm cache. */
void wn_tok_cache_clear(void);

/* Append the bytes of ids[0..n) to out (special tokens as their names). Returns 0, or -1 if
 * an id is out of range (out then holds the bytes before it; *bad_index, if not NULL, gets
 * the position of the bad id). */
int wn_tok_decode(const wn_tok *t, const wn_tok_id *ids, size_t n, wn_buf *out,
                  size_t *bad_index);
/* The bytes of one token (a special token's name); NULL if id is out of range. Points into
 * the tokenizer; valid until wn_tok_free. */
const char *wn_tok_token(const wn_tok *t, wn_tok_id id, size_t *len);

/* Id of a special token by name ("<|eot_id|>"), or -1 if there is none. */
int64_t wn_tok_special(const wn_tok *t, const char *name);
/* Whether id is a special token. */
int wn_tok_is_special(const wn_tok *t, wn_tok_id id);
/* Total number of ids (ranks + special tokens): 128256 for Llama 3. */
size_t wn_tok_vocab_size(const wn_tok *t);
/* <|begin_of_text|> (128000) and <|end_of_text|> (128001) for Llama 3. */
wn_tok_id wn_tok_bos(const wn_tok *t);
wn_tok_id wn_tok_eos(const wn_tok *t);

#endif
