/* tok_bench.c: winnow's tokenizer throughput on real text, for bench/tok_bench.sh.
 *
 *   tok_bench TEXTS.jsonl IDS_OUT THREADS...   encode every {"text"} (one document each)
 *                                              4 times, best of 3 runs per thread count, MB/s
 *                                              of UTF-8 by wall clock and per CPU-second; the
 *                                              documents grouped by script as `winnow
 *                                              tokenize` hands them out, then in input order
 *   tok_bench --pathological [TEXTS.jsonl]     10 MB of one letter, 1 MB of letters without a
 *                                              space, a million digits, 10 MB of spaces, and
 *                                              the texts' first MB without white space (best
 *                                              of 3 timings each)
 *   tok_bench --latency                        the time of one dependent load from tables of 1
 *                                              to 16 MB read at random: how much last-level
 *                                              cache this run had (see latency below)
 *   tok_bench [--input-order] --passes N TEXTS.jsonl [THREADS]
 *                                              N passes on THREADS threads (1), each from
 *                                              an empty cache, the best pass's CPU and wall
 *                                              time: for profilers (perf record) and quick
 *                                              comparisons (the best of many passes is
 *                                              what other users' load disturbs least),
 *                                              then where the wall time went (wake-up,
 *                                              each thread's work and rate, tail, join)
 *
 * Texts are read into memory first: the time measured is tokenization only (no JSON, no
 * I/O), the same thing the node script measures for tiktoken and Hugging Face tokenizers.
 * IDS_OUT gets one line of space-separated ids per document, for the identity check.
 * Each pass starts with every thread's piece cache emptied (wn_tok_cache_clear): a pass that
 * replayed text the cache had just seen would measure the replay, not the tokenizer. The
 * emptying itself (a memset of each thread's ~9.7 MB of caches since the nineteenth session,
 * 2.25 MiB before it, ~0.14 ms then) is outside the time: a real run never does it, and as a
 * fixed cost per pass it took 1.4% of one thread's pass and 2.8% of each thread's half at two
 * (at 2.25 MiB), which the speed-up would have charged to the tokenizer. Emptying by a new
 * epoch in the entries' checks instead of the memset, which leaves the tables in the cache,
 * measured no faster (docs/tokenize.md, twentieth session).
 *
 * At more than one thread the timed runs are made twice: as a user's run goes (the headline
 * figure: the region's wall time, the OpenMP workers' wake-up and the last document's wait
 * included), then with a spinning start barrier, each thread timing its own work from the
 * moment all of them run. The second figure says how much of a short pass's shortfall is
 * the pass structure (a fixed cost a real run pays once, not every 1.5 MB) rather than the
 * tokenizer; it never replaces the first. */
#include "tokenize/tokenizer.h"
#include "tokenize/tok_internal.h" /* wn_tok_alloc_huge, for --latency */
#include "core/handout.h"
#include "tokenize/script_key.h"

#include <jansson.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU seconds of the whole process: on a shared machine, wall time measures the other
 * users too; CPU time per core is the fairer per-core rate. */
static double cpu_now(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

typedef struct text {
    char *s;
    size_t n;
} text;

static text *read_texts(const char *path, size_t *count, size_t *bytes)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    text *t = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    *bytes = 0;
    while (getline(&line, &lcap, f) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        json_t *s = json_object_get(j, "text");
        if (json_is_string(s)) {
            if (n == cap) {
                cap = cap ? 2 * cap : 1024;
                t = realloc(t, cap * sizeof *t);
            }
            t[n].n = json_string_length(s);
            t[n].s = malloc(t[n].n + 1);
            memcpy(t[n].s, json_string_value(s), t[n].n + 1);
            *bytes += t[n].n;
            n++;
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    *count = n;
    return t;
}

/* The pass whose cache this thread emptied last: checked when it encodes, so a thread that
 * would start warm (had the runtime given the second region other threads) stops the bench. */
static _Thread_local int g_cleared_for_pass = -1;

#define PASSES 4 /* passes over the corpus per run, each from an empty piece cache */
#define RUNS 3   /* runs per thread count; the best counts */
#define MAX_THREADS 256

/* A pass timed from the moment every thread runs (a spinning start barrier): from the
 * barrier to the last thread's end, and the time between the first and the last thread's
 * end (the last document's imbalance). */
typedef struct synced_time {
    double span, imbalance;
} synced_time;

/* How a pass hands its documents out: by script (the default), as `winnow tokenize` does
 * (core/handout.h, tokenize/script_key.h), each thread taking runs of one script's
 * documents, with the keys computed and sorted inside the timed pass; or, with
 * --input-order, in input order one at a time, as before the twenty-fourth session. */
static bool g_input_order;
static wn_handout g_handout; /* by script: the pass's plan */

static atomic_int g_arrived; /* threads at the start barrier of a synced pass */

/* Where a pass's wall time goes, per thread (--passes at two threads and more): when each
 * thread began (after the region's start: the workers' wake-up), its own documents' time
 * and bytes, and when the region returned (the join). */
typedef struct pass_times {
    double t0, done;                         /* the region's start and return */
    double start[MAX_THREADS], end[MAX_THREADS];
    double bytes[MAX_THREADS];               /* of the documents each thread encoded */
} pass_times;

/* One text's ids into *ids (emptied first): their count; its bytes added to *bytes. */
static size_t encode_text(const wn_tok *tok, const text *x, wn_tok_ids *ids, double *bytes)
{
    ids->len = 0;
    wn_tok_encode(tok, x->s, x->n, 0, ids);
    *bytes += (double)x->n;
    return ids->len;
}

/* One pass (number pass) over the texts on `threads` threads, each from an empty cache: its
 * wall time, its CPU time into *cpu and its tokens into *ntok. With sync, the threads wait
 * for each other at a spinning barrier inside the timed region first, and *sync gets the
 * pass's times from there (the wall and CPU time still cover the whole region). */
static double encode_pass(const wn_tok *tok, const text *t, size_t n, int threads, int pass,
                          uint64_t *ntok, double *cpu, synced_time *sync, pass_times *pt)
{
    uint64_t total = 0;
    double start[MAX_THREADS], end[MAX_THREADS];
    atomic_store(&g_arrived, 0);
    /* the same team's threads run both regions (OpenMP keeps its pool), so each one
     * empties the cache it will encode with */
#pragma omp parallel num_threads(threads)
    {
        wn_tok_cache_clear();
        g_cleared_for_pass = pass;
    }
    wn_handout_item *items = g_input_order ? NULL : wn_handout_reset(&g_handout, n);
    double t0 = now(), c0 = cpu_now();
#pragma omp parallel num_threads(threads) reduction(+ : total)
    {
        wn_tok_ids ids = WN_TOK_IDS_INIT;
        int me = omp_get_thread_num();
        double my_bytes = 0;
        if (pt)
            pt->start[me] = now();
        if (g_cleared_for_pass != pass) {
            fprintf(stderr, "tok_bench: a thread would start pass %d with a warm cache\n", pass);
            exit(1);
        }
        if (sync) {
            atomic_fetch_add(&g_arrived, 1);
            while (atomic_load(&g_arrived) < threads)
                ; /* spin: a sleeping thread's wake-up is what this figure leaves out */
            start[me] = now();
        }
        if (items) {
            /* the runner keys a batch while the previous one is encoded; here, with
             * nothing before it, the keys are a step of the pass, shared by the threads */
#pragma omp for schedule(static)
            for (long i = 0; i < (long)n; i++)
                items[i] = (wn_handout_item){ wn_script_key(t[i].s, t[i].n), t[i].n, (size_t)i };
#pragma omp single
            wn_handout_plan(&g_handout, threads);
            for (size_t i; (i = wn_handout_next(&g_handout, me)) != WN_HANDOUT_DONE;)
                total += encode_text(tok, &t[i], &ids, &my_bytes);
        } else {
            /* one document at a time: the 16.6 MB corpus has runs of 438 KB licence texts
             * and one 2 MB file, and chunks of 16 documents left one thread working alone
             * at the end of each pass (1.77x on 2 threads, 1.95x one by one) */
#pragma omp for schedule(dynamic, 1) nowait
            for (long i = 0; i < (long)n; i++)
                total += encode_text(tok, &t[i], &ids, &my_bytes);
        }
        end[me] = now(); /* nowait: this thread's own end, not the team's */
        if (pt) {
            pt->end[me] = end[me];
            pt->bytes[me] = my_bytes;
        }
        wn_tok_ids_release(&ids);
    }
    *cpu = cpu_now() - c0;
    *ntok = total;
    double wall = now() - t0;
    if (pt) {
        pt->t0 = t0;
        pt->done = t0 + wall;
    }
    if (sync) {
        double first = start[0], first_end = end[0], last_end = end[0];
        for (int i = 1; i < threads; i++) {
            first = start[i] < first ? start[i] : first;
            first_end = end[i] < first_end ? end[i] : first_end;
            last_end = end[i] > last_end ? end[i] : last_end;
        }
        sync->span = last_end - first;
        sync->imbalance = last_end - first_end;
    }
    return wall;
}

/* count passes, numbered from first: their wall time, CPU time into *cpu; with sync, synced
 * passes whose times add up in *sync. */
static double encode_all(const wn_tok *tok, const text *t, size_t n, int threads, int first,
                         int count, uint64_t *ntok, double *cpu, synced_time *sync)
{
    double wall = 0;
    *cpu = 0;
    if (sync)
        *sync = (synced_time){ 0, 0 };
    for (int pass = first; pass < first + count; pass++) {
        double pass_cpu;
        synced_time st;
        wall += encode_pass(tok, t, n, threads, pass, ntok, &pass_cpu, sync ? &st : NULL, NULL);
        *cpu += pass_cpu;
        if (sync) {
            sync->span += st.span;
            sync->imbalance += st.imbalance;
        }
    }
    return wall;
}

/* runs runs of count synced passes each (numbered from first): the best run's wall time
 * into *wall (as the headline's, with the barrier in it) and its times from the moment all
 * threads run into *best. */
static void synced_runs(const wn_tok *tok, const text *t, size_t n, int threads, int runs,
                        int count, int first, double *wall, synced_time *best)
{
    *wall = 1e30;
    *best = (synced_time){ 1e30, 0 };
    for (int rep = 0; rep < runs; rep++) {
        uint64_t ntok;
        double cpu;
        synced_time st;
        double dt = encode_all(tok, t, n, threads, first + rep * count, count, &ntok, &cpu, &st);
        *wall = dt < *wall ? dt : *wall;
        if (st.span < best->span)
            *best = st;
    }
}

/* The best of three timings of wn_tok_count over s[0..n) (the first also maps the thread's
 * caches; any can be disturbed by other users of the machine). */
static void time_pathological(const wn_tok *tok, const char *name, const char *s, size_t n)
{
    double best = 1e30;
    size_t ntok = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        ntok = wn_tok_count(tok, s, n, 0);
        double dt = now() - t0;
        best = dt < best ? dt : best;
    }
    printf("pathological  %-28s %9zu tokens  %7.3f s  %7.1f MB/s\n", name, ntok, best,
           (double)n / best / 1e6);
}

static void pathological(const wn_tok *tok, const char *texts_path)
{
    static const struct {
        const char *name;
        size_t n;
        const char *fill;
    } cases[] = {
        { "10 MB of 'a'", 10u << 20, "a" },
        { "1 MB of letters, no space", 1u << 20, "qwertyuiopasdfghjklzxcvbnm" },
        { "a million digits", 1000000, "7" },
        { "10 MB of spaces", 10u << 20, " " },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t n = cases[c].n, k = strlen(cases[c].fill);
        char *s = malloc(n);
        for (size_t i = 0; i < n; i++)
            s[i] = cases[c].fill[(i * 7 + i / 5) % k];
        time_pathological(tok, cases[c].name, s, n);
        free(s);
    }
    if (!texts_path)
        return;
    /* Real text without its white space: words run together up to the next punctuation or
     * digit, pieces of tens to thousands of bytes that no cache has seen. */
    size_t count, bytes, n = 0, cap = 1u << 20;
    text *t = read_texts(texts_path, &count, &bytes);
    char *s = malloc(cap);
    for (size_t d = 0; d < count; d++) {
        for (size_t i = 0; i < t[d].n && n < cap; i++)
            if (!strchr(" \t\n\r", t[d].s[i]))
                s[n++] = t[d].s[i];
        free(t[d].s);
    }
    time_pathological(tok, "1 MB of the texts, no space", s, n);
    free(s);
    free(t);
}

/* --latency: ns per load of a chase through a random cycle of the cache lines of a table of
 * 1 to 16 MB, in 2 MB pages as the tokenizer's tables are. The tokenizer reads ~7 MB of
 * tables and text at random in a pass of the multilingual mix; on a VM whose last level is
 * shared with other guests, how much of it that level holds changes from minute to minute
 * (sixteenth session: the jump to DRAM, ~20 -> ~130 ns, came at 5 MB in one run and at 7 MB
 * in the next). Printed before the corpora, so a run's numbers can be read with it. */
static volatile size_t g_chase_end;

static void latency(void)
{
    static const size_t mb[] = { 1, 2, 4, 6, 8, 16 };
    printf("latency      ns per dependent load at random in");
    for (size_t k = 0; k < sizeof mb / sizeof *mb; k++) {
        size_t bytes = mb[k] << 20, lines = bytes / 64;
        uint64_t *a = wn_tok_alloc_huge(bytes); /* as the tokenizer allocates its tables */
        size_t *order = malloc(lines * sizeof *order);
        if (!order) {
            perror("tok_bench --latency");
            exit(1);
        }
        uint64_t rng = 0x9E3779B97F4A7C15ull;
        for (size_t i = 0; i < lines; i++)
            order[i] = i;
        for (size_t i = lines - 1; i > 0; i--) { /* Fisher-Yates: one cycle through all */
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t j = (size_t)((rng >> 33) % (i + 1)), x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (size_t i = 0; i < lines; i++)
            a[order[i] * 8] = order[(i + 1) % lines] * 8;
        size_t p = 0;
        for (size_t i = 0; i < lines; i++) /* once round, so the timed loads find it placed */
            p = a[p];
        enum { LOADS = 4000000 };
        double t0 = now();
        for (int i = 0; i < LOADS; i++)
            p = a[p];
        double ns = (now() - t0) / LOADS * 1e9;
        g_chase_end = p; /* so that the chase is not optimized away */
        printf("  %zu MB %.1f", mb[k], ns);
        free(order);
        free(a);
    }
    printf("\n");
}

/* RUNS runs of PASSES passes on `threads` threads: the best wall and CPU times; returns the
 * tokens of a pass. */
static uint64_t best_runs(const wn_tok *tok, const text *t, size_t n, int threads,
                          double *best, double *best_cpu)
{
    uint64_t ntok = 0;
    *best = *best_cpu = 1e30;
    for (int rep = 0; rep < RUNS; rep++) {
        double cpu, dt = encode_all(tok, t, n, threads, 0, PASSES, &ntok, &cpu, NULL);
        *best = dt < *best ? dt : *best;
        *best_cpu = cpu < *best_cpu ? cpu : *best_cpu;
    }
    return ntok;
}

/* One line of ids per text into path, then the timed runs at each thread count, by script
 * and then in input order. */
static void write_ids_and_time(const wn_tok *tok, const text *t, size_t n, size_t bytes,
                               const char *path, int n_counts, char **counts)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        exit(1);
    }
    wn_tok_ids ids = WN_TOK_IDS_INIT;
    for (size_t i = 0; i < n; i++) {
        ids.len = 0;
        wn_tok_encode(tok, t[i].s, t[i].n, 0, &ids);
        for (size_t k = 0; k < ids.len; k++)
            fprintf(out, k ? " %u" : "%u", ids.ids[k]);
        fputc('\n', out);
    }
    fclose(out);
    wn_tok_ids_release(&ids);
    for (int a = 0; a < n_counts; a++) {
        int threads = atoi(counts[a]);
        if (threads < 1 || threads > MAX_THREADS) {
            fprintf(stderr, "tok_bench: thread count '%s' not in 1..%d\n", counts[a], MAX_THREADS);
            exit(2);
        }
    }
    double mb = (double)bytes * PASSES / 1e6;
    for (int a = 0; a < n_counts; a++) {
        int threads = atoi(counts[a]);
        double best, best_cpu;
        uint64_t ntok = best_runs(tok, t, n, threads, &best, &best_cpu);
        printf("winnow        threads %d  %7.1f MB/s wall  %7.1f MB/s per CPU-second  (%zu docs, "
               "%.2f MB, %llu tokens)\n", threads, mb / best, mb / best_cpu, n,
               (double)bytes / 1e6, (unsigned long long)ntok);
        if (threads < 2)
            continue;
        double wall;
        synced_time st;
        synced_runs(tok, t, n, threads, RUNS, PASSES, 0, &wall, &st);
        printf("winnow        threads %d  %7.1f MB/s wall with a start barrier  %7.1f MB/s from "
               "all threads running  (last document's wait %.2f ms a pass)\n", threads,
               mb / wall, mb / st.span, st.imbalance * 1e3 / PASSES);
    }
    /* what grouping by script gives: the same runs with the documents in input order */
    g_input_order = true;
    for (int a = 0; a < n_counts; a++) {
        int threads = atoi(counts[a]);
        double best, best_cpu;
        best_runs(tok, t, n, threads, &best, &best_cpu);
        printf("winnow        threads %d  %7.1f MB/s wall  %7.1f MB/s per CPU-second  in input "
               "order\n", threads, mb / best, mb / best_cpu);
    }
    g_input_order = false;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of v[0..n) (reordered). */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Where the wall time of the passes went, each part's median over the passes (and the
 * parts of the best pass): the wake-up (the region's start to its last thread's start), each
 * thread's own work and rate, the tail (the first thread's end to the last's: one thread
 * alone with its last document) and the join (the last end to the region's return). */
static void print_breakdown(const pass_times *pt, int n_passes, int threads)
{
    double *wake = malloc((size_t)n_passes * sizeof *wake), *tail = malloc((size_t)n_passes * sizeof *tail);
    double *join = malloc((size_t)n_passes * sizeof *join), *work = malloc((size_t)n_passes * sizeof *work);
    double *rate = malloc((size_t)n_passes * sizeof *rate), *wall = malloc((size_t)n_passes * sizeof *wall);
    int best = 0;
    for (int p = 0; p < n_passes; p++) {
        const pass_times *q = &pt[p];
        double last_start = q->start[0], first_end = q->end[0], last_end = q->end[0];
        double busy = 0, done = 0;
        for (int i = 0; i < threads; i++) {
            last_start = q->start[i] > last_start ? q->start[i] : last_start;
            first_end = q->end[i] < first_end ? q->end[i] : first_end;
            last_end = q->end[i] > last_end ? q->end[i] : last_end;
            busy += q->end[i] - q->start[i];
            done += q->bytes[i];
        }
        wake[p] = last_start - q->t0;
        tail[p] = last_end - first_end;
        join[p] = q->done - last_end;
        work[p] = busy / threads;
        rate[p] = done / busy / 1e6; /* each thread's own MB/s, averaged by time */
        wall[p] = q->done - q->t0;
        if (wall[p] < wall[best])
            best = p;
    }
    const pass_times *b = &pt[best];
    printf("winnow        best pass  %.3f ms wall: wake-up %.3f, tail %.3f, join %.3f ms; "
           "threads' own rates", wall[best] * 1e3, (wake[best]) * 1e3, tail[best] * 1e3,
           join[best] * 1e3);
    for (int i = 0; i < threads; i++)
        printf(" %.1f", b->bytes[i] / (b->end[i] - b->start[i]) / 1e6);
    printf(" MB/s\n");
    printf("winnow        medians of %d passes  %.3f ms wall: wake-up %.3f, each thread's work "
           "%.3f, tail %.3f, join %.3f ms; each thread's own rate %.1f MB/s\n", n_passes,
           median(wall, n_passes) * 1e3, median(wake, n_passes) * 1e3,
           median(work, n_passes) * 1e3, median(tail, n_passes) * 1e3,
           median(join, n_passes) * 1e3, median(rate, n_passes));
    free(wake);
    free(tail);
    free(join);
    free(work);
    free(rate);
    free(wall);
}

/* --passes: n_passes passes on `threads` threads from an empty cache each, the best pass's
 * CPU time and the best wall time. */
static void passes(const wn_tok *tok, const text *t, size_t n, size_t bytes, int n_passes,
                   int threads)
{
    double best = 1e30, best_wall = 1e30;
    pass_times *pt = calloc((size_t)n_passes, sizeof *pt);
    for (int pass = 0; pass < n_passes; pass++) {
        uint64_t ntok;
        double cpu, wall = encode_pass(tok, t, n, threads, pass, &ntok, &cpu, NULL,
                                       &pt[pass]);
        best = cpu < best ? cpu : best;
        best_wall = wall < best_wall ? wall : best_wall;
    }
    printf("winnow        best of %d passes  %7.2f ms  %7.1f MB per CPU-second  %7.1f MB/s wall"
           "  (%d threads)\n", n_passes, best * 1e3, (double)bytes / best / 1e6,
           (double)bytes / best_wall / 1e6, threads);
    print_breakdown(pt, n_passes, threads);
    free(pt);
    if (threads < 2)
        return;
    /* then as many synced passes (interleaving them would put a spinning thread's pass
     * next to each plain one) */
    double wall;
    synced_time st;
    synced_runs(tok, t, n, threads, n_passes, 1, n_passes, &wall, &st);
    printf("winnow        best of %d passes  %7.1f MB/s wall with a start barrier  %7.1f MB/s "
           "from all threads running  (last document's wait %.3f ms)\n", n_passes,
           (double)bytes / wall / 1e6, (double)bytes / st.span / 1e6, st.imbalance * 1e3);
}

int main(int argc, char **argv)
{
    char err[512];
    wn_tok *tok = wn_tok_load_default(err, sizeof err);
    if (!tok) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (argc == 2 && strcmp(argv[1], "--latency") == 0) {
        latency();
        wn_tok_free(tok);
        return 0;
    }
    if ((argc == 2 || argc == 3) && strcmp(argv[1], "--pathological") == 0) {
        pathological(tok, argc == 3 ? argv[2] : NULL);
        wn_tok_free(tok);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--input-order") == 0) {
        g_input_order = true;
        argv++;
        argc--;
    }
    bool by_passes = (argc == 4 || argc == 5) && strcmp(argv[1], "--passes") == 0;
    int threads = by_passes && argc == 5 ? atoi(argv[4]) : 1;
    if (argc < 4 || (by_passes && (atoi(argv[2]) < 1 || threads < 1 || threads > MAX_THREADS))) {
        fprintf(stderr, "usage: tok_bench TEXTS.jsonl IDS_OUT THREADS...\n"
                        "       tok_bench [--input-order] --passes N TEXTS.jsonl [THREADS]\n"
                        "       tok_bench --pathological [TEXTS.jsonl] | --latency\n");
        return 2;
    }
    size_t n, bytes;
    text *t = read_texts(argv[by_passes ? 3 : 1], &n, &bytes);
    if (by_passes)
        passes(tok, t, n, bytes, atoi(argv[2]), threads);
    else
        write_ids_and_time(tok, t, n, bytes, argv[2], argc - 3, argv + 3);
    for (size_t i = 0; i < n; i++)
        free(t[i].s);
    free(t);
    wn_handout_release(&g_handout);
    wn_tok_free(tok);
    return 0;
}
