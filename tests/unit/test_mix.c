/* test_mix.c: the mix's Megatron output read back by an independent reader written from
 * ../shared/FORMATS.md (a) (plain fread and little-endian decoding, no winnow code), on
 * real tokenized text (tests/data/mix, Llama 3 ids from the HF tokenizer, written by a
 * separate Python writer: tools/make-mix-fixtures.py).
 *
 * Checked: the format byte for byte on the spec's worked example; the reader against the
 * Python-written files; tokens per source (an integer-epoch mix must contain every source
 * token exactly epochs times); document boundaries (every recorded boundary is a document
 * start, BOS 128000, and every BOS is at a recorded boundary); same seed -> identical
 * bytes, other seed -> different bytes; the size cap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "mix/megatron.h"
#include "mix/mix.h"
#include "pipeline/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOS 128000u
#define VOCAB 128256u

/* ---- independent reader (FORMATS.md (a)) ---- */

typedef struct ind_ds {
    int dtype;
    uint64_t s, d;
    uint32_t *lens;
    uint64_t *ptrs, *docs;
    uint32_t *tokens; /* decoded .bin */
    uint64_t n_tokens;
} ind_ds;

static uint64_t rd(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n + 1);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void ind_read(ind_ds *ds, const char *prefix)
{
    char path[1024];
    size_t n, nb;
    snprintf(path, sizeof path, "%s.idx", prefix);
    unsigned char *idx = slurp(path, &n);
    assert_true(n >= 34);
    assert_memory_equal(idx, "MMIDIDX\0\0", 9);
    assert_int_equal(rd(idx + 9, 8), 1);
    ds->dtype = idx[17];
    ds->s = rd(idx + 18, 8);
    ds->d = rd(idx + 26, 8);
    assert_int_equal(n, 34 + 12 * ds->s + 8 * ds->d);
    int item = ds->dtype == 4 ? 4 : ds->dtype == 8 ? 2 : 0;
    assert_true(item > 0);
    ds->lens = calloc(ds->s + 1, sizeof *ds->lens);
    ds->ptrs = calloc(ds->s + 1, sizeof *ds->ptrs);
    ds->docs = calloc(ds->d, sizeof *ds->docs);
    for (uint64_t i = 0; i < ds->s; i++) {
        ds->lens[i] = (uint32_t)rd(idx + 34 + 4 * i, 4);
        ds->ptrs[i] = rd(idx + 34 + 4 * ds->s + 8 * i, 8);
    }
    for (uint64_t i = 0; i < ds->d; i++)
        ds->docs[i] = rd(idx + 34 + 12 * ds->s + 8 * i, 8);
    free(idx);
    snprintf(path, sizeof path, "%s.bin", prefix);
    unsigned char *bin = slurp(path, &nb);
    uint64_t at = 0;
    for (uint64_t i = 0; i < ds->s; i++) {
        assert_int_equal(ds->ptrs[i], at);
        at += (uint64_t)ds->lens[i] * item;
    }
    assert_int_equal(at, nb);
    assert_int_equal(ds->docs[0], 0);
    assert_int_equal(ds->docs[ds->d - 1], ds->s);
    for (uint64_t i = 1; i < ds->d; i++)
        assert_true(ds->docs[i] >= ds->docs[i - 1]);
    ds->n_tokens = nb / item;
    ds->tokens = malloc((ds->n_tokens + 1) * sizeof *ds->tokens);
    for (uint64_t i = 0; i < ds->n_tokens; i++)
        ds->tokens[i] = (uint32_t)rd(bin + i * item, item);
    free(bin);
}

static void ind_free(ind_ds *ds)
{
    free(ds->lens);
    free(ds->ptrs);
    free(ds->docs);
    free(ds->tokens);
    memset(ds, 0, sizeof *ds);
}

/* ---- helpers ---- */

static char root[1024];   /* repository root, from this file's path */
static char tmpdir[1024];

static int setup(void **state)
{
    (void)state;
    /* tests/run-unit.sh runs from the repository root; __FILE__ is relative to it unless
     * the build used absolute paths. Configs need absolute paths (they resolve relative
     * ones against their own directory). */
    const char *f = __FILE__, *cut = strstr(f, "tests/unit/");
    if (f[0] == '/' && cut) {
        snprintf(root, sizeof root, "%.*s", (int)(cut - f), f);
    } else {
        char cwd[900];
        assert_non_null(getcwd(cwd, sizeof cwd));
        snprintf(root, sizeof root, "%s/", cwd);
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/winnow-test-mix-XXXXXX");
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

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Token histogram of the fixture source `name` (each token counted once). */
static uint64_t *source_hist(const char *name, uint64_t *total)
{
    char prefix[1200];
    snprintf(prefix, sizeof prefix, "%stests/data/mix/%s", root, name);
    ind_ds ds = {0};
    ind_read(&ds, prefix);
    uint64_t *h = calloc(VOCAB, sizeof *h);
    for (uint64_t i = 0; i < ds.n_tokens; i++)
        h[ds.tokens[i]]++;
    *total = ds.n_tokens;
    ind_free(&ds);
    return h;
}

/* Loads a mix config written to tmpdir/name and executes it into tmpdir/outdir. */
static int run_mix(const char *name, const char *yaml, const char *outdir)
{
    char path[1200], out[1200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    snprintf(out, sizeof out, "%s/%s", tmpdir, outdir);
    write_text(path, yaml);
    wn_ydoc *d = wn_ydoc_load(path);
    assert_non_null(d);
    wn_mix_config c;
    bool ok = wn_mix_config_parse(&c, d, d->root, "", NULL, 0);
    int rc = ok && wn_mix_count_sources(&c, true) == 0 ? wn_mix_execute(&c, out, true, true) : -1;
    wn_mix_config_release(&c);
    wn_ydoc_free(d);
    return rc;
}

static bool files_equal(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
    bool eq = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return eq;
}

/* ---- tests ---- */

/* FORMATS.md (a) worked example: docs [10,11,12] and [13,14], int32 -> 20 + 82 bytes. */
static void test_writer_worked_example(void **state)
{
    (void)state;
    char prefix[1200], err[256];
    snprintf(prefix, sizeof prefix, "%s/example", tmpdir);
    wn_mg_writer *w = wn_mg_writer_open(prefix, WN_MG_INT32, err, sizeof err);
    assert_non_null(w);
    uint32_t a[] = {10, 11, 12}, b[] = {13, 14};
    assert_int_equal(wn_mg_add_sequence(w, a, 3), 0);
    wn_mg_end_document(w);
    assert_int_equal(wn_mg_add_sequence(w, b, 2), 0);
    wn_mg_end_document(w);
    assert_int_equal(wn_mg_writer_commit(w, err, sizeof err), 0);
    static const unsigned char want[82] = {
        0x4d, 0x4d, 0x49, 0x44, 0x49, 0x44, 0x58, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 4,
        2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0};
    char path[1300];
    size_t n;
    snprintf(path, sizeof path, "%s.idx", prefix);
    unsigned char *idx = slurp(path, &n);
    assert_int_equal(n, 82);
    assert_memory_equal(idx, want, 82);
    free(idx);
    snprintf(path, sizeof path, "%s.bin", prefix);
    unsigned char *bin = slurp(path, &n);
    assert_int_equal(n, 20);
    assert_int_equal(rd(bin + 16, 4), 14);
    free(bin);
}

/* uint16 (vocabularies under 65500): ids that do not fit are refused, the rest round-trip. */
static void test_writer_uint16(void **state)
{
    (void)state;
    char prefix[1200], err[256];
    snprintf(prefix, sizeof prefix, "%s/u16", tmpdir);
    assert_int_equal(wn_mg_optimal_dtype(50257), WN_MG_UINT16);
    assert_int_equal(wn_mg_optimal_dtype(128256), WN_MG_INT32);
    wn_mg_writer *w = wn_mg_writer_open(prefix, WN_MG_UINT16, err, sizeof err);
    assert_non_null(w);
    uint32_t ok[] = {50256, 0, 65535}, big[] = {70000};
    assert_int_equal(wn_mg_add_sequence(w, ok, 3), 0);
    assert_int_equal(wn_mg_add_sequence(w, big, 1), -1);
    wn_mg_end_document(w);
    assert_int_equal(wn_mg_writer_commit(w, err, sizeof err), 0);
    ind_ds ds = {0};
    ind_read(&ds, prefix);
    assert_int_equal(ds.dtype, 8);
    assert_int_equal(ds.n_tokens, 3);
    assert_int_equal(ds.tokens[0], 50256);
    assert_int_equal(ds.tokens[2], 65535);
    ind_free(&ds);
    wn_mg_reader r;
    assert_int_equal(wn_mg_open(&r, prefix, err, sizeof err), 0);
    uint32_t back[3];
    wn_mg_doc_copy(&r, 0, back);
    assert_memory_equal(back, ok, sizeof ok);
    wn_mg_close(&r);
}

/* The reader agrees with the independent one on files another program wrote. */
static void test_reader_on_python_fixtures(void **state)
{
    (void)state;
    static const char *names[] = {"web", "code", "multilingual"};
    for (int k = 0; k < 3; k++) {
        char prefix[1200], err[256];
        snprintf(prefix, sizeof prefix, "%stests/data/mix/%s", root, names[k]);
        wn_mg_reader r;
        assert_int_equal(wn_mg_open(&r, prefix, err, sizeof err), 0);
        ind_ds ds = {0};
        ind_read(&ds, prefix);
        assert_int_equal(r.dtype, ds.dtype);
        assert_int_equal(r.n_docs, ds.d - 1);
        assert_int_equal(r.n_tokens, ds.n_tokens);
        uint32_t *buf = malloc(r.n_tokens * sizeof *buf + 4);
        for (uint64_t doc = 0; doc < r.n_docs; doc++) {
            uint64_t n = wn_mg_doc_tokens(&r, doc);
            wn_mg_doc_copy(&r, doc, buf);
            uint64_t start = ds.ptrs[ds.docs[doc]] / 4;
            assert_memory_equal(buf, ds.tokens + start, n * sizeof *buf);
            assert_int_equal(buf[0], BOS);
        }
        free(buf);
        ind_free(&ds);
        wn_mg_close(&r);
    }
}

/* Broken indexes are refused with the file named. */
static void test_reader_rejects_bad_index(void **state)
{
    (void)state;
    char prefix[1200], path[1300], cmd[6000], err[512];
    snprintf(prefix, sizeof prefix, "%s/bad", tmpdir);
    snprintf(cmd, sizeof cmd, "cp '%stests/data/mix/web.bin' '%s.bin' && head -c 100 "
             "'%stests/data/mix/web.idx' > '%s.idx'", root, prefix, root, prefix);
    assert_int_equal(system(cmd), 0);
    wn_mg_reader r;
    assert_int_equal(wn_mg_open(&r, prefix, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad.idx"));
    assert_non_null(strstr(err, "size"));
    snprintf(path, sizeof path, "%s.idx", prefix);
    write_text(path, "NOTANIDX-and-some-more-bytes-to-pass-the-header-size");
    assert_int_equal(wn_mg_open(&r, prefix, err, sizeof err), -1);
    assert_non_null(strstr(err, "magic"));
    /* a .bin shorter than the index says */
    snprintf(cmd, sizeof cmd, "cp '%stests/data/mix/web.idx' '%s.idx' && truncate -s 1000 "
             "'%s.bin'", root, prefix, prefix);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(wn_mg_open(&r, prefix, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad.bin"));
}

static char *mix_yaml(uint64_t seed, double val_fraction)
{
    uint64_t tw, tc, tm;
    free(source_hist("web", &tw));
    free(source_hist("code", &tc));
    free(source_hist("multilingual", &tm));
    /* web twice, code and multilingual once: every weight is its exact token share */
    double budget = 2.0 * tw + tc + tm;
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "seed: %llu\nsequence_length: 512\nval_fraction: %g\nkeep_remainder: true\n"
                   "max_shard_size: 64K\nbudget: %.0f\n"
                   "sources:\n"
                   "  - {name: web, path: %stests/data/mix/web, weight: %.17g, max_epochs: 2}\n"
                   "  - {name: code, path: %stests/data/mix/code, weight: %.17g}\n"
                   "  - {name: multilingual, path: %stests/data/mix/multilingual, weight: %.17g}\n",
                   (unsigned long long)seed, val_fraction, budget, root, 2.0 * tw / budget, root,
                   tc / budget, root, tm / budget);
    return wn_buf_detach(&b, NULL);
}

/* Integer epochs: the output holds every source token exactly epochs times; boundaries are
 * the documents'; samples are sequence_length long; shards respect the cap. */
static void test_mix_tokens_and_boundaries(void **state)
{
    (void)state;
    char *yaml = mix_yaml(7, 0);
    assert_int_equal(run_mix("m1.yaml", yaml, "m1"), 0);
    free(yaml);
    uint64_t tw, tc, tm;
    uint64_t *hw = source_hist("web", &tw), *hc = source_hist("code", &tc),
             *hm = source_hist("multilingual", &tm);
    uint64_t *got = calloc(VOCAB, sizeof *got), total = 0, bos_seen = 0, boundaries = 0;
    for (unsigned shard = 0;; shard++) {
        char prefix[1300], path[1400];
        snprintf(prefix, sizeof prefix, "%s/m1/train-%05u", tmpdir, shard);
        snprintf(path, sizeof path, "%s.bin", prefix);
        struct stat st;
        if (stat(path, &st) != 0)
            break;
        assert_true(st.st_size <= 64 * 1024);
        ind_ds ds = {0};
        ind_read(&ds, prefix);
        assert_int_equal(ds.dtype, 4);
        for (uint64_t doc = 0; doc + 1 < ds.d; doc++) {
            uint64_t sample = 0;
            for (uint64_t s = ds.docs[doc]; s < ds.docs[doc + 1]; s++) {
                assert_true(ds.lens[s] > 0);
                const uint32_t *t = ds.tokens + ds.ptrs[s] / 4;
                /* a piece starts a document, or continues one at the top of a sample */
                assert_true(t[0] == BOS || s == ds.docs[doc]);
                boundaries += t[0] == BOS;
                for (uint32_t k = 1; k < ds.lens[s]; k++)
                    assert_int_not_equal(t[k], BOS); /* no boundary left unrecorded */
                sample += ds.lens[s];
            }
            assert_true(sample == 512 || (doc + 2 == ds.d)); /* only the very last is short */
        }
        for (uint64_t i = 0; i < ds.n_tokens; i++) {
            got[ds.tokens[i]]++;
            bos_seen += ds.tokens[i] == BOS;
        }
        total += ds.n_tokens;
        ind_free(&ds);
    }
    assert_int_equal(total, 2 * tw + tc + tm);
    assert_int_equal(boundaries, bos_seen);
    for (uint32_t id = 0; id < VOCAB; id++)
        if (got[id] != 2 * hw[id] + hc[id] + hm[id])
            fail_msg("token %u: %llu in the mix, expected %llu", id,
                     (unsigned long long)got[id],
                     (unsigned long long)(2 * hw[id] + hc[id] + hm[id]));
    free(got);
    free(hw);
    free(hc);
    free(hm);
}

/* Same seed: identical bytes; another seed: different order. A validation split is on,
 * so the hashed document split is covered too. */
static void test_mix_deterministic(void **state)
{
    (void)state;
    char *a = mix_yaml(11, 0.05), *b = mix_yaml(12, 0.05);
    assert_int_equal(run_mix("d1.yaml", a, "d1"), 0);
    assert_int_equal(run_mix("d2.yaml", a, "d2"), 0);
    assert_int_equal(run_mix("d3.yaml", b, "d3"), 0);
    free(a);
    free(b);
    static const char *files[] = {"train-00000.bin", "train-00000.idx", "train-00001.bin",
                                  "val-00000.bin", "val-00000.idx"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char x[1300], y[1300], z[1300];
        snprintf(x, sizeof x, "%s/d1/%s", tmpdir, files[i]);
        snprintf(y, sizeof y, "%s/d2/%s", tmpdir, files[i]);
        snprintf(z, sizeof z, "%s/d3/%s", tmpdir, files[i]);
        assert_true(files_equal(x, y));
        if (strstr(files[i], ".bin"))
            assert_false(files_equal(x, z));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_worked_example),
        cmocka_unit_test(test_writer_uint16),
        cmocka_unit_test(test_reader_on_python_fixtures),
        cmocka_unit_test(test_reader_rejects_bad_index),
        cmocka_unit_test(test_mix_tokens_and_boundaries),
        cmocka_unit_test(test_mix_deterministic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
