/* tok_profile_train: the training run of the tokenizer's profile-guided build (Makefile, PGO).
 *
 *   tok_profile_train TOKENIZER TEXT.jsonl[.zst]
 *
 * Built against tokenize/ compiled with -fprofile-generate, it does what the tokenizer does
 * in a real run so that GCC learns which branches and calls are hot: each document of TEXT
 * (real prose in 19 languages, data/tokenizer/profile/) encoded from an empty piece cache,
 * then counted and decoded; then the inputs that take the tokenizer's other paths (long
 * runs of one character, digits, spaces, bytes that are not UTF-8, special tokens in text),
 * small, since a profile needs each path taken, not taken for long. Functions it never runs
 * keep their ordinary optimisation (-fprofile-partial-training), so nothing it leaves out
 * is built as cold code.
 *
 * It also checks decode(encode(x)) == x on everything it encodes and exits 1 if not: a
 * build whose instrumented tokenizer were broken stops here, not in the tests. */
#include "core/buf.h"
#include "core/io.h"
#include "tokenize/tokenizer.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_mismatches;

/* Encode, count and decode text[0..n) with flags; a round trip that differs is counted. */
static void exercise(const wn_tok *t, const char *text, size_t n, unsigned flags,
                     wn_tok_ids *ids, wn_buf *back)
{
    ids->len = 0;
    wn_tok_encode(t, text, n, flags, ids);
    size_t counted = wn_tok_count(t, text, n, flags);
    back->len = 0;
    if (counted != ids->len || wn_tok_decode(t, ids->ids, ids->len, back, NULL) != 0 ||
        back->len != n || memcmp(back->data, text, n) != 0)
        g_mismatches++;
}

/* Every document ({"text": ...} per line) of path; the number of documents, -1 on error. */
static long train_on_documents(const wn_tok *t, const char *path, wn_tok_ids *ids, wn_buf *back)
{
    char err[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        fprintf(stderr, "tok_profile_train: %s\n", err);
        return -1;
    }
    long docs = 0;
    const char *line;
    size_t len;
    while ((line = wn_in_line(in, &len)) != NULL) {
        json_error_t jerr;
        json_t *doc = json_loadb(line, len, 0, &jerr);
        json_t *text = doc ? json_object_get(doc, "text") : NULL;
        if (json_is_string(text)) {
            exercise(t, json_string_value(text), json_string_length(text), 0, ids, back);
            docs++;
        }
        json_decref(doc);
    }
    bool failed = wn_in_failed(in);
    if (failed)
        fprintf(stderr, "tok_profile_train: %s: %s\n", path, wn_in_errmsg(in));
    wn_in_close(in);
    return failed ? -1 : docs;
}

/* n bytes repeating fill, as tok_bench's pathological cases make them. */
static void train_on_run(const wn_tok *t, size_t n, const char *fill, wn_tok_ids *ids,
                         wn_buf *back)
{
    size_t k = strlen(fill);
    char *s = wn_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        s[i] = fill[(i * 7 + i / 5) % k];
    exercise(t, s, n, 0, ids, back);
    free(s);
}

static void train_on_other_paths(const wn_tok *t, wn_tok_ids *ids, wn_buf *back)
{
    train_on_run(t, 20000, "a", ids, back);
    train_on_run(t, 10000, "qwertyuiopasdfghjklzxcvbnm", ids, back);
    train_on_run(t, 10000, "7", ids, back);
    train_on_run(t, 20000, " ", ids, back);
    train_on_run(t, 6000, "\xd0\xb4\xd0\xbe\xd0\xbc", ids, back);        /* Cyrillic, no space */
    train_on_run(t, 6000, "\xe7\xb3\xbb\xe7\xbb\x9f\xe8\xae\xbe", ids, back); /* CJK */
    /* bytes that are not UTF-8 among text (a stray continuation byte, a cut sequence) */
    static const char junk[] = "caf\xc3 \x80\x80 ok \xff\xfe text \xe2\x82 end\r\n\t\t  x";
    for (int i = 0; i < 20; i++)
        exercise(t, junk, sizeof junk - 1, 0, ids, back);
    static const char special[] = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>"
                                  "\n\nHello there<|eot_id|>";
    for (int i = 0; i < 20; i++) { /* special tokens decode to their names */
        exercise(t, special, sizeof special - 1, WN_TOK_SPECIAL_IN_TEXT, ids, back);
        exercise(t, special, sizeof special - 1, 0, ids, back);
    }
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: tok_profile_train TOKENIZER TEXT.jsonl[.zst]\n");
        return 2;
    }
    char err[256];
    wn_tok *t = wn_tok_load(argv[1], err, sizeof err);
    if (!t) {
        fprintf(stderr, "tok_profile_train: %s\n", err);
        return 1;
    }
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_buf back = WN_BUF_INIT;
    wn_tok_cache_clear(); /* as a run starts: the first sightings are most of the work */
    long docs = train_on_documents(t, argv[2], &ids, &back);
    train_on_other_paths(t, &ids, &back);
    wn_tok_ids_release(&ids);
    free(back.data);
    wn_tok_free(t);
    if (docs <= 0) {
        fprintf(stderr, "tok_profile_train: no documents in %s\n", argv[2]);
        return 1;
    }
    if (g_mismatches) {
        fprintf(stderr, "tok_profile_train: %d texts did not round-trip\n", g_mismatches);
        return 1;
    }
    return 0;
}
