/* test_filter_nsfw.c: LDNOOBW matching (whole words, CJK substrings, per language), the
 * URL/domain filter, PII placeholders (checked against an independent POSIX regex on real
 * SpamAssassin mail) and the Unicode repairs. */
#include "filter_helpers.h"
#include "filter/wordlist.h"

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
        cmocka_unit_test(test_url_filter),
        cmocka_unit_test(test_url_lists),
        cmocka_unit_test(test_pii_on_real_mail),
        cmocka_unit_test(test_pii_ip_addresses),
        cmocka_unit_test(test_unicode_repairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
