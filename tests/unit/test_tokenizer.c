/* test_tokenizer.c: exactness of the Llama 3 tokenizer against the references in
 * ../shared/data/tokenizer (Hugging Face golden ids, llama.cpp's vocabulary test, Meta's
 * test vectors), round trips, invalid UTF-8, special tokens, linear cost, thread safety. */
#include "tokenize/bpe_small.h"
#include "tokenize/bpe_vec.h"
#include "tokenize/pretok.h"
#include "tokenize/split.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tokenizer.h"
#include "tests/unit/tok_test_util.h"

#include <ctype.h>
#include <jansson.h>
#include <omp.h>
#include <pthread.h>
#include <unicode/uchar.h>
#include <zlib.h>

static wn_tok *g_tok;

static int setup(void **state)
{
    g_tok = tok_load_repo();
    return g_tok ? 0 : -1;
}

static int teardown(void **state)
{
    wn_tok_free(g_tok);
    return 0;
}

static void assert_ids(const wn_tok *t, const char *text, size_t len, const wn_tok_id *want,
                       size_t n_want)
{
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_tok_encode(t, text, len, 0, &ids);
    assert_int_equal(ids.len, n_want);
    for (size_t i = 0; i < n_want; i++)
        assert_int_equal(ids.ids[i], want[i]);
    assert_int_equal(wn_tok_count(t, text, len, 0), n_want);
    wn_tok_ids_release(&ids);
}

static void assert_round_trip(const wn_tok *t, const char *text, size_t len)
{
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_buf out = WN_BUF_INIT;
    wn_tok_encode(t, text, len, 0, &ids);
    assert_int_equal(wn_tok_decode(t, ids.ids, ids.len, &out, NULL), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data ? out.data : "", text, len);
    wn_buf_release(&out);
    wn_tok_ids_release(&ids);
}

/* Every line of golden.jsonl: ids from the official HF binding, then decode round trip. */
static void check_golden(const wn_tok *t)
{
    char path[512];
    SHARED_OR_SKIP(path, "tokenizer/golden.jsonl");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0, n_cases = 0;
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    while (getline(&line, &cap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        assert_non_null(j);
        json_t *text = json_object_get(j, "text"), *want = json_object_get(j, "ids");
        const char *s = json_string_value(text);
        size_t len = json_string_length(text);
        ids.len = 0;
        wn_tok_encode(t, s, len, 0, &ids);
        if (ids.len != json_array_size(want))
            fail_msg("golden line %zu: %zu ids, want %zu", n_cases + 1, ids.len,
                     json_array_size(want));
        for (size_t i = 0; i < ids.len; i++)
            if ((json_int_t)ids.ids[i] != json_integer_value(json_array_get(want, i)))
                fail_msg("golden line %zu: id %zu differs", n_cases + 1, i);
        assert_round_trip(t, s, len);
        json_decref(j);
        n_cases++;
    }
    assert_int_equal(n_cases, 1189);
    free(line);
    fclose(f);
    wn_tok_ids_release(&ids);
}

/* Twice: from an empty piece cache, then with every piece that needed merging cached from
 * the first pass, so both the merging and the cache must give the golden ids. */
static void test_golden_tiktoken(void **state)
{
    wn_tok_cache_clear();
    check_golden(g_tok);
    check_golden(g_tok);
}

/* The encoder's loop as it runs without AVX2 (encode.c's encode_plain_matcher: every
 * piece cut by the matcher, texts of 64 bytes and more too), from an empty cache and warm. */
/* The classes test_golden_without_avx2 swaps in, and those it swapped out, which its
 * teardown puts back: cmocka leaves a test by longjmp when an assertion fails or the shared
 * data is missing, and a pointer to the test's own stack left in g_tok sent every later
 * test's cutter into garbage (an endless loop, seen when a golden case failed). */
static wn_tok_classes g_classes_without_avx2;
static const wn_tok_classes *g_classes_saved;

static int restore_classes(void **state)
{
    (void)state;
    if (g_classes_saved)
        g_tok->cls = g_classes_saved;
    g_classes_saved = NULL;
    return 0;
}

static void test_golden_without_avx2(void **state)
{
    (void)state;
    g_classes_saved = g_tok->cls;
    g_classes_without_avx2 = *g_classes_saved;
    g_classes_without_avx2.avx2 = false;
    g_tok->cls = &g_classes_without_avx2;
    wn_tok_cache_clear();
    check_golden(g_tok);
    check_golden(g_tok);
}

static void test_golden_tokenizer_json(void **state)
{
    char path[512], err[256];
    SHARED_OR_SKIP(path, "tokenizer/tokenizer.json");
    wn_tok *t = wn_tok_load(path, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(wn_tok_vocab_size(t), 128256);
    assert_int_equal(wn_tok_special(t, "<|eot_id|>"), 128009);
    check_golden(t);
    wn_tok_free(t);

    /* A tokenizer.json that asks for other BPE rules is refused, not misread. */
    size_t len = 0;
    char *json = tok_slurp(path, &len);
    assert_non_null(json);
    char *at = strstr(json, "\"ignore_merges\": true");
    assert_non_null(at);
    memcpy(at + strlen("\"ignore_merges\": "), "1   ", 4); /* 1 is not true */
    char tmp[] = "/tmp/wn_tok_jsonXXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, len), (ssize_t)len);
    close(fd);
    assert_null(wn_tok_load(tmp, err, sizeof err));
    assert_non_null(strstr(err, "ignore_merges"));
    unlink(tmp);
    free(json);
}

/* tokenizer.json's text with its model.merges changed by `change`; NULL for the file as is
 * but with each merge written as [left, right] (the newer Hugging Face form). */
typedef void merges_change(json_t *merges);

static wn_tok *load_changed_json(const char *path, merges_change *change, char *err,
                                 size_t errlen)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    json_t *merges = json_object_get(json_object_get(root, "model"), "merges");
    assert_true(json_array_size(merges) > 1000);
    if (change) {
        change(merges);
    } else {
        for (size_t i = 0; i < json_array_size(merges); i++) {
            const char *m = json_string_value(json_array_get(merges, i));
            const char *space = strchr(m, ' ');
            json_array_set_new(merges, i,
                               json_pack("[s#s]", m, (int)(space - m), space + 1));
        }
    }
    char *text = json_dumps(root, JSON_COMPACT);
    assert_non_null(text);
    json_decref(root);
    wn_tok *t = wn_tok_parse_json(text, strlen(text), "changed.json", err, errlen);
    free(text);
    return t;
}

/* merges 0 and 1000 change places: merge 1 then makes a lower token than merge 0 */
static void merges_swapped(json_t *merges)
{
    json_t *first = json_incref(json_array_get(merges, 0));
    json_array_set(merges, 0, json_array_get(merges, 1000));
    json_array_set_new(merges, 1000, first);
}

/* every merge making " the" (Ġthe) gone, its last merge too */
static void merges_without_the(json_t *merges)
{
    size_t removed = 0;
    for (size_t i = json_array_size(merges); i-- > 0;) {
        const char *m = json_string_value(json_array_get(merges, i));
        char joined[64];
        const char *space = strchr(m, ' ');
        snprintf(joined, sizeof joined, "%.*s%s", (int)(space - m), m, space + 1);
        if (strcmp(joined, "\xc4\xa0the") == 0) {
            json_array_remove(merges, i);
            removed++;
        }
    }
    assert_true(removed >= 1);
}

static void merges_not_tokens(json_t *merges)
{
    json_array_set_new(merges, 5, json_string("qzqzqz xjxjxj"));
}

/* Hugging Face merges by model.merges, winnow by the vocabulary's order: a tokenizer.json
 * whose merges ask for another BPE is refused, not misread; the [left, right] form loads. */
static void test_tokenizer_json_merges(void **state)
{
    char path[512], err[512];
    SHARED_OR_SKIP(path, "tokenizer/tokenizer.json");
    wn_tok *t = load_changed_json(path, NULL, err, sizeof err);
    assert_non_null(t);
    const char *s = "The merges of a tokenizer.json, as [left, right] pairs: ça marche.";
    wn_tok_ids got = WN_TOK_IDS_INIT, want = WN_TOK_IDS_INIT;
    wn_tok_encode(t, s, strlen(s), 0, &got);
    wn_tok_encode(g_tok, s, strlen(s), 0, &want);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.ids, want.ids, got.len * sizeof *got.ids);
    wn_tok_ids_release(&got);
    wn_tok_ids_release(&want);
    wn_tok_free(t);

    assert_null(load_changed_json(path, merges_swapped, err, sizeof err));
    assert_non_null(strstr(err, "model.merges[1] makes token"));
    assert_non_null(strstr(err, "in the order of the tokens they make"));
    assert_null(load_changed_json(path, merges_without_the, err, sizeof err));
    assert_non_null(strstr(err, "token 279 is made by merging"));
    assert_non_null(strstr(err, "does not list"));
    assert_null(load_changed_json(path, merges_not_tokens, err, sizeof err));
    assert_non_null(strstr(err, "model.merges[5] is not two tokens"));
}

/* llama.cpp's test: inputs separated by "\n__ggml_vocab_test__\n", one line of ids each. */
static void test_llamacpp_vocab(void **state)
{
    char pin[512], pout[512];
    SHARED_OR_SKIP(pin, "tokenizer/llamacpp-ggml-vocab-llama-bpe.gguf.inp");
    SHARED_OR_SKIP(pout, "tokenizer/llamacpp-ggml-vocab-llama-bpe.gguf.out");
    size_t nin, nout;
    char *in = tok_slurp(pin, &nin), *out = tok_slurp(pout, &nout);
    assert_non_null(in);
    assert_non_null(out);
    const char *sep = "\n__ggml_vocab_test__\n";
    char *p = in, *o = out;
    size_t n_cases = 0;
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_buf got = WN_BUF_INIT;
    char *e;
    while ((e = strstr(p, sep)) != NULL) {
        char *oe = strchr(o, '\n');
        assert_non_null(oe);
        ids.len = 0;
        wn_tok_encode(g_tok, p, (size_t)(e - p), 0, &ids);
        wn_buf_reset(&got);
        for (size_t i = 0; i < ids.len; i++)
            wn_buf_appendf(&got, " %u", ids.ids[i]);
        if (got.len != (size_t)(oe - o) || memcmp(got.data ? got.data : "", o, got.len) != 0)
            fail_msg("llama.cpp case %zu: got '%s' want '%.*s'", n_cases + 1,
                     got.data ? got.data : "", (int)(oe - o), o);
        assert_round_trip(g_tok, p, (size_t)(e - p));
        p = e + strlen(sep);
        o = oe + 1;
        n_cases++;
    }
    assert_int_equal(n_cases, 46);
    wn_buf_release(&got);
    wn_tok_ids_release(&ids);
    free(in);
    free(out);
}

/* meta-llama/llama3 llama/test_tokenizer.py */
static void test_meta_vectors(void **state)
{
    const char *s = "This is a test sentence.";
    assert_ids(g_tok, s, strlen(s), (const wn_tok_id[]){ 2028, 374, 264, 1296, 11914, 13 }, 6);
    assert_ids(g_tok, "\n\n", 2, (const wn_tok_id[]){ 271 }, 1);
    assert_ids(g_tok, "user", 4, (const wn_tok_id[]){ 882 }, 1);
    assert_ids(g_tok, "system", 6, (const wn_tok_id[]){ 9125 }, 1);
    assert_ids(g_tok, "assistant", 9, (const wn_tok_id[]){ 78191 }, 1);
    assert_ids(g_tok, "", 0, NULL, 0);
    assert_int_equal(wn_tok_bos(g_tok), 128000);
    assert_int_equal(wn_tok_eos(g_tok), 128001);
}

/* Invalid UTF-8 (documented in tokenizer.h): every ill-formed byte is one "other"
 * character for the pre-tokenizer and keeps its byte, so the round trip is exact. */
static void test_invalid_utf8(void **state)
{
    assert_int_equal(wn_tok_count(g_tok, "\x80", 1, 0), 1);
    /* An ill-formed byte before a word acts like punctuation ("!abc" is one piece too):
     * the piece "\xff" "abc" has no token, and no token holds the byte 0xff, so BPE gives
     * the byte's token followed by "abc". */
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    wn_tok_encode(g_tok, "\xff", 1, 0, &b);
    wn_tok_encode(g_tok, "abc", 3, 0, &b);
    assert_int_equal(b.len, 2);
    wn_tok_encode(g_tok, "\xff" "abc", 4, 0, &a);
    assert_int_equal(a.len, 2);
    assert_memory_equal(a.ids, b.ids, 2 * sizeof *a.ids);
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
    static const char *const cases[] = {
        "\xff", "\xc0\xaf", "\xed\xa0\x80 surrogate", "caf\xe9 latin-1", "\xe2\x82",
        "trunc\xf0\x9f\x98", "\xf4\x90\x80\x80 above max", "ok \xe2\x82\xac then \x80\x80\x80",
        "  \xa0\xa0  \n\xfe", "'\xc5\xbf \xc5", "\x01\x02\x00\x7f",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_round_trip(g_tok, cases[i], strlen(cases[i]));
    assert_round_trip(g_tok, "a\0b", 3);
}

static void test_special_tokens(void **state)
{
    assert_int_equal(wn_tok_special(g_tok, "<|begin_of_text|>"), 128000);
    assert_int_equal(wn_tok_special(g_tok, "<|start_header_id|>"), 128006);
    assert_int_equal(wn_tok_special(g_tok, "<|end_header_id|>"), 128007);
    assert_int_equal(wn_tok_special(g_tok, "<|eot_id|>"), 128009);
    assert_int_equal(wn_tok_special(g_tok, "<|reserved_special_token_250|>"), 128255);
    assert_int_equal(wn_tok_special(g_tok, "<|eom_id|>"), -1);
    assert_true(wn_tok_is_special(g_tok, 128009));
    assert_false(wn_tok_is_special(g_tok, 127999));
    assert_int_equal(wn_tok_vocab_size(g_tok), 128256);

    /* Default: a special name in text is ordinary text (Meta); with the flag, HF style. */
    const char *s = "hi<|eot_id|>";
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_tok_encode(g_tok, s, strlen(s), 0, &ids);
    assert_true(ids.len > 2);
    for (size_t i = 0; i < ids.len; i++)
        assert_true(ids.ids[i] < 128000);
    ids.len = 0;
    wn_tok_encode(g_tok, s, strlen(s), WN_TOK_SPECIAL_IN_TEXT, &ids);
    assert_int_equal(ids.len, 2);
    assert_int_equal(ids.ids[0], 6151); /* "hi" */
    assert_int_equal(ids.ids[1], 128009);
    assert_int_equal(wn_tok_count(g_tok, s, strlen(s), WN_TOK_SPECIAL_IN_TEXT), 2);
    /* Not a name: stays text. */
    ids.len = 0;
    wn_tok_encode(g_tok, "<|nope|>", 8, WN_TOK_SPECIAL_IN_TEXT, &ids);
    for (size_t i = 0; i < ids.len; i++)
        assert_true(ids.ids[i] < 128000);

    wn_buf out = WN_BUF_INIT;
    wn_tok_id seq[] = { 128000, 6151, 128009 };
    assert_int_equal(wn_tok_decode(g_tok, seq, 3, &out, NULL), 0);
    assert_string_equal(out.data, "<|begin_of_text|>hi<|eot_id|>");
    size_t bad = 0;
    wn_tok_id oor[] = { 6151, 128256 };
    assert_int_equal(wn_tok_decode(g_tok, oor, 2, &out, &bad), -1);
    assert_int_equal(bad, 1);
    size_t len;
    assert_null(wn_tok_token(g_tok, 128256, &len));
    assert_memory_equal(wn_tok_token(g_tok, 271, &len), "\n\n", 2);
    wn_buf_release(&out);
    wn_tok_ids_release(&ids);

    char err[256];
    wn_tok *t31 = wn_tok_load_flags("data/tokenizer/llama3.tiktoken",
                                    WN_TOK_LOAD_LLAMA31_NAMES, err, sizeof err);
    assert_non_null(t31);
    assert_int_equal(wn_tok_special(t31, "<|eom_id|>"), 128008);
    assert_int_equal(wn_tok_special(t31, "<|python_tag|>"), 128010);
    assert_int_equal(wn_tok_special(t31, "<|finetune_right_pad_id|>"), 128004);
    assert_int_equal(wn_tok_special(t31, "<|reserved_special_token_2|>"), 128005);
    assert_int_equal(wn_tok_special(t31, "<|reserved_special_token_3|>"), 128011);
    assert_int_equal(wn_tok_special(t31, "<|reserved_special_token_247|>"), 128255);
    wn_tok_free(t31);
}

/* Pathological inputs finish (linear or n log n) and stay exact where the answer is known:
 * a run of digits is groups of three, and every result decodes back. */
static void test_pathological(void **state)
{
    size_t n = 1 << 18; /* big enough to be quadratic-hopeless, small for the ASan pass */
    char *s = malloc(n);
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    static const char fill[] = { 'a', ' ', '7', '=', '\n' };
    for (size_t k = 0; k < sizeof fill; k++) {
        memset(s, fill[k], n);
        ids.len = 0;
        wn_tok_encode(g_tok, s, n, 0, &ids);
        assert_true(ids.len > 0 && ids.len < n);
        assert_int_equal(wn_tok_count(g_tok, s, n, 0), ids.len);
        assert_round_trip(g_tok, s, n);
    }
    /* 262,144 sevens: 87,381 pieces "777" and one "7". */
    memset(s, '7', n);
    ids.len = 0;
    wn_tok_encode(g_tok, s, n, 0, &ids);
    assert_int_equal(ids.len, n / 3 + 1);
    /* Letters without a space, not periodic: one long piece. */
    for (size_t i = 0; i < n; i++)
        s[i] = "qwertyuiopasdfghjklzxcvbnmQWERTY"[(i * 7 + i / 3) % 32];
    assert_round_trip(g_tok, s, n);
    wn_tok_ids_release(&ids);
    free(s);
}

/* The reference BPE, written the slow and obvious way from tiktoken's definition: parts are
 * byte ranges; merge the adjacent pair whose concatenation has the lowest rank, leftmost
 * first. Compared with wn_tok_encode on single pieces of every length class (stack scan,
 * stack heap, heap on the heap). */
static size_t reference_bpe(const wn_tok *t, const char *p, size_t n, wn_tok_id *out)
{
    int64_t whole = wn_tok_lookup(t, p, n);
    if (whole >= 0) {
        out[0] = (wn_tok_id)whole;
        return 1;
    }
    size_t *start = malloc((n + 1) * sizeof *start), m = n;
    for (size_t i = 0; i <= n; i++)
        start[i] = i;
    for (;;) {
        int64_t best = -1;
        size_t at = 0;
        for (size_t i = 0; i + 1 < m; i++) {
            int64_t r = wn_tok_lookup(t, p + start[i], start[i + 2] - start[i]);
            if (r >= 0 && (best < 0 || r < best)) {
                best = r;
                at = i;
            }
        }
        if (best < 0)
            break;
        memmove(start + at + 1, start + at + 2, (m - at - 1) * sizeof *start);
        m--;
    }
    for (size_t i = 0; i < m; i++)
        out[i] = (wn_tok_id)wn_tok_lookup(t, p + start[i], start[i + 1] - start[i]);
    free(start);
    return m;
}

/* The pair key of the merge loops (wn_tok_pair_key_masked) against the merge table: on
 * every way of writing a token as two tokens (the merges and many pairs that are not) and
 * on 1,000,000 random pairs of ids, special and out of range ones included, a merge keys as
 * itself and a pair that is not one as NO_KEY, always: the slots hold whole keys, and the
 * merge loops check nothing after them. */
static void check_pair_key(uint32_t a, uint32_t b, size_t pos)
{
    int64_t r = wn_tok_pair(g_tok, a, b);
    uint32_t k = wn_tok_pair_key_masked(g_tok, a, b, pos);
    if (r >= 0)
        assert_int_equal(k, (uint32_t)r << WN_TOK_POS_BITS | pos);
    else
        assert_int_equal(k, WN_TOK_NO_KEY);
}

static void test_pair_key_masked(void **state)
{
    (void)state;
    size_t n_pairs = 0, n_merges = 0;
    for (uint32_t c = 0; c < g_tok->n_ranks; c++) {
        const char *b = g_tok->blob + g_tok->off[c];
        size_t len = g_tok->off[c + 1] - g_tok->off[c];
        for (size_t k = 1; k < len; k++) {
            int64_t l = wn_tok_lookup(g_tok, b, k), r = wn_tok_lookup(g_tok, b + k, len - k);
            if (l < 0 || r < 0)
                continue;
            check_pair_key((uint32_t)l, (uint32_t)r, c % WN_TOK_SMALL_PIECE);
            n_pairs++;
            n_merges += wn_tok_pair(g_tok, (uint32_t)l, (uint32_t)r) >= 0;
        }
    }
    assert_true(n_merges > 100000 && n_pairs > n_merges); /* both kinds were checked */
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < 1000000; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        uint32_t a = (uint32_t)(rng % WN_TOK_MAX_IDS), b = (uint32_t)(rng >> 40) % WN_TOK_MAX_IDS;
        check_pair_key(a, b, (size_t)(rng >> 20) % WN_TOK_SMALL_PIECE);
    }
}

/* BPE of the parts id[0..m) by the exact table (wn_tok_pair): lowest rank, leftmost first. */
static size_t reference_parts_bpe(const wn_tok *t, uint32_t *id, size_t m)
{
    for (;;) {
        size_t best = 0;
        int64_t low = -1;
        for (size_t i = 0; i + 1 < m; i++) {
            int64_t r = wn_tok_pair(t, id[i], id[i + 1]);
            if (r >= 0 && (low < 0 || r < low))
                low = r, best = i;
        }
        if (low < 0)
            return m;
        id[best] = (uint32_t)low;
        memmove(id + best + 1, id + best + 2, (m - best - 2) * sizeof *id);
        m--;
    }
}

/* The merge table's perfect hash (pair_table.c: m and r powers of two, slot = x XOR the
 * bucket's displacement) on its own: sets of 0 to 40,000 random distinct keys, the small ones
 * many times (a few slots a bucket, so two keys of a bucket often share x and another salt or
 * more slots are needed), each key found as itself in its slot, and random keys that are
 * not in the set not found. Llama 3's table fills 97% of its slots. */
static void test_pair_table_build(void **state)
{
    (void)state;
    assert_int_equal(g_tok->pairs.m, 131072);
    assert_true(g_tok->pairs.m - g_tok->pairs.m / 32 < g_tok->n_ranks); /* >= 97% full */
    static const size_t sizes[] = { 0, 1, 2, 3, 5, 8, 13, 40, 100, 1000, 40000 };
    uint64_t rng = 0xD1B54A32D192ED03ull;
    size_t n_salted = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        for (int round = 0; round < (n < 100 ? 200 : 2); round++) {
            uint32_t *triples = malloc((3 * n + 1) * sizeof *triples);
            uint32_t offset = (uint32_t)rng;
            for (size_t i = 0; i < n; i++) { /* distinct keys: a distinct left part each */
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                triples[3 * i] = ((uint32_t)i * 40503u + offset) % WN_TOK_MAX_IDS; /* odd: 1 to 1 */
                triples[3 * i + 1] = (uint32_t)(rng >> 20) % WN_TOK_MAX_IDS;
                triples[3 * i + 2] = (uint32_t)(rng >> 40) % WN_TOK_MAX_IDS;
            }
            wn_tok t;
            memset(&t, 0, sizeof t);
            assert_int_equal(wn_tok_pair_table_build(&t.pairs, triples, n), 0);
            assert_true((t.pairs.m & (t.pairs.m - 1)) == 0 && t.pairs.m >= n);
            n_salted += t.pairs.salt != 0;
            for (size_t i = 0; i < n; i++) {
                uint32_t a = triples[3 * i], b = triples[3 * i + 1], c = triples[3 * i + 2];
                uint64_t key = (uint64_t)a << WN_TOK_ID_BITS | b;
                assert_int_equal(wn_tok_pair(&t, a, b), c);
                assert_int_equal(wn_tok_pair_slot_value(&t, key), key << WN_TOK_ID_BITS | c);
            }
            for (int i = 0; i < 1000; i++) { /* left parts the set does not have */
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                uint32_t a = (uint32_t)rng % WN_TOK_MAX_IDS, b = (uint32_t)(rng >> 32) % WN_TOK_MAX_IDS;
                bool in = false;
                for (size_t j = 0; j < n && !in && n < 100; j++)
                    in = triples[3 * j] == a && triples[3 * j + 1] == b;
                if (!in && n < 100)
                    assert_int_equal(wn_tok_pair(&t, a, b), -1);
            }
            wn_tok_pair_table_free(&t.pairs);
            free(triples);
        }
    }
    assert_true(n_salted > 0); /* some bucket needed another salt */
}

/* Both merge loops (wn_tok_bpe_small_run: the one for pieces with characters outside ASCII
 * takes the keys of the pairs a merge makes a step late, bpe_small.h) against BPE by the
 * exact table, from the bytes of every token of up to 64 bytes, and of 50,000 random
 * concatenations of two or three tokens. */
static void test_merge_loops_match_reference(void **state)
{
    (void)state;
    uint64_t rng = 0x243F6A8885A308D3ull;
    size_t n_cases = 0;
    for (uint32_t c = 0; c < g_tok->n_ranks + 50000; c++) {
        uint8_t bytes[WN_TOK_SMALL_PIECE];
        size_t n = 0;
        for (unsigned k = 0, parts = c < g_tok->n_ranks ? 1 : 2 + (unsigned)(rng >> 62) % 2;
             k < parts; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            uint32_t id = c < g_tok->n_ranks ? c : (uint32_t)(rng % g_tok->n_ranks);
            size_t len = g_tok->off[id + 1] - g_tok->off[id];
            if (n + len > sizeof bytes)
                break;
            memcpy(bytes + n, g_tok->blob + g_tok->off[id], len);
            n += len;
        }
        if (n < 2)
            continue;
        uint32_t want[WN_TOK_SMALL_PIECE], got[WN_TOK_SMALL_PIECE];
        for (size_t i = 0; i < n; i++)
            want[i] = g_tok->byte_id[bytes[i]];
        size_t m = reference_parts_bpe(g_tok, want, n);
        for (int high = 0; high < 2; high++) {
            for (size_t i = 0; i < n; i++)
                got[i] = g_tok->byte_id[bytes[i]];
            if (wn_tok_bpe_small_parts_as(g_tok, got, n, high) != m ||
                memcmp(got, want, m * sizeof *got) != 0)
                fail_msg("case %u (%zu bytes, high %d): BPE differs from the reference", c, n, high);
        }
        n_cases++;
    }
    assert_true(n_cases > 150000);
}

/* The vector merge loop (bpe_vec.c) against BPE by the exact table and against the scalar
 * loop, on parts of every count from 1 to 64 (one, two and four registers): the bytes of
 * every token of up to 64 bytes; 200,000 concatenations of 2 to 24 random tokens, from their
 * bytes and from their premerged parts; and random ids (most pairs not merges). Then the
 * encoder on the golden texts with the vector loop and without it. Where the CPU has no
 * AVX-512 only the last runs. */
static char *golden_bytes(size_t *len);

static void check_vec_parts(const uint32_t *parts, size_t m, const char *what, size_t c)
{
    uint32_t want[WN_TOK_SMALL_PIECE], got[WN_TOK_SMALL_PIECE], scalar[WN_TOK_SMALL_PIECE];
    memcpy(want, parts, m * sizeof *want);
    memcpy(got, parts, m * sizeof *got);
    memcpy(scalar, parts, m * sizeof *scalar);
    size_t mw = reference_parts_bpe(g_tok, want, m);
    size_t ms = wn_tok_bpe_small_parts_as(g_tok, scalar, m, true);
    size_t mg = wn_tok_bpe_vec_parts(g_tok, got, m);
    if (mg != mw || memcmp(got, want, mw * sizeof *got) != 0)
        fail_msg("%s %zu (%zu parts): the vector loop differs from the reference", what, c, m);
    if (ms != mw || memcmp(scalar, want, mw * sizeof *got) != 0)
        fail_msg("%s %zu (%zu parts): the scalar loop differs from the reference", what, c, m);
}

static size_t random_tokens_bytes(uint64_t *rng, uint8_t *bytes, unsigned tokens)
{
    size_t n = 0;
    for (unsigned k = 0; k < tokens; k++) {
        *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
        uint32_t id = (uint32_t)(*rng % g_tok->n_ranks);
        size_t len = g_tok->off[id + 1] - g_tok->off[id];
        if (n + len > WN_TOK_SMALL_PIECE)
            break;
        memcpy(bytes + n, g_tok->blob + g_tok->off[id], len);
        n += len;
    }
    return n;
}

static void encode_golden_both_loops(void)
{
    size_t len = 0;
    char *text = golden_bytes(&len);
    wn_tok_ids with = WN_TOK_IDS_INIT, without = WN_TOK_IDS_INIT;
    wn_tok_cache_clear();
    wn_tok_encode(g_tok, text, len, 0, &with);
    wn_tok_bpe_vec_use = false;
    wn_tok_cache_clear();
    wn_tok_encode(g_tok, text, len, 0, &without);
    wn_tok_bpe_vec_use = true;
    wn_tok_cache_clear();
    assert_int_equal(with.len, without.len);
    assert_memory_equal(with.ids, without.ids, with.len * sizeof *with.ids);
    wn_tok_ids_release(&with);
    wn_tok_ids_release(&without);
    free(text);
}

static void test_vector_merge_loop(void **state)
{
    (void)state;
    encode_golden_both_loops();
    if (!wn_tok_bpe_vec_ok()) {
        fprintf(stderr, "test_vector_merge_loop: no AVX-512, only the encoder's scalar loop\n");
        return;
    }
    uint32_t parts[WN_TOK_SMALL_PIECE];
    uint8_t bytes[WN_TOK_SMALL_PIECE];
    size_t count[WN_TOK_SMALL_PIECE + 1] = { 0 };
    for (uint32_t c = 0; c < g_tok->n_ranks; c++) {
        size_t n = g_tok->off[c + 1] - g_tok->off[c];
        if (n > WN_TOK_SMALL_PIECE)
            continue;
        for (size_t i = 0; i < n; i++)
            parts[i] = g_tok->byte_id[(uint8_t)g_tok->blob[g_tok->off[c] + i]];
        check_vec_parts(parts, n, "token", c);
        count[n]++;
    }
    uint64_t rng = 0x452821E638D01377ull;
    for (size_t c = 0; c < 200000; c++) {
        size_t n = random_tokens_bytes(&rng, bytes, 2 + (unsigned)(rng >> 59) % 23);
        if (n == 0)
            continue;
        for (size_t i = 0; i < n; i++)
            parts[i] = g_tok->byte_id[bytes[i]];
        check_vec_parts(parts, n, "concatenation", c);
        size_t m = wn_tok_premerge_parts(g_tok, bytes, n, parts);
        check_vec_parts(parts, m, "premerged concatenation", c);
        count[n]++, count[m]++;
    }
    for (size_t c = 0; c < 100000; c++) {
        size_t m = 1 + c % WN_TOK_SMALL_PIECE;
        for (size_t i = 0; i < m; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            parts[i] = (uint32_t)(rng % (c % 3 ? 2000 : g_tok->n_ranks)); /* low ids merge */
        }
        check_vec_parts(parts, m, "random ids", c);
    }
    for (size_t m = 1; m <= WN_TOK_SMALL_PIECE; m++)
        assert_true(count[m] > 0); /* every count of parts came up */
}

static void test_bpe_paths_match_reference(void **state)
{
    /* Letters only, so the whole string is one piece; ASCII and Cyrillic mixed. */
    static const char *const alphabet[] = { "a", "b", "e", "r", "t", "s", "q", "z", "\xd0\xb6",
                                            "\xd0\xb8", "n", "o" };
    uint64_t rng = 88172645463325252ull;
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_tok_id *want = malloc(4096 * sizeof *want);
    for (size_t chars = 2; chars < 420; chars += chars < 40 ? 1 : 29) {
        wn_buf s = WN_BUF_INIT;
        for (size_t i = 0; i < chars; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            wn_buf_appends(&s, alphabet[rng % 12]);
        }
        size_t m = reference_bpe(g_tok, s.data, s.len, want);
        ids.len = 0;
        wn_tok_encode(g_tok, s.data, s.len, 0, &ids);
        if (ids.len != m || memcmp(ids.ids, want, m * sizeof *want) != 0)
            fail_msg("piece of %zu bytes: BPE differs from the reference", s.len);
        wn_buf_release(&s);
    }
    free(want);
    wn_tok_ids_release(&ids);
}

/* Huge pieces sweep ranks (bpe_sweep.c) instead of using the heap: both must agree on
 * inputs that exercise repeated merges, mixed scripts, and pairs whose rank is lower than
 * the merge that creates them (real text fed to BPE as one piece, spaces and all). */
static void check_sweep(const char *s, size_t n)
{
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    size_t ma = wn_tok_bpe_sweep(g_tok, (const uint8_t *)s, n, &a);
    size_t mb = wn_tok_bpe_heap(g_tok, (const uint8_t *)s, n, &b);
    assert_int_equal(ma, a.len);
    assert_int_equal(ma, mb);
    assert_memory_equal(a.ids, b.ids, ma * sizeof *a.ids);
    assert_int_equal(wn_tok_bpe_sweep(g_tok, (const uint8_t *)s, n, NULL), ma);
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
}

/* The raw bytes of ../shared/data/tokenizer/golden.jsonl (JSON and all: real text in many
 * scripts), or the test is skipped when the shared data is not there. */
static char *golden_bytes(size_t *len)
{
    char path[512];
    SHARED_OR_SKIP(path, "tokenizer/golden.jsonl");
    char *text = tok_slurp(path, len);
    assert_non_null(text);
    return text;
}

static void test_sweep_matches_heap(void **state)
{
    size_t n = 40000;
    char *s = malloc(n);
    static const char *const fills[] = { "a", " ", "ab", "\xe4\xb8\xad", "qwertyuiopasdfghjklzxcvbnm" };
    for (size_t f = 0; f < sizeof fills / sizeof *fills; f++) {
        size_t k = strlen(fills[f]);
        for (size_t i = 0; i < n; i++)
            s[i] = fills[f][(i * 7 + i / 5) % k];
        check_sweep(s, n);
    }
    /* BPE of ".:.:" merges ".:" (17406), ".:." (105051), then ".:.:" (100421): a lower rank
     * after a higher one, so the sweep must stop and resume. Vietnamese " nghiệ" too. */
    static const char *const repeats[] = { ".:", " nghi\xe1\xbb\x87", ".:.:x" };
    for (size_t f = 0; f < sizeof repeats / sizeof *repeats; f++) {
        size_t k = strlen(repeats[f]);
        for (size_t i = 0; i < n; i++)
            s[i] = repeats[f][i % k];
        check_sweep(s, n);
    }
    free(s);
    size_t len = 0;
    char *text = golden_bytes(&len);
    check_sweep(text, len < 300000 ? len : 300000);
    free(text);
}

/* Long pieces are BPE of short windows spliced where two share a token (bpe_windows.c):
 * the same ids as the heap over the whole piece, always. With the product's windows the
 * splice must also hold (no fallback) on runs of every byte, whose last window ends in
 * other tokens than the piece (64 or 96 dashes; 128, 64, 67 spaces), and on text; with
 * windows of 2 to 256 bytes it must give the heap's ids or give up with out unchanged. */
static void check_windows(const uint8_t *p, size_t n, bool must_splice)
{
    static const size_t sizes[][2] = { { 2, 1 }, { 3, 1 }, { 5, 2 }, { 8, 3 }, { 17, 4 },
                                       { 64, 16 }, { 256, 200 } };
    wn_tok_ids want = WN_TOK_IDS_INIT, got = WN_TOK_IDS_INIT;
    size_t m = wn_tok_bpe_heap(g_tok, p, n, &want);
    size_t w = wn_tok_bpe_windows(g_tok, p, n, &got);
    if (must_splice && w == SIZE_MAX)
        fail_msg("%zu bytes from 0x%02x: the windows did not splice", n, p[0]);
    got.len = 0;
    assert_int_equal(wn_tok_bpe_merge(g_tok, p, n, &got), m);
    assert_int_equal(got.len, m);
    assert_memory_equal(got.ids, want.ids, m * sizeof *want.ids);
    assert_int_equal(wn_tok_bpe_merge(g_tok, p, n, NULL), m);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        got.len = 1; /* an id before the piece's, which must stay */
        got.ids[0] = 7;
        size_t g = wn_tok_bpe_windows_sized(g_tok, p, n, &got, sizes[k][0], sizes[k][1]);
        assert_int_equal(got.ids[0], 7);
        if (g == SIZE_MAX) {
            assert_int_equal(got.len, 1);
            continue;
        }
        assert_int_equal(g, m);
        assert_int_equal(got.len, m + 1);
        assert_memory_equal(got.ids + 1, want.ids, m * sizeof *want.ids);
        assert_int_equal(wn_tok_bpe_windows_sized(g_tok, p, n, NULL, sizes[k][0], sizes[k][1]), m);
    }
    wn_tok_ids_release(&want);
    wn_tok_ids_release(&got);
}

static void test_windows_match_heap(void **state)
{
    static const size_t run_lengths[] = { 257, 300, 513, 899, 1035, 1153, 4103 };
    uint8_t *s = malloc(8192);
    for (unsigned b = 0; b < 256; b++)
        for (size_t k = 0; k < sizeof run_lengths / sizeof *run_lengths; k++) {
            memset(s, (int)b, run_lengths[k]);
            check_windows(s, run_lengths[k], true);
        }
    /* runs of characters of two to four bytes, of pairs, and the sweep test's repeats */
    static const char *const units[] = { "\xc3\xa9", "\xd1\x8f", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
                                         "ab", "-=", ".:", " nghi\xe1\xbb\x87", ".:.:x", "a " };
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        size_t k = strlen(units[u]);
        for (size_t n = 257; n < 3000; n += 311) {
            for (size_t i = 0; i < n; i++)
                s[i] = (uint8_t)units[u][i % k];
            check_windows(s, n, true);
        }
    }
    /* random strings over few letters (many merges, many ties), and random bytes */
    static const char *const alphabets[] = { "ab", "abc", "aeiou", "etaoinshr", "0123456789",
                                             "qwertyuiopasdfghjklzxcvbnm", " \n" };
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    for (size_t c = 0; c < 210; c++) {
        size_t n = 257 + c * 13;
        const char *a = alphabets[c % 7];
        for (size_t i = 0; i < n; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            s[i] = c % 10 == 9 ? (uint8_t)(rng >> 24) : (uint8_t)a[(rng >> 24) % strlen(a)];
        }
        check_windows(s, n, c % 10 != 9);
    }
    free(s);
    /* real text in many scripts, spaces and all, as one piece */
    size_t len = 0;
    char *text = golden_bytes(&len);
    for (size_t c = 0; c < 120; c++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        size_t n = 257 + (size_t)(rng >> 40) % 4000, at = (size_t)(rng >> 8) % (len - n);
        check_windows((const uint8_t *)text + at, n, true);
    }
    free(text);
}

/* One tokenizer, many threads: same ids as one thread (the API is thread-safe). */
static void test_threads(void **state)
{
    size_t len = 0;
    char *text = golden_bytes(&len);
    enum { CHUNKS = 64 };
    size_t step = len / CHUNKS;
    size_t serial[CHUNKS], parallel[CHUNKS];
    uint64_t sum_serial[CHUNKS], sum_parallel[CHUNKS];
    for (int pass = 0; pass < 2; pass++) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(pass ? 4 : 1)
        for (int c = 0; c < CHUNKS; c++) {
            wn_tok_ids ids = WN_TOK_IDS_INIT;
            wn_tok_encode(g_tok, text + (size_t)c * step, step, 0, &ids);
            uint64_t h = 1469598103934665603ull;
            for (size_t i = 0; i < ids.len; i++)
                h = (h ^ ids.ids[i]) * 1099511628211ull;
            (pass ? parallel : serial)[c] = ids.len;
            (pass ? sum_parallel : sum_serial)[c] = h;
            wn_tok_ids_release(&ids);
        }
    }
    assert_memory_equal(serial, parallel, sizeof serial);
    assert_memory_equal(sum_serial, sum_parallel, sizeof sum_serial);
    free(text);
}

/* Threads that come and go, one after another: each maps its own piece cache on its first
 * encode (every other one empties it first) and unmaps it when it exits, and each gets the
 * main thread's ids. A cache not mapped before it is emptied crashes here; one not unmapped
 * at exit stays counted. */
typedef struct thread_job {
    const char *text;
    size_t len;
    bool clear_first;
    wn_tok_ids ids;
    uintptr_t caches; /* where the thread's caches were */
} thread_job;

static void *encode_in_thread(void *arg)
{
    thread_job *job = arg;
    if (job->clear_first)
        wn_tok_cache_clear();
    wn_tok_encode(g_tok, job->text, job->len, 0, &job->ids);
    job->caches = (uintptr_t)wn_tok_thread_caches();
    return NULL;
}

/* Whether some mapping of this process (/proc/self/maps) holds the address a. */
static bool address_mapped(uintptr_t a)
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    bool in = false;
    while (!in && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            in = a >= lo && a < hi;
    }
    fclose(f);
    return in;
}

static void test_threads_come_and_go(void **state)
{
    size_t len = 0;
    char *text = golden_bytes(&len);
    len = len < 200000 ? len : 200000;
    wn_tok_ids want = WN_TOK_IDS_INIT;
    wn_tok_encode(g_tok, text, len, 0, &want);
    int mapped = wn_tok_caches_mapped(); /* this thread's, and OpenMP's idle threads' */
    assert_true(mapped >= 1);
    for (int i = 0; i < 4; i++) {
        thread_job job = {text, len, i % 2 == 1, WN_TOK_IDS_INIT, 0};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, encode_in_thread, &job), 0);
        assert_int_equal(pthread_join(th, NULL), 0);
        /* the pieces' entries start on a 2 MB boundary (one huge page), and the whole
         * mapping went with the thread */
        assert_int_equal(job.caches % (2u << 20), 0);
        assert_false(address_mapped(job.caches));
        assert_false(address_mapped(job.caches + (2u << 20)));
        assert_int_equal(job.ids.len, want.len);
        assert_memory_equal(job.ids.ids, want.ids, want.len * sizeof *want.ids);
        wn_tok_ids_release(&job.ids);
        assert_int_equal(wn_tok_caches_mapped(), mapped);
    }
    wn_tok_ids_release(&want);
    free(text);
}

static void test_load_errors(void **state)
{
    char err[256] = "";
    assert_null(wn_tok_load("no/such/tokenizer.model", err, sizeof err));
    assert_non_null(strstr(err, "cannot open 'no/such/tokenizer.model'"));
    char tmp[] = "/tmp/wn_tok_badXXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    const char bad[] = "IQ== 0\nIg== 1\nnot base64! 2\n";
    assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
    close(fd);
    assert_null(wn_tok_load(tmp, err, sizeof err));
    assert_non_null(strstr(err, "line 3"));
    unlink(tmp);
}

/* The pre-tokenizer classes ASCII letters 16 bytes at a time (pretok.h): every byte value
 * at every position of a block, then letter runs of every length up to 40 ending in each
 * kind of character, with and without text after them (the block path and the byte path):
 * a run ends exactly where its letters do. */
static void test_pretok_letter_blocks(void **state)
{
    (void)state;
    for (int b = 0; b < 256; b++) {
        bool letter = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
        for (unsigned pos = 0; pos < 16; pos++) {
            uint8_t block[16];
            memset(block, 'q', sizeof block);
            block[pos] = (uint8_t)b;
            assert_int_equal(ascii_letters16(block), letter ? 16 : pos);
        }
    }
    static const struct {
        const char *s;
        bool letter;
    } next[] = {
        { " ", false }, { "1", false }, { "!", false }, { "\xC3\xA9", true } /* e acute */,
        { "\xD0\xB4", true } /* Cyrillic de */, { "\xE4\xB8\xAD", true } /* CJK */,
        { "\xCC\x81", false } /* combining acute: a mark, not a letter */,
        { "\xFF", false } /* invalid */, { "", false } /* end of text */,
    };
    const wn_tok_classes *c = wn_tok_classes_get();
    for (size_t k = 1; k <= 40; k++)
        for (size_t f = 0; f < sizeof next / sizeof *next; f++)
            for (int tail = 0; tail < 2; tail++) {
                char text[128];
                size_t n = 0;
                for (size_t i = 0; i < k; i++)
                    text[n++] = "zQmAyK"[i % 6];
                size_t flen = strlen(next[f].s);
                memcpy(text + n, next[f].s, flen);
                n += flen;
                if (flen && tail) {
                    memset(text + n, '.', 20);
                    n += 20;
                }
                size_t want = k + (next[f].letter ? flen : 0);
                assert_int_equal(wn_tok_next_piece(c, (const uint8_t *)text, n, 0), want);
            }
}

/* utf8_decode_common, the inline decoder of letters_end's loop over characters outside
 * ASCII, agrees with utf8_decode wherever it answers (every lead byte, every two following
 * bytes, every count of readable bytes), and answers for every well-formed two-byte
 * character; letters_end agrees with a plain loop of char_at from every position of 5,000
 * random strings of letters and other characters of every length and lead byte, well-formed
 * or not. */
static void test_pretok_decode_common(void **state)
{
    (void)state;
    for (unsigned b0 = 0x80; b0 < 0x100; b0++)
        for (unsigned b1 = 0; b1 < 0x100; b1++)
            for (unsigned b2 = 0; b2 < 0x100; b2 += (b0 >= 0xE0 && b0 < 0xF0) ? 1 : 0x3F)
                for (size_t avail = 1; avail <= 3; avail++) {
                    const uint8_t s[3] = { (uint8_t)b0, (uint8_t)b1, (uint8_t)b2 };
                    uint32_t cp = 0, want_cp = 0;
                    size_t l = utf8_decode_common(s, avail, &cp);
                    size_t want = utf8_decode(s, avail, &want_cp);
                    if (l)
                        assert_true(l == want && cp == want_cp);
                    else
                        assert_true(want != 2);
                }
    static const char *const alphabet[] = {
        "a", "Z", " ", "1", ".", "\xC3\xA9", "\xD0\xB4", "\xCC\x81" /* a mark */,
        "\xE4\xB8\xAD", "\xE3\x81\x8B" /* kana */, "\xE3\x80\x81" /* ideographic comma */,
        "\xED\x95\x9C" /* Hangul, lead ED */, "\xE0\xA4\x95" /* Devanagari, lead E0 */,
        "\xEF\xBC\xA1" /* fullwidth A */, "\xF0\x9D\x90\x80" /* bold A, four bytes */,
        "\x80", "\xE4\xB8" /* cut short */, "\xED\xA0\x80" /* surrogate */, "\xFF",
    };
    const size_t n_alpha = sizeof alphabet / sizeof *alphabet;
    const wn_tok_classes *c = wn_tok_classes_get();
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 5000; round++) {
        uint8_t text[256];
        size_t n = 0;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        for (size_t k = 0, chars = 1 + rng % 40; k < chars; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            const char *ch = alphabet[rng % 4 ? 5 + rng % 10 : rng % n_alpha]; /* mostly */
            memcpy(text + n, ch, strlen(ch));                                 /* letters */
            n += strlen(ch);
        }
        for (size_t i = 0; i <= n; i++) {
            size_t want = i, l;
            while (want < n && char_at(c, text, n, want, &l) == WN_TC_LETTER)
                want += l;
            assert_int_equal(letters_end(c, text, n, i), want);
        }
    }
}

/* The UTF-8 bytes of cp (U+0080..U+FFFF, not a surrogate) into ch: their count, 2 or 3. */
static size_t utf8_bmp(uint32_t cp, uint8_t *ch)
{
    if (cp < 0x800) {
        ch[0] = (uint8_t)(0xC0 | cp >> 6);
        ch[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    ch[0] = (uint8_t)(0xE0 | cp >> 12);
    ch[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    ch[2] = (uint8_t)(0x80 | (cp & 0x3F));
    return 3;
}

/* The class table (tok_classes.c, built from ICU's ranges of categories and White_Space)
 * against ICU asked about each code point, U+0000 to U+10FFFF, in the pattern's order:
 * the characters it names, then \s (White_Space), then the category's class; and the
 * ASCII copy and the letters' bitmap against the table. */
static uint8_t class_by_icu(UChar32 c)
{
    if (c == ' ')
        return WN_TC_SPACE;
    if (c == '\r' || c == '\n')
        return WN_TC_CRLF;
    if (c == '\'')
        return WN_TC_APOS;
    if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE))
        return WN_TC_WS;
    return wn_tok_category_class(u_charType(c));
}

static void test_classes_match_icu(void **state)
{
    (void)state;
    const wn_tok_classes *c = wn_tok_classes_get();
    size_t counts[WN_TC_APOS + 1] = { 0 };
    for (UChar32 cp = 0; cp < 0x110000; cp++) {
        uint8_t got = c->blocks[(size_t)c->stage1[cp >> 8] * 256 + (cp & 255)];
        uint8_t want = class_by_icu(cp);
        if (got != want)
            fail_msg("U+%04X: class %u, ICU says %u", (unsigned)cp, got, want);
        counts[got]++;
        if (cp < 128 && c->ascii[cp] != want)
            fail_msg("ASCII %u: class %u, ICU says %u", (unsigned)cp, c->ascii[cp], want);
        if (cp < 0x10000 && ((c->bmp_letters[cp >> 6] >> (cp & 63)) & 1) != (want == WN_TC_LETTER))
            fail_msg("U+%04X: the letters' bitmap disagrees", (unsigned)cp);
    }
    /* every class occurs: a table of one class everywhere would not pass the loop alone */
    assert_int_equal(counts[WN_TC_SPACE], 1);
    assert_int_equal(counts[WN_TC_CRLF], 2);
    assert_int_equal(counts[WN_TC_APOS], 1);
    assert_true(counts[WN_TC_WS] >= 20 && counts[WN_TC_LETTER] > 100000 &&
                counts[WN_TC_NUMBER] > 1000);
}

/* letters_end's loop over characters outside ASCII tells letters by a bitmap of the Basic
 * Multilingual Plane (tok_classes.c): every code point from U+0080 to U+FFFF after a
 * letter, with and without 16 bytes of text after it (the loop and the tail), against its
 * class by char_at. */
static void test_pretok_every_bmp_character(void **state)
{
    (void)state;
    const wn_tok_classes *c = wn_tok_classes_get();
    size_t n_letters = 0;
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue; /* surrogates: no UTF-8 */
        uint8_t text[32] = { 0xC3, 0xA9 }; /* e acute, a letter */
        size_t len = utf8_bmp(cp, text + 2);
        size_t l;
        bool letter = char_at(c, text, 2 + len, 2, &l) == WN_TC_LETTER;
        assert_int_equal(l, len);
        n_letters += letter;
        memset(text + 2 + len, '.', 16);
        for (int tail = 0; tail < 2; tail++)
            assert_int_equal(letters_end(c, text, 2 + len + (tail ? 16 : 0), 0),
                             2 + (letter ? len : 0));
    }
    assert_true(n_letters > 40000 && n_letters < 60000);
}

/* Cuts the text s[0..n) piece by piece with the cutter (pretok.h), each piece against
 * wn_tok_next_piece from the same start; the number of pieces the masks cut. */
static size_t check_cutter(const wn_tok_classes *c, const uint8_t *s, size_t n)
{
    wn_tok_cutter cut;
    wn_tok_cutter_start(c, &cut, s, n);
    size_t by_masks = 0;
    for (size_t p = 0; p < n;) {
        size_t want = wn_tok_next_piece(c, s, n, p);
        size_t end = cutter_end(c, &cut, s, n, p);
        by_masks += end != 0;
        if (end == 0)
            end = wn_tok_next_piece_cut(c, &cut, s, n, p);
        if (end != want)
            fail_msg("piece at %zu of \"%.*s\": %zu, want %zu", p, (int)n, (const char *)s, end,
                     want);
        p = end;
    }
    return by_masks;
}

/* The cutter's masks by AVX2 (where the CPU has it) against their plain definition
 * (text_kinds64_plain), with and without the letters outside ASCII, on 200,000 blocks of
 * 64 bytes drawn mostly from the bytes the masks tell apart (letters, digits, space,
 * apostrophe, punctuation, controls, the lead and continuation bytes of the letters
 * outside ASCII, 0x97, 0xB7). */
static void test_pretok_cutter_masks(void **state)
{
    (void)state;
    static const uint8_t picks[] = { 'a', 'z', 'A', 'Z', '@', '[', '`', '{', '0', '9', '/',
                                     '\r', 0x08, 0x0E, ':', ' ', '\'', '!', '~', 0x7F, 0x00,
                                     '\t', '\n', 0x20,
                                     0x21, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xCF, 0xD0, 0xD1,
                                     0xD2, 0xE4, 0xE5, 0xE9, 0xEA, 0xEB, 0xEC, 0xED, 0x80,
                                     0x97, 0xB7, 0xBF, 0xC0, 0xFF };
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    for (int round = 0; round < 200000; round++) {
        uint8_t block[64];
        for (size_t k = 0; k < 64; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            block[k] = rng % 4 ? picks[(rng >> 8) % sizeof picks] : (uint8_t)(rng >> 16);
        }
        for (int wide = 0; wide < 2; wide++) {
            text_kinds want;
            text_kinds64_plain(block, wide, &want);
#if defined(WN_TOK_HAVE_AVX2_KINDS)
            if (__builtin_cpu_supports("avx2")) {
                text_kinds t;
                text_kinds64_avx2(block, wide, &t);
                assert_memory_equal(&t, &want, sizeof t);
            }
#endif
        }
    }
}

/* Pieces cut from the cutter's masks (pretok.h) against wn_tok_next_piece: every piece of
 * 30,000 random texts of 0 to ~400 bytes made of words, spaces (single and in runs), every
 * kind of punctuation, contractions, digits, line ends, tabs, letters outside ASCII the
 * masks take (Latin, Cyrillic, CJK, Hangul) and ones they do not (Greek, kana, marks, x and
 * the division sign, NBSP, four-byte), and broken UTF-8; then every code point of the Basic
 * Multilingual Plane inside a word, after a space and after punctuation; each with the masks
 * by AVX2 (where the CPU has it) and the plain ones. Many pieces must come from the masks
 * (else the test would not test them): a third do. */
static void test_pretok_cutter(void **state)
{
    (void)state;
    static const char *const alphabet[] = {
        "the", "Word", "x", " ", " ", "  ", "   ", ".", ",", "(", ")", "--", "?!", "\"", "'",
        "'s", "'LL", "'re", "'ve", "n't", "\xC5\xBF" /* long s */, "1", "42", "2024", "\n",
        "\r\n", " \n", "\t", "\xC3\xA9t\xC3\xA9", "\xC3\x97" /* x */, "\xC3\xB7" /* divide */,
        "\xD0\xB4\xD0\xB0", "\xD1\x8F", "\xE4\xB8\xAD\xE6\x96\x87", "\xE5\xAD\x97",
        "\xEB\x8B\xA4", "\xEC\x9D\xB4", "\xCE\xB1" /* alpha */, "\xE3\x81\x8B" /* kana */,
        "\xE3\x80\x82" /* ideographic full stop */, "\xCC\x81" /* a mark */,
        "\xC2\xA0" /* NBSP */, "\xF0\x9F\x98\x80" /* emoji */, "\x80", "\xD0", "\xE5\xAD",
        "\xFF", "\x01", "\x7F", "_", "@", "~", "#",
    };
    const size_t n_alpha = sizeof alphabet / sizeof *alphabet;
    const wn_tok_classes *c = wn_tok_classes_get();
    assert_true(c->wide_letters); /* ICU 72: the cutter's blocks are all letters */
    wn_tok_classes plain = *c; /* the plain masks, where the CPU has AVX2 */
    plain.avx2 = false;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    size_t pieces = 0, by_masks = 0;
    for (int round = 0; round < 30000; round++) {
        uint8_t text[512];
        size_t n = 0;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        for (size_t k = 0, parts = rng % 120; k < parts; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            /* mostly words and single spaces, as in text */
            size_t pick = rng % 3 ? (rng >> 8) % 5 : (rng >> 8) % n_alpha;
            size_t len = strlen(alphabet[pick]);
            memcpy(text + n, alphabet[pick], len);
            n += len;
        }
        by_masks += check_cutter(c, text, n);
        check_cutter(&plain, text, n);
        for (size_t p = 0; p < n; p = wn_tok_next_piece(c, text, n, p))
            pieces++;
    }
    assert_true(by_masks > pieces / 4); /* 307,146 of 893,904 */
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        uint8_t ch[3];
        size_t len = utf8_bmp(cp, ch);
        uint8_t text[160];
        size_t n = 0;
        static const char *const around[] = { "one two ab", "cd three .", "x four , ",
                                              "y five six seven eight nine ten" };
        for (size_t a = 0; a < 4; a++) {
            memcpy(text + n, around[a], strlen(around[a]));
            n += strlen(around[a]);
            memcpy(text + n, ch, len);
            n += len;
        }
        check_cutter(c, text, n);
        check_cutter(&plain, text, n);
    }
    /* Runs in which the masks tell no piece (digits, line breaks, kana) of 60 to 420 bytes,
     * then words: inside such a run the masks are filled again only every half window
     * (fill_from), and they must take the words after it again. */
    static const char *const runs[] = { "7", "\n", "\xE3\x81\x8B" };
    for (size_t r = 0; r < 3; r++)
        for (size_t len = 60; len < 420; len += 7) {
            uint8_t text[1024];
            size_t n = 0, run = strlen(runs[r]);
            memcpy(text, "a word, ", 8);
            n = 8;
            for (size_t k = 0; k < len; k += run, n += run)
                memcpy(text + n, runs[r], run);
            for (int w = 0; w < 12; w++, n += 10)
                memcpy(text + n, " then more", 10);
            if (wn_tok_classes_get()->avx2)
                assert_true(check_cutter(c, text, n) >= 12); /* 24 pieces after the run */
            assert_true(check_cutter(&plain, text, n) >= 12);
        }
}

/* wn_tok_key_has_high_byte (the encoder's choice between the ASCII and the premerged BPE of
 * a short piece) against wn_tok_has_high_byte: a byte outside ASCII at every position of
 * pieces of 1 to 16 bytes, or none, with bytes outside ASCII right after the piece in the
 * text (the key's 16-byte loads read them and must mask them off), or the text ending with
 * the piece (the key is made from a padded copy). */
static void test_key_has_high_byte(void **state)
{
    (void)state;
    uint8_t text[32];
    for (size_t n = 1; n <= 16; n++)
        for (size_t at = 0; at <= n; at++) /* at == n: no byte outside ASCII */
            for (unsigned b = 0x80; b < 0x100; b += at < n ? 1 : 0x100) {
                for (size_t i = 0; i < sizeof text; i++)
                    text[i] = i < n ? (uint8_t)('a' + (i * 7 + b) % 26) : (uint8_t)(0x80 | i);
                if (at < n)
                    text[at] = (uint8_t)b;
                for (size_t avail = n; avail <= sizeof text; avail += sizeof text - n) {
                    wn_tok_key k;
                    wn_tok_key_make(&k, text, n, avail);
                    assert_int_equal(wn_tok_key_has_high_byte(&k), wn_tok_has_high_byte(text, n));
                    assert_int_equal(wn_tok_has_high_byte(text, n), at < n);
                }
            }
}

/* wn_tok_key_make with 16 bytes readable (two loads, the bytes past the piece masked off by
 * a table by length) against its padded copy (exactly the piece's bytes readable), for
 * pieces of 0 to 40 bytes of random bytes followed by more: the same words and hash. */
static void test_key_make_masks(void **state)
{
    (void)state;
    uint8_t text[64];
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    for (int round = 0; round < 200; round++)
        for (size_t n = 0; n <= 40; n++) {
            for (size_t i = 0; i < sizeof text; i++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                text[i] = (uint8_t)(rng >> 24);
            }
            wn_tok_key loaded, padded;
            wn_tok_key_make(&loaded, text, n, sizeof text);
            wn_tok_key_make(&padded, text, n, n);
            assert_true(loaded.w0 == padded.w0 && loaded.w1 == padded.w1 &&
                        loaded.hash == padded.hash);
        }
}

/* Every byte as a text of its own (a piece of one byte: a space, a digit, punctuation, a
 * stray byte of invalid UTF-8) from an empty piece cache and again from a warm one, and each
 * ASCII punctuation byte as two of the pieces of "x! x!", as BPE of one byte makes it: the
 * byte's token. */
static void test_single_byte_pieces(void **state)
{
    (void)state;
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_tok_cache_clear();
    for (int warm = 0; warm < 2; warm++)
        for (unsigned b = 0; b < 256; b++) {
            const uint8_t alone[1] = { (uint8_t)b };
            ids.len = 0;
            wn_tok_encode(g_tok, (const char *)alone, 1, 0, &ids);
            assert_int_equal(ids.len, 1);
            assert_int_equal(ids.ids[0], g_tok->byte_id[b]);
            if (!ispunct((int)b))
                continue;
            const uint8_t text[5] = { 'x', (uint8_t)b, ' ', 'x', (uint8_t)b };
            ids.len = 0;
            wn_tok_encode(g_tok, (const char *)text, sizeof text, 0, &ids);
            assert_int_equal(ids.len, 4); /* "x", the byte, " x", the byte */
            assert_int_equal(ids.ids[1], g_tok->byte_id[b]);
            assert_int_equal(ids.ids[3], g_tok->byte_id[b]);
        }
    wn_tok_ids_release(&ids);
}

/* The ids of the piece p[0..n) without any cache: its token when it is one, else BPE. */
static void piece_reference(const wn_tok *t, const uint8_t *p, size_t n, wn_tok_ids *out)
{
    out->len = 0;
    int64_t whole = wn_tok_lookup(t, p, n);
    if (whole >= 0)
        wn_tok_ids_push(out, (wn_tok_id)whole);
    else
        wn_tok_bpe_merge(t, p, n, out);
}

/* The long pieces' cache (pieces of 17 to 32 bytes): pieces of 15 to 43 bytes drawn again
 * and again from a pool in which many share their first 16 bytes (so pieces that differ
 * only in bytes 16..31 meet in one slot), each at the end of the text or followed by more
 * (the two ways of reading bytes 16..31); then pieces that differ only in length. Every
 * time, from an empty cache and warm, the ids of the piece alone without a cache. */
static void test_long_piece_cache(void **state)
{
    (void)state;
    static const char *const head[] = {
        "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82\xD1\x81\xD1\x82", /* 8 Cyrillic letters */
        " \xCE\xB1\xCE\xB2\xCE\xB3\xCE\xB4\xCE\xB5\xCE\xB6\xCE\xB7\xCE\xB8",  /* space, 8 Greek */
        "\xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97\xE7\xAC\xA6\xE9\x9B\x86",     /* 5 CJK */
    };
    static const char *const letter[] = { "\xD0\xB0", "\xD0\xBE", "\xD0\xBD", "\xD1\x8F",
                                          "\xD1\x8B", "\xCE\xBB", "\xCE\xBC", "\xE4\xB8\x80",
                                          "\xE4\xBA\xBA", "\xE5\xA4\xA7", "\xD0\xB5",
                                          "\xD1\x82" };
    static const char *const after[] = { "", "\n", " 1234567890123456789012345678901234" };
    enum { POOL = 3000, DRAWS = 60000 };
    static char pool[POOL][64];
    uint64_t rng = 16;
    for (size_t i = 0; i < POOL; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        strcpy(pool[i], head[(rng >> 33) % 3]);
        for (unsigned k = 0, tail = (unsigned)(rng >> 40) % 10; k < tail; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            strcat(pool[i], letter[(rng >> 33) % 12]);
        }
    }
    wn_tok_ids got = WN_TOK_IDS_INIT, want = WN_TOK_IDS_INIT;
    char text[128];
    size_t cached_sizes = 0;
    wn_tok_cache_clear();
    for (size_t d = 0; d < DRAWS; d++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        const char *piece = pool[(rng >> 33) % POOL];
        size_t n = strlen(piece);
        cached_sizes += n > 16 && n <= 32;
        const char *more = after[(rng >> 20) % 3];
        size_t len = n + strlen(more);
        memcpy(text, piece, n);
        memcpy(text + n, more, strlen(more));
        assert_int_equal(wn_tok_next_piece(g_tok->cls, (const uint8_t *)text, len, 0), n);
        piece_reference(g_tok, (const uint8_t *)piece, n, &want);
        got.len = 0;
        wn_tok_encode(g_tok, text, len, 0, &got);
        assert_true(got.len >= want.len);
        assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
    }
    assert_true(cached_sizes > DRAWS / 2);
    /* Runs of NUL bytes after 16 bytes of two runs of punctuation (one piece, few ids, not
     * a token) have the same words whatever their length: only the length tells them
     * apart, when two lengths meet in one slot (found by the slot's hash bits), each
     * encoded right after the other. */
    static const char punct[] = "!#$%&*+-./=?@^_|~";
    size_t met = 0;
    memset(text, 0, sizeof text);
    for (const char *x = punct; *x; x++)
        for (const char *y = punct; *y; y++)
            for (size_t split = 1; split < 16; split++) {
                memset(text, *x, split);
                memset(text + split, *y, 16 - split);
                for (size_t n1 = 17; n1 <= 32; n1++)
                    for (size_t n2 = n1 + 1; n2 <= 32; n2++) {
                        wn_tok_key k1, k2;
                        wn_tok_key_make(&k1, (const uint8_t *)text, n1, sizeof text);
                        wn_tok_key_make(&k2, (const uint8_t *)text, n2, sizeof text);
                        if (((k1.hash ^ k2.hash) >> 40 & (WN_TOK_LONG_SLOTS - 1)) != 0 ||
                            wn_tok_next_piece(g_tok->cls, (const uint8_t *)text, n2, 0) != n2)
                            continue;
                        const size_t order[4] = { n1, n2, n1, n2 };
                        for (size_t i = 0; i < 4; i++) {
                            piece_reference(g_tok, (const uint8_t *)text, order[i], &want);
                            got.len = 0;
                            wn_tok_encode(g_tok, text, order[i], 0, &got);
                            assert_int_equal(got.len, want.len);
                            assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
                        }
                        met += want.len <= 9; /* n2's ids fit an entry (so do n1's) */
                    }
            }
    assert_true(met > 0);
    /* The tag hashes the length too, so the pairs above never reach the entry's own check
     * of the length. Here the entry of 16 bytes of punctuation and one NUL is put where
     * the same bytes and a second NUL would look, under their tag: the longer piece must
     * still be merged (one id more), not taken from that entry. */
    memset(text, 0, sizeof text);
    memset(text, '-', 9);
    memset(text + 9, '=', 7);
    wn_tok_key k17, k18;
    wn_tok_key_make(&k17, (const uint8_t *)text, 17, sizeof text);
    wn_tok_key_make(&k18, (const uint8_t *)text, 18, sizeof text);
    assert_int_equal(wn_tok_next_piece(g_tok->cls, (const uint8_t *)text, 18, 0), 18);
    wn_tok_cache_clear();
    for (int round = 0; round < 2; round++) { /* put, then taken from the cache */
        size_t hits = wn_tok_long_cache_hits();
        got.len = 0;
        wn_tok_encode(g_tok, text, 17, 0, &got);
        assert_int_equal(wn_tok_long_cache_hits() - hits, (size_t)round);
    }
    piece_reference(g_tok, (const uint8_t *)text, 18, &want);
    assert_int_equal(want.len, got.len + 1);
    assert_true(want.len <= 9); /* the longer piece's ids would fit an entry too */
    wn_tok_long_cache_alias(&k17, &k18);
    size_t hits = wn_tok_long_cache_hits();
    got.len = 0;
    wn_tok_encode(g_tok, text, 18, 0, &got);
    assert_int_equal(wn_tok_long_cache_hits(), hits);
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
    wn_tok_ids_release(&got);
    wn_tok_ids_release(&want);
}

/* Each of the pieces[0..count) encoded as a text of its own, against the ids of the piece
 * alone without a cache. */
static void encode_each_checked(char (*pieces)[64], size_t count)
{
    wn_tok_ids got = WN_TOK_IDS_INIT, want = WN_TOK_IDS_INIT;
    for (size_t i = 0; i < count; i++) {
        size_t n = strlen(pieces[i]);
        piece_reference(g_tok, (const uint8_t *)pieces[i], n, &want);
        wn_tok_encode(g_tok, pieces[i], n, 0, &got);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
        got.len = 0;
    }
    wn_tok_ids_release(&got);
    wn_tok_ids_release(&want);
}

/* The long pieces' cache serves a piece seen before: its tag (16 bits of the hash beside
 * the entries, encode.c) is put with the entry and found again. 200 Cyrillic words of 17 to
 * 31 bytes that are not tokens and have at most 9 ids, in 200 different slots (the hash's
 * bits from 40), each encoded once (no hit: nothing was put before), then again (200 hits),
 * each time with the ids of the piece alone without a cache. */
static void test_long_cache_hits(void **state)
{
    (void)state;
    enum { WORDS = 200 };
    static const char *const letter[] = { "\xD0\xB0", "\xD0\xBE", "\xD0\xBD", "\xD1\x8F",
                                          "\xD1\x8B", "\xD0\xB5", "\xD1\x82", "\xD0\xBA",
                                          "\xD0\xBC", "\xD1\x80", "\xD0\xB8", "\xD0\xB2" };
    static char word[WORDS][64];
    static bool slot_used[WN_TOK_LONG_SLOTS];
    memset(slot_used, 0, sizeof slot_used);
    wn_tok_ids want = WN_TOK_IDS_INIT;
    uint64_t rng = 25;
    for (size_t w = 0; w < WORDS;) {
        strcpy(word[w], " ");
        for (unsigned k = 0, len = 8 + (unsigned)(w % 8); k < len; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            strcat(word[w], letter[(rng >> 33) % 12]);
        }
        size_t n = strlen(word[w]);
        wn_tok_key k;
        wn_tok_key_make(&k, (const uint8_t *)word[w], n, n);
        size_t slot = k.hash >> 40 & (WN_TOK_LONG_SLOTS - 1);
        piece_reference(g_tok, (const uint8_t *)word[w], n, &want);
        if (slot_used[slot] || want.len < 2 || want.len > 9 ||
            wn_tok_next_piece(g_tok->cls, (const uint8_t *)word[w], n, 0) != n)
            continue;
        slot_used[slot] = true;
        w++;
    }
    wn_tok_ids_release(&want);
    wn_tok_cache_clear();
    for (int round = 0; round < 2; round++) {
        size_t hits = wn_tok_long_cache_hits();
        encode_each_checked(word, WORDS);
        assert_int_equal(wn_tok_long_cache_hits() - hits, round == 0 ? 0 : WORDS);
    }
}

/* The chunks' cache serves a chunk seen before: its tag (encode.c) is put with the entry
 * and found again. 100 CJK phrases of 12 to 20 characters (36 to 60 bytes: over the long
 * cache's 32, so every time they are cut and their chunks looked up), encoded once from an
 * empty cache, then again: the second time (nearly) every chunk of more than one character
 * is found (a few may have lost their slot to another), each time with the ids of the piece
 * alone without a cache. */
static void test_chunk_cache_hits(void **state)
{
    (void)state;
    enum { PHRASES = 100 };
    static const char *const han[] = {
        "\xE7\x9A\x84", "\xE4\xB8\x80", "\xE6\x98\xAF", "\xE4\xB8\x8D", "\xE4\xBA\x86",
        "\xE4\xBA\xBA", "\xE6\x88\x91", "\xE5\x9C\xA8", "\xE6\x9C\x89", "\xE4\xBB\x96",
        "\xE8\xBF\x99", "\xE4\xB8\xAD", "\xE5\xA4\xA7", "\xE6\x9D\xA5", "\xE4\xB8\x8A",
        "\xE5\x9B\xBD", "\xE4\xB8\xAA", "\xE5\x88\xB0", "\xE8\xAF\xB4", "\xE4\xBB\xAC",
        "\xE4\xB8\xBA", "\xE5\xAD\x90", "\xE5\x92\x8C", "\xE4\xBD\xA0", "\xE5\x9C\xB0",
        "\xE5\x87\xBA", "\xE9\x81\x93", "\xE4\xB9\x9F", "\xE6\x97\xB6", "\xE5\xB9\xB4",
    };
    static char phrase[PHRASES][64];
    uint64_t rng = 2513;
    for (size_t i = 0; i < PHRASES; i++) {
        phrase[i][0] = 0;
        for (unsigned k = 0, len = 12 + (unsigned)(i % 9); k < len; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            strcat(phrase[i], han[(rng >> 33) % 30]);
        }
        assert_int_equal(wn_tok_next_piece(g_tok->cls, (const uint8_t *)phrase[i],
                                           strlen(phrase[i]), 0),
                         strlen(phrase[i]));
    }
    size_t missed[2];
    wn_tok_cache_clear();
    for (int round = 0; round < 2; round++) {
        size_t before = wn_tok_chunk_cache_misses();
        encode_each_checked(phrase, PHRASES);
        missed[round] = wn_tok_chunk_cache_misses() - before;
    }
    assert_true(missed[0] >= 40);
    assert_true(missed[1] <= missed[0] / 10);
}

/* The piece cache's entries (encode.c) tell their piece by its key's words and by the
 * length and the tokenizer's serial they keep in the bits above their ids. Pieces of four
 * ASCII bytes that are neither letters, digits nor white space (one piece), alone and with
 * a NUL byte after them (the same words, one id more), the first 8 whose two lengths meet
 * in one slot (the hash's bits from 40, WN_TOK_CACHE_SLOTS of them) and take at most 4
 * ids (so both are cached), each encoded right after the other, from an empty cache and
 * warm: only the length tells the two entries apart. Then a text encoded in turn by the
 * Llama 3 tokenizer and by a tokenizer of the 256 bytes alone, ranked in another order,
 * whose ids only the serial keeps apart. */
static void test_piece_cache_entries(void **state)
{
    (void)state;
    uint8_t others[64];
    size_t n_others = 0;
    for (unsigned b = 1; b < 0x80; b++)
        if (g_tok->cls->ascii[b] == WN_TC_OTHER)
            others[n_others++] = (uint8_t)b;
    assert_true(n_others > 40);
    wn_tok_ids got = WN_TOK_IDS_INIT, want = WN_TOK_IDS_INIT;
    size_t met = 0;
    wn_tok_cache_clear();
    for (size_t x = 0; x < n_others * n_others * n_others * n_others && met < 8; x++) {
        const uint8_t text[16] = { others[x % n_others], others[x / n_others % n_others],
                                   others[x / n_others / n_others % n_others],
                                   others[x / n_others / n_others / n_others], 0 };
        wn_tok_key k4, k5;
        wn_tok_key_make(&k4, text, 4, sizeof text);
        wn_tok_key_make(&k5, text, 5, sizeof text);
        if (((k4.hash ^ k5.hash) >> 40 & (WN_TOK_CACHE_SLOTS - 1)) != 0)
            continue;
        assert_int_equal(wn_tok_next_piece(g_tok->cls, text, 5, 0), 5);
        piece_reference(g_tok, text, 5, &want);
        if (want.len > 4)
            continue; /* not cached: nothing to tell apart */
        for (size_t i = 0; i < 6; i++) {
            size_t n = 4 + i % 2;
            piece_reference(g_tok, text, n, &want);
            got.len = 0;
            wn_tok_encode(g_tok, (const char *)text, n, 0, &got);
            assert_int_equal(got.len, want.len);
            assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
        }
        met++;
    }
    assert_int_equal(met, 8);

    char tiktoken[256 * 16], err[256];
    size_t len = 0;
    for (unsigned r = 0; r < 256; r++) {
        static const char b64[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        unsigned byte = r ^ 0xA5; /* rank r is this byte */
        len += (size_t)snprintf(tiktoken + len, sizeof tiktoken - len, "%c%c== %u\n",
                                b64[byte >> 2], b64[(byte & 3) << 4], r);
    }
    wn_tok *bytes = wn_tok_parse_tiktoken(tiktoken, len, "bytes", 0, err, sizeof err);
    assert_non_null(bytes);
    static const char text[] = "A text, as both tokenizers see it; one and the other again.";
    for (int round = 0; round < 4; round++) {
        got.len = 0;
        wn_tok_encode(bytes, text, strlen(text), 0, &got);
        assert_int_equal(got.len, strlen(text));
        for (size_t i = 0; i < got.len; i++)
            assert_int_equal(got.ids[i], (uint8_t)text[i] ^ 0xA5);
        got.len = want.len = 0;
        wn_tok_encode(g_tok, text, strlen(text), 0, &got);
        for (size_t p = 0, e; p < strlen(text); p = e) {
            e = wn_tok_next_piece(g_tok->cls, (const uint8_t *)text, strlen(text), p);
            wn_tok_ids one = WN_TOK_IDS_INIT;
            piece_reference(g_tok, (const uint8_t *)text + p, e - p, &one);
            for (size_t i = 0; i < one.len; i++)
                wn_tok_ids_push(&want, one.ids[i]);
            wn_tok_ids_release(&one);
        }
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
    }
    wn_tok_free(bytes);
    wn_tok_ids_release(&got);
    wn_tok_ids_release(&want);
}

/* Every character of the Basic Multilingual Plane outside ASCII (whole, as two parts, or
 * byte by byte: premerge.c), between neighbours that can take its first or last byte or
 * not (nothing, a space, a letter, a Cyrillic letter, a CJK character, a lone continuation
 * byte, a Hangul syllable (a token joins the last bytes of U+338E and others to it), the
 * character itself), as one piece: the same ids as BPE from bytes with a table of every
 * split. */
static void test_premerge_every_character(void **state)
{
    (void)state;
    wn_tok *all = tok_load_all_pairs();
    static const char *const side[] = { "",           " ",    "a", "\xD0\xB4", "\xE4\xB8\xAD",
                                        "\xEC\x9D\xB4", "\x80", NULL };
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    size_t n_two_parts = 0;
    for (uint32_t cp = 0x80; cp < 0x10000; cp++) {
        if (cp >= 0xD800 && cp < 0xE000)
            continue;
        uint8_t ch[3];
        size_t len = utf8_bmp(cp, ch);
        const wn_tok_premerge *pm = &g_tok->premerge;
        uint64_t e = pm->blocks[(size_t)pm->block_of[cp >> 8] * 256 + (cp & 255)];
        n_two_parts += (e & (WN_TOK_PREMERGE_FIRST_TWO | WN_TOK_PREMERGE_LAST_TWO)) != 0;
        for (int l = 0; l < 8; l++)
            for (int r = 0; r < 8; r += 2 - (r >= 4)) { /* nothing, a letter, CJK, Hangul, */
                                                         /* a continuation byte, itself */
                uint8_t text[16];
                size_t n = 0;
                const char *ls = side[l] ? side[l] : (const char *)ch;
                size_t ll = side[l] ? strlen(side[l]) : len;
                memcpy(text + n, ls, ll);
                n += ll;
                memcpy(text + n, ch, len);
                n += len;
                const char *rs = side[r] ? side[r] : (const char *)ch;
                size_t rl = side[r] ? strlen(side[r]) : len;
                memcpy(text + n, rs, rl);
                n += rl;
                a.len = b.len = 0;
                wn_tok_bpe_merge(g_tok, text, n, &a);
                wn_tok_bpe_merge(all, text, n, &b);
                if (a.len != b.len || memcmp(a.ids, b.ids, a.len * sizeof *a.ids) != 0)
                    fail_msg("U+%04X between '%s' and '%s': ids differ from BPE from bytes", cp,
                             side[l] ? side[l] : "itself", side[r] ? side[r] : "itself");
            }
    }
    assert_true(n_two_parts > 1000); /* the two-part case was reached */
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
    wn_tok_free(all);
}

/* The pair table keeps only the merge BPE makes last on each token's own bytes, and
 * characters outside ASCII and pairs of ASCII bytes may merge before BPE starts
 * (premerge.c); BPE from bytes with a
 * table of every split must give the same ids: on every token's bytes, on 100,000
 * concatenations of two to four random tokens and 20,000 strings of bytes drawn from
 * letters, characters, lone lead and continuation bytes (seeded), on every text of the
 * multilingual langid set, and on 20 byte ranges of each of its texts cut anywhere
 * (partial characters at the edges), as BPE of one piece of up to 300 bytes. */
static void test_last_merges_suffice(void **state)
{
    (void)state;
    wn_tok *all = tok_load_all_pairs();
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    uint8_t text[4 * 256];
    static const uint8_t alphabet[] = "ab \xc3\xa9\xd0\xb4\xe4\xb8\xad" /* a, e acute, de, zhong */
                                      "\x80\xbf\xe0\xed\xf0\x9f\xff.";   /* and broken ones */
    for (uint32_t i = 0; i < g_tok->n_ranks + 120000; i++) {
        size_t n = 0;
        if (i >= g_tok->n_ranks + 100000) { /* any bytes, well-formed UTF-8 or not */
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            n = 2 + (size_t)(rng >> 58) % 39;
            for (size_t k = 0; k < n; k++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                text[k] = alphabet[(rng >> 33) % (sizeof alphabet - 1)];
            }
        } else if (i < g_tok->n_ranks) {
            n = g_tok->off[i + 1] - g_tok->off[i];
            memcpy(text, g_tok->blob + g_tok->off[i], n);
        } else {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            for (unsigned k = 0, parts = 2 + (unsigned)(rng >> 62) % 3; k < parts; k++) {
                rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                uint32_t id = (uint32_t)((rng >> 33) % g_tok->n_ranks);
                size_t len = g_tok->off[id + 1] - g_tok->off[id];
                memcpy(text + n, g_tok->blob + g_tok->off[id], len);
                n += len;
            }
        }
        if (n < 2)
            continue;
        a.len = b.len = 0;
        wn_tok_bpe_merge(g_tok, text, n, &a);
        wn_tok_bpe_merge(all, text, n, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.ids, b.ids, a.len * sizeof *a.ids);
    }
    char path[512];
    const char *root = getenv("WINNOW_SHARED");
    snprintf(path, sizeof path, "%s/data/langid/langid.jsonl.gz", root ? root : "../shared");
    gzFile f = gzopen(path, "rb");
    if (!f) {
        wn_tok_ids_release(&a);
        wn_tok_ids_release(&b);
        wn_tok_free(all);
        print_message("shared data '%s' not found: skipped\n", path);
        skip();
    }
    static char line[1 << 20];
    size_t n_docs = 0;
    while (gzgets(f, line, sizeof line)) {
        json_t *j = json_loads(line, 0, NULL);
        json_t *doc = json_object_get(j, "text");
        assert_true(json_is_string(doc));
        a.len = b.len = 0;
        const uint8_t *s = (const uint8_t *)json_string_value(doc);
        size_t len = json_string_length(doc);
        wn_tok_encode(g_tok, (const char *)s, len, 0, &a);
        wn_tok_encode(all, (const char *)s, len, 0, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.ids, b.ids, a.len * sizeof *a.ids);
        for (int k = 0; k < 20 && len > 2; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t start = (size_t)(rng >> 33) % (len - 1);
            size_t n = 2 + (size_t)(rng >> 17) % 299;
            n = n < len - start ? n : len - start;
            a.len = b.len = 0;
            wn_tok_bpe_merge(g_tok, s + start, n, &a);
            wn_tok_bpe_merge(all, s + start, n, &b);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.ids, b.ids, a.len * sizeof *a.ids);
        }
        json_decref(j);
        n_docs++;
    }
    gzclose(f);
    assert_true(n_docs > 6000);
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
    wn_tok_free(all);
}


/* Into c, a three-byte character whose last (known_is_suffix) or first nk bytes are known,
 * the others being choice number x among the lead and continuation bytes they could be;
 * false when the result is not well-formed. */
static bool complete_char(const uint8_t *known, size_t nk, bool known_is_suffix, uint32_t x,
                          uint8_t c[3])
{
    size_t free_bytes = 3 - nk;
    uint8_t *fill = known_is_suffix ? c : c + nk;
    memcpy(known_is_suffix ? c + free_bytes : c, known, nk);
    for (size_t i = free_bytes; i-- > 0;) {
        bool lead = known_is_suffix && i == 0;
        fill[i] = lead ? (uint8_t)(0xE0 + x % 16) : (uint8_t)(0x80 + x % 64);
        x /= lead ? 16 : 64;
    }
    uint32_t cp;
    return utf8_decode(c, 3, &cp) == 3;
}

static unsigned completions(size_t nk, bool known_is_suffix)
{
    return nk == 3 ? 1 : known_is_suffix ? (nk == 2 ? 16 : 16 * 64) : (nk == 2 ? 64 : 64 * 64);
}

/* split.h may cut between two three-byte characters only where no token can span: for every
 * token and every three-byte character it starts inside it at k, whatever characters the
 * token's edge bytes belong to in a text (every well-formed completion of a partial one,
 * or 20,000 drawn at random when there are more), the cut is refused. Then wn_tok_encode,
 * which cuts, gives the ids of BPE on whole pieces (a tokenizer without the tables) on
 * 30,000 runs of random tokens with characters outside ASCII. */
static void test_split_cuts_sound(void **state)
{
    (void)state;
    const wn_tok_splits *sp = &g_tok->splits;
    assert_non_null(sp->bloom);
    uint64_t rng = 0x2545F4914F6CDD1Dull, checked = 0;
    for (uint32_t id = 0; id < g_tok->n_ranks; id++) {
        const uint8_t *T = (const uint8_t *)g_tok->blob + g_tok->off[id];
        size_t len = g_tok->off[id + 1] - g_tok->off[id];
        for (size_t k = 1; k < len; k++) {
            if ((T[k] & 0xF0) != 0xE0)
                continue;
            size_t nl = k < 3 ? k : 3, nr = len - k < 3 ? len - k : 3;
            unsigned left_n = completions(nl, true), right_n = completions(nr, false);
            uint64_t total = (uint64_t)left_n * right_n;
            for (uint64_t c = 0; c < (total < 20000 ? total : 20000); c++) {
                uint64_t pick = c;
                if (total > 20000) {
                    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
                    pick = (rng >> 20) % total;
                }
                uint8_t text[6];
                if (!complete_char(T + k - nl, nl, true, (uint32_t)(pick / right_n), text) ||
                    !complete_char(T + k, nr, false, (uint32_t)(pick % right_n), text + 3))
                    continue;
                uint32_t c1 = 0, c2 = 0;
                utf8_decode(text, 3, &c1);
                utf8_decode(text + 3, 3, &c2);
                if (wn_tok_split_ok(sp, text, 3, 3, sp->flags[c1], 3, sp->flags[c2]))
                    fail_msg("token %u spans a boundary split.h would cut (offset %zu)", id, k);
                checked++;
            }
        }
    }
    assert_true(checked > 100000);

    wn_tok *whole = tok_load_repo(); /* the reference: no table, every piece whole */
    assert_non_null(whole);
    wn_tok_splits_free(&whole->splits);
    uint32_t *high = malloc(g_tok->n_ranks * sizeof *high), n_high = 0;
    for (uint32_t id = 0; id < g_tok->n_ranks; id++)
        if (memchr(g_tok->blob + g_tok->off[id], 0xE4, g_tok->off[id + 1] - g_tok->off[id]) ||
            memchr(g_tok->blob + g_tok->off[id], 0xE3, g_tok->off[id + 1] - g_tok->off[id]))
            high[n_high++] = id; /* CJK ideographs and kana */
    assert_true(n_high > 1000);
    wn_tok_ids a = WN_TOK_IDS_INIT, b = WN_TOK_IDS_INIT;
    for (int i = 0; i < 30000; i++) {
        wn_buf text = WN_BUF_INIT;
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        for (unsigned k = 0, parts = 3 + (unsigned)(rng >> 60) % 10; k < parts; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            uint32_t id = high[(rng >> 33) % n_high];
            wn_buf_append(&text, g_tok->blob + g_tok->off[id], g_tok->off[id + 1] - g_tok->off[id]);
        }
        a.len = b.len = 0;
        wn_tok_encode(g_tok, text.data, text.len, 0, &a);
        wn_tok_encode(whole, text.data, text.len, 0, &b);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.ids, b.ids, a.len * sizeof *a.ids);
        wn_buf_release(&text);
    }
    free(high);
    wn_tok_ids_release(&a);
    wn_tok_ids_release(&b);
    wn_tok_free(whole);
}

/* The long pieces' scan (encode.c) starts at wn_tok_split_first_lead3, eight bytes a step,
 * and probes each boundary with the characters' values from wn_tok_split_char3: against a
 * byte loop on 200,000 runs of 8 to 40 bytes drawn from ASCII, lead and continuation bytes
 * (the last step's word overlapping the one before), and against wn_tok_split_bytes and
 * wn_tok_split_has for every three-byte lead with a spread of continuation bytes. */
static void test_split_scan_helpers(void **state)
{
    (void)state;
    static const uint8_t kinds[] = { 'a', ' ', 0xC3, 0xD0, 0x80, 0xBF, 0xE0, 0xE4, 0xEF, 0xF0, 0xFF };
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    for (int round = 0; round < 200000; round++) {
        uint8_t p[40];
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = 8 + (size_t)(rng >> 58) % 33;
        unsigned lead_odds = 1 + (unsigned)(rng >> 40) % 40; /* leads rare or common */
        for (size_t i = 0; i < n; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            p[i] = (rng >> 33) % lead_odds == 0 ? (uint8_t)(0xE0 | (rng >> 20 & 15))
                                                 : kinds[(rng >> 45) % 6];
        }
        size_t want = 0;
        while (want < n && (p[want] & 0xF0) != 0xE0)
            want++;
        assert_int_equal(wn_tok_split_first_lead3(p, n), want);
    }
    const wn_tok_splits *sp = &g_tok->splits;
    for (unsigned b0 = 0xE0; b0 <= 0xEF; b0++)
        for (unsigned b1 = 0x80; b1 <= 0xBF; b1 += 7)
            for (unsigned b2 = 0x80; b2 <= 0xBF; b2 += 5) {
                uint8_t c[6] = { 0xE4, 0xB8, 0xAD, (uint8_t)b0, (uint8_t)b1, (uint8_t)b2 };
                assert_int_equal(wn_tok_split_char3(c + 3), wn_tok_split_bytes(c + 3, 3));
                assert_int_equal(wn_tok_split_has_sides(sp, wn_tok_split_char3(c),
                                                        wn_tok_split_char3(c + 3)),
                                 wn_tok_split_has(sp, c, 3, 3, 3));
            }
}

/* Pieces " " + 5 to 11 lowercase letters whose vocabulary probe meets a token's slot with
 * the piece's fingerprint that is not the piece (a false match, ~1 in 33,000 such pieces,
 * found by drawing them), into found[want][16], zero-terminated. */
static void false_match_pieces(char (*found)[16], size_t want)
{
    uint64_t rng = 29;
    size_t n_found = 0;
    for (size_t tries = 0; n_found < want && tries < 20000000; tries++) {
        char piece[16] = { ' ' };
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        size_t n = 6 + (rng >> 60) % 7;
        for (size_t i = 1; i < n; i++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            piece[i] = (char)('a' + (rng >> 33) % 26);
        }
        wn_tok_key k;
        wn_tok_key_make(&k, (const uint8_t *)piece, n, n);
        int64_t unchecked = wn_tok_lookup_unchecked(g_tok, &k);
        if (unchecked < 0 || wn_tok_lookup_key(g_tok, piece, n, &k) == unchecked)
            continue;
        memcpy(found[n_found++], piece, sizeof piece);
    }
    assert_int_equal(n_found, want);
}

/* The text of pieces[0..n) (each one pre-token piece) against their ids one by one without
 * a cache (piece_reference): encoded twice (from an empty cache, then warm) and counted. */
static void check_pieces(const char *const *pieces, size_t n)
{
    char text[1024];
    size_t len = 0;
    wn_tok_ids want = WN_TOK_IDS_INIT, one = WN_TOK_IDS_INIT, got = WN_TOK_IDS_INIT;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(pieces[i]);
        assert_true(len + l < sizeof text);
        memcpy(text + len, pieces[i], l);
        len += l;
        piece_reference(g_tok, (const uint8_t *)pieces[i], l, &one);
        for (size_t j = 0; j < one.len; j++)
            wn_tok_ids_push(&want, one.ids[j]);
    }
    wn_tok_cache_clear();
    for (int round = 0; round < 2; round++) {
        got.len = 0;
        wn_tok_encode(g_tok, text, len, 0, &got);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.ids, want.ids, want.len * sizeof *want.ids);
    }
    wn_tok_cache_clear();
    assert_int_equal(wn_tok_count(g_tok, text, len, 0), want.len);
    assert_int_equal(wn_tok_count(g_tok, text, len, 0), want.len);
    wn_tok_ids_release(&want);
    wn_tok_ids_release(&one);
    wn_tok_ids_release(&got);
}

/* A short piece's whole-token id is taken before its key is compared, which comes a batch
 * later (encode.c, unverified_log): pieces whose fingerprint falsely matches a token must
 * still get their own ids, the encoder going back to them. Each at the start of a text,
 * in its middle, twice (the second from the piece cache, which must not keep the unchecked
 * id), two next to each other (the second's entry unchecked when the first fails), at the
 * end (checked after the loop); texts of 64 bytes and more (cut by the masks) and shorter
 * (by the matcher), then all by the matcher alone (no AVX2). */
static void check_false_matches(void)
{
    char found[3][16];
    false_match_pieces(found, 3);
    const char *a = found[0], *b = found[1], *c = found[2];
    const char *texts[][24] = {
        { a, " the", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog",
          " and", " then", " some", " more", " words", " after", " it", " all", NULL },
        { " the", " quick", " brown", " fox", " jumps", " over", a, " lazy", " dog", a,
          " and", " then", b, c, " more", " words", " after", " it", " all", c, NULL },
        { " one", " two", " three", " four", " five", " six", " seven", " eight", " nine",
          " ten", " eleven", " twelve", " thirteen", " fourteen", b, NULL },
        { " it", " is", a, b, NULL },
        { a, NULL },
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        size_t n = 0;
        while (texts[i][n])
            n++;
        check_pieces(texts[i], n);
    }
}

static void test_false_fingerprint_matches(void **state)
{
    (void)state;
    check_false_matches();
    g_classes_saved = g_tok->cls;
    g_classes_without_avx2 = *g_classes_saved;
    g_classes_without_avx2.avx2 = false;
    g_tok->cls = &g_classes_without_avx2;
    check_false_matches();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_vectors),
        cmocka_unit_test(test_golden_tiktoken),
        cmocka_unit_test_teardown(test_golden_without_avx2, restore_classes),
        cmocka_unit_test(test_golden_tokenizer_json),
        cmocka_unit_test(test_tokenizer_json_merges),
        cmocka_unit_test(test_llamacpp_vocab),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_special_tokens),
        cmocka_unit_test(test_pathological),
        cmocka_unit_test(test_pair_key_masked),
        cmocka_unit_test(test_pair_table_build),
        cmocka_unit_test(test_merge_loops_match_reference),
        cmocka_unit_test(test_vector_merge_loop),
        cmocka_unit_test(test_bpe_paths_match_reference),
        cmocka_unit_test(test_sweep_matches_heap),
        cmocka_unit_test(test_windows_match_heap),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_threads_come_and_go),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_pretok_letter_blocks),
        cmocka_unit_test(test_pretok_decode_common),
        cmocka_unit_test(test_classes_match_icu),
        cmocka_unit_test(test_pretok_every_bmp_character),
        cmocka_unit_test(test_pretok_cutter_masks),
        cmocka_unit_test(test_pretok_cutter),
        cmocka_unit_test(test_key_has_high_byte),
        cmocka_unit_test(test_key_make_masks),
        cmocka_unit_test(test_single_byte_pieces),
        cmocka_unit_test(test_long_piece_cache),
        cmocka_unit_test(test_long_cache_hits),
        cmocka_unit_test(test_chunk_cache_hits),
        cmocka_unit_test(test_piece_cache_entries),
        cmocka_unit_test_teardown(test_false_fingerprint_matches, restore_classes),
        cmocka_unit_test(test_premerge_every_character),
        cmocka_unit_test(test_last_merges_suffice),
        cmocka_unit_test(test_split_cuts_sound),
        cmocka_unit_test(test_split_scan_helpers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
