/* test_script_key.c: the script a text is keyed by (tokenize/script_key.h), on real
 * paragraphs in 43 languages (../shared/data/langid/langid.jsonl.gz, labelled), from the
 * text and from the raw JSONL record as the runner sees it, and on hand-made edge cases. */
#include "testutil.h"

#include "core/io.h"
#include "tokenize/script_key.h"

#include <jansson.h>
#include <unicode/uscript.h>

static int script_of(uint64_t key)
{
    return (int)(key >> 32);
}

/* The script a language of the corpus is written in (-1: more than one in use, as Serbian
 * in Cyrillic and Latin). */
static int script_of_language(const char *lang)
{
    static const struct {
        const char *lang;
        int script;
    } table[] = {
        { "ar", USCRIPT_ARABIC },   { "fa", USCRIPT_ARABIC },   { "bg", USCRIPT_CYRILLIC },
        { "mk", USCRIPT_CYRILLIC }, { "ru", USCRIPT_CYRILLIC }, { "uk", USCRIPT_CYRILLIC },
        { "el", USCRIPT_GREEK },    { "he", USCRIPT_HEBREW },   { "hy", USCRIPT_ARMENIAN },
        { "ja", USCRIPT_HIRAGANA }, { "ka", USCRIPT_GEORGIAN }, { "ko", USCRIPT_HANGUL },
        { "th", USCRIPT_THAI },     { "zh", USCRIPT_HAN },      { "bn", USCRIPT_BENGALI },
        { "ta", USCRIPT_TAMIL },    { "sr", -1 },
    };
    for (size_t k = 0; k < sizeof table / sizeof *table; k++)
        if (strcmp(lang, table[k].lang) == 0)
            return table[k].script;
    return USCRIPT_LATIN;
}

static void test_real_paragraphs_by_language(void **state)
{
    (void)state;
    char path[512], err[256];
    SHARED_OR_SKIP(path, "langid/langid.jsonl.gz");
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    assert_non_null(in);
    const char *line;
    size_t len, n = 0, right = 0, raw_right = 0, latin_accented = 0, latin = 0;
    while ((line = wn_in_line(in, &len))) {
        json_t *rec = json_loadb(line, len, 0, NULL);
        assert_non_null(rec);
        const char *text = json_string_value(json_object_get(rec, "text"));
        int want = script_of_language(json_string_value(json_object_get(rec, "lang")));
        size_t text_len = json_string_length(json_object_get(rec, "text"));
        uint64_t key = wn_script_key(text, text_len);
        assert_true(key == wn_script_key(text, text_len)); /* the same text, the same key */
        if (want >= 0) {
            n++;
            right += script_of(key) == want;
            raw_right += script_of(wn_script_key(line, len)) == want;
        }
        if (want == USCRIPT_LATIN && script_of(key) == USCRIPT_LATIN) {
            latin++;
            latin_accented += (uint32_t)key != 0;
        }
        json_decref(rec);
    }
    wn_in_close(in);
    print_message("script key: %zu of %zu paragraphs in their language's script (%zu from the "
                  "raw record); %zu of %zu Latin ones keyed by an accented letter\n", right, n,
                  raw_right, latin_accented, latin);
    assert_true(n > 6000);
    /* a paragraph of a UI string or a man page can be all names and commands */
    assert_true(right > n * 97 / 100);
    assert_true(raw_right > n * 97 / 100);
    assert_true(latin_accented > latin / 3);
}

static void test_edge_cases(void **state)
{
    (void)state;
    assert_int_equal(wn_script_key("", 0), 0);
    assert_int_equal(wn_script_key("12345 -- 678, 90!", 17), 0); /* no letters */
    assert_int_equal(wn_script_key("The cat sat on the mat.", 23), (uint64_t)USCRIPT_LATIN << 32);
    /* French: e acute is its commonest letter outside ASCII */
    const char *fr = "\xc3\xa9t\xc3\xa9 \xc3\xa0 l'\xc3\xa9" "cole";
    assert_int_equal(wn_script_key(fr, strlen(fr)), (uint64_t)USCRIPT_LATIN << 32 | 0xE9);
    const char *ru = "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xbc\xd0\xb8\xd1\x80";
    assert_int_equal(wn_script_key(ru, strlen(ru)), (uint64_t)USCRIPT_CYRILLIC << 32);
    /* Chinese alone is Han; Han with a kana is Japanese */
    const char *zh = "\xe4\xb8\xad\xe6\x96\x87\xe6\x96\x87\xe6\x9c\xac";
    assert_int_equal(script_of(wn_script_key(zh, strlen(zh))), USCRIPT_HAN);
    const char *ja = "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe6\x96\x87";
    assert_int_equal(script_of(wn_script_key(ja, strlen(ja))), USCRIPT_HIRAGANA);
    const char *katakana = "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88"; /* tesuto */
    assert_int_equal(script_of(wn_script_key(katakana, strlen(katakana))), USCRIPT_HIRAGANA);
    /* an English sentence with a Japanese word in it stays Latin */
    const char *en_ja = "The word \xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88 means test in Japanese.";
    assert_int_equal(script_of(wn_script_key(en_ja, strlen(en_ja))), USCRIPT_LATIN);
    /* invalid UTF-8 and a cut-off character at the end are skipped, never read past n */
    const char bad[] = "\xff\xfe\xc3 abc \xe4\xb8";
    char *exact = malloc(sizeof bad - 1);
    memcpy(exact, bad, sizeof bad - 1);
    assert_int_equal(wn_script_key(exact, sizeof bad - 1), (uint64_t)USCRIPT_LATIN << 32);
    free(exact);
    /* a long text is sampled in its middle: a Latin first kilobyte does not decide it, and a
     * sample that would begin inside a character starts at the next one */
    size_t big = 100000;
    char *s = malloc(big);
    for (size_t i = 0; i < big; i += 2) {
        s[i] = (char)0xce; /* alpha, U+03B1 */
        s[i + 1] = (char)0xb1;
    }
    memset(s, 'x', 1000);
    assert_int_equal(script_of(wn_script_key(s, big)), USCRIPT_GREEK);
    assert_int_equal(script_of(wn_script_key(s + 1, big - 1)), USCRIPT_GREEK);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_real_paragraphs_by_language),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
