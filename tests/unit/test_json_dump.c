/* test_json_dump.c: wn_json_append_value writes what jansson's json_dump_callback writes
 * (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(p)), byte for byte. */
#include "testutil.h"

#include "core/jsonl.h"

#include <float.h>
#include <math.h>

static int dump_cb(const char *buffer, size_t size, void *data)
{
    wn_buf_append(data, buffer, size);
    return 0;
}

/* Compares the two writers on v (stolen) at precision p, after some existing bytes. */
static void same(json_t *v, int p)
{
    wn_buf ours = WN_BUF_INIT, ref = WN_BUF_INIT;
    wn_buf_appends(&ours, "x");
    wn_buf_appends(&ref, "x");
    wn_json_append_value(&ours, v, p);
    json_dump_callback(v, dump_cb, &ref, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(p));
    if (ours.len != ref.len || memcmp(ours.data, ref.data, ref.len) != 0)
        fail_msg("precision %d: ours '%s', jansson '%s'", p, ours.data, ref.data);
    wn_buf_release(&ours);
    wn_buf_release(&ref);
    json_decref(v);
}

static void test_reals(void **state)
{
    const double edge[] = { 0.0, -0.0, 1.0, -1.0, 70.0, 0.5, 0.1, 1.0 / 3, 2.0 / 3, 1e-5, 1e-4,
                            1e9, 9999999999.0, 1e10, 12345678901.0, 123456789012.0, 1e15, 1e16,
                            1e17, 1e21, 1e100, 1e-300, 5e-324, DBL_MAX, -DBL_MAX, DBL_MIN,
                            0.30000000000000004, 4.914285714285714, 0.9794800281524658,
                            9007199254740993.0, -123.456e-7, 1e308 };
    const int precisions[] = { 10, 17, 0, 1, 6, 12 };
    for (size_t p = 0; p < sizeof precisions / sizeof *precisions; p++) {
        for (size_t i = 0; i < sizeof edge / sizeof *edge; i++)
            same(json_real(edge[i]), precisions[p]);
        /* values over the whole range, and the ratios filters produce (k / n) */
        srand48(7);
        for (int i = 0; i < 3000; i++) {
            double m = drand48() * 2 - 1;
            same(json_real(ldexp(m, (int)(drand48() * 200) - 100)), precisions[p]);
            same(json_real((double)(lrand48() % 1000) / (double)(1 + lrand48() % 999)), precisions[p]);
            same(json_real((double)(lrand48() % 2000000) - 1e6), precisions[p]);
        }
    }
}

/* The digits json_dump.c works out without printf, at the precision documents are written
 * with (10): values next to a rounding tie of their 10th digit (k + 1/2 units of it, and
 * the doubles just around), next to powers of ten, in exponent notation, and the ratios
 * and scores filters store. */
static void test_reals_without_printf(void **state)
{
    (void)state;
    srand48(11);
    for (int i = 0; i < 20000; i++) {
        int e = (int)(lrand48() % 40) - 20;
        double unit = pow(10.0, e - 9);
        double tie = ((double)(1000000000 + lrand48() % 9000000000LL) + 0.5) * unit;
        same(json_real(tie), 10);
        same(json_real(nextafter(tie, 0)), 10);
        same(json_real(nextafter(tie, INFINITY)), 10);
        same(json_real(-tie), 10);
        double p10 = pow(10.0, e);
        same(json_real(nextafter(p10, 0)), 10);
        same(json_real(nextafter(p10, INFINITY)), 10);
        same(json_real(p10 * (1 - 1e-11)), 10);
        same(json_real(drand48() * pow(10.0, e)), 10);
        same(json_real((double)(lrand48() % 100000) / (double)(1 + lrand48() % 100000)), 10);
        same(json_real(0.99 + drand48() * 0.01), 10);
    }
}

static void test_integers_and_literals(void **state)
{
    const json_int_t ints[] = { 0, 1, -1, 42, -9876543210LL, INT64_MAX, INT64_MIN };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++)
        same(json_integer(ints[i]), 10);
    same(json_true(), 10);
    same(json_false(), 10);
    same(json_null(), 10);
}

static void test_strings(void **state)
{
    char all[128];
    for (int i = 0; i < 128; i++)
        all[i] = (char)i; /* every ASCII byte, NUL and controls included */
    same(json_stringn(all, sizeof all), 10);
    same(json_string("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 / \\ \""), 10);
    same(json_string(""), 10);
    /* built unchecked, not valid UTF-8: jansson stops; so must we, at the same byte */
    same(json_stringn_nocheck("ab\xff" "cd", 5), 10);
}

static void test_containers(void **state)
{
    json_t *o = json_object();
    json_object_set_new(o, "z", json_integer(1));
    json_object_set_new(o, "a", json_pack("[[I,I,f],[],{}]", (json_int_t)0, (json_int_t)427, 0.01405152225));
    json_object_set_new(o, "k\n\"\xc3\xa9", json_pack("{s:s,s:[b,n]}", "x", "y", "w", 1));
    json_object_set_new(o, "z", json_real(2.5)); /* replaced in place: order kept */
    same(json_incref(o), 10);
    json_t *bad_key = json_object();
    json_object_set_new_nocheck(bad_key, "k\xff", json_integer(1));
    json_object_set_new(o, "inner", bad_key);
    same(o, 10);
    same(json_array(), 10);
    same(json_object(), 10);
}

static void test_document_fields_keep_our_escaping(void **state)
{
    /* id/text/... use lowercase hex and repair invalid UTF-8 (as before); values inside
     * metadata and attributes are jansson's (uppercase hex) */
    wn_doc d;
    wn_doc_init(&d);
    wn_str_set(&d.text, "a\x1f\xff", 3);
    wn_doc_meta_set(&d, "m", json_string("b\x1f"));
    wn_buf out = WN_BUF_INIT;
    wn_jsonl_write(&out, &d, 0);
    assert_string_equal(out.data, "{\"id\":\"\",\"text\":\"a\\u001f\xef\xbf\xbd\",\"source\":\"\",\"added\":\"\","
                                  "\"created\":\"\",\"metadata\":{\"m\":\"b\\u001F\"}}\n");
    wn_buf_release(&out);
    wn_doc_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_reals_without_printf),
        cmocka_unit_test(test_integers_and_literals),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_document_fields_keep_our_escaping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
