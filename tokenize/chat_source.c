/* chat_source.c: JSONL lines as raw documents for --chat (see tok_stage.h). The core JSONL
 * source splits lines and leaves each raw line in doc->text for its decode step; chat data
 * swaps that step for one that keeps the line as it is (the conversation is parsed later,
 * in parallel, by the tokenize stage) and names the document "<path>:<line>", so that a
 * rejected conversation can be found. tests/cli/tok_chat.sh checks those names.
 *
 * A line that is not JSON at all is a broken record, not a conversation: it is counted as
 * an error with its file, line and offset, as any JSONL source counts one, where a line that
 * is JSON but no valid conversation is rejected (a drop with its reason) by the stage. The
 * line's parsed value goes to the stage in doc->record, so that it is parsed once (a second
 * parse was a quarter of a chat run's time), and it is parsed by yajl (core/json_fast.h)
 * where that gives jansson's value. */
#include "tokenize/tok_stage.h"

#include "core/buf.h"
#include "core/json_fast.h"

#include <jansson.h>

static int chat_decode(wn_source *src, wn_doc *d, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = wn_json_loadb_fast(d->text.ptr, d->text.len);
    if (!root) /* declined: jansson's own parse says what the line is */
        root = json_loadb(d->text.ptr, d->text.len, 0, &je);
    if (!root) {
        snprintf(err, errlen, "invalid json at column %d: %s", je.column, je.text);
        return -1;
    }
    json_decref(d->record);
    d->record = root;
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
