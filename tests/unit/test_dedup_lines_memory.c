/* test_dedup_lines_memory.c: line dedup's hash phase keeps, between batches, line records
 * for a batch, not for the corpus. Each of a batch's 1024 slots kept an array as long as
 * the most lines any document it held had, so every long document left its slot big for
 * the rest of the run (docs/run.md, "Ninth session"). Checked by counting records. */
#include "testutil.h"

#include "core/buf.h"
#include "dedup/lines.h"

#include <stdio.h>

enum { BATCHES = 16, BATCH = 1024, BIG_LINES = 5000 };

/* BATCHES batches of BATCH one-line documents, but in batch b document b is BIG_LINES long
 * (a new slot each batch). */
static void write_input(const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int b = 0; b < BATCHES; b++)
        for (int i = 0; i < BATCH; i++) {
            fprintf(f, "{\"id\":\"d%d-%d\",\"text\":\"", b, i);
            if (i == b)
                for (int k = 0; k < BIG_LINES; k++)
                    fprintf(f, "line %d of the long document %d\\n", k, b);
            else
                fprintf(f, "a line of its own, %d %d", b, i);
            fputs("\"}\n", f);
        }
    fclose(f);
}

static void test_hash_slots_do_not_keep_the_longest_document(void **state)
{
    (void)state;
    char *dir = tmpdir_new();
    wn_buf in = WN_BUF_INIT, out = WN_BUF_INIT;
    wn_buf_appendf(&in, "%s/in.jsonl", dir);
    wn_buf_appendf(&out, "%s/state", dir);
    write_input(in.data);
    wn_lines_config cfg;
    wn_lines_config_default(&cfg);
    char config[128], err[512];
    wn_lines_config_text(&cfg, config, sizeof config);
    char *inputs[] = { in.data };
    size_t held = 0;
    wn_lines_hash_opts o = { .all_inputs = inputs, .n_all_inputs = 1, .shard_index = 0,
                             .shard_count = 1, .outdir = out.data, .mem_bytes = 64u << 20,
                             .config = config, .held_records_max = &held };
    assert_int_equal(wn_lines_hash_shard(&o, NULL, err, sizeof err), 0);
    /* every slot's first array is 64 records; a long document's is 8192 (5000 lines). Kept,
     * the 16 long documents' slots stayed at 8192: 1024 x 64 + 16 x 8128 records. */
    assert_true(held >= BATCH * 64 + 8192 - 64);
    assert_true(held <= BATCH * 64 + 2 * 8192);
    wn_buf_release(&in);
    wn_buf_release(&out);
    tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_slots_do_not_keep_the_longest_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
