/* chat_source.c: JSONL lines as raw documents for --chat (see tok_stage.h). The core JSONL
 * source splits lines and leaves each raw line in doc->text for its decode step; chat data
 * swaps that step for one that keeps the line as it is (the conversation is parsed later,
 * in parallel, by the tokenize stage) and names the document "<path>:<line>", so that a
 * rejected conversation can be found. tests/cli/tok_chat.sh checks those names. */
#include "tokenize/tok_stage.h"

#include "core/buf.h"

static int chat_decode(wn_source *src, wn_doc *d, char *err, size_t errlen)
{
    wn_buf id = WN_BUF_INIT;
    wn_buf_appendf(&id, "%s:%llu", src->path, (unsigned long long)d->input_line);
    size_t n;
    char *s = wn_buf_detach(&id, &n);
    wn_str_take(&d->id, s, n);
    return 0;
}

wn_source *wn_chat_source_open(const char *path, void *ctx, wn_stats *stats)
{
    wn_source *src = wn_jsonl_source_open(path, NULL, stats);
    if (src)
        src->decode = chat_decode;
    return src;
}
