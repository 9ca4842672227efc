/* test_filter_fastpaths.c: the filters' 16-bytes-at-a-time paths (text analysis and
 * character counts, C4's word and sentence counts, Gopher's ellipsis count, PII's IPv4
 * candidates) against plain byte-by-byte references written here from the rules in the
 * headers, on random texts built to put tokens, spaces, controls and multi-byte characters
 * on both sides of every 16-byte boundary. */
#include "filter_helpers.h"

#include <math.h>

/* A small deterministic generator (xorshift64*): the same texts on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (unsigned)((rng_state * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

/* Pieces of text: ASCII of every class, characters the analysis must hand to ICU: NBSP (a
 * space), an em dash (punctuation), e-acute (a letter), U+2026 (punctuation), and invalid
 * bytes. */
static const char *const pieces[] = {
    "a", "Z", "q", "7", "0", ".", ",", "-", "#", "'", "\"", "!", "?", "(", "[", "]", "{",
    " ", " ", " ", "\t", "\n", "\r\n", "\r", "\v", "\f", "\x01", "\x1f", "\x7f",
    "\xc2\xa0", "\xe2\x80\x94", "\xc3\xa9", "\xe2\x80\xa6", "word", "ab12cd", "....",
    /* invalid UTF-8 (each byte a word character): a stray byte, cut characters, a
     * surrogate, overlong forms, a value over U+10FFFF */
    "\xff", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80", "\xc0\xaf", "\xe0\x80\xaf",
    "\xf4\x90\x80\x80"};

/* Appends a random text of about n pieces; now and then a run of 15..40 letters, digits
 * or dots, so that runs cross one or two 16-byte blocks. */
static void random_text(wn_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rnd(12) == 0) {
            char c = "xk5."[rnd(4)];
            for (unsigned k = 15 + rnd(26); k; k--)
                wn_buf_appendc(b, c);
        } else {
            wn_buf_appends(b, pieces[rnd(sizeof pieces / sizeof *pieces)]);
        }
    }
}

/* Character classes of the pieces, as text.h defines them (ICU's answers for the four
 * non-ASCII characters above); a byte of a cut character is invalid UTF-8: a word
 * character that is not a letter. `left`: bytes from s to the end of the text. */
enum { R_WORD, R_SPACE, R_PUNCT, R_ALPHA };

static int ref_class(const unsigned char *s, size_t left, size_t *len)
{
    *len = 1;
    if (s[0] < 0x80) {
        if (s[0] <= 0x20 || s[0] == 0x7f)
            return R_SPACE;
        if ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')
            return R_ALPHA;
        return s[0] >= '0' && s[0] <= '9' ? R_WORD : R_PUNCT;
    }
    if ((s[0] == 0xc2 || s[0] == 0xc3) && left >= 2 && (s[1] & 0xC0) == 0x80) {
        *len = 2;
        return s[0] == 0xc2 ? R_SPACE : R_ALPHA;
    }
    if (s[0] == 0xe2 && left >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        *len = 3;
        return R_PUNCT;
    }
    return R_WORD;
}

typedef struct ref_word {
    size_t off, len, line;
    unsigned flags;
} ref_word;

/* The tokens of s, byte by byte: runs of non-space, leading and trailing punctuation split
 * off as symbol tokens; a core's flags say whether it holds a letter and an ASCII digit. */
static size_t ref_tokens(const char *s, size_t n, ref_word *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t nw = 0, line = 0;
    for (size_t i = 0; i < n;) {
        size_t len;
        if (ref_class(u + i, n - i, &len) == R_SPACE) {
            line += u[i] == '\n';
            i += len;
            continue;
        }
        size_t a = i, core_a = SIZE_MAX, core_b = 0;
        while (i < n) {
            int c = ref_class(u + i, n - i, &len);
            if (c == R_SPACE)
                break;
            if (c != R_PUNCT) {
                core_a = core_a == SIZE_MAX ? i : core_a;
                core_b = i + len;
            }
            i += len;
        }
        if (core_a == SIZE_MAX) {
            out[nw++] = (ref_word){a, i - a, line, WN_WORD_SYMBOL};
            continue;
        }
        if (core_a > a)
            out[nw++] = (ref_word){a, core_a - a, line, WN_WORD_SYMBOL};
        unsigned f = 0;
        for (size_t k = core_a; k < core_b; k += len) {
            int c = ref_class(u + k, n - k, &len);
            f |= c == R_ALPHA ? WN_WORD_ALPHA : 0;
            f |= u[k] >= '0' && u[k] <= '9' ? WN_WORD_DIGIT : 0;
        }
        out[nw++] = (ref_word){core_a, core_b - core_a, line, f};
        if (i > core_b)
            out[nw++] = (ref_word){core_b, i - core_b, line, WN_WORD_SYMBOL};
    }
    return nw;
}

/* Code points as the analysis counts them: a well-formed UTF-8 sequence (RFC 3629's
 * table: no overlong forms, surrogates or values over U+10FFFF) counts one, any other byte
 * one. */
static size_t ref_chars(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t chars = 0;
    for (size_t i = 0; i < n; chars++) {
        unsigned c = u[i], len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        bool ok = len > 1 && c >= 0xC2 && c <= 0xF4 && i + len <= n && u[i + 1] >= lo &&
                  u[i + 1] <= hi;
        for (unsigned k = 2; ok && k < len; k++)
            ok = (u[i + k] & 0xC0) == 0x80;
        i += ok ? len : 1;
    }
    return chars;
}

/* wn_text_count_chars checks UTF-8 16 bytes at a time (32 with AVX2) and counts
 * continuations when the text is valid, and decodes it otherwise: random texts of ASCII,
 * valid 2-, 3- and 4-byte characters and every kind of invalid sequence (bad leads, lone
 * continuations, cut sequences, overlongs, surrogates, > U+10FFFF), at every offset of a
 * 32-byte chunk, with runs of ASCII over 64 bytes, cut at the end, each in a buffer of its
 * exact length; then a lead, ASCII (whole chunks of it) and continuations, invalid however
 * far apart. Both paths where the CPU has AVX2. */
static void check_count_chars_chunks(void)
{
    static const char *const utf8_pieces[] = {
        "a", "the quick brown fox jumps over the lazy dog ", "\n", "\xC3\xA9", "\xD0\x96", "\xE6\x97\xA5", "\xE0\xA4\x85",
        "\xED\x9F\xBF", "\xEF\xBF\xBD", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
        "\xC0\xAF", "\xC1\xBF", "\xF5\x80\x80\x80", "\xFF", "\x80", "\xBF\xBF",
        "\xE0\x80\x80", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x80\x80\x80",
        "\xF0\x8F\xBF\xBF", "\xF4\x90\x80\x80", "\xE6\x97", "\xF0\x9F\x98", "\xC3",
        "\xE6\x41\x41", "\xC3\xC3\xA9",
    };
    char buf[400];
    for (int t = 0; t < 20000; t++) {
        size_t n = rnd(32); /* the first piece at any offset of a chunk */
        memset(buf, 'x', n);
        size_t target = rnd(300);
        bool only_valid = rnd(2); /* half the texts valid: the 16-byte check's own result */
        while (n < target) {
            const char *p = utf8_pieces[rnd(only_valid ? 11 : sizeof utf8_pieces / sizeof *utf8_pieces)];
            memcpy(buf + n, p, strlen(p));
            n += strlen(p);
        }
        if (rnd(4) == 0 && n)
            n -= 1 + rnd(n < 3 ? (unsigned)n : 3); /* cut inside the last character */
        char *text = malloc(n ? n : 1);
        assert_non_null(text);
        memcpy(text, buf, n);
        assert_int_equal(wn_text_count_chars(text, n), ref_chars(text, n));
        free(text);
    }
    static const char leads[] = {'\xC3', '\xE6', '\xF0'};
    for (size_t l = 0; l < sizeof leads; l++)
        for (size_t at = 0; at < 32; at++)
            for (size_t gap = 0; gap < 150; gap++) {
                memset(buf, 'x', at);
                size_t n = at;
                buf[n++] = leads[l];
                memset(buf + n, ' ', gap);
                n += gap;
                memcpy(buf + n, "\x97\xA5\x80" "abc", 6);
                n += 6;
                assert_int_equal(wn_text_count_chars(buf, n), ref_chars(buf, n));
            }
}

/* check on the baseline (SSE2) paths, then on the AVX2 ones where the CPU has AVX2 */
static void both_paths(void (*check)(void))
{
    for (int avx2 = 0; avx2 < 2; avx2++) {
        wn_filter_use_avx2 = avx2;
        check();
    }
    wn_filter_use_avx2 = true;
}

static void test_count_chars_chunks(void **state)
{
    (void)state;
    both_paths(check_count_chars_chunks);
}

/* wn_text_utf8_count sums 16-byte compares in byte counters emptied every 255 blocks, two
 * blocks a step and an odd last one, then eight bytes and single bytes: against a byte loop
 * on texts of continuation bytes only (every counter at its limit), and of random bytes
 * (about half continuations), at every length up to 600 and across three counter spans,
 * from every offset of a chunk, each in a buffer of its exact length. */
static size_t ref_utf8_count(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    return chars;
}

static void test_utf8_count_counters(void **state)
{
    (void)state;
    size_t max = 3 * 255 * 16 + 40;
    char *src = malloc(max + 16);
    assert_non_null(src);
    for (int kind = 0; kind < 2; kind++) {
        for (size_t i = 0; i < max + 16; i++)
            src[i] = kind == 0 ? (char)(0x80 + rnd(64)) : (char)rnd(256);
        for (size_t n = 0; n <= max; n += n < 600 ? 1 : 1 + rnd(97)) {
            size_t off = rnd(16);
            char *text = malloc(n ? n : 1);
            assert_non_null(text);
            memcpy(text, src + off, n);
            assert_int_equal(wn_text_utf8_count(text, n), ref_utf8_count(text, n));
            free(text);
        }
    }
    free(src);
}

static void check_analysis(const char *s, size_t n, ref_word *ref)
{
    size_t chars = ref_chars(s, n);
    assert_int_equal(wn_text_count_chars(s, n), chars);
    size_t nw = ref_tokens(s, n, ref), nonsym = 0, lines = 0;
    const wn_text *t = wn_text_analyze_buf(s, n);
    assert_int_equal(t->n_chars, chars);
    assert_int_equal(t->n_words, nw);
    for (size_t i = 0; i < nw; i++) {
        const wn_word *w = &t->words[i];
        unsigned flags = w->flags & ~(unsigned)WN_WORD_ASCII; /* a hint: checked below */
        if (w->off != ref[i].off || w->len != ref[i].len || flags != ref[i].flags)
            fail_msg("token %zu: got (%u, %u, flags %u), want (%zu, %zu, flags %u)", i,
                     w->off, w->len, flags, ref[i].off, ref[i].len, ref[i].flags);
        for (size_t k = 0; (w->flags & WN_WORD_ASCII) && k < w->len; k++)
            if ((unsigned char)s[w->off + k] >= 0x80)
                fail_msg("token %zu: flagged ASCII, its byte %zu is not", i, k);
        assert_true(w->hash == wn_text_word_hash(s + w->off, w->len)); /* as llama3 folds */
        nonsym += !(ref[i].flags & WN_WORD_SYMBOL);
    }
    assert_int_equal(t->n_nonsym, nonsym);
    /* lines: each '\n' ends one; a last line only when text follows the last '\n' */
    size_t start = 0, first = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\n')
            continue;
        if (i == n && start == n && n > 0)
            break;
        size_t end = i > start && s[i - 1] == '\r' ? i - 1 : i, words = 0;
        while (first + words < nw && ref[first + words].line == lines)
            words++;
        assert_true(lines < t->n_lines);
        assert_int_equal(t->lines[lines].off, start);
        assert_int_equal(t->lines[lines].len, end - start);
        assert_int_equal(t->lines[lines].first_word, first);
        assert_int_equal(t->lines[lines].n_words, words);
        first += words;
        lines++;
        start = i + 1;
    }
    assert_int_equal(t->n_lines, lines);
}

static void test_analysis_matches_byte_reference(void **state)
{
    (void)state;
    wn_buf b = WN_BUF_INIT;
    ref_word *ref = malloc(4096 * sizeof *ref);
    for (int round = 0; round < 3000; round++) {
        wn_buf_reset(&b);
        random_text(&b, rnd(120));
        assert_true(b.len < 4096);
        check_analysis(b.data, b.len, ref);
        /* every tail: the run that ends the text ends at every offset of a block */
        for (size_t k = b.len > 40 ? b.len - 40 : 0; round % 10 == 0 && k < b.len; k++)
            check_analysis(b.data + k, b.len - k, ref);
    }
    free(ref);
    wn_buf_release(&b);
}

/* The analysis reads plain ASCII in a loop of its own (ascii_stretch) that stops when the
 * word or line array is full, for the general loop to grow it: texts each larger than the
 * last (up to ~60,000 tokens and 6,000 lines), mostly ASCII with a non-ASCII piece now and
 * then, so that the arrays fill at every kind of place in them. */
static void test_analysis_grows_arrays_midway(void **state)
{
    (void)state;
    wn_buf b = WN_BUF_INIT;
    size_t cap = 1 << 17;
    ref_word *ref = malloc(cap * sizeof *ref);
    for (size_t count = 1000; count <= 64000; count = count * 3 / 2) {
        wn_buf_reset(&b);
        for (size_t i = 0; i < count; i++) {
            static const char *const ascii[] = {"the", "word,", " ", " ", " ", "\n", "(a)", "7"};
            if (rnd(50) == 0)
                random_text(&b, 1);
            else
                wn_buf_appends(&b, ascii[rnd(sizeof ascii / sizeof *ascii)]);
        }
        assert_true(b.len < cap);
        check_analysis(b.data, b.len, ref);
    }
    free(ref);
    wn_buf_release(&b);
}

/* C4's whitespace words (' ', '\t', '\r', '\v', '\f'; continuation bytes not counted), byte by
 * byte (its sentences: ref_c4_sentences in filter_helpers.h). */
static size_t ref_c4_words(const char *p, size_t n, size_t max_len, bool *too_long)
{
    size_t words = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (ref_c4_space(p[i]))
            cur = 0;
        else if (((unsigned char)p[i] & 0xC0) != 0x80 && cur++ == 0)
            words++;
        *too_long |= cur > max_len;
    }
    return words;
}

/* Lines of random words that pass every other C4 rule (end in '!', no phrase, no '{'):
 * which are kept (>= 3 words, none too long) and the sentences counted must be the
 * reference's, with word limits under 16, between 16 and 32, and over 32 bytes (the
 * blocks of the SSE2 and AVX2 scans), on either scan; words of 2- and 3-byte characters
 * (long ones too: 'y's are appended), and invalid bytes in some texts. */
static void check_c4_counts(void)
{
    static const char *const bits[] = {"ab", "x", "Word", "9.5", "e.g.", "Hi!", "ok?", "\xc3\xa9t\xc3\xa9",
                                       "\xe2\x80\x94", "..", "'q'", "\"z\"", "end.", "mmmmmmmmmmmm",
                                       "interoperability", "characteristically",
                                       "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97", /* the last two invalid: */
                                       "\x80\x80z", "\xa9"};
    static const char *const gaps[] = {" ", " ", "  ", "\t", "\v", "\f", "\r", " \xc2\xa0 "};
    for (int limit = 0; limit < 3; limit++) {
        size_t max_len = limit == 2 ? 40 : limit ? 20 : 9;
        char yaml[64];
        snprintf(yaml, sizeof yaml, "max_word_length: %zu", max_len);
        wn_stage *st = filter_make("c4", yaml);
        for (int round = 0; round < 200; round++) {
            wn_buf b = WN_BUF_INIT, want = WN_BUF_INIT;
            size_t sentences = 0;
            /* a round in four is invalid UTF-8 (stray continuation bytes after spaces), which
             * the byte loop reads; the others are valid, read by masks */
            size_t n_bits = sizeof bits / sizeof *bits - (round % 4 == 3 ? 0 : 2);
            for (unsigned line = 0, lines = 6 + rnd(20); line < lines; line++) {
                size_t at = b.len;
                for (unsigned w = 0, words = 1 + rnd(rnd(2) ? 4 : 12); w < words; w++) {
                    if (w)
                        wn_buf_appends(&b, gaps[rnd(sizeof gaps / sizeof *gaps)]);
                    wn_buf_appends(&b, bits[rnd(n_bits)]);
                    if (rnd(8) == 0) /* a long word: over the limit or not */
                        for (unsigned k = 5 + rnd(45); k; k--)
                            wn_buf_appendc(&b, 'y');
                }
                wn_buf_appendc(&b, '!'); /* terminal, and never "..." */
                bool too_long = false;
                const char *p = b.data + at;
                size_t n = b.len - at;
                if (ref_c4_words(p, n, max_len, &too_long) >= 3 && !too_long) {
                    if (want.len)
                        wn_buf_appendc(&want, '\n');
                    wn_buf_append(&want, p, n);
                    sentences += ref_c4_sentences(p, n);
                }
                wn_buf_appendc(&b, '\n');
            }
            wn_doc d;
            const char *reason = filter_run(st, &d, b.data, b.len, NULL);
            assert_int_equal((size_t)attr(&d, "c4.sentences"), sentences);
            if (!reason) {
                assert_int_equal(d.text.len, want.len);
                assert_memory_equal(d.text.ptr, want.data, want.len);
            } else {
                assert_string_equal(reason, "c4.too_few_sentences");
                assert_true(sentences < 5);
            }
            wn_doc_release(&d);
            wn_buf_release(&b);
            wn_buf_release(&want);
        }
        wn_stage_free(st);
    }
}

static void test_c4_counts_match_byte_reference(void **state)
{
    (void)state;
    both_paths(check_c4_counts);
}

/* gopher.symbol_ratio counts "..." without overlap (as str.count) and U+2026, and '#':
 * runs of dots, '#'s and U+2026 at every offset of the 16- and 32-byte blocks, on both
 * scans. */
static void check_gopher_symbol_count(void)
{
    wn_stage *st = filter_make("gopher_quality", "");
    for (int round = 0; round < 300; round++) {
        wn_buf b = WN_BUF_INIT;
        size_t words = 0, ellipses = 0, hashes = 0;
        bool hash_round = round % 3 == 2; /* '#' rather than dots decides the ratio */
        for (unsigned w = 0, n = 20 + rnd(60); w < n; w++) {
            wn_buf_appends(&b, rnd(2) ? " word" : " the");
            words++;
            unsigned dots = rnd(3) ? 0 : rnd(hash_round ? 3 : 8);
            for (unsigned k = 0; k < dots; k++)
                wn_buf_appendc(&b, '.');
            ellipses += dots / 3;
            if (rnd(10) == 0) {
                wn_buf_appends(&b, "\xe2\x80\xa6");
                ellipses++;
            }
            unsigned h = hash_round && rnd(2) ? rnd(5) : 0;
            for (unsigned k = 0; k < h; k++)
                wn_buf_appendc(&b, '#');
            hashes += h;
        }
        wn_doc d;
        filter_run(st, &d, b.data, b.len, NULL);
        double want = (double)(hashes > ellipses ? hashes : ellipses) / (double)words;
        assert_true(fabs(attr(&d, "gopher.symbol_ratio") - want) < 1e-9);
        wn_doc_release(&d);
        wn_buf_release(&b);
    }
    wn_stage_free(st);
}

static void test_gopher_ellipsis_count(void **state)
{
    (void)state;
    both_paths(check_gopher_symbol_count);
}

/* pii finds an IPv4 address from a '.' that follows a digit, 16 bytes at a time: each
 * address (and each decoy that is none) at every offset of a block, after sentences whose
 * dots follow letters, digits and nothing. */
static void test_pii_ipv4_at_every_offset(void **state)
{
    (void)state;
    wn_stage *st = filter_make("pii", "");
    static const struct {
        const char *text;
        double ips;
    } cases[] = {{"1.2.3.4", 1}, {"10.20.30.40.", 1}, {"192.168.255.255", 1},
                 {"1.2.3", 0}, {"v1.2.3.4", 0}, {"1.2.3.4.5", 0}, {"256.1.1.1", 0},
                 {"9. 1.2.3.4", 1}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int pad = 0; pad < 40; pad++)
            for (int tail = 0; tail < 2; tail++) {
                char text[160];
                int k = snprintf(text, sizeof text, ".A 7. b.%.*s %s%s", pad,
                                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", cases[c].text,
                                 tail ? " end. 3." : "");
                wn_doc d;
                filter_run(st, &d, text, (size_t)k, NULL);
                if (attr(&d, "pii.ips") != cases[c].ips)
                    fail_msg("'%s': %g addresses, want %g", text, attr(&d, "pii.ips"), cases[c].ips);
                wn_doc_release(&d);
            }
    wn_stage_free(st);
}

/* wn_filter_signal finds each name's attribute hash by the name's address (a table of its
 * own, without eviction): more names than the table holds, set on documents in random
 * orders and some twice, must be stored and found as wn_doc_attr_set_signal stores them,
 * and each histogram must count its name's signals (the plain reference: counts kept here). */
static void test_signal_hashes_by_address(void **state)
{
    (void)state;
    enum { NAMES = 400, DOCS = 30 };
    static char names[NAMES][32]; /* the same bytes at each address for the process's life */
    for (int i = 0; i < NAMES; i++)
        snprintf(names[i], sizeof names[i], "test_sig.name_%d", i);
    static uint64_t want_n[NAMES];
    wn_stats s;
    wn_stats_init(&s, "test");
    for (int k = 0; k < DOCS; k++) {
        wn_doc d, ref;
        wn_doc_init(&d);
        wn_doc_init(&ref);
        int n = 1 + (int)rnd(k % 2 ? NAMES : 40);
        for (int j = 0; j < n; j++) {
            int i = (int)rnd(NAMES);
            double v = rnd(1000) / 1000.0;
            wn_filter_signal(&d, 100, &s, names[i], v, 0, 1.0001);
            wn_doc_attr_set_signal(&ref, names[i], 100, v);
            want_n[i]++;
        }
        assert_int_equal(d.n_attr, ref.n_attr);
        for (uint32_t e = 0; e < ref.n_attr; e++) {
            const wn_attr *a = wn_doc_attr_find(&d, ref.attr[e].name);
            if (!a || a->hash != ref.attr[e].hash || a->v.score != ref.attr[e].v.score)
                fail_msg("document %d: '%s' not stored as wn_doc_attr_set_signal does", k,
                         ref.attr[e].name);
        }
        wn_doc_release(&d);
        wn_doc_release(&ref);
    }
    for (size_t h = 0; h < s.n_hists; h++) {
        int i = atoi(strrchr(s.hists[h].name, '_') + 1);
        assert_int_equal(s.hists[h].n, want_n[i]);
    }
    wn_stats_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analysis_matches_byte_reference),
        cmocka_unit_test(test_analysis_grows_arrays_midway),
        cmocka_unit_test(test_count_chars_chunks),
        cmocka_unit_test(test_utf8_count_counters),
        cmocka_unit_test(test_c4_counts_match_byte_reference),
        cmocka_unit_test(test_gopher_ellipsis_count),
        cmocka_unit_test(test_pii_ipv4_at_every_offset),
        cmocka_unit_test(test_signal_hashes_by_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
