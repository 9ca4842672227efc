/* test_tok_chat.c: the Llama 3 Instruct layout against meta-llama/llama3
 * llama/test_tokenizer.py (encode_message, encode_dialog_prompt), loss masks, rejections. */
#include "tests/unit/tok_test_util.h"
#include "tokenize/chat.h"

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

static const char *render(wn_chat_train train, const char *json, wn_tok_ids *ids, wn_buf *mask)
{
    wn_chat c;
    char err[128];
    assert_int_equal(wn_chat_init(&c, g_tok, train, err, sizeof err), 0);
    ids->len = 0;
    wn_buf_reset(mask);
    return wn_chat_render(&c, json, strlen(json), ids, mask, NULL, 0);
}

static void test_meta_dialog(void **state)
{
    /* encode_dialog_prompt without the trailing generation header; content is stripped. */
    const char *json = "{\"messages\":[{\"role\":\"system\",\"content\":\"This is a test sentence.\"},"
                       "{\"role\":\"user\",\"content\":\"  This is a response.\\n\"}]}";
    static const wn_tok_id want[] = { 128000, 128006, 9125, 128007, 271, 2028, 374, 264, 1296,
                                      11914, 13, 128009, 128006, 882, 128007, 271, 2028, 374,
                                      264, 2077, 13, 128009 };
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_buf mask = WN_BUF_INIT;
    assert_null(render(WN_CHAT_TRAIN_ASSISTANT, json, &ids, &mask));
    assert_int_equal(ids.len, sizeof want / sizeof *want);
    assert_memory_equal(ids.ids, want, sizeof want);
    assert_int_equal(mask.len, ids.len);
    for (size_t i = 0; i < mask.len; i++)
        assert_int_equal(mask.data[i], 0); /* no assistant: nothing to train on */
    wn_tok_ids_release(&ids);
    wn_buf_release(&mask);
}

static void test_masks(void **state)
{
    const char *json = "{\"messages\":[{\"role\":\"user\",\"content\":\"user\"},"
                       "{\"role\":\"assistant\",\"content\":\"system\"},"
                       "{\"role\":\"user\",\"content\":\"user\"},"
                       "{\"role\":\"assistant\",\"content\":\"assistant\"}]}";
    /* <bos> | <sh> user <eh> \n\n user <eot> | <sh> assistant <eh> \n\n system <eot> | ... */
    static const wn_tok_id want[] = { 128000, 128006, 882, 128007, 271, 882, 128009,
                                      128006, 78191, 128007, 271, 9125, 128009,
                                      128006, 882, 128007, 271, 882, 128009,
                                      128006, 78191, 128007, 271, 78191, 128009 };
    static const char assistant[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
    static const char last[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1 };
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_buf mask = WN_BUF_INIT;
    assert_null(render(WN_CHAT_TRAIN_ASSISTANT, json, &ids, &mask));
    assert_int_equal(ids.len, sizeof want / sizeof *want);
    assert_memory_equal(ids.ids, want, sizeof want);
    assert_memory_equal(mask.data, assistant, sizeof assistant);
    assert_null(render(WN_CHAT_TRAIN_LAST, json, &ids, &mask));
    assert_memory_equal(mask.data, last, sizeof last);
    assert_null(render(WN_CHAT_TRAIN_ALL, json, &ids, &mask));
    assert_int_equal(mask.data[0], 0);
    for (size_t i = 1; i < mask.len; i++)
        assert_int_equal(mask.data[i], 1);
    wn_tok_ids_release(&ids);
    wn_buf_release(&mask);
}

static void test_rejections(void **state)
{
    static const struct {
        const char *json, *reason;
    } cases[] = {
        { "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", "chat.unknown_role" },
        { "{\"messages\":[{\"role\":\"user\"}]}", "chat.missing_content" },
        { "{\"messages\":[{\"role\":\"user\",\"content\":[1]}]}", "chat.missing_content" },
        { "{\"messages\":{\"role\":\"user\"}}", "chat.not_a_list" },
        { "{\"text\":\"no messages\"}", "chat.not_a_list" },
        { "{\"messages\":[]}", "chat.empty" },
        { "{\"messages\":[\"hi\"]}", "chat.bad_message" },
        { "{\"messages\":[", "chat.bad_json" },
    };
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    wn_buf mask = WN_BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *why = render(WN_CHAT_TRAIN_ASSISTANT, cases[i].json, &ids, &mask);
        assert_non_null(why);
        assert_string_equal(why, cases[i].reason);
        assert_int_equal(ids.len, 0); /* a rejected conversation adds nothing */
        assert_int_equal(mask.len, 0);
    }
    wn_tok_ids_release(&ids);
    wn_buf_release(&mask);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_dialog),
        cmocka_unit_test(test_masks),
        cmocka_unit_test(test_rejections),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
