/* test_runner_memory.c: the runner's memory follows the batch, not the corpus. Two ways it
 * grew with the corpus on real data (docs/run.md, "Ninth session"): every output slot kept
 * a buffer as big as the biggest document it ever held, and a batch that a stage sees whole
 * could reach 64 MB, so the more documents, the bigger the biggest batch. Both are checked
 * by counting bytes (the writer's kept buffers, a batch's text), not by timing or RSS. */
#include "testutil.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/runner.h"

#include <stdio.h>

/* dir/name, malloc'd. */
static char *path_in(const char *dir, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", dir, name);
    return wn_buf_detach(&b, NULL);
}

/* A JSONL file of n_batches x per_batch documents: in batch b, document b % per_batch
 * has big bytes of text, the others small. */
static char *write_input(const char *dir, size_t n_batches, size_t per_batch, size_t big,
                         size_t small)
{
    static const char words[] = "the quick brown fox jumps over the lazy dog ";
    char *path = path_in(dir, "in.jsonl");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (size_t b = 0; b < n_batches; b++)
        for (size_t i = 0; i < per_batch; i++) {
            size_t len = i == b % per_batch ? big : small;
            fprintf(f, "{\"id\":\"d%zu-%zu\",\"text\":\"", b, i);
            for (size_t k = 0; k < len; k++)
                fputc(words[k % (sizeof words - 1)], f);
            fputs("\"}\n", f);
        }
    fclose(f);
    return path;
}

/* Runs the stages (none: the plain copy) over input with batches of batch_docs documents. */
static void run(const char *input, size_t batch_docs, wn_stage **stages, size_t n_stages,
                wn_run_result *res, char *out)
{
    wn_common_opts c;
    wn_common_init(&c);
    c.output = out;
    c.quiet = true;
    c.threads = 1;
    c.batch_docs = batch_docs;
    char *argv[] = { "copy", (char *)input };
    assert_int_equal(wn_common_finish(&c, 2, argv, 1, true), 0);
    wn_run_opts ro = { .command = "copy", .common = &c, .stages = stages, .n_stages = n_stages };
    assert_int_equal(wn_run(&ro, res), 0);
    wn_common_release(&c);
}

/* 40 batches of 8 documents, one of 100 KB each, the big one in another slot each batch:
 * a slot that kept its biggest buffer left all 16 slots (two sets of 8) holding one big
 * document's buffer (512 KB: escaping reserves 6 bytes per byte of a 64 KB chunk), 8 MB
 * in all. Now a slot keeps a buffer only up to 4 KB or when it was at least half used:
 * at most the small documents' buffers and two big documents' worth per set. */
static void test_output_slots_do_not_keep_the_biggest_document(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *in = write_input(dir, 40, 8, 100000, 200);
    char *out = path_in(dir, "out");
    wn_run_result res;
    run(in, 8, NULL, 0, &res, out);
    assert_int_equal(res.source.docs_out, 320);
    assert_true(res.held_bytes_max >= 16 * 256); /* the small documents' buffers count */
    assert_true(res.held_bytes_max <= 16 * (4 << 10) + 4 * 200000);
    wn_run_result_release(&res);
    free(in);
    free(out);
    tmpdir_remove(dir);
}

/* The most text bytes one process_batch call saw, and how many documents in all. */
typedef struct batch_probe {
    size_t max_bytes, docs;
} batch_probe;

static void probe_batch(void *state, wn_batch *b, wn_stats *stats)
{
    (void)stats;
    batch_probe *p = state;
    size_t bytes = 0;
    for (size_t i = 0; i < b->n; i++)
        bytes += b->docs[i].text.len;
    if (bytes > p->max_bytes)
        p->max_bytes = bytes;
    p->docs += b->n;
}

/* 12 documents of 1 MB in one file: with the old 64 MB cap one batch held all 12 MB (and
 * three copies of it: records, documents, output); now a batch stops past 4 MB. */
static void test_whole_batch_stages_see_bounded_batches(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    char *in = write_input(dir, 12, 1, 1000000, 0);
    char *out = path_in(dir, "out");
    batch_probe probe = { 0, 0 };
    wn_stage st = { .name = "probe", .state = &probe, .process_batch = probe_batch };
    wn_stage *stages[] = { &st };
    wn_run_result res;
    run(in, 1024, stages, 1, &res, out);
    assert_int_equal(probe.docs, 12);
    assert_int_equal(res.stages[0].docs_out, 12);
    assert_true(probe.max_bytes >= 4000000);
    assert_true(probe.max_bytes <= (4u << 20) + 1000000);
    wn_run_result_release(&res);
    free(in);
    free(out);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_slots_do_not_keep_the_biggest_document),
        cmocka_unit_test(test_whole_batch_stages_see_bounded_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
