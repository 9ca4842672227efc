/* test_filter_heuristics.c: text analysis, Gopher quality and repetition, C4, FineWeb and
 * Llama 3's line filter, on real text from ../shared/data/quality (Brown corpus prose and
 * SpamAssassin spam), plus the bad inputs every filter must survive. */
#include "filter_helpers.h"

/* The first Brown ("high") document with at least min_len bytes, copied into buf. */
typedef struct pick {
    const char *label;
    size_t min_len;
    char *text;
} pick;

static int pick_one(wn_doc *d, void *ctx)
{
    pick *p = ctx;
    const char *label = meta_str(d, "label");
    if (!label || strcmp(label, p->label) || d->text.len < p->min_len)
        return 0;
    p->text = strndup(d->text.ptr, d->text.len);
    return 1;
}

static char *real_text(const char *label, size_t min_len)
{
    char path[512];
    SHARED_OR_SKIP(path, "quality/quality.jsonl.gz");
    pick p = {label, min_len, NULL};
    each_shared_doc(path, pick_one, &p);
    assert_non_null(p.text);
    return p.text;
}

static void test_text_analysis(void **state)
{
    const char *s = "Hello, world! It's 3.5 e-mail...\r\n#tag \xe2\x80\x94 caf\xc3\xa9\n\n";
    const wn_text *t = wn_text_analyze_buf(s, strlen(s));
    assert_int_equal(t->n_lines, 3);
    assert_int_equal(t->lines[0].len, strlen("Hello, world! It's 3.5 e-mail...")); /* no \r */
    /* Hello , world ! It's 3.5 e-mail ... # tag — café */
    const char *want[] = {"Hello", ",", "world", "!", "It's", "3.5", "e-mail", "...", "#", "tag",
                          "\xe2\x80\x94", "caf\xc3\xa9"};
    assert_int_equal(t->n_words, 12);
    for (size_t i = 0; i < 12; i++) {
        assert_int_equal(t->words[i].len, strlen(want[i]));
        assert_memory_equal(s + t->words[i].off, want[i], t->words[i].len);
    }
    assert_true(t->words[1].flags & WN_WORD_SYMBOL);
    assert_true(t->words[10].flags & WN_WORD_SYMBOL); /* em dash is punctuation (ICU) */
    assert_false(t->words[5].flags & WN_WORD_ALPHA);  /* 3.5 */
    assert_true(t->words[11].flags & WN_WORD_ALPHA);
    assert_int_equal(t->n_nonsym, 7);
    assert_false(t->ascii);
}

static void test_cjk_and_thai_are_segmented(void **state)
{
    /* ICU splits unspaced Chinese and Thai into several words */
    const char *zh = "\xe6\x88\x91\xe4\xbb\xac\xe6\x98\xaf\xe4\xb8\xad\xe5\x9b\xbd\xe4\xba\xba"; /* 我们是中国人 */
    const wn_text *t = wn_text_analyze_buf(zh, strlen(zh));
    assert_true(t->n_nonsym >= 3);
    const char *th = "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5"
                     "\xe0\xb8\x84\xe0\xb8\xa3\xe0\xb8\xb1\xe0\xb8\x9a"; /* สวัสดีครับ */
    t = wn_text_analyze_buf(th, strlen(th));
    assert_int_equal(t->n_nonsym, 2);
    /* ASCII stays on the fast path: one token per word */
    t = wn_text_analyze_buf("plain words here", 16);
    assert_int_equal(t->n_words, 3);
    assert_true(t->ascii);
}

static void test_gopher_quality_on_real_text(void **state)
{
    char *text = real_text("high", 1500);
    wn_stage *st = filter_make("gopher_quality", "");
    wn_doc d;
    assert_null(filter_run(st, &d, text, strlen(text), NULL));
    assert_true(attr(&d, "gopher.word_count") >= 50);
    assert_true(attr(&d, "gopher.mean_word_length") > 3 && attr(&d, "gopher.mean_word_length") < 10);
    assert_true(attr(&d, "gopher.stop_words") >= 2);
    wn_doc_release(&d);

    /* the same prose with a '#' after every word fails the symbol ratio */
    wn_buf b = WN_BUF_INIT;
    for (const char *p = text; *p; p++) {
        wn_buf_appendc(&b, *p);
        if (*p == ' ')
            wn_buf_appends(&b, "# ");
    }
    assert_reason(filter_run(st, &d, b.data, b.len, NULL), "gopher.symbol_ratio");
    wn_doc_release(&d);
    /* the first 20 words are too few; a raised threshold is honoured */
    assert_reason(filter_run(st, &d, text, 100, NULL), "gopher.too_few_words");
    wn_doc_release(&d);
    wn_stage_free(st);
    st = filter_make("gopher_quality", "min_stop_words: 100000, max_doc_words: 1000000");
    assert_reason(filter_run(st, &d, text, strlen(text), NULL), "gopher.stop_words");
    wn_doc_release(&d);
    wn_stage_free(st);
    wn_buf_release(&b);
    free(text);
}

static void test_gopher_repetition(void **state)
{
    char *text = real_text("high", 1500);
    wn_stage *st = filter_make("gopher_repetition", "");
    wn_doc d;
    assert_null(filter_run(st, &d, text, strlen(text), NULL));
    assert_true(attr(&d, "gopher_rep.dup_line_frac") == 0.0);
    wn_doc_release(&d);
    /* three copies of the same paragraph: duplicate paragraphs */
    wn_buf b = WN_BUF_INIT;
    for (int i = 0; i < 3; i++)
        wn_buf_appendf(&b, "%s\n\n", text);
    assert_reason(filter_run(st, &d, b.data, b.len, NULL), "gopher_rep.dup_para_frac");
    assert_true(attr(&d, "gopher_rep.dup_para_frac") > 0.6);
    /* the first failing rule ends the filter's work, as in datatrove */
    assert_false(has_attr(&d, "gopher_rep.dup_line_frac"));
    assert_false(has_attr(&d, "gopher_rep.dup_10gram_char_frac"));
    wn_doc_release(&d);
    wn_stage_free(st);
    /* --annotate-only computes every signal; the reason is the same first failing rule */
    st = filter_make_mode("gopher_repetition", "", true);
    assert_reason(filter_run(st, &d, b.data, b.len, NULL), "gopher_rep.dup_para_frac");
    assert_true(attr(&d, "gopher_rep.dup_line_frac") > 0.6);
    assert_true(attr(&d, "gopher_rep.dup_10gram_char_frac") > 0.5);
    wn_doc_release(&d);
    wn_stage_free(st);
    /* with paragraph and line rules off, the duplicated n-grams still catch it */
    st = filter_make("gopher_repetition", "dup_para_frac: 1, dup_para_char_frac: 1, "
                     "dup_line_frac: 1, dup_line_char_frac: 1");
    const char *r = filter_run(st, &d, b.data, b.len, NULL);
    assert_non_null(r);
    assert_non_null(strstr(r, "gram_char_frac"));
    wn_doc_release(&d);
    wn_stage_free(st);
    wn_buf_release(&b);
    free(text);
}

static void test_c4_lines_and_documents(void **state)
{
    char *text = real_text("high", 1500);
    wn_stage *st = filter_make("c4", "");
    wn_doc d;
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "Please enable JavaScript to view this page properly.\n%s\nshort line\n"
                   "This site uses cookies to improve your experience.\n", text);
    assert_null(filter_run(st, &d, b.data, b.len, NULL));
    assert_null(strstr(d.text.ptr, "JavaScript"));
    assert_null(strstr(d.text.ptr, "cookies"));
    assert_null(strstr(d.text.ptr, "short line"));
    assert_true(attr(&d, "c4.removed_line_char_frac") > 0.0);
    wn_doc_release(&d);
    /* a lorem ipsum line or a curly bracket drops the whole document */
    wn_buf_reset(&b);
    wn_buf_appendf(&b, "%s\nLorem ipsum dolor sit amet, consectetur adipiscing elit.\n", text);
    assert_reason(filter_run(st, &d, b.data, b.len, NULL), "c4.lorem_ipsum");
    wn_doc_release(&d);
    wn_buf_reset(&b);
    wn_buf_appendf(&b, "%s\nCall the function f() { return x; } to get the value.\n", text);
    assert_reason(filter_run(st, &d, b.data, b.len, NULL), "c4.curly_bracket");
    wn_doc_release(&d);
    assert_reason(filter_run(st, &d, "One sentence only.", 18, NULL), "c4.too_few_sentences");
    wn_doc_release(&d);
    wn_stage_free(st);
    wn_buf_release(&b);
    free(text);
}

static void test_fineweb_rules(void **state)
{
    char *text = real_text("high", 1500);
    wn_stage *st = filter_make("fineweb", "");
    wn_doc d;
    assert_null(filter_run(st, &d, text, strlen(text), NULL));
    wn_doc_release(&d);
    /* one word per line: a list, short lines */
    wn_buf b = WN_BUF_INIT;
    for (const char *p = text; *p; p++)
        wn_buf_appendc(&b, *p == ' ' ? '\n' : *p);
    const char *r = filter_run(st, &d, b.data, b.len, NULL);
    assert_true(r && (!strcmp(r, "fineweb.short_line_ratio") || !strcmp(r, "fineweb.line_punct_ratio")));
    assert_true(attr(&d, "fineweb.list_ratio") > 0.3);
    wn_doc_release(&d);
    /* a repeated line holds more than 1% of the characters */
    wn_buf_reset(&b);
    wn_buf_appendf(&b, "%s\nRead more about this story on our website today.\n"
                   "Read more about this story on our website today.\n", text);
    assert_reason(filter_run(st, &d, b.data, b.len, NULL), "fineweb.char_dup_ratio");
    wn_doc_release(&d);
    wn_stage_free(st);
    wn_buf_release(&b);
    free(text);
}

static void test_llama3_removes_repeated_log_lines(void **state)
{
    char *text = real_text("high", 1500);
    wn_stage *st = filter_make("llama3_lines", "");
    wn_doc d;
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s\n", text);
    for (int i = 0; i < 12; i++)
        wn_buf_appendf(&b, "2024-03-0%d 12:%02d:%02d ERROR worker-%d: connection to 10.0.0.%d "
                       "refused, retrying in %d seconds\n", 1 + i % 9, i, 7 * i % 60, i % 4, i, i + 1);
    assert_null(filter_run(st, &d, b.data, b.len, NULL));
    /* the first log line stays, its 11 repeats go */
    const char *first = strstr(d.text.ptr, "ERROR worker-0");
    assert_non_null(first);
    assert_null(strstr(first + 1, "ERROR worker"));
    assert_int_equal((int)attr(&d, "llama3.dup_ngram_lines"), 11);
    assert_true(strlen(d.text.ptr) >= strlen(text) - 1);
    wn_doc_release(&d);
    /* real prose alone keeps every line */
    assert_null(filter_run(st, &d, text, strlen(text), NULL));
    assert_int_equal((int)attr(&d, "llama3.dup_ngram_lines"), 0);
    assert_int_equal(d.text.len, strlen(text));
    wn_doc_release(&d);
    wn_stage_free(st);
    wn_buf_release(&b);
    free(text);
}

/* Over the whole quality set, Gopher quality keeps Brown prose more often than spam. */
typedef struct rates {
    wn_stage *st;
    size_t n[2], kept[2];
} rates;

static int rate_one(wn_doc *d, void *ctx)
{
    rates *r = ctx;
    int hi = !strcmp(meta_str(d, "label"), "high");
    wn_stats s;
    wn_stats_init(&s, "t");
    r->st->process_doc(r->st->state, d, &s);
    wn_stats_release(&s);
    r->n[hi]++;
    r->kept[hi] += d->drop_reason == NULL;
    return 0;
}

static void test_quality_set_separation(void **state)
{
    char path[512];
    SHARED_OR_SKIP(path, "quality/quality.jsonl.gz");
    const char *names[] = {"gopher_quality", "fineweb", "gopher_repetition"};
    for (size_t i = 0; i < 3; i++) {
        rates r = {filter_make(names[i], ""), {0, 0}, {0, 0}};
        each_shared_doc(path, rate_one, &r);
        double hi = (double)r.kept[1] / (double)r.n[1], lo = (double)r.kept[0] / (double)r.n[0];
        print_message("%-18s keeps %.1f%% of Brown prose, %.1f%% of spam\n", names[i],
                      100 * hi, 100 * lo);
        assert_true(hi > lo);
        wn_stage_free(r.st);
    }
}

/* Bad input: every filter of the default chain gives a defined decision without crashing. */
static void test_bad_inputs_whole_chain(void **state)
{
    wn_filter_chain c;
    char err[512];
    if (wn_filter_chain_build(&c, NULL, NULL, false, err, sizeof err))
        fail_msg("%s", err);
    size_t big = 1 << 20;
    char *line = malloc(big);
    for (size_t i = 0; i < big; i++)
        line[i] = "abcdefgh "[i % 9];
#define LIT(s) {s, sizeof s - 1}
    struct { const char *s; size_t n; } in[] = {
        LIT(""),
        {line, big},                                        /* a megabyte on one line */
        LIT("no newline at all and only a few words"),
        LIT("ctrl\x01\x02\x1b[0m chars\x7f here\x00 nul"), /* controls and a NUL */
        LIT("bad \xff\xfe utf8 \xc3 trunc \xed\xa0\x80 surrogate \xf4\x90\x80\x80"),
    };
#undef LIT
    for (size_t k = 0; k < sizeof in / sizeof *in; k++) {
        wn_doc d;
        wn_doc_init(&d);
        wn_str_set(&d.text, in[k].s, in[k].n);
        wn_text_invalidate();
        wn_stats s;
        wn_stats_init(&s, "chain");
        for (size_t i = 0; i < c.n && !d.drop_reason; i++)
            c.stages[i]->process_doc(c.stages[i]->state, &d, &s);
        /* defined decisions: empty text is "unicode.empty"; the others are too short or
         * unlike any language, so something drops them, and repaired text is valid */
        assert_non_null(d.drop_reason);
        if (k == 0)
            assert_string_equal(d.drop_reason, "unicode.empty");
        if (k == 4)
            assert_int_equal(wn_utf8_valid_prefix(d.text.ptr, d.text.len), d.text.len);
        if (k == 3)
            assert_null(memchr(d.text.ptr, 0x01, d.text.len));
        wn_stats_release(&s);
        wn_doc_release(&d);
    }
    free(line);
    wn_filter_chain_release(&c);
}

/* The shared analysis cache never serves a stale analysis: same address, length and index
 * but other bytes (a stage rewrote the text in place) gives a fresh analysis. */
static void test_analysis_cache_is_keyed_by_content(void **state)
{
    wn_text_cache_init(1024);
    wn_doc d;
    wn_doc_init(&d);
    wn_str_set(&d.text, "one two three", 13);
    d.input_index = 7;
    assert_int_equal(wn_text_analyze(&d)->n_words, 3);
    assert_int_equal(wn_text_analyze(&d)->n_words, 3); /* cached */
    memcpy(d.text.ptr, "on, two three", 13);
    const wn_text *t = wn_text_analyze(&d);
    assert_int_equal(t->n_words, 4);
    assert_memory_equal(t->s + t->words[1].off, ",", 1);
    /* the analysis served without a content check (wn_text_stage_begin) is only for the
     * chain's next filter on the same document: a first filter, or any caller after
     * wn_text_release, checks it again */
    wn_text_release();
    memcpy(d.text.ptr, "one two three", 13);
    wn_text_stage_begin(&d, false);
    assert_int_equal(wn_text_analyze(&d)->n_words, 3);
    wn_text_release();
    memcpy(d.text.ptr, "on, two three", 13);
    assert_int_equal(wn_text_analyze(&d)->n_words, 4);
    wn_text_release();
    wn_doc_release(&d);
}

/* The chain's per-domain character count (wn_text_doc_chars) is core's wn_utf8_count of
 * the text: taken from the analysis a filter of the chain got for d when the text is valid
 * UTF-8, counted otherwise (invalid bytes count differently there), and counted once the
 * filter is over. */
static void check_doc_chars(wn_doc *d)
{
    size_t want = wn_utf8_count(d->text.ptr, d->text.len);
    wn_text_stage_begin(d, false);
    const wn_text *t = wn_text_analyze(d);
    assert_int_equal(t->valid, wn_utf8_valid_prefix(d->text.ptr, d->text.len) == d->text.len);
    assert_int_equal(wn_text_doc_chars(d), want);
    wn_text_release();
    assert_int_equal(wn_text_doc_chars(d), want);
}

/* langid counts code points without the analysis: the count must be the analysis's, on
 * real mail (mixed encodings) and on broken bytes alike. */
static int same_char_count(wn_doc *d, void *ctx)
{
    size_t *n = ctx;
    check_doc_chars(d);
    size_t want = wn_text_analyze_buf(d->text.ptr, d->text.len)->n_chars;
    assert_int_equal(wn_text_count_chars(d->text.ptr, d->text.len), want);
    /* and the chain's fast count is core's, whatever the bytes */
    assert_int_equal(wn_text_utf8_count(d->text.ptr, d->text.len),
                     wn_utf8_count(d->text.ptr, d->text.len));
    return ++*n >= 300;
}

static void test_char_count_matches_analysis(void **state)
{
    char path[512];
    SHARED_OR_SKIP(path, "quality/spamassassin.jsonl.gz");
    size_t n = 0;
    each_shared_doc(path, same_char_count, &n);
    assert_int_equal(n, 300);
    static const char *const bad[] = {"\xc3", "a\xe2\x82",
                                      "\x80\xbf\xc0\xff caf\xc3\xa9 \xe2\x80\x99\x80",
                                      "\xed\xa0\x80x", "\xf4\x90\x80\x80",
                                      "\xc0\xaf", "caf\xc3\xa9 \xff\xfe", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t len = strlen(bad[i]);
        assert_int_equal(wn_text_count_chars(bad[i], len), wn_text_analyze_buf(bad[i], len)->n_chars);
        assert_int_equal(wn_text_utf8_count(bad[i], len), wn_utf8_count(bad[i], len));
        wn_doc d;
        wn_doc_init(&d);
        wn_str_set(&d.text, bad[i], len);
        check_doc_chars(&d);
        wn_doc_release(&d);
    }
}

/* c4 and llama3_lines keep some lines of a document: the analysis derived from the old
 * one (wn_text_keep_lines) must be the one a fresh analysis of the new text gives, on real
 * mail (mixed encodings, control characters, CR LF) with lines stripped as c4 strips them
 * and whole as llama3_lines keeps them. */
static bool c4_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void check_kept_lines(wn_doc *d, bool strip, size_t drop_every)
{
    const wn_text *t = wn_text_analyze(d);
    wn_text_span *spans = wn_xmalloc((t->n_lines + 1) * sizeof *spans);
    wn_buf out = WN_BUF_INIT;
    size_t n = 0;
    for (size_t li = 0; li < t->n_lines; li++) {
        const char *p = t->s + t->lines[li].off;
        size_t len = t->lines[li].len;
        while (strip && len && c4_space(*p))
            p++, len--;
        while (strip && len && c4_space(p[len - 1]))
            len--;
        if ((li + 1) % drop_every == 0 || (strip && len == 0))
            continue;
        if (n)
            wn_buf_appendc(&out, '\n');
        wn_buf_append(&out, p, len);
        spans[n++] = (wn_text_span){(uint32_t)li, (uint32_t)(p - t->s), (uint32_t)len};
    }
    wn_filter_set_text(d, out.data ? out.data : "", out.len);
    assert_true(wn_text_keep_lines(d, t, spans, n));
    wn_text_stage_begin(d, true); /* as the chain's next filter on d: trusted, not hashed */
    const wn_text *got = wn_text_analyze(d); /* the derived analysis, from the cache */
    const wn_text *want = wn_text_analyze_buf(d->text.ptr, d->text.len); /* another slot */
    assert_ptr_not_equal(got, want);
    assert_int_equal(got->n, want->n);
    assert_int_equal(got->n_chars, want->n_chars);
    assert_int_equal(got->ascii, want->ascii);
    assert_true(!got->valid || want->valid); /* false may be "unknown", never wrong */
    assert_int_equal(wn_text_doc_chars(d), wn_utf8_count(d->text.ptr, d->text.len));
    assert_int_equal(got->n_nonsym, want->n_nonsym);
    assert_int_equal(got->n_lines, want->n_lines);
    assert_int_equal(got->n_words, want->n_words);
    assert_memory_equal(got->lines, want->lines, got->n_lines * sizeof *got->lines);
    if (got->n_words)
        assert_memory_equal(got->words, want->words, got->n_words * sizeof *got->words);
    wn_text_release();
    wn_buf_release(&out);
    free(spans);
}

static int same_analysis_after_keeping_lines(wn_doc *d, void *ctx)
{
    size_t *n = ctx;
    d->input_index = *n;
    check_kept_lines(d, true, 3);
    check_kept_lines(d, false, 4);
    check_kept_lines(d, true, 1000000);
    return ++*n >= 300;
}

static void test_kept_lines_analysis_matches_fresh(void **state)
{
    char path[512];
    SHARED_OR_SKIP(path, "quality/spamassassin.jsonl.gz");
    wn_text_cache_init(1024);
    size_t n = 0;
    each_shared_doc(path, same_analysis_after_keeping_lines, &n);
    assert_int_equal(n, 300);
    static const char *const odd[] = {"a\r\r\nb", "x\n\n", "\n", "",
                                      "  \xe4\xb8\xad\xe6\x96\x87 \n\xff z\r"};
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        wn_doc d;
        wn_doc_init(&d);
        wn_str_set(&d.text, odd[i], strlen(odd[i]));
        d.input_index = 5000 + i;
        check_kept_lines(&d, false, 2);
        wn_doc_release(&d);
        wn_doc_init(&d);
        wn_str_set(&d.text, odd[i], strlen(odd[i]));
        check_kept_lines(&d, true, 1000000);
        wn_doc_release(&d);
    }
}

/* The repetition tables: counts survive growth, and a reset empties the map. */
static void test_u64map_counts(void **state)
{
    wn_u64map m = {0};
    wn_u64map_reset(&m, 4);
    for (uint64_t k = 1; k <= 5000; k++)
        for (uint64_t r = 0; r < k % 3 + 1; r++)
            wn_u64map_add(&m, k * 0x9E3779B97F4A7C15ull);
    for (uint64_t k = 1; k <= 5000; k++)
        assert_int_equal(wn_u64map_get(&m, k * 0x9E3779B97F4A7C15ull), k % 3 + 1);
    assert_int_equal(wn_u64map_get(&m, 12345), 0);
    wn_u64map_reset(&m, 10);
    assert_int_equal(wn_u64map_get(&m, 0x9E3779B97F4A7C15ull), 0);
    assert_int_equal(wn_u64map_add(&m, 0x9E3779B97F4A7C15ull), 1);
    wn_u64map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_analysis),
        cmocka_unit_test(test_analysis_cache_is_keyed_by_content),
        cmocka_unit_test(test_char_count_matches_analysis),
        cmocka_unit_test(test_kept_lines_analysis_matches_fresh),
        cmocka_unit_test(test_u64map_counts),
        cmocka_unit_test(test_cjk_and_thai_are_segmented),
        cmocka_unit_test(test_gopher_quality_on_real_text),
        cmocka_unit_test(test_gopher_repetition),
        cmocka_unit_test(test_c4_lines_and_documents),
        cmocka_unit_test(test_fineweb_rules),
        cmocka_unit_test(test_llama3_removes_repeated_log_lines),
        cmocka_unit_test(test_quality_set_separation),
        cmocka_unit_test(test_bad_inputs_whole_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
