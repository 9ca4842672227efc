/* tok_default.c: the tokenizer winnow ships, data/tokenizer/llama3.tiktoken (Meta's Llama 3
 * tokenizer.model, under the Llama 3 Community License in data/tokenizer/). */
#include "tokenize/tok_internal.h"

#include "core/paths.h"

#include <limits.h>
#include <stdio.h>

#define DEFAULT_TOKENIZER "tokenizer/llama3.tiktoken"

wn_tok *wn_tok_load_default(char *err, size_t errlen)
{
    return wn_tok_load_default_flags(0, err, errlen);
}

wn_tok *wn_tok_load_default_flags(unsigned flags, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (!wn_data_path(DEFAULT_TOKENIZER, path, sizeof path)) {
        snprintf(err, errlen, "cannot find the default tokenizer '%s' (set WINNOW_DATA)",
                 path);
        return NULL;
    }
    return wn_tok_load_flags(path, flags, err, errlen);
}
