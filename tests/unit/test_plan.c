/* test_plan.c: config -> plan (phases, tasks, command lines), config errors by key and
 * line before anything runs, and the mix's token-budget arithmetic (caps, redistribution,
 * Llama 3 at 15T on paper). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/io.h"
#include "mix/mix.h"
#include "pipeline/plan.h"
#include "pipeline/yaml.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[1024], tmpdir[1024];

static int setup(void **state)
{
    (void)state;
    char cwd[900];
    assert_non_null(getcwd(cwd, sizeof cwd)); /* tests/run-unit.sh runs from the repo root */
    snprintf(root, sizeof root, "%s/", cwd);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/winnow-test-plan-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

static char *write_config(const char *name, const char *text)
{
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p.data, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return wn_buf_detach(&p, NULL);
}

/* Loads a plan with stderr captured into *errors (caller frees). */
static wn_plan *load_captured(const char *path, char **errors)
{
    char errpath[1200];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    assert_non_null(freopen(errpath, "w", stderr));
    wn_plan *p = wn_plan_load(path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    *errors = wn_read_file(errpath, &n, NULL, 0);
    assert_non_null(*errors);
    return p;
}

static const char *arg(const wn_task *t, size_t i)
{
    return i < t->argc ? t->argv[i].text : "";
}

static bool has_args(const wn_task *t, const char *a, const char *b)
{
    for (size_t i = 0; i + 1 < t->argc; i++)
        if (!strcmp(t->argv[i].text, a) && (!b || !strcmp(t->argv[i + 1].text, b)))
            return true;
    return false;
}

static void test_plan_phases_and_tasks(void **state)
{
    (void)state;
    wn_buf y = WN_BUF_INIT;
    wn_buf_appendf(&y,
        "workdir: run\nparallel: 2\nthreads: 1\nshards: 3\n"
        "sources:\n"
        "  - name: web\n    inputs: [%sdata/sample/crawl]\n"
        "    ingest: {format: warc, max-payload: 8M}\n"
        "    dedup: {method: minhash, split_phases: true, bands: 14}\n"
        "  - name: books\n    inputs: %sdata/sample/crawl/whirlwind.warc.gz\n    ingest: {}\n"
        "mix:\n  seed: 3\n  sources:\n"
        "    - {name: code, path: %stests/data/mix/code, weight: 1}\n", root, root, root);
    char *path = write_config("p.yaml", y.data);
    wn_buf_release(&y);
    wn_plan *p = wn_plan_load(path);
    assert_non_null(p);
    /* web.ingest, 5 dedup phases, books.ingest, mix (3 parts), mix.finish */
    assert_int_equal(p->n_phases, 9);
    assert_string_equal(p->phases[0].name, "web.ingest");
    assert_string_equal(p->phases[1].name, "web.dedup.sign");
    assert_string_equal(p->phases[4].name, "web.dedup.cluster");
    assert_string_equal(p->phases[6].name, "books.ingest");
    assert_string_equal(p->phases[7].name, "mix");
    assert_int_equal(p->phases[0].n_tasks, 3);
    assert_int_equal(p->phases[4].n_tasks, 1); /* global */
    assert_int_equal(p->phases[7].n_tasks, 3);
    assert_true(has_args(&p->phases[7].tasks[1], "--shard", "1/3"));
    assert_string_equal(p->phases[8].name, "mix.finish");
    assert_int_equal(p->phases[8].n_tasks, 1);
    assert_true(has_args(&p->phases[8].tasks[0], "-o", p->phases[7].outdir));
    assert_string_equal(arg(&p->phases[8].tasks[0], p->phases[8].tasks[0].argc - 1), "--finish");
    assert_int_equal(p->phases[8].n_deps, 1);
    assert_int_equal(p->phases[8].deps[0], 7);
    /* dependencies: each stage after the previous one of its source; mix after all */
    assert_int_equal(p->phases[0].n_deps, 0);
    assert_int_equal(p->phases[1].n_deps, 1);
    assert_int_equal(p->phases[1].deps[0], 0);
    assert_int_equal(p->phases[7].n_deps, 2);
    /* task 2 of 3 of ingest: its options, --shard, literal inputs */
    const wn_task *t = &p->phases[0].tasks[2];
    assert_string_equal(arg(t, 0), "ingest");
    assert_true(has_args(t, "--format", "warc"));
    assert_true(has_args(t, "--max-payload", "8M"));
    assert_true(has_args(t, "--shard", "2/3"));
    assert_true(has_args(t, "-j", "1"));
    assert_false(t->argv[t->argc - 1].glob);
    /* dedup reads ingest's outputs through a glob, with its method and phase */
    t = &p->phases[1].tasks[0];
    assert_string_equal(arg(t, 0), "dedup");
    assert_string_equal(arg(t, 1), "minhash");
    assert_true(has_args(t, "--phase", "sign"));
    assert_true(has_args(t, "--bands", "14"));
    assert_true(t->argv[t->argc - 1].glob);
    assert_non_null(strstr(t->argv[t->argc - 1].text, "web/ingest/*.jsonl.zst"));
    /* completion records are distinct per task */
    assert_string_not_equal(p->phases[0].tasks[0].done_path, p->phases[0].tasks[1].done_path);
    char *line = wn_task_command_line(&p->phases[0].tasks[0], "winnow");
    assert_non_null(strstr(line, "winnow ingest --format warc"));
    free(line);
    json_t *j = wn_plan_to_json(p);
    assert_int_equal(json_array_size(json_object_get(j, "phases")), 9);
    json_decref(j);
    wn_plan_free(p);
    free(path);
}

typedef struct bad_case {
    const char *yaml;      /* %s = repository root */
    const char *expect[3]; /* substrings of the error output */
} bad_case;

static void test_config_errors_name_key_and_line(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"workdir: x\ncolour: red\nsources:\n  - name: a\n    inputs: %sdata/sample/crawl\n",
         {":2:1: colour: unknown key", NULL}},
        {"parallel: two\nsources:\n  - name: a\n    inputs: %sdata/sample/crawl\n",
         {":1:11: parallel: expected a whole number, got 'two'", NULL}},
        {"sources:\n  - name: a\n    inputs: [%sdata/nope.warc.gz]\n",
         {":3:13: sources[0].inputs: no such file", "nope.warc.gz", NULL}},
        {"sources:\n  - name: a\n    inputs: %sdata/sample/crawl\n    ingest: {colour: 1}\n",
         {":4:14: sources[0].ingest.colour: 'ingest' has no option --colour", NULL}},
        {"sources:\n  - name: a\n    inputs: %sdata/sample/crawl\n    ingest: {keep-raw: 3}\n",
         {"sources[0].ingest.keep-raw: expected true or false", NULL}},
        {"sources:\n  - name: a\n    inputs: %sdata/sample/crawl\nmix:\n  sources:\n"
         "    - {name: x, path: %stests/data/mix/web, weight: 0.5}\n"
         "    - {name: y, path: %stests/data/mix/code, weight: 0.4}\n",
         {":6:5: mix.sources: weights sum to 0.9, not 1", NULL}},
        {"sources:\n  - name: a\n    inputs: %sdata/sample/crawl\nmix:\n  budget: 1M\n  sources:\n"
         "    - {name: x, path: %stests/data/mix/web, weight: 1}\n",
         {":7:", "mix.sources[0]: source 'x' would need", "set its max_epochs", }},
        {"sources: [1, 2\n", {"'", ":2:", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[4096], name[32];
        snprintf(text, sizeof text, cases[i].yaml, root, root, root);
        snprintf(name, sizeof name, "bad%zu.yaml", i);
        char *path = write_config(name, text), *errors = NULL;
        wn_plan *p = load_captured(path, &errors);
        if (p)
            fail_msg("case %zu: a bad config was accepted", i);
        for (int k = 0; k < 3 && cases[i].expect[k]; k++)
            if (!strstr(errors, cases[i].expect[k]))
                fail_msg("case %zu: expected '%s' in:\n%s", i, cases[i].expect[k], errors);
        assert_non_null(strstr(errors, name)); /* the file is named */
        free(errors);
        free(path);
    }
}

/* Parses a mix config text and computes its main plan (paper: declared tokens). */
static int paper_plan(const char *yaml, wn_mix_config *c, wn_mix_plan *plan)
{
    char *path = write_config("m.yaml", yaml);
    wn_ydoc *d = wn_ydoc_load(path);
    free(path);
    assert_non_null(d);
    assert_true(wn_mix_config_parse(c, d, d->root, "", NULL, 0));
    int rc = wn_mix_plan_compute(&c->main, d, d->path, plan);
    wn_ydoc_free(d);
    return rc;
}

static void test_llama3_on_paper(void **state)
{
    (void)state;
    wn_mix_config c;
    wn_mix_plan plan;
    assert_int_equal(paper_plan("budget: 15T\nsources:\n"
        "  - {name: general, tokens: 9T, weight: 0.50, max_epochs: 1}\n"
        "  - {name: math, tokens: 1.2T, weight: 0.25, max_epochs: 4}\n"
        "  - {name: code, tokens: 1T, weight: 0.17, max_epochs: 4}\n"
        "  - {name: multilingual, tokens: 2T, weight: 0.08, max_epochs: 2}\n", &c, &plan), 0);
    assert_int_equal(plan.budget, 15000000000000ull);
    assert_int_equal(plan.rows[0].tokens_taken, 7500000000000ull);
    assert_true(fabs(plan.rows[0].epochs - 7.5 / 9) < 1e-9);  /* sampled */
    assert_true(fabs(plan.rows[1].epochs - 3.125) < 1e-9);    /* 3.75T of 1.2T */
    assert_true(fabs(plan.rows[2].epochs - 2.55) < 1e-9);
    assert_true(fabs(plan.rows[3].epochs - 0.6) < 1e-9);
    assert_int_equal(plan.warnings, 0);
    wn_mix_plan_release(&plan);
    wn_mix_config_release(&c);
}

static void test_cap_and_redistribute(void **state)
{
    (void)state;
    wn_mix_config c;
    wn_mix_plan plan;
    /* math wants 40 of 10 tokens but may repeat only twice: 20 more go to the others in
     * proportion to their weights (web 0.5, code 0.1 -> 5:1) */
    assert_int_equal(paper_plan("budget: 100\nsources:\n"
        "  - {name: web, tokens: 1000, weight: 0.5}\n"
        "  - {name: math, tokens: 10, weight: 0.4, max_epochs: 2, min_share: 0.3}\n"
        "  - {name: code, tokens: 100, weight: 0.1}\n", &c, &plan), 0);
    assert_true(plan.rows[1].capped);
    assert_int_equal(plan.rows[1].tokens_taken, 20);
    assert_true(llabs((long long)plan.rows[0].tokens_taken - 67) <= 1); /* 50 + 20*5/6 */
    assert_true(llabs((long long)plan.rows[2].tokens_taken - 13) <= 1); /* 10 + 20/6 */
    assert_int_equal(plan.warnings, 2); /* capped, and below min_share */
    wn_mix_plan_release(&plan);
    wn_mix_config_release(&c);
    /* no budget: the largest at exact weights within the limits (code: 100/0.5 = 200) */
    assert_int_equal(paper_plan("sources:\n"
        "  - {name: web, tokens: 1000, weight: 0.5}\n"
        "  - {name: code, tokens: 100, weight: 0.5}\n", &c, &plan), 0);
    assert_int_equal(plan.budget, 200);
    assert_int_equal(plan.rows[1].tokens_taken, 100);
    wn_mix_plan_release(&plan);
    wn_mix_config_release(&c);
}

static void test_counts_sizes_paths(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(wn_y_parse_count("15T", &v), 0);
    assert_int_equal(v, 15000000000000ull);
    assert_int_equal(wn_y_parse_count("2.5B", &v), 0);
    assert_int_equal(v, 2500000000ull);
    assert_int_equal(wn_y_parse_count("40M", &v), 0);
    assert_int_equal(v, 40000000ull);
    assert_int_equal(wn_y_parse_count("1000", &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(wn_y_parse_count("1.5", &v), -1);   /* not a whole count */
    assert_int_equal(wn_y_parse_count("-3K", &v), -1);
    assert_int_equal(wn_y_parse_count("3X", &v), -1);
    assert_int_equal(wn_y_parse_bytes("64K", &v), 0);
    assert_int_equal(v, 65536);
    assert_int_equal(wn_y_parse_bytes("1G", &v), 0);
    assert_int_equal(v, 1073741824ull);
    char *path = write_config("r.yaml", "a: 1\n");
    wn_ydoc *d = wn_ydoc_load(path);
    assert_non_null(d);
    char *r = wn_y_resolve(d, "../x/./y");
    char want[1300];
    const char *slash = strrchr(tmpdir, '/');
    snprintf(want, sizeof want, "%.*s/x/y", (int)(slash - tmpdir), tmpdir);
    assert_string_equal(r, want);
    free(r);
    r = wn_y_resolve(d, "/abs/../p");
    assert_string_equal(r, "/p");
    free(r);
    wn_ydoc_free(d);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_sizes_paths),
        cmocka_unit_test(test_plan_phases_and_tasks),
        cmocka_unit_test(test_config_errors_name_key_and_line),
        cmocka_unit_test(test_llama3_on_paper),
        cmocka_unit_test(test_cap_and_redistribute),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
