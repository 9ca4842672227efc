/* test_filter_nsfw.c: LDNOOBW matching (whole words, CJK substrings, per language), the
 * URL/domain filter, PII placeholders (checked against an independent POSIX regex on real
 * SpamAssassin mail) and the Unicode repairs. */
#include "filter_helpers.h"
#include "filter/wordlist.h"
#include "core/args.h"

#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <unistd.h>

static void test_dirty_words_whole_words_and_cjk(void **state)
{
    wn_stage *st = filter_make("nsfw_words", "max_hits: 0");
    wn_doc d;
    /* "class", "passage" and "Scunthorpe" hold list words but are not them */
    assert_null(filter_run(st, &d, "The class read a passage about Scunthorpe.", 42, NULL));
    assert_true(attr(&d, "nsfw.dirty_words") == 0);
    wn_doc_release(&d);
    assert_reason(filter_run(st, &d, "What an ASS! he said.", 21, NULL), "nsfw.dirty_words");
    wn_doc_release(&d);
    /* Chinese entries match inside unspaced text: 看三级片吧 holds 三级片 */
    const char *zh = "\xe7\x9c\x8b\xe4\xb8\x89\xe7\xba\xa7\xe7\x89\x87\xe5\x90\xa7";
    assert_reason(filter_run(st, &d, zh, strlen(zh), NULL), "nsfw.dirty_words");
    wn_doc_release(&d);
    wn_stage_free(st);
}

static void test_dirty_words_follow_the_language(void **state)
{
    /* "bite" is on the French list (not the English one): counted only in French text */
    wn_stage *st = filter_make("nsfw_words", "max_hits: 0");
    wn_doc d;
    const char *t = "The dog did not bite the postman this time.";
    wn_doc_init(&d);
    wn_str_set(&d.text, t, strlen(t));
    wn_doc_attr_set(&d, "langid.language", json_string("en"));
    wn_stats s;
    wn_stats_init(&s, "t");
    wn_text_invalidate();
    st->process_doc(st->state, &d, &s);
    assert_null(d.drop_reason);
    wn_doc_attr_set(&d, "langid.language", json_string("fr"));
    st->process_doc(st->state, &d, &s);
    assert_reason(d.drop_reason, "nsfw.dirty_words");
    wn_stats_release(&s);
    wn_doc_release(&d);
    wn_stage_free(st);
}

/* ---- the word lists' fast count against Hyperscan's ---- */

typedef struct lists_ctx {
    wn_wordlist **lists;
    size_t n, docs;
} lists_ctx;

static void same_counts(wn_wordlist *const *lists, size_t n, const char *s, size_t len)
{
    char *copy = malloc(len ? len : 1); /* exact length: ASan sees any read past the end */
    memcpy(copy, s, len);
    for (size_t i = 0; i < n; i++) {
        size_t want = wn_wordlist_count_hyperscan(lists[i], copy, len, 0);
        assert_int_equal(wn_wordlist_count(lists[i], copy, len, 0), want);
        for (size_t limit = 1; limit <= 3; limit++)
            assert_int_equal(wn_wordlist_count(lists[i], copy, len, limit),
                             want < limit ? want : limit);
    }
    free(copy);
}

static int count_doc(wn_doc *d, void *ctx)
{
    lists_ctx *c = ctx;
    same_counts(c->lists, c->n, d->text.ptr, d->text.len);
    return ++c->docs >= 2500;
}

/* Every LDNOOBW list that takes the fast count: the prose of the filter bench and the
 * langid paragraphs (43 languages), whole. */
static void test_fast_count_real_text(void **state)
{
    char prose[4096], langid[4096];
    SHARED_OR_SKIP(prose, "quality/quality.jsonl.gz");
    SHARED_OR_SKIP(langid, "langid/langid.jsonl.gz");
    char **files;
    size_t nf, n = 0;
    assert_int_equal(wn_list_dir("data/nsfw/ldnoobw", &files, &nf), 1);
    wn_wordlist **lists = calloc(nf, sizeof *lists);
    for (size_t i = 0; i < nf; i++) {
        char err[256];
        wn_wordlist *wl = wn_wordlist_load(&files[i], 1, false, true, err, sizeof err);
        assert_non_null(wl);
        if (wn_wordlist_has_fast_count(wl))
            lists[n++] = wl;
        else
            wn_wordlist_free(wl);
    }
    assert_true(n >= 20); /* en, de, fr, ... (not ar, fa, ja, ko, ru, th, zh) */
    lists_ctx c = {lists, n, 0};
    each_shared_doc(prose, count_doc, &c);
    c.docs = 0;
    each_shared_doc(langid, count_doc, &c);
    for (size_t i = 0; i < n; i++)
        wn_wordlist_free(lists[i]);
    free(lists);
    wn_free_strv(files, nf);
}

/* A list with every kind of entry the fast count takes (runs of 1 to 11 letters and digits,
 * punctuation and spaces inside, no boundary at the end, entries starting outside ASCII with
 * and without a boundary, upper case in the list), and random texts of them in random case
 * between neighbours of every kind (letters and digits, '_', ASCII punctuation, letters
 * and symbols outside ASCII, bytes that are not UTF-8, a cut character), at every offset of
 * the 64-byte blocks and at both ends. */
static void test_fast_count_random_text(void **state)
{
    static const char *const entries[] = {
        "ass", "a$$", "s&m", "2 girls 1 cup", "2g1c", "xx", "xxx", "x", "tit", "tits",
        "Make Me Come", "makemecome", "abcdefghijk", "ab_cd", "g-spot", "q",
        "\xc3\xa9" "b\xc3\xa8" "ne", "\xc3\xbc" "ber", "\xf0\x9f\x96\x95", "\xc3\x9f" "x",
        "how to kill", "one guy one jar", "\xe2\x80\x94x", "b00bz", "69", "9z0a",
    };
    static const char *const glue[] = {
        " ", "", "", "a", "Z", "7", "_", "'", ".", "-", "\n", "  ", "\xc3\xa9", "\xc3\x89",
        "\xe2\x80\x94", "\xe2\x80\x9c", "\xf0\x9f\x96\x95", "\xff", "\x80", "\xc3", "\xe4\xb8\x89",
        "s", "ss", "it's", "how", "one", "make",
        "0", "9", "z", "@", "[", "`", "{", "/", ":", /* either side of each range's ends */
    };
    char dir[] = "/tmp/winnow-wl-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/list.txt", dir);
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < sizeof entries / sizeof *entries; i++)
        fprintf(f, "%s\n", entries[i]);
    fclose(f);
    char err[256], *paths[] = {path};
    wn_wordlist *wl = wn_wordlist_load(paths, 1, false, true, err, sizeof err);
    assert_non_null(wl);
    assert_true(wn_wordlist_has_fast_count(wl));
    char *en_path = "data/nsfw/ldnoobw/en.txt";
    wn_wordlist *en = wn_wordlist_load(&en_path, 1, false, true, err, sizeof err);
    assert_non_null(en);
    assert_true(wn_wordlist_has_fast_count(en));
    wn_wordlist *lists[] = {wl, en};
    srand(7);
    size_t total = 0;
    char text[512];
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        size_t want = (size_t)(rand() % 400);
        while (n < want) {
            bool entry = rand() % 3 == 0;
            const char *piece = entry ? entries[rand() % (sizeof entries / sizeof *entries)]
                                      : glue[rand() % (sizeof glue / sizeof *glue)];
            size_t k = strlen(piece);
            if (n + k > sizeof text)
                break;
            for (size_t j = 0; j < k; j++) {
                char c = piece[j];
                if (rand() % 2 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
                    c ^= 0x20;
                text[n + j] = c;
            }
            n += k;
        }
        size_t cut = rand() % 4 == 0 ? (size_t)rand() % (n + 1) : 0; /* a piece cut at the start */
        same_counts(lists, 2, text + cut, n - cut);
        total += wn_wordlist_count_hyperscan(wl, text + cut, n - cut, 0);
    }
    assert_true(total > 20000); /* the texts hold matches, not only near misses */
    wn_wordlist_free(wl);
    wn_wordlist_free(en);
    unlink(path);
    rmdir(dir);
}

/* The same with the SSE2 block masks where the CPU would take the AVX2 ones. */
static void test_fast_count_random_text_baseline(void **state)
{
    wn_filter_use_avx2 = false;
    test_fast_count_random_text(state);
    wn_filter_use_avx2 = true;
}

static void test_url_filter(void **state)
{
    wn_stage *st = filter_make("url", "");
    wn_doc d;
    const char *text = "some text";
    struct { const char *url, *reason; } cases[] = {
        {"https://www.pornhub.com/view?x=1", "url.blocked_domain"},
        {"http://videos.xhamster.com:8080/a", "url.blocked_domain"}, /* subdomain, port */
        {"https://example.org/free-xxx-movies", "url.banned_word"},
        {"https://example.org/anus-babes/", "url.soft_banned_words"},
        {"https://example.org/twogirlsonecup2girls1cup", "url.banned_subword"},
        {"https://en.wikipedia.org/wiki/Essex", NULL}, /* "sex" inside a word is fine */
        {"https://example.org/class/passage", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *r = filter_run(st, &d, text, strlen(text), cases[i].url);
        if (cases[i].reason)
            assert_reason(r, cases[i].reason);
        else if (r)
            fail_msg("'%s' dropped as %s", cases[i].url, r);
        wn_doc_release(&d);
    }
    /* a UT1 list of its own: the domain blocks its subdomains, not look-alikes */
    char path[512], abs[PATH_MAX];
    SHARED_OR_SKIP(path, "nsfw/blocklists/ut1-mixed_adult-domains.txt");
    wn_stage_free(st);
    char yaml[PATH_MAX + 64];
    snprintf(yaml, sizeof yaml, "domain_lists: ['%s']", realpath(path, abs));
    st = filter_make("url", yaml);
    assert_reason(filter_run(st, &d, text, 9, "https://boards.4chan.org/b/"), "url.blocked_domain");
    wn_doc_release(&d);
    assert_null(filter_run(st, &d, text, 9, "https://not4chan.org/"));
    wn_doc_release(&d);
    wn_stage_free(st);
}

/* UT1 `urls` lists (no real one is in ../shared/data: the entries follow UT1's format,
 * host/path, one per line, with a trailing slash or a www. prefix as UT1 lists have them) */
static void test_url_lists(void **state)
{
    char dir[] = "/tmp/winnow-urllist-XXXXXX", path[64], yaml[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/urls", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("example.com/adult/\nwww.example.net/pics\n\nfoo.org\n", f);
    fclose(f);
    snprintf(yaml, sizeof yaml, "domain_lists: [], url_lists: ['%s']", path);
    wn_stage *st = filter_make("url", yaml);
    struct { const char *url; bool blocked; } cases[] = {
        {"https://example.com/adult/page.html", true},
        {"http://www2.example.com/adult", true},           /* service label dropped */
        {"https://example.com/adulteducation", false},     /* not a path boundary */
        {"https://other.example.com/adult/x", false},      /* urls entries are per host */
        {"https://EXAMPLE.NET/pics?id=3", true},
        {"https://example.net/picsfoo", false},
        {"http://user@foo.org:8080/anything", true},      /* a host-only entry */
        {"https://sub.foo.org/", false},
        {"https://example.com/", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        wn_doc d;
        const char *r = filter_run(st, &d, "some text", 9, cases[i].url);
        if (cases[i].blocked)
            assert_reason(r, "url.blocked_url");
        else if (r)
            fail_msg("'%s' dropped as %s", cases[i].url, r);
        wn_doc_release(&d);
    }
    wn_stage_free(st);
    unlink(path);
    rmdir(dir);
}

typedef struct pii_ctx {
    wn_stage *st;
    regex_t re;
    size_t docs, with_email, found;
} pii_ctx;

static int pii_one(wn_doc *d, void *ctx)
{
    pii_ctx *c = ctx;
    if (regexec(&c->re, d->text.ptr, 0, NULL, 0) != 0)
        return 0;
    c->with_email++;
    wn_stats s;
    wn_stats_init(&s, "pii");
    wn_text_invalidate();
    c->st->process_doc(c->st->state, d, &s);
    c->found += (size_t)wn_stats_sum(&s, "pii.emails");
    /* after the filter, the independent regex finds no address left */
    if (regexec(&c->re, d->text.ptr, 0, NULL, 0) == 0)
        fail_msg("address left in document %s", d->id.ptr);
    assert_non_null(strstr(d->text.ptr, "|||EMAIL_ADDRESS|||"));
    wn_stats_release(&s);
    return ++c->docs >= 300;
}

static void test_pii_on_real_mail(void **state)
{
    char path[512];
    SHARED_OR_SKIP(path, "quality/spamassassin.jsonl.gz");
    pii_ctx c = {filter_make("pii", ""), {0}, 0, 0, 0};
    assert_int_equal(regcomp(&c.re, "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}",
                             REG_EXTENDED | REG_NOSUB), 0);
    each_shared_doc(path, pii_one, &c);
    print_message("pii: %zu mails with addresses, %zu addresses replaced\n", c.with_email, c.found);
    assert_true(c.with_email >= 100);
    assert_true(c.found >= c.with_email);
    regfree(&c.re);
    wn_stage_free(c.st);
}

static void test_pii_ip_addresses(void **state)
{
    wn_stage *st = filter_make("pii", "ip_replacement: '<IP>'");
    wn_doc d;
    const char *t = "from 192.168.1.20 and [2001:db8::1] via fe80::1%eth0; not 10.0.0.256, "
                    "1.2.3.4.5, std::vector, 12:30:45 or a::b::c";
    filter_run(st, &d, t, strlen(t), "http://mail.example.com/x");
    assert_string_equal(d.text.ptr, "from <IP> and [<IP>] via <IP>%eth0; not 10.0.0.256, "
                                    "1.2.3.4.5, std::vector, 12:30:45 or a::b::c");
    assert_true(attr(&d, "pii.ips") == 3);
    wn_doc_release(&d);
    wn_stage_free(st);
}

static void test_unicode_repairs(void **state)
{
    wn_stage *st = filter_make("unicode", "");
    wn_doc d;
    /* decomposed e + combining acute -> NFC U+00E9; controls out; bad bytes -> U+FFFD */
    const char *t = "Cafe\xcc\x81 \x01ok\x1b \xff end";
    assert_null(filter_run(st, &d, t, strlen(t), NULL));
    assert_string_equal(d.text.ptr, "Caf\xc3\xa9 ok \xef\xbf\xbd end");
    wn_doc_release(&d);
    assert_reason(filter_run(st, &d, " \n\t ", 4, NULL), "unicode.empty");
    wn_doc_release(&d);
    const char *ascii = "Plain ASCII stays as it is.";
    assert_null(filter_run(st, &d, ascii, strlen(ascii), NULL));
    assert_string_equal(d.text.ptr, ascii);
    wn_doc_release(&d);
    wn_stage_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dirty_words_whole_words_and_cjk),
        cmocka_unit_test(test_dirty_words_follow_the_language),
        cmocka_unit_test(test_fast_count_real_text),
        cmocka_unit_test(test_fast_count_random_text),
        cmocka_unit_test(test_fast_count_random_text_baseline),
        cmocka_unit_test(test_url_filter),
        cmocka_unit_test(test_url_lists),
        cmocka_unit_test(test_pii_on_real_mail),
        cmocka_unit_test(test_pii_ip_addresses),
        cmocka_unit_test(test_unicode_repairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
