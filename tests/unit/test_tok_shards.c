/* test_tok_shards.c: the shard writers against the byte-level examples of
 * ../shared/FORMATS.md: Megatron (a), llm.c (b), datatrove (c); masks and packing layout. */
#include "tests/unit/tok_test_util.h"
#include "tokenize/shard_writer.h"

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = malloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

static void assert_file(const char *dir, const char *name, const void *want, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    unsigned char *got = read_all(path, &len);
    assert_int_equal(len, n);
    assert_memory_equal(got, want, n);
    free(got);
}

static const wn_tok_id doc_a[] = { 10, 11, 12 }, doc_b[] = { 13, 14 };

static void write_two_docs(const char *dir, wn_shards_format format, uint64_t shard_tokens)
{
    assert_non_null(dir);
    char prefix[512], err[256];
    snprintf(prefix, sizeof prefix, "%s/x", dir);
    wn_shards_opts o = { .format = format, .prefix = prefix, .shard_tokens = shard_tokens,
                         .tokenizer_name = "meta-llama/Meta-Llama-3-8B" };
    wn_shards *w = wn_shards_open(&o, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(wn_shards_add(w, doc_a, 3, NULL, NULL, 0, err, sizeof err), 0);
    assert_int_equal(wn_shards_add(w, doc_b, 2, NULL, NULL, 0, err, sizeof err), 0);
    assert_int_equal(wn_shards_tokens(w), 5);
    tok_shards_commit_ok(w);
}

/* FORMATS.md (a) worked example: the .idx Megatron's builder writes for these two docs. */
static void test_megatron_worked_example(void **state)
{
    char *dir = tmpdir_new();
    write_two_docs(dir, WN_SHARDS_MEGATRON, 0);
    static const unsigned char bin[] = { 10, 0, 0, 0, 11, 0, 0, 0, 12, 0, 0, 0, 13, 0, 0, 0,
                                         14, 0, 0, 0 };
    assert_file(dir, "x.bin", bin, sizeof bin);
    static const unsigned char idx[82] = {
        'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0, /* magic */
        1, 0, 0, 0, 0, 0, 0, 0,                  /* version */
        4,                                       /* int32 */
        2, 0, 0, 0, 0, 0, 0, 0,                  /* sequences */
        3, 0, 0, 0, 0, 0, 0, 0,                  /* document_indices entries */
        3, 0, 0, 0, 2, 0, 0, 0,                  /* lengths */
        0, 0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, /* byte pointers */
        0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
    };
    assert_file(dir, "x.idx", idx, sizeof idx);
    tmpdir_remove(dir);
}

/* FORMATS.md (b): 1024-byte header {20240801, 7, ntok}, uint32 tokens; documents continue
 * into the next shard when one fills. */
static void test_llmc_shards(void **state)
{
    char *dir = tmpdir_new();
    write_two_docs(dir, WN_SHARDS_LLMC, 4);
    unsigned char want0[1024 + 16] = { 0xa1, 0xd9, 0x34, 0x01, 7, 0, 0, 0, 4, 0, 0, 0 };
    const unsigned char toks0[] = { 10, 0, 0, 0, 11, 0, 0, 0, 12, 0, 0, 0, 13, 0, 0, 0 };
    memcpy(want0 + 1024, toks0, sizeof toks0);
    assert_file(dir, "x_000000.bin", want0, sizeof want0);
    unsigned char want1[1024 + 4] = { 0xa1, 0xd9, 0x34, 0x01, 7, 0, 0, 0, 1, 0, 0, 0 };
    want1[1024] = 14;
    assert_file(dir, "x_000001.bin", want1, sizeof want1);
    tmpdir_remove(dir);
}

/* FORMATS.md (c): uint32 tokens, cumulative uint64 ends, three-line metadata. */
static void test_datatrove(void **state)
{
    char *dir = tmpdir_new();
    if (!dir)
        fail();
    else
        write_two_docs(dir, WN_SHARDS_DATATROVE, 0);
    static const unsigned char index[] = { 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0 };
    assert_file(dir, "x.ds.index", index, sizeof index);
    static const char meta[] = "meta-llama/Meta-Llama-3-8B|4\n5\n5.00 T";
    assert_file(dir, "x.ds.metadata", meta, sizeof meta - 1);
    char path[512];
    snprintf(path, sizeof path, "%s/x.ds", dir ? dir : "");
    size_t len;
    free(read_all(path, &len));
    assert_int_equal(len, 20);
    tmpdir_remove(dir);
}

/* A packed document: two conversations and padding as three sequences of one document,
 * with the mask in a uint8 indexed dataset beside. */
static void test_megatron_packed_with_mask(void **state)
{
    char *dir = tmpdir_new(), prefix[512], err[256];
    assert_non_null(dir);
    snprintf(prefix, sizeof prefix, "%s/p", dir);
    wn_shards_opts o = { .format = WN_SHARDS_MEGATRON, .prefix = prefix, .with_mask = true };
    wn_shards *w = wn_shards_open(&o, err, sizeof err);
    assert_non_null(w);
    const wn_tok_id ids[] = { 1, 2, 3, 4, 9, 9 };
    const uint8_t mask[] = { 0, 1, 0, 1, 0, 0 };
    const size_t seqs[] = { 2, 2, 2 };
    assert_int_equal(wn_shards_add(w, ids, 6, mask, seqs, 3, err, sizeof err), 0);
    assert_int_equal(tok_shards_commit_ok(w), 4);
    assert_file(dir, "p_mask.bin", mask, sizeof mask);
    snprintf(prefix, sizeof prefix, "%s/p_mask.idx", dir);
    size_t len;
    unsigned char *idx = read_all(prefix, &len);
    assert_int_equal(len, 34 + 12 * 3 + 8 * 2);
    assert_int_equal(idx[17], 1); /* uint8 */
    assert_int_equal(idx[34 + 12 + 8], 2); /* second pointer: 2 bytes */
    free(idx);
    tmpdir_remove(dir);
}

static void test_bad_prefix(void **state)
{
    char err[256] = "";
    wn_shards_opts o = { .format = WN_SHARDS_MEGATRON, .prefix = "/nonexistent-dir/x" };
    assert_null(wn_shards_open(&o, err, sizeof err));
    assert_non_null(strstr(err, "cannot create '/nonexistent-dir/x.bin"));
    wn_shards_format f;
    assert_int_equal(wn_shards_parse_format("llmc", &f), 0);
    assert_int_equal(f, WN_SHARDS_LLMC);
    assert_int_equal(wn_shards_parse_format("parquet", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_megatron_worked_example),
        cmocka_unit_test(test_llmc_shards),
        cmocka_unit_test(test_datatrove),
        cmocka_unit_test(test_megatron_packed_with_mask),
        cmocka_unit_test(test_bad_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
