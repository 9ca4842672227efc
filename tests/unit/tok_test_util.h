/* tok_test_util.h: helpers shared by the tokenizer's unit tests (not a test itself). */
#ifndef WN_TOK_TEST_UTIL_H
#define WN_TOK_TEST_UTIL_H

#include "tests/unit/testutil.h"
#include "tokenize/shard_writer.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tokenizer shipped in the repo (tests run from the repo root). */
static inline wn_tok *tok_load_repo(void)
{
    char err[256];
    wn_tok *t = wn_tok_load("data/tokenizer/llama3.tiktoken", err, sizeof err);
    if (!t)
        fprintf(stderr, "%s\n", err);
    return t;
}

/* The repo's tokenizer with a pair table of every split (BPE from bytes: the reference
 * premerging and the encoder's shortcuts are checked against). */
static inline wn_tok *tok_load_all_pairs(void)
{
    wn_tok *t = tok_load_repo();
    assert_non_null(t);
    assert_int_equal(wn_tok_use_all_pairs(t), 0);
    return t;
}

/* Commit the shards w wrote (asserting it succeeds); returns how many files they are. */
static inline size_t tok_shards_commit_ok(wn_shards *w)
{
    char err[256], **paths = NULL;
    size_t n_paths = 0;
    assert_int_equal(wn_shards_commit(w, &paths, &n_paths, err, sizeof err), 0);
    for (size_t i = 0; i < n_paths; i++)
        free(paths[i]);
    free(paths);
    return n_paths;
}

static inline char *tok_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    if (fread(s, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(s);
        return NULL;
    }
    fclose(f);
    s[n] = '\0';
    *len = (size_t)n;
    return s;
}

#endif
