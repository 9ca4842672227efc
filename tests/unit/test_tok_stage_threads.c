/* test_tok_stage_threads.c: the tokenize stage at two threads. Each document's ids go into
 * a slot of its own cache line (tok_stage.c, doc_tokens: the encoder writes a slot's length
 * once a piece, and neighbouring documents are encoded at the same time), and the ids are
 * each document's own: against wn_tok_encode of each document alone on the same text, two
 * threads taking documents one at a time as the runner does, over several batches, long and
 * short documents, with BOS and EOS, while one of the threads writes the batch before (as
 * the runner's fused pass does). */
#include "tok_test_util.h"

#include "core/doc.h"
#include "core/stage.h"
#include "core/stats.h"
#include "tokenize/shard_writer.h"
#include "tokenize/tok_stage.h"

#include <omp.h>

enum { BATCHES = 3, BATCH_DOCS = 40 };

/* Document k's length: short and long ones mixed, and an empty one (dropped by the stage,
 * skipped below). */
static size_t doc_len(size_t k)
{
    static const size_t lens[] = { 1, 7, 300, 4000, 65535, 65536, 65537, 90000, 20, 0, 1500 };
    return lens[k % (sizeof lens / sizeof *lens)];
}

/* The reference: every document alone, BOS + its ids + EOS, in input order. */
static void expected_ids(const wn_tok *tok, const char *text, size_t text_len, wn_tok_ids *want)
{
    for (size_t k = 0; k < BATCHES * BATCH_DOCS; k++) {
        size_t len = doc_len(k), at = (k * 7919) % (text_len - len);
        if (len == 0)
            continue;
        wn_tok_ids_push(want, wn_tok_bos(tok));
        wn_tok_encode(tok, text + at, len, 0, want);
        wn_tok_ids_push(want, wn_tok_eos(tok));
    }
}

/* The stage's output: batches of the same documents through begin_batch and process_doc on
 * two threads, the write stage writing each batch into a Megatron .bin (int32 ids) under dir
 * during the next batch's round, from the second thread, as core/runner.c's side_jobs do. */
static void stage_ids(const wn_tok *tok, const char *text, size_t text_len, const char *dir)
{
    char prefix[512], err[256];
    snprintf(prefix, sizeof prefix, "%s/x", dir);
    wn_shards_opts so = { .format = WN_SHARDS_MEGATRON, .prefix = prefix };
    wn_shards *w = wn_shards_open(&so, err, sizeof err);
    assert_non_null(w);
    wn_tokenize_opts o = { .tok = tok, .bos = true, .eos = true };
    wn_stage *encode = NULL, *write = NULL;
    assert_int_equal(wn_tokenize_stages_new(&o, w, &encode, &write, err, sizeof err), 0);
    wn_stats st[2]; /* a thread's own */
    wn_stats_init(&st[0], "tokenize");
    wn_stats_init(&st[1], "tokenize");
    wn_batch b;
    wn_batch_init(&b);
    bool last_removed[BATCH_DOCS];
    uint64_t last_base = 0;
    size_t last_n = 0;
    for (size_t k = 0, batch = 0; batch <= BATCHES; batch++) {
        uint64_t base = k;
        for (size_t i = 0; batch < BATCHES && i < BATCH_DOCS; i++, k++) {
            size_t len = doc_len(k), at = (k * 7919) % (text_len - len);
            wn_doc *d = wn_batch_push(&b);
            char *s = malloc(len + 1);
            memcpy(s, text + at, len);
            s[len] = '\0';
            wn_str_take(&d->text, s, len);
            d->input_index = k;
        }
        if (b.n)
            encode->begin_batch(encode->state, base, b.n);
        long n = (long)b.n;
#pragma omp parallel num_threads(2)
        {
            int t = omp_get_thread_num();
            if (t == 1 && last_n)
                write->write_batch(write->state, last_base, last_n, last_removed, &st[t]);
#pragma omp for schedule(dynamic, 1) nowait
            for (long i = 0; i < n; i++)
                encode->process_doc(encode->state, &b.docs[i], &st[t]);
        }
        for (size_t i = 0; i < b.n; i++)
            last_removed[i] = b.docs[i].drop_reason != NULL;
        last_base = base;
        last_n = b.n;
        wn_batch_clear(&b);
    }
    assert_int_equal(wn_tokenize_flush(write, err, sizeof err), 0);
    tok_shards_commit_ok(w);
    wn_batch_release(&b);
    wn_stats_release(&st[0]);
    wn_stats_release(&st[1]);
    wn_stage_free(write);
    wn_stage_free(encode);
}

static void test_stage_ids_are_each_documents_own(void **state)
{
    (void)state;
    wn_tok *tok = tok_load_repo();
    assert_non_null(tok);
    size_t text_len;
    char *text = tok_slurp("docs/tokenize.md", &text_len);
    assert_non_null(text);
    assert_true(text_len > 100000);
    wn_tok_ids want = WN_TOK_IDS_INIT;
    expected_ids(tok, text, text_len, &want);
    char *dir = tmpdir_new();
    assert_non_null(dir);
    stage_ids(tok, text, text_len, dir);
    char path[600];
    snprintf(path, sizeof path, "%s/x.bin", dir);
    size_t got_len;
    char *got = tok_slurp(path, &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, want.len * sizeof(int32_t));
    for (size_t i = 0; i < want.len; i++) {
        int32_t id;
        memcpy(&id, got + i * sizeof id, sizeof id);
        if ((uint32_t)id != want.ids[i])
            fail_msg("id %zu: %d, want %u", i, id, want.ids[i]);
    }
    free(got);
    tmpdir_remove(dir);
    wn_tok_ids_release(&want);
    free(text);
    wn_tok_free(tok);
}

/* A batch of 3,000 one-letter documents (192 KB of slots: malloc would give them a fresh
 * mapping, 16 bytes past a page, so realloc'd slots are never line-aligned): every slot
 * starts a cache line. */
static void test_slots_have_lines_of_their_own(void **state)
{
    (void)state;
    enum { DOCS = 3000 };
    wn_tok *tok = tok_load_repo();
    assert_non_null(tok);
    wn_tokenize_opts o = { .tok = tok, .bos = true };
    wn_stage *encode = NULL, *write = NULL;
    char err[256];
    assert_int_equal(wn_tokenize_stages_new(&o, NULL, &encode, &write, err, sizeof err), 0);
    wn_stats st;
    wn_stats_init(&st, "tokenize");
    wn_batch b;
    wn_batch_init(&b);
    for (size_t round = 0; round < 2; round++) { /* the second batch, bigger, moves them */
        for (size_t i = 0; i < DOCS * (round + 1); i++) {
            wn_doc *d = wn_batch_push(&b);
            wn_str_take(&d->text, strdup("a"), 1);
            d->input_index = i;
        }
        encode->begin_batch(encode->state, b.docs[0].input_index, b.n);
        for (size_t i = 0; i < b.n; i++) {
            uintptr_t at = (uintptr_t)wn_tokenize_doc_ids(encode, &b.docs[i]);
            if (at % 64)
                fail_msg("slot %zu of %zu at %#lx, not on a line of its own", i, b.n,
                         (unsigned long)at);
        }
        wn_batch_clear(&b);
    }
    wn_batch_release(&b);
    wn_stats_release(&st);
    wn_stage_free(write);
    wn_stage_free(encode);
    wn_tok_free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_have_lines_of_their_own),
        cmocka_unit_test(test_stage_ids_are_each_documents_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
