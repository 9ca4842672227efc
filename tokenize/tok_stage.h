/* tok_stage.h: `winnow tokenize` as two stages of the core runner.
 *
 *   "tokenize"        process_doc, in parallel: the document's text (or, with chat, its
 *                     conversation) to ids (+ loss mask), kept per document of the batch,
 *                     and its tokens counted ("tokens", "tokens.source.<name>" sums, with
 *                     chat "tokens.trained")
 *   "tokenize.write"  write_batch, on one thread and in input order: appends each kept
 *                     document to the shard writer (packing chat sequences when asked)
 *
 * Neither has process_batch, so the runner takes each batch in its fused pass: one thread
 * writes the last batch's ids while the others encode this one (two sets of slots). Output
 * bytes do not depend on the thread count. Drop reasons:
 * "tokenize.empty" (no text), "chat.*" (see chat.h), "chat.too_long" (longer than the pack
 * length), "chat.no_trainable_tokens" (mask all zero).
 */
#ifndef WN_TOK_STAGE_H
#define WN_TOK_STAGE_H

#include "core/source.h"
#include "core/stage.h"
#include "tokenize/chat.h"
#include "tokenize/shard_writer.h"
#include "tokenize/tokenizer.h"

#include <stdbool.h>

typedef struct wn_tokenize_opts {
    const wn_tok *tok;
    unsigned enc_flags;     /* WN_TOK_SPECIAL_IN_TEXT */
    bool bos, eos;          /* default: BOS yes, EOS no */
    bool chat;
    wn_chat_train train;
    size_t pack;            /* chat: pack into sequences of this many tokens (0 = no) */
    wn_tok_id pad_id;       /* padding when packing (mask 0) */
} wn_tokenize_opts;

/* The two stages share one state; free both with wn_stage_free (the first owns it).
 * `writer` belongs to the caller, who commits or aborts it after the run. Returns -1 with
 * err set on bad options. */
int wn_tokenize_stages_new(const wn_tokenize_opts *o, wn_shards *writer, wn_stage **encode,
                           wn_stage **write, char *err, size_t errlen);
/* Attach the writer (created after the stages, once options are known to be good). */
void wn_tokenize_set_writer(wn_stage *write, wn_shards *writer);
/* After the run: write the last partial pack (chat packing). 0 or -1 with err. */
int wn_tokenize_flush(wn_stage *write, char *err, size_t errlen);
/* Bytes the encode stage's per-document slots keep between batches (ids and loss masks). */
size_t wn_tokenize_held_bytes(const wn_stage *encode);
/* The ids vector the encode stage fills for document d of the current batch (for the tests:
 * where the slots lie). */
const wn_tok_ids *wn_tokenize_doc_ids(const wn_stage *encode, const wn_doc *d);
/* Set when the writer failed during the run (the message is in err of flush). */
bool wn_tokenize_failed(const wn_stage *write);

/* Source for chat data: each non-blank line of a JSONL file becomes a document whose text
 * is the raw line and whose id is "<path>:<line>", so a rejection names its line. */
wn_source *wn_chat_source_open(const char *path, void *ctx, wn_stats *stats);

#endif
