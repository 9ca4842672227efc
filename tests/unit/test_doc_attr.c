/* test_doc_attr.c: the compact attribute store (core/doc_attr.c) against what jansson did
 * before it: random sequences of sets, on documents read with and without attributes, must
 * write the same bytes as the same operations applied to a jansson object (the old code,
 * kept here as the reference), and read back the same values. */
#include "testutil.h"

#include "core/jsonl.h"
#include "core/jsonl_sax.h"

#include <math.h>

/* ---- the reference: every operation straight into a jansson object, as doc.c did ---- */

static json_t *ref_obj(json_t **o)
{
    if (!*o)
        *o = json_object();
    return *o;
}

static void ref_signal(json_t **o, const char *name, size_t n_chars, double v)
{
    json_t *span = json_array();
    json_array_append_new(span, json_integer(0));
    json_array_append_new(span, json_integer((json_int_t)n_chars));
    json_array_append_new(span, json_real(v));
    json_t *spans = json_array();
    json_array_append_new(spans, span);
    json_object_set_new_nocheck(ref_obj(o), name, spans);
}

static void ref_add_span(json_t **o, const char *name, size_t s, size_t e, double v)
{
    json_t *list = json_object_get(ref_obj(o), name);
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(*o, name, list);
    }
    json_array_append_new(list, json_pack("[I,I,f]", (json_int_t)s, (json_int_t)e, v));
}

/* ---- random operations on both ---- */

static const char *const names[] = {"gopher.word_count", "langid.language", "c4.would_drop",
                                    "langid.score", "q", "x.y", "\xc3\xa9t\xc3\xa9", "spans"};
enum { N_NAMES = sizeof names / sizeof *names };

static double pick_value(unsigned r)
{
    static const double v[] = {0.5, 0.1, 1e20, -0.0, 3, 123456789.123456, 1.0 / 3, NAN, INFINITY,
                               2e-7, 70};
    return v[r % (sizeof v / sizeof *v)];
}

static unsigned next(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void random_op(wn_doc *d, json_t **ref, unsigned *seed)
{
    const char *name = names[next(seed) % N_NAMES];
    double v = pick_value(next(seed));
    size_t n = d->text.len;
    switch (next(seed) % 6) {
    case 0:
        wn_doc_attr_set_signal(d, name, n, v);
        ref_signal(ref, name, n, v);
        break;
    case 1: {
        const char *label = next(seed) % 2 ? "en" : "gopher.too_few_words";
        wn_doc_attr_set_label(d, name, label);
        json_object_set_new(ref_obj(ref), name, json_string(label));
        break;
    }
    case 2:
        wn_doc_attr_set_score(d, name, v);
        json_object_set_new(ref_obj(ref), name, json_pack("[[I,I,f]]", (json_int_t)0,
                                                          (json_int_t)wn_utf8_count(d->text.ptr, n), v));
        break;
    case 3: {
        json_int_t k = next(seed) % 100;
        wn_doc_attr_set(d, name, json_integer(k));
        json_object_set_new(ref_obj(ref), name, json_integer(k));
        break;
    }
    case 4:
        wn_doc_attr_add_span(d, name, 1, 4, v);
        ref_add_span(ref, name, 1, 4, v);
        break;
    default: { /* a reader in the middle must see what the reference holds */
        double got, want;
        const json_t *r = *ref ? json_object_get(*ref, name) : NULL;
        if (json_is_array(r))
            r = json_array_get(json_array_get(r, 0), 2);
        int has = wn_doc_attr_get_score(d, name, &got);
        assert_int_equal(has == 0, json_is_number(r));
        if (json_is_number(r)) {
            want = json_number_value(r);
            assert_memory_equal(&got, &want, sizeof got);
        }
        const char *s = wn_doc_attr_get_string(d, name);
        assert_int_equal(s != NULL, json_is_string(r));
        if (s)
            assert_string_equal(s, json_string_value(r));
    }
    }
}

/* The "attributes" value of d as written, or "" when the writer leaves it out. */
static char *written_attributes(const wn_doc *d)
{
    wn_buf out = WN_BUF_INIT;
    wn_jsonl_write(&out, d, 0);
    const char *a = strstr(out.data, ",\"attributes\":");
    char *r = wn_xstrdup(a ? a + 14 : "");
    if (a)
        r[strlen(r) - 2] = '\0'; /* the document's closing "}\n" */
    wn_buf_release(&out);
    return r;
}

static void check_same(wn_doc *d, json_t *ref)
{
    char *got = written_attributes(d);
    char *want = ref && json_object_size(ref)
                     ? json_dumps(ref, JSON_COMPACT | JSON_REAL_PRECISION(10))
                     : wn_xstrdup("");
    assert_string_equal(got, want);
    /* the whole map as an object, for readers that need it, is the same map */
    json_t *all = wn_doc_attr_json(d);
    char *flushed = wn_xstrdup("");
    if (all && json_object_size(all)) {
        free(flushed);
        flushed = json_dumps(all, JSON_COMPACT | JSON_REAL_PRECISION(10));
    }
    assert_string_equal(flushed, want);
    char *again = written_attributes(d);
    assert_string_equal(again, want);
    free(got);
    free(want);
    free(flushed);
    free(again);
}

static void test_random_sequences_write_as_jansson(void **state)
{
    static const char *const lines[] = {
        "{\"text\":\"caf\\u00e9 au lait\"}",
        "{\"text\":\"abc\",\"attributes\":{\"q\":[[0,3,0.25]],\"spans\":[[0,1,1],[1,2,2]],"
        "\"langid.language\":\"fr\",\"other\":{\"k\":[1,2.5]}}}",
        "{\"text\":\"\",\"attributes\":{}}",
        "{\"text\":\"ab\",\"attributes\":{\"q\":[[0,2,0.25]],\"langid.language\":\"fr\","
        "\"spans\":[[0,2,0.5]]}}",
    };
    unsigned seed = 12345;
    for (int round = 0; round < 600; round++) {
        const char *line = lines[round % 4];
        wn_doc d;
        wn_doc_init(&d);
        char err[128];
        assert_int_equal(wn_jsonl_parse(line, strlen(line), NULL, &d, err, sizeof err), 0);
        /* the reference starts from the attributes as jansson reads them (the fast parse
         * may keep them as entries, see jsonl_attrs.c) */
        wn_doc j;
        wn_doc_init(&j);
        assert_int_equal(wn_jsonl_parse_jansson(line, strlen(line), "text", "id", &j, err, sizeof err), 0);
        json_t *ref = j.attributes ? json_deep_copy(j.attributes) : NULL;
        wn_doc_release(&j);
        int ops = (int)(next(&seed) % 40);
        for (int i = 0; i < ops; i++)
            random_op(&d, &ref, &seed);
        check_same(&d, ref);
        /* sets after the map was turned into JSON go to the array again */
        for (int i = 0; i < 5; i++)
            random_op(&d, &ref, &seed);
        check_same(&d, ref);
        json_decref(ref);
        wn_doc_release(&d);
    }
}

static void test_signal_shapes_and_readers(void **state)
{
    wn_doc d;
    wn_doc_init(&d);
    wn_str_set(&d.text, "h\xc3\xa9llo", 6);
    wn_doc_attr_set_signal(&d, "a", 5, 0.1);
    wn_doc_attr_set_signal(&d, "nan", 5, NAN);
    wn_doc_attr_set_label(&d, "lang", "en");
    wn_doc_attr_set_label(&d, "bad", "\xff"); /* not UTF-8: not stored, as json_string */
    wn_doc_attr_set_signal(&d, "a", 7, 2); /* replaced in place */
    char *got = written_attributes(&d);
    assert_string_equal(got, "{\"a\":[[0,7,2.0]],\"nan\":[[0,5]],\"lang\":\"en\"}");
    free(got);
    double x;
    assert_int_equal(wn_doc_attr_get_score(&d, "a", &x), 0);
    assert_true(x == 2);
    assert_int_equal(wn_doc_attr_get_score(&d, "nan", &x), -1);
    assert_int_equal(wn_doc_attr_get_score(&d, "lang", &x), -1);
    assert_string_equal(wn_doc_attr_get_string(&d, "lang"), "en");
    assert_null(wn_doc_attr_get_string(&d, "a"));
    assert_null(wn_doc_attr_get_string(&d, "bad"));
    assert_true(wn_doc_attr_any(&d));
    wn_doc_release(&d);
    wn_doc_init(&d);
    assert_false(wn_doc_attr_any(&d));
    assert_null(wn_doc_attr_json(&d));
    wn_doc_release(&d);
}

/* Many names on one document, as a filter chain sets them (~35) and more: the bits that say
 * a name is new fill up, so both the path that appends without a scan and the scan (names
 * whose bit another set, names set again) run, against the jansson reference; the names
 * are set with and without their hash given (wn_doc_attr_set_signal_hashed), with the
 * chain's prefetch of the next entries between them. */
static void test_many_names_against_jansson(void **state)
{
    (void)state;
    enum { MAX_NAMES = 300 };
    static char name_buf[MAX_NAMES][24]; /* kept by pointer: outlive the documents */
    for (int i = 0; i < MAX_NAMES; i++)
        snprintf(name_buf[i], sizeof name_buf[i], "signal.%d_frac", i);
    unsigned seed = 777;
    static const int counts[] = {1, 5, 35, 64, 120, 300};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        int n = counts[c];
        wn_doc d;
        wn_doc_init(&d);
        wn_str_set(&d.text, "some text", 9);
        json_t *ref = NULL;
        wn_doc_attr_prefetch(&d, 16); /* before the first entry: no array yet */
        for (int op = 0; op < 3 * n; op++) {
            /* as the filter chain before each filter: changes nothing, and reads nothing
             * past the array (n_attr + k may pass its capacity) */
            wn_doc_attr_prefetch(&d, (size_t)op % 70);
            const char *name = name_buf[next(&seed) % (unsigned)n];
            double v = pick_value(next(&seed));
            switch (next(&seed) % 3) {
            case 0:
                wn_doc_attr_set_signal(&d, name, 9, v);
                break;
            case 1:
                wn_doc_attr_set_signal_hashed(&d, name, wn_doc_attr_name_hash(name), 9, v);
                break;
            default:
                wn_doc_attr_set_label(&d, name, "en");
                json_object_set_new(ref_obj(&ref), name, json_string("en"));
                continue;
            }
            ref_signal(&ref, name, 9, v);
        }
        assert_int_equal(d.n_attr, json_object_size(ref));
        for (int i = 0; i < n; i++)
            assert_int_equal(wn_doc_attr_find(&d, name_buf[i]) != NULL,
                             json_object_get(ref, name_buf[i]) != NULL);
        check_same(&d, ref);
        json_decref(ref);
        wn_doc_release(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_sequences_write_as_jansson),
        cmocka_unit_test(test_signal_shapes_and_readers),
        cmocka_unit_test(test_many_names_against_jansson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
