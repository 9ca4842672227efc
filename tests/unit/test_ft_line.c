/* test_ft_line.c: the line reader of classify/ft_line.c (tokens found 64 bytes at a time,
 * the per-thread word cache in 4-way sets with second sets, long and huge slots) against a plain
 * reference: the text split byte by byte at fastText's whitespace, each token through
 * wn_ft_add_token.
 * Rows, labels and hashes must be the same, in the same order, for the uncached reader and
 * for the cached one, cold and warm, on random texts that put tokens across every 16- and
 * 64-byte boundary and end at every offset (each text in a buffer of exactly its length,
 * so ASan sees any read past it), and on enough distinct words to evict from every set. */
#include "classify/ft_internal.h"
#include "testutil.h"

static bool ref_space(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' ||
           c == '\0';
}

/* Dictionary::getLine as fastText writes it, one byte at a time. */
static void ref_read_line(const wn_ft_model *m, const char *text, size_t len, wn_ft_line *l)
{
    l->rows.n = l->hashes.n = l->labels.n = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && ref_space((unsigned char)text[i]))
            i++;
        size_t start = i;
        while (i < len && !ref_space((unsigned char)text[i]))
            i++;
        if (i > start)
            wn_ft_add_token(m, text + start, i - start, l);
    }
    wn_ft_add_token(m, WN_FT_EOS, 4, l);
    wn_ft_word_ngrams(m, l);
}

static void assert_same_ivec(const wn_ft_ivec *a, const wn_ft_ivec *b, const char *what,
                             const char *text, size_t len)
{
    bool same = a->n == b->n && (a->n == 0 || memcmp(a->v, b->v, a->n * sizeof *a->v) == 0);
    if (!same)
        fail_msg("%s differ (%zu vs %zu) for '%.*s'", what, a->n, b->n, (int)(len < 80 ? len : 80),
                 text);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random token: English words, words with UTF-8, labels, "</s>", long runs of letters. */
static size_t random_token(uint64_t *s, char *out)
{
    static const char *const pieces[] = {
        "the", "and", "of", "de", "la", "was", "information", "é", "日本", "Ж", "ção",
        "__label__en", "__label__zz", "</s>", "http://example.org/a/b?c=d", "ing", "x",
    };
    size_t n = 0, parts = 1 + rng_next(s) % 4;
    for (size_t p = 0; p < parts; p++) {
        if (rng_next(s) % 3) {
            const char *w = pieces[rng_next(s) % (sizeof pieces / sizeof *pieces)];
            memcpy(out + n, w, strlen(w));
            n += strlen(w);
        } else {
            size_t k = 1 + rng_next(s) % (rng_next(s) % 8 ? 12 : 90);
            for (size_t j = 0; j < k; j++)
                out[n++] = (char)('a' + rng_next(s) % 26);
        }
    }
    return n;
}

/* Random text of about `target` bytes: tokens between runs of every kind of space. */
static size_t random_text(uint64_t *s, char *out, size_t target)
{
    static const char spaces[] = {' ', '\n', '\r', '\t', '\v', '\f', '\0'};
    size_t n = 0;
    if (rng_next(s) % 4 == 0)
        out[n++] = ' ';
    while (n < target) {
        n += random_token(s, out + n);
        size_t k = rng_next(s) % 5 ? 1 : 1 + rng_next(s) % 70;
        for (size_t j = 0; j < k; j++)
            out[n++] = rng_next(s) % 4 ? ' ' : spaces[rng_next(s) % sizeof spaces];
    }
    return n;
}

static void check_text(const wn_ft_model *m, const char *buf, size_t len, wn_ft_line *ref,
                       wn_ft_line *got)
{
    char *text = malloc(len ? len : 1); /* exactly len bytes: ASan sees reads past it */
    assert_non_null(text);
    memcpy(text, buf, len);
    ref_read_line(m, text, len, ref);
    wn_ft_read_line(m, text, len, true, got);
    assert_same_ivec(&ref->rows, &got->rows, "rows", text, len);
    assert_same_ivec(&ref->labels, &got->labels, "labels", text, len);
    assert_same_ivec(&ref->hashes, &got->hashes, "hashes", text, len);
    for (int pass = 0; pass < 2; pass++) { /* cold, then from the cache */
        wn_ft_read_line_cached(m, text, len, true, got);
        assert_same_ivec(&ref->rows, &got->rows, "cached rows", text, len);
        assert_same_ivec(&ref->labels, &got->labels, "cached labels", text, len);
    }
    free(text);
}

static wn_ft_model *load_lid(void)
{
    char lid[512], err[256];
    SHARED_OR_SKIP(lid, "models/lid.176.ftz");
    wn_ft_model *m = wn_ft_load(lid, err, sizeof err);
    if (!m)
        fail_msg("%s", err);
    return m;
}

static void test_random_texts(void **state)
{
    (void)state;
    wn_ft_model *m = load_lid();
    wn_ft_line ref, got;
    wn_ft_line_init(&ref);
    wn_ft_line_init(&got);
    char *buf = malloc(4096);
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int t = 0; t < 3000; t++) {
        size_t len = random_text(&s, buf, 1 + rng_next(&s) % 300);
        for (size_t cut = len > 140 ? len - 140 : 0; cut <= len; cut++)
            if (cut == len || rng_next(&s) % 8 == 0)
                check_text(m, buf, cut, &ref, &got);
    }
    check_text(m, "", 0, &ref, &got);
    free(buf);
    wn_ft_line_release(&ref);
    wn_ft_line_release(&got);
    wn_ft_free(m);
}

/* Texts of 1 to 400 tokens, so that the cached reader's batches (128 tokens for lid.176's
 * compact cache) end one token before, at and one after the text's last token, with tokens
 * of every kind (short, long, over 64 bytes) at the turns: each against the byte reference,
 * cold and from the cache. */
static void test_batch_turns(void **state)
{
    (void)state;
    wn_ft_model *m = load_lid();
    wn_ft_line ref, got;
    wn_ft_line_init(&ref);
    wn_ft_line_init(&got);
    char *buf = malloc(400 * 400); /* a token is at most 4 pieces of 90 bytes */
    uint64_t s = 0xB5AD4ECEDA1CE2A9ull;
    for (size_t ntok = 1; ntok <= 400; ntok++) {
        size_t n = 0;
        for (size_t k = 0; k < ntok; k++) {
            n += random_token(&s, buf + n);
            buf[n++] = ' ';
        }
        check_text(m, buf, n - 1, &ref, &got); /* the last token at the text's end */
        check_text(m, buf, n, &ref, &got);
    }
    free(buf);
    wn_ft_line_release(&ref);
    wn_ft_line_release(&got);
    wn_ft_free(m);
}

/* 200,000 distinct words (~6 per set of the 32,768, and ~1,000 with too many rows for a
 * small slot, competing for 4,096 long slots), read twice: evictions (from first and second
 * sets) and stale long slots. */
static void test_evictions(void **state)
{
    (void)state;
    wn_ft_model *m = load_lid();
    wn_ft_line ref, got;
    wn_ft_line_init(&ref);
    wn_ft_line_init(&got);
    enum { WORDS = 200000, PER_LINE = 500 };
    char *buf = malloc((size_t)PER_LINE * 20);
    for (int round = 0; round < 2; round++) {
        uint64_t s = 12345;
        for (int w = 0; w < WORDS; w += PER_LINE) {
            size_t n = 0;
            for (int k = 0; k < PER_LINE; k++) {
                size_t len = 1 + rng_next(&s) % 16;
                for (size_t j = 0; j < len; j++)
                    buf[n++] = (char)('a' + rng_next(&s) % 26);
                buf[n++] = ' ';
            }
            check_text(m, buf, n, &ref, &got);
        }
    }
    /* words pushed out of their second sets too: each set's count of its guests still right */
    assert_int_equal(wn_ft_cache_check(m), 0);
    free(buf);
    wn_ft_line_release(&ref);
    wn_ft_line_release(&got);
    wn_ft_free(m);
}

/* `words` distinct words of min_len .. min_len + spread - 1 letters, read in the same order
 * twice with a fresh cache (a new model), 100 a line: every line's rows against the byte
 * reference; fails when the second pass read more than max_reads words again from the
 * dictionary. */
static void check_second_pass(int words, size_t min_len, size_t spread, uint64_t seed,
                              uint64_t max_reads)
{
    wn_ft_model *m = load_lid(); /* a new model: this thread's cache starts empty */
    wn_ft_line ref, got;
    wn_ft_line_init(&ref);
    wn_ft_line_init(&got);
    enum { PER_LINE = 100 };
    char *buf = malloc(PER_LINE * (min_len + spread + 1));
    uint64_t reads_before = 0;
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            reads_before = wn_ft_cache_reads();
        uint64_t s = seed;
        for (int w = 0; w < words; w += PER_LINE) {
            size_t n = 0;
            for (int k = 0; k < PER_LINE; k++) {
                size_t len = min_len + rng_next(&s) % spread;
                for (size_t j = 0; j < len; j++)
                    buf[n++] = (char)('a' + rng_next(&s) % 26);
                buf[n++] = ' ';
            }
            wn_ft_read_line_cached(m, buf, n, true, &got);
            ref_read_line(m, buf, n, &ref);
            assert_same_ivec(&ref.rows, &got.rows, "cached rows", buf, n);
        }
    }
    uint64_t reads = wn_ft_cache_reads() - reads_before;
    assert_int_equal(wn_ft_cache_check(m), 0); /* each set's count of its guests */
    free(buf);
    wn_ft_line_release(&ref);
    wn_ft_line_release(&got);
    wn_ft_free(m);
    if (reads > max_reads)
        fail_msg("%llu of %d words of %zu-%zu letters read again from the dictionary on the "
                 "second pass", (unsigned long long)reads, words, min_len, min_len + spread - 1);
}

/* 60,000 distinct words of 4-10 letters, one small slot each (~1.8 per set of the 32,768, so
 * ~4% of the sets get more than their 4 ways): the second pass must find nearly every word
 * in the cache (143 read again here). A word pushed out of a full set goes to its second
 * set; without that, the ~6,900 words of the overfull sets push each other out on every
 * pass, each read again from the dictionary. */
static void test_second_sets(void **state)
{
    (void)state;
    check_second_pass(60000, 4, 7, 777, 60000 / 100);
}

/* Words of 17 to 64 bytes (and short words of many rows) live in the long slots, 2-way sets:
 * of 3,000 distinct words of 17-24 letters most must stay there (467 read again on the
 * second pass with 4,096 sets, 1,274 with 2,048: a set that gets three of them loses all
 * three on every pass). */
static void test_long_slots(void **state)
{
    (void)state;
    check_second_pass(3000, 17, 8, 4242, 3000 * 3 / 10);
}

/* Tokens of more than 64 bytes (separators, URLs, CJK runs) live in the huge slots, 2-way
 * sets allocated at the first such token: of 400 distinct words of 65-144 letters most must
 * stay there (34 read again here: three or more words in a set, read in turn, push each
 * other out); without the huge slots all 400 were. */
static void test_huge_slots(void **state)
{
    (void)state;
    check_second_pass(400, 65, 80, 999, 400 / 8);
}

/* Dictionary::computeSubwords and pushHash as fastText writes them: every n-gram's bytes
 * hashed afresh, `%` for the bucket, the prune map as a plain array (-1: not kept). */
static void ref_char_ngrams(const wn_ft_dict *d, const wn_ft_args *a, const int32_t *kept_val,
                            const char *bw, size_t n, wn_ft_ivec *rows)
{
    for (size_t i = 0; i < n; i++) {
        if (((unsigned char)bw[i] & 0xC0) == 0x80)
            continue;
        size_t j = i;
        for (int32_t len = 1; j < n && len <= a->maxn; len++) {
            j++;
            while (j < n && ((unsigned char)bw[j] & 0xC0) == 0x80)
                j++;
            if (len < a->minn || (len == 1 && (i == 0 || j == n)))
                continue;
            int32_t b = (int32_t)(wn_ft_hash(bw + i, j - i) % (uint32_t)a->bucket);
            if (kept_val && kept_val[b] < 0)
                continue;
            wn_ft_ivec_push(rows, d->nwords + (kept_val ? kept_val[b] : b));
        }
    }
}

/* The char n-gram rows of random words ("<word>": ASCII, UTF-8, lone continuation bytes,
 * 1 to 150 bytes) against the reference, for lid.176's lengths (2 to 4, which have their
 * own unrolled copy) and others, with its prune map and without one. */
static void test_char_ngrams(void **state)
{
    (void)state;
    wn_ft_model *m = load_lid();
    const wn_ft_dict *d = &m->dict;
    assert_true(d->prune_size > 0 && m->args.minn == 2 && m->args.maxn == 4);
    int32_t *kept_val = malloc((size_t)m->args.bucket * sizeof *kept_val);
    assert_non_null(kept_val);
    memset(kept_val, 0xff, (size_t)m->args.bucket * sizeof *kept_val);
    for (uint32_t i = 0; i <= d->prune_mask; i++)
        if (d->prune[i].key >= 0)
            kept_val[d->prune[i].key] = d->prune[i].val;
    wn_ft_dict unpruned = *d; /* the same buckets, every one kept */
    unpruned.prune_size = -1;
    unpruned.prune_bits = NULL;
    static const int32_t lengths[][2] = {{2, 4}, {3, 6}, {1, 1}, {0, 1}, {1, 3}, {2, 2},
                                         {5, 3}, {2, 64}};
    wn_ft_ivec ref, got;
    wn_ft_ivec_init(&ref, NULL, 0);
    wn_ft_ivec_init(&got, NULL, 0);
    static const char *const pieces[] = {"é", "日本", "\x80", "\xBF\xBF", "Ж"};
    uint64_t s = 77;
    char w[400];
    for (int t = 0; t < 20000; t++) {
        size_t n = 0, len = 1 + rng_next(&s) % (rng_next(&s) % 8 ? 14 : 150);
        bool ascii = rng_next(&s) % 2;
        w[n++] = '<';
        while (n < len + 1) {
            if (ascii || rng_next(&s) % 4) {
                bool letter = rng_next(&s) % 2;
                w[n++] = (char)(letter ? 'a' + rng_next(&s) % 26 : 33 + rng_next(&s) % 94);
            } else {
                const char *p = pieces[rng_next(&s) % (sizeof pieces / sizeof *pieces)];
                memcpy(w + n, p, strlen(p));
                n += strlen(p);
            }
        }
        w[n++] = '>';
        for (size_t k = 0; k < sizeof lengths / sizeof *lengths; k++) {
            wn_ft_args a = m->args;
            a.minn = lengths[k][0];
            a.maxn = lengths[k][1];
            for (int pruned = 0; pruned < 2; pruned++) {
                const wn_ft_dict *dd = pruned ? d : &unpruned;
                ref.n = got.n = 0;
                ref_char_ngrams(dd, &a, pruned ? kept_val : NULL, w, n, &ref);
                wn_ft_char_ngrams(dd, &a, w, n, &got);
                assert_same_ivec(&ref, &got, "char n-gram rows", w, n);
            }
        }
    }
    wn_ft_ivec_release(&ref);
    wn_ft_ivec_release(&got);
    free(kept_val);
    wn_ft_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_texts),
        cmocka_unit_test(test_batch_turns),
        cmocka_unit_test(test_evictions),
        cmocka_unit_test(test_second_sets),
        cmocka_unit_test(test_long_slots),
        cmocka_unit_test(test_huge_slots),
        cmocka_unit_test(test_char_ngrams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
