/* test_tok_cache_shared.c: the threads' piece caches read by each other
 * (tokenize/piece_cache_shared.h): a copy taken while its owner writes is a miss, never a
 * mix of two entries; and threads encoding overlapping real text, each looking in another's
 * cache, give every id a single thread gives. */
#include "tokenize/piece_cache_shared.h"
#include "tokenize/tok_internal.h"
#include "tokenize/tokenizer.h"
#include "tests/unit/tok_test_util.h"

#include <pthread.h>

static wn_tok *g_tok;

static int setup(void **state)
{
    (void)state;
    g_tok = tok_load_repo();
    return g_tok ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wn_tok_free(g_tok);
    return 0;
}

/* One entry and its count, written by one thread word by word with pauses between the
 * words (so readers on the other vCPU often copy an entry half written), read by others.
 * Every write's words are functions of one number, so a copy that mixes two writes shows. */
enum { TORN_WRITES = 200000, TORN_READERS = 2 };

typedef struct torn_state { /* the count and the entry on lines of their own, as in encode.c */
    _Alignas(64) _Atomic uint64_t seq;
    _Alignas(64) wn_tok_cache_entry e;
    _Alignas(64) atomic_bool done;
} torn_state;

typedef struct torn_reader {
    torn_state *st;
    size_t kept, missed, mixed;
} torn_reader;

static uint64_t word_of(uint64_t v, int i)
{
    return (v + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)i * 0xD6E8FEB86659FD93ull;
}

/* Pauses of varied lengths, so that the writer's words and the readers' loads meet in
 * every order. */
static void pause_a_little(uint64_t v)
{
    for (volatile uint64_t i = 0; i < 4 + v % 37; i++) {
    }
}

static void *torn_write(void *arg)
{
    torn_state *st = arg;
    for (uint64_t v = 1; v <= TORN_WRITES; v++) {
        uint64_t s = wn_tok_seq_write_begin(&st->seq);
        _Atomic uint64_t *w[4] = { &st->e.w0, &st->e.w1, &st->e.tag, &st->e.more };
        for (int i = 0; i < 4; i++) {
            atomic_store_explicit(w[i], word_of(v, i), memory_order_relaxed);
            pause_a_little(v + (uint64_t)i);
        }
        wn_tok_seq_write_end(&st->seq, s);
        pause_a_little(v * 7);
    }
    atomic_store(&st->done, true);
    return NULL;
}

static void *torn_read(void *arg)
{
    torn_reader *r = arg;
    while (!atomic_load(&r->st->done)) {
        wn_tok_cache_entry c;
        if (!wn_tok_cache_entry_read(&r->st->seq, &r->st->e, &c)) {
            r->missed++;
            continue;
        }
        r->kept++;
        uint64_t w0 = atomic_load(&c.w0);
        if (w0 == 0) /* nothing written yet */
            continue;
        /* the write whose first word this is: w0 = word_of(v, 0), so look the rest up */
        uint64_t v = ((w0 ^ 0) * 0xF1DE83E19937733Dull) - 1; /* inverse of the odd multiplier */
        if (atomic_load(&c.w1) != word_of(v, 1) || atomic_load(&c.tag) != word_of(v, 2) ||
            atomic_load(&c.more) != word_of(v, 3))
            r->mixed++;
    }
    return NULL;
}

static void test_copy_during_write_misses(void **state)
{
    (void)state;
    /* the multiplier's inverse that torn_read uses */
    assert_true(0x9E3779B97F4A7C15ull * 0xF1DE83E19937733Dull == 1);
    torn_state st = { 0 };
    torn_reader r[TORN_READERS];
    pthread_t writer, reader[TORN_READERS];
    for (int i = 0; i < TORN_READERS; i++) {
        r[i] = (torn_reader){ &st, 0, 0, 0 };
        assert_int_equal(pthread_create(&reader[i], NULL, torn_read, &r[i]), 0);
    }
    assert_int_equal(pthread_create(&writer, NULL, torn_write, &st), 0);
    assert_int_equal(pthread_join(writer, NULL), 0);
    size_t kept = 0, missed = 0, mixed = 0;
    for (int i = 0; i < TORN_READERS; i++) {
        assert_int_equal(pthread_join(reader[i], NULL), 0);
        kept += r[i].kept, missed += r[i].missed, mixed += r[i].mixed;
    }
    print_message("copies kept %zu, missed %zu, mixed %zu\n", kept, missed, mixed);
    assert_int_equal(mixed, 0);
    assert_true(kept > 0);
}

/* Threads encoding overlapping real text (the golden file's bytes, in slices that overlap
 * by half), each emptying its cache before every round, so that they merge the same words
 * at the same time and copy each other's entries: every id as one thread gives it. */
enum { SHARE_THREADS = 4, SHARE_SLICES = 24, SHARE_ROUNDS = 3 };

typedef struct share_job {
    const char *text;
    const size_t *start, *len;
    const wn_tok_ids *want;
    int first; /* the slice this thread starts from: each goes round in its own order */
    size_t wrong, peer_hits;
} share_job;

static void *share_encode(void *arg)
{
    share_job *job = arg;
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    for (int round = 0; round < SHARE_ROUNDS; round++) {
        wn_tok_cache_clear();
        for (int k = 0; k < SHARE_SLICES; k++) {
            int s = (job->first + k * (round % 2 ? SHARE_SLICES - 1 : 1)) % SHARE_SLICES;
            ids.len = 0;
            wn_tok_encode(g_tok, job->text + job->start[s], job->len[s], 0, &ids);
            if (ids.len != job->want[s].len ||
                memcmp(ids.ids, job->want[s].ids, ids.len * sizeof *ids.ids) != 0)
                job->wrong++;
        }
    }
    job->peer_hits = wn_tok_cache_peer_hits();
    wn_tok_ids_release(&ids);
    return NULL;
}

static void test_threads_share_caches(void **state)
{
    (void)state;
    char path[512];
    SHARED_OR_SKIP(path, "tokenizer/golden.jsonl");
    size_t len = 0;
    char *text = tok_slurp(path, &len);
    assert_non_null(text);
    size_t start[SHARE_SLICES], n[SHARE_SLICES], step = len / (SHARE_SLICES + 1);
    wn_tok_ids want[SHARE_SLICES];
    for (int s = 0; s < SHARE_SLICES; s++) {
        start[s] = (size_t)s * step;
        n[s] = 2 * step;
        want[s] = (wn_tok_ids)WN_TOK_IDS_INIT;
        wn_tok_encode(g_tok, text + start[s], n[s], 0, &want[s]); /* one thread */
    }
    share_job job[SHARE_THREADS];
    pthread_t th[SHARE_THREADS];
    for (int i = 0; i < SHARE_THREADS; i++) {
        job[i] = (share_job){ text, start, n, want, i * SHARE_SLICES / SHARE_THREADS, 0, 0 };
        assert_int_equal(pthread_create(&th[i], NULL, share_encode, &job[i]), 0);
    }
    size_t peer_hits = 0;
    for (int i = 0; i < SHARE_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(job[i].wrong, 0);
        peer_hits += job[i].peer_hits;
    }
    print_message("entries copied from another thread's cache: %zu\n", peer_hits);
    assert_true(peer_hits > 0); /* the shared path ran */
    for (int s = 0; s < SHARE_SLICES; s++)
        wn_tok_ids_release(&want[s]);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy_during_write_misses),
        cmocka_unit_test(test_threads_share_caches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
