/* test_runner_stage_writes.c: the runner's calls of a stage's begin_batch and write_batch
 * (core/stage.h). At two threads, in the fused pass (where each batch is written while the
 * next is processed, documents handed out largest first) and step by step (a stage with
 * process_batch in the pipeline): each batch is begun before its documents reach the
 * stage, and written once, in input order, after all of them went through every stage,
 * with removed[] telling the dropped ones. */
#include "testutil.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/runner.h"

#include <stdio.h>

enum { DOCS = 300, BATCH = 7 };

/* A JSONL file of DOCS documents of varied length (so largest-first reorders them), text
 * "k:<index>" padded with words. */
static char *write_input(const char *dir)
{
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/in.jsonl", dir);
    FILE *f = fopen(p.data, "w");
    assert_non_null(f);
    for (size_t k = 0; k < DOCS; k++) {
        fprintf(f, "{\"id\":\"d%zu\",\"text\":\"k:%zu", k, k);
        for (size_t w = 0; w < (k * 37) % 200; w++)
            fputs(" word", f);
        fputs("\"}\n", f);
    }
    fclose(f);
    return wn_buf_detach(&p, NULL);
}

/* The index in a document's text. */
static size_t index_of(const wn_doc *d)
{
    return (size_t)strtoul(d->text.ptr + 2, NULL, 10);
}

/* Drops every third document, and records what the runner called. */
typedef struct probe {
    uint64_t begun_base;   /* the batch begun last */
    size_t begun_n;
    int seen[DOCS];        /* process_doc calls per document */
    size_t written[DOCS];  /* write_batch calls that named the document kept */
    size_t dropped_named;  /* documents write_batch named removed that the probe dropped */
    size_t next;           /* the input index the next write_batch must start at */
    size_t writes, begins;
    int bad_range;         /* documents outside the batch begun last (counted atomically) */
    bool out_of_order, written_early;
} probe;

static void probe_begin(void *state, uint64_t base, size_t n)
{
    probe *p = state;
    p->begins++;
    p->begun_base = base;
    p->begun_n = n;
}

static void probe_doc(void *state, wn_doc *d, wn_stats *stats)
{
    (void)stats;
    probe *p = state;
    size_t k = index_of(d);
    if (d->input_index < p->begun_base || d->input_index >= p->begun_base + p->begun_n) {
#pragma omp atomic
        p->bad_range++;
    }
#pragma omp atomic
    p->seen[k]++;
    if (k % 3 == 0)
        d->drop_reason = "probe.third";
}

/* Writes of the batch [base, base + n): input indexes are the documents' own here (every
 * record decodes), so index == base + i. */
static void probe_write(void *state, uint64_t base, size_t n, const bool *removed,
                        wn_stats *stats)
{
    (void)stats;
    probe *p = state;
    p->writes++;
    if (base != p->next)
        p->out_of_order = true;
    p->next = base + n;
    for (size_t i = 0; i < n; i++) {
        size_t k = base + i;
        if (k >= DOCS || p->seen[k] != 1) {
            p->written_early = true;
            continue;
        }
        if (removed[i])
            p->dropped_named += k % 3 == 0;
        else
            p->written[k]++;
    }
}

static void noop_batch(void *state, wn_batch *b, wn_stats *stats)
{
    (void)state;
    (void)b;
    (void)stats;
}

static void run_with(bool step_by_step)
{
    char *dir = tmpdir_new();
    char *in = write_input(dir);
    wn_buf out = WN_BUF_INIT;
    wn_buf_appendf(&out, "%s/out", dir);
    probe *p = calloc(1, sizeof *p);
    wn_stage before = { .name = "batchwise", .process_batch = noop_batch };
    wn_stage st = { .name = "probe", .state = p, .begin_batch = probe_begin,
                    .process_doc = probe_doc, .write_batch = probe_write };
    wn_stage *stages[] = { &before, &st };
    wn_common_opts c;
    wn_common_init(&c);
    c.output = out.data;
    c.quiet = true;
    c.batch_docs = BATCH;
    c.threads = 2;
    char *argv[] = { "probe", in };
    assert_int_equal(wn_common_finish(&c, 2, argv, 1, true), 0);
    wn_run_opts ro = { .command = "probe", .common = &c,
                       .stages = step_by_step ? stages : stages + 1,
                       .n_stages = step_by_step ? 2 : 1, .no_output = true };
    wn_run_result res;
    assert_int_equal(wn_run(&ro, &res), 0);
    assert_int_equal(p->begins, (DOCS + BATCH - 1) / BATCH);
    assert_int_equal(p->writes, p->begins);
    assert_false(p->out_of_order);
    assert_int_equal(p->bad_range, 0);
    assert_false(p->written_early);
    assert_int_equal(p->next, DOCS);
    for (size_t k = 0; k < DOCS; k++) {
        assert_int_equal(p->seen[k], 1);
        assert_int_equal(p->written[k], k % 3 ? 1 : 0);
    }
    assert_int_equal(p->dropped_named, (DOCS + 2) / 3);
    wn_run_result_release(&res);
    wn_common_release(&c);
    free(p);
    free(in);
    wn_buf_release(&out);
    tmpdir_remove(dir);
}

static void test_fused(void **state)
{
    (void)state;
    run_with(false);
}

static void test_step_by_step(void **state)
{
    (void)state;
    run_with(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused),
        cmocka_unit_test(test_step_by_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
