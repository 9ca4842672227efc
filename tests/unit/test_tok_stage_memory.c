/* test_tok_stage_memory.c: the tokenize stage's memory follows the batch, not the corpus.
 * Each document of a batch has a slot for its ids (and loss mask) that lives on to the
 * next batch; a slot that kept its buffer whatever it held ended up as big as the biggest
 * document it ever held. Checked by counting the bytes the slots keep, not by RSS. */
#include "tok_test_util.h"

#include "core/doc.h"
#include "core/stats.h"
#include "tokenize/tok_stage.h"

enum { BATCH_DOCS = 8, BATCHES = 24, BIG_BYTES = 200000, SMALL_BYTES = 200 };

/* Text of len bytes of English words. */
static char *words_text(size_t len)
{
    static const char words[] = "the quick brown fox jumps over the lazy dog ";
    char *s = malloc(len + 1);
    for (size_t k = 0; k < len; k++)
        s[k] = words[k % (sizeof words - 1)];
    s[len] = '\0';
    return s;
}

/* BATCHES batches of BATCH_DOCS documents, in batch b document b % BATCH_DOCS big (~50,000
 * tokens, 200 KB of ids), the others small. A slot that kept its biggest buffer left all 8
 * slots holding a big document's ids (over 1.6 MB); now a slot keeps a buffer only up to
 * 4 KB or when it was at least half used, so in each of the two sets of slots (batches
 * alternate between them, one written while the next is encoded) at most the current big
 * document's slot and the last one's are big. */
static void test_slots_do_not_keep_the_biggest_document(void **state)
{
    (void)state;
    wn_tok *tok = tok_load_repo();
    assert_non_null(tok);
    wn_tokenize_opts o = { .tok = tok, .eos = true };
    wn_stage *encode = NULL, *write = NULL;
    char err[256];
    assert_int_equal(wn_tokenize_stages_new(&o, NULL, &encode, &write, err, sizeof err), 0);
    wn_stats st;
    wn_stats_init(&st, "tokenize");
    wn_stats *stats = &st;
    wn_batch b;
    wn_batch_init(&b);
    size_t big_ids = 0, held_max = 0;
    uint64_t index = 0;
    for (size_t k = 0; k < BATCHES; k++) {
        for (size_t i = 0; i < BATCH_DOCS; i++) {
            wn_doc *d = wn_batch_push(&b);
            size_t len = i == k % BATCH_DOCS ? BIG_BYTES : SMALL_BYTES;
            wn_str_take(&d->text, words_text(len), len);
            d->input_index = index++;
        }
        encode->begin_batch(encode->state, b.docs[0].input_index, b.n);
        for (size_t i = 0; i < b.n; i++)
            encode->process_doc(encode->state, &b.docs[i], stats);
        if (k == 0) {
            big_ids = wn_tokenize_held_bytes(encode);
            assert_true(big_ids > BIG_BYTES / 5 * sizeof(wn_tok_id)); /* ~4 bytes a token */
        }
        size_t held = wn_tokenize_held_bytes(encode);
        if (held > held_max)
            held_max = held;
        wn_batch_clear(&b);
    }
    assert_true(held_max <= 4 * big_ids + 2 * BATCH_DOCS * (4 << 10));
    wn_batch_release(&b);
    wn_stats_release(stats);
    wn_stage_free(write);
    wn_stage_free(encode);
    wn_tok_free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_do_not_keep_the_biggest_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
