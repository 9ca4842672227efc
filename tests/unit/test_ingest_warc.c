/* test_ingest_warc.c: every WARC/ARC/WET file in shared/data/warc is read with counts that
 * reconcile (records = documents + skipped + errors), the broken ones report errors with an
 * offset, and known documents come out with the right id, url and date. */
#include "testutil.h"

#include "core/args.h"
#include "core/runner.h"
#include "ingest/ingest.h"

#include <dirent.h>
#include <omp.h>

typedef struct run_out {
    wn_run_result res;
    char *dir;
} run_out;

static int run_ingest(const char *input, int threads, run_out *o)
{
    o->dir = tmpdir_new();
    wn_common_opts c;
    wn_common_init(&c);
    c.output = o->dir;
    c.quiet = true;
    c.threads = threads;
    char *argv[] = { "ingest", (char *)input };
    if (wn_common_finish(&c, 2, argv, 1, true))
        return -1;
    wn_ingest_opts io;
    wn_ingest_opts_init(&io);
    wn_stage *ex = wn_ingest_extract_stage_new(&io);
    wn_stage *stages[] = { ex };
    wn_run_opts ro = { .command = "ingest", .common = &c, .open = wn_ingest_open, .open_ctx = &io,
                       .stages = stages, .n_stages = 1 };
    int rc = wn_run(&ro, &o->res);
    wn_stage_free(ex);
    wn_common_release(&c);
    return rc;
}

static void check_reconciles(const wn_run_result *r)
{
    const wn_stats *s = &r->source;
    assert_int_equal(s->docs_in, s->docs_out + wn_stats_drops_total(s) + wn_stats_errors_total(s));
    const wn_stats *e = &r->stages[0];
    assert_int_equal(e->docs_in, s->docs_out);
    assert_int_equal(e->docs_in, e->docs_out + wn_stats_drops_total(e));
}

static void test_every_shared_warc_reconciles(void **state)
{
    char root[1024];
    SHARED_OR_SKIP(root, "warc");
    char **files;
    size_t n;
    char *argv[] = { root };
    assert_int_equal(wn_expand_inputs(argv, 1, &files, &n), 0);
    assert_true(n >= 15);
    uint64_t docs = 0, errors = 0;
    for (size_t i = 0; i < n; i++) {
        run_out o;
        assert_int_equal(run_ingest(files[i], 1, &o), 0);
        check_reconciles(&o.res);
        docs += o.res.stages[0].docs_out;
        errors += wn_stats_errors_total(&o.res.source);
        if (strstr(files[i], "example-trunc.warc")) {
            assert_true(wn_stats_errors_total(&o.res.source) >= 1);
            assert_int_equal(wn_stats_error_count(&o.res.source, "warc.wrong_content_length"), 1);
        }
        wn_run_result_release(&o.res);
        tmpdir_remove(o.dir);
    }
    assert_true(docs > 100);
    assert_true(errors >= 1);
    wn_free_strv(files, n);
}

static void test_wet_and_warc_fields(void **state)
{
    char path[1024];
    SHARED_OR_SKIP(path, "warc/commoncrawl/whirlwind.warc.wet.gz");
    run_out o;
    assert_int_equal(run_ingest(path, 1, &o), 0);
    assert_int_equal(o.res.stages[0].docs_out, 1);
    assert_int_equal(wn_stats_drop_docs(&o.res.source, "skip.warcinfo"), 1);
    char part[1200];
    snprintf(part, sizeof part, "%s/ingest-00000-0000.jsonl.zst", o.dir);
    char err[256];
    size_t len;
    char *text = wn_read_file(part, &len, err, sizeof err);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"id\":\"urn:uuid:ba729a40"));
    assert_non_null(strstr(text, "\"url\":\"https://an.wikipedia.org/wiki/Escopete\""));
    assert_non_null(strstr(text, "\"created\":\"2024-05-18T01:58:10Z\""));
    assert_non_null(strstr(text, "\"source\":\"wet\""));
    assert_non_null(strstr(text, "Escopete"));
    free(text);
    wn_run_result_release(&o.res);
    tmpdir_remove(o.dir);
}

static void test_wget_angle_brackets_and_chunked(void **state)
{
    char path[1024];
    SHARED_OR_SKIP(path, "warc/wget/python311-docs-wget.warc.gz");
    run_out o;
    assert_int_equal(run_ingest(path, 1, &o), 0);
    check_reconciles(&o.res);
    assert_true(o.res.stages[0].docs_out >= 40);
    char part[1200];
    snprintf(part, sizeof part, "%s/ingest-00000-0000.jsonl.zst", o.dir);
    size_t len;
    char *text = wn_read_file(part, &len, NULL, 0);
    assert_non_null(strstr(text, "\"url\":\"http://127.0.0.1"));
    assert_null(strstr(text, "\"url\":\"<"));
    free(text);
    wn_run_result_release(&o.res);
    tmpdir_remove(o.dir);

    SHARED_OR_SKIP(path, "warc/warcio/example-iana.org-chunked.warc");
    assert_int_equal(run_ingest(path, 1, &o), 0);
    assert_int_equal(o.res.stages[0].docs_out, 1);
    snprintf(part, sizeof part, "%s/ingest-00000-0000.jsonl.zst", o.dir);
    text = wn_read_file(part, &len, NULL, 0);
    assert_non_null(strstr(text, "Management of the DNS Root Zone")); /* dechunked */
    free(text);
    wn_run_result_release(&o.res);
    tmpdir_remove(o.dir);
}

static char *slurp_parts(const char *dir, size_t *len)
{
    wn_buf all = WN_BUF_INIT;
    char **files;
    size_t n;
    char *argv[] = { (char *)dir };
    wn_expand_inputs(argv, 1, &files, &n);
    for (size_t i = 0; i < n; i++) {
        /* the stored bytes, compressed: the files themselves must be identical */
        wn_in *in = wn_in_open(files[i], WN_COMP_NONE, NULL, 0);
        char chunk[65536];
        ssize_t k;
        while ((k = wn_in_read(in, chunk, sizeof chunk)) > 0)
            wn_buf_append(&all, chunk, (size_t)k);
        wn_in_close(in);
    }
    wn_free_strv(files, n);
    return wn_buf_detach(&all, len);
}

static void test_output_identical_at_any_thread_count(void **state)
{
    char root[1024];
    SHARED_OR_SKIP(root, "warc");
    run_out one, two;
    assert_int_equal(run_ingest(root, 1, &one), 0);
    assert_int_equal(run_ingest(root, 2, &two), 0);
    size_t na, nb;
    char *a = slurp_parts(one.dir, &na), *b = slurp_parts(two.dir, &nb);
    assert_true(na > 100000);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    wn_run_result_release(&one.res);
    wn_run_result_release(&two.res);
    tmpdir_remove(one.dir);
    tmpdir_remove(two.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shared_warc_reconciles),
        cmocka_unit_test(test_wet_and_warc_fields),
        cmocka_unit_test(test_wget_angle_brackets_and_chunked),
        cmocka_unit_test(test_output_identical_at_any_thread_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
