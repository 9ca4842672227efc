/* filter_bench.c: throughput of the filter chain on real English text, in memory (no JSON
 * parsing, no compression: those belong to the runner and are measured by bench/filter.sh).
 *
 *   bench/filter_bench FILE.jsonl[.gz]...    (run by bench/filter.sh)
 *
 * Loads the documents, then times (a) a byte-classification loop over the same bytes, the
 * ceiling of any filter that reads its input, (b) each filter alone on every document,
 * (c) the default chain (a document leaves at its first drop, as in the runner) on 1 thread
 * and on all threads (OpenMP). Each figure is the best of `reps` passes, in MB/s of input
 * text. The machine is shared, so each figure also comes as MB per CPU-second (process CPU
 * time of the pass), which load on other cores barely moves. */
#include "core/io.h"
#include "core/jsonl.h"
#include "core/progress.h"
#include "filter/filter.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct corpus {
    char **text;
    size_t *len;
    size_t n, cap, bytes;
} corpus;

static void load(corpus *c, const char *path, const char *lang_only)
{
    char err[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        fprintf(stderr, "cannot open '%s': %s\n", path, err);
        exit(1);
    }
    const char *line;
    size_t len;
    while ((line = wn_in_line(in, &len))) {
        wn_doc d;
        wn_doc_init(&d);
        if (!wn_jsonl_parse(line, len, NULL, &d, err, sizeof err)) {
            const char *lang = json_string_value(json_object_get(d.metadata, "lang"));
            if (!lang_only || (lang && !strcmp(lang, lang_only))) {
                if (c->n == c->cap) {
                    c->cap = c->cap ? 2 * c->cap : 1024;
                    c->text = realloc(c->text, c->cap * sizeof *c->text);
                    c->len = realloc(c->len, c->cap * sizeof *c->len);
                }
                c->text[c->n] = malloc(d.text.len + 1);
                memcpy(c->text[c->n], d.text.ptr, d.text.len + 1);
                c->len[c->n++] = d.text.len;
                c->bytes += d.text.len;
            }
        }
        wn_doc_release(&d);
    }
    wn_in_close(in);
}

static volatile uint64_t sink;

typedef struct timing {
    double wall, cpu; /* seconds */
} timing;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static timing ceiling(const corpus *c)
{
    static uint8_t cls[256];
    for (int i = 0; i < 256; i++)
        cls[i] = (uint8_t)((i >= 'a' && i <= 'z') | (i == ' ') << 1 | (i == '\n') << 2 | (i >= 0x80) << 3);
    double t0 = wn_now(), c0 = cpu_now();
    uint64_t counts[16] = {0};
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < c->len[i]; k++)
            counts[cls[(unsigned char)c->text[i][k]]]++;
    timing t = {wn_now() - t0, cpu_now() - c0};
    sink = counts[1] + counts[2];
    return t;
}

/* Seconds each stage of the chain took in the last profiled pass (stage_secs[k]). */
static double stage_secs[64];

/* One pass of `stages` over the corpus with `threads` threads; `profile` (1 thread) times
 * each stage into stage_secs, at two clock reads per stage and document (~1% of the
 * chain's time), so the passes that measure throughput leave it off. */
static timing pass(const corpus *c, wn_stage **stages, size_t n_stages, int threads,
                   bool chain, bool profile, uint64_t *kept)
{
    memset(stage_secs, 0, sizeof stage_secs);
    wn_doc *docs = calloc(c->n, sizeof *docs);
    for (size_t i = 0; i < c->n; i++) {
        wn_doc_init(&docs[i]);
        wn_str_set(&docs[i].text, c->text[i], c->len[i]);
        docs[i].input_index = i;
    }
    wn_stats *stats = calloc((size_t)threads, sizeof *stats);
    for (int t = 0; t < threads; t++)
        wn_stats_init(&stats[t], "bench");
    double t0 = wn_now(), c0 = cpu_now();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 16)
    for (size_t i = 0; i < c->n; i++) {
        wn_stats *s = &stats[omp_get_thread_num()];
        for (size_t k = 0; k < n_stages; k++) {
            if (chain && docs[i].drop_reason)
                break;
            docs[i].drop_reason = chain ? docs[i].drop_reason : NULL;
            double s0 = profile && k < 64 ? wn_now() : 0;
            stages[k]->process_doc(stages[k]->state, &docs[i], s);
            if (profile && k < 64)
                stage_secs[k] += wn_now() - s0;
        }
    }
    timing t = {wn_now() - t0, cpu_now() - c0};
    uint64_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        k += docs[i].drop_reason == NULL;
        wn_doc_release(&docs[i]);
    }
    for (int th = 0; th < threads; th++)
        wn_stats_release(&stats[th]);
    free(stats);
    free(docs);
    if (kept)
        *kept = k;
    return t;
}

static void keep_best(timing *b, timing t)
{
    b->wall = t.wall < b->wall ? t.wall : b->wall;
    b->cpu = t.cpu < b->cpu ? t.cpu : b->cpu;
}

static timing best(const corpus *c, wn_stage **st, size_t n, int threads, bool chain, int reps,
                   uint64_t *kept)
{
    timing b = {1e30, 1e30};
    for (int r = 0; r < reps; r++)
        keep_best(&b, pass(c, st, n, threads, chain, false, kept));
    return b;
}

int main(int argc, char **argv)
{
    corpus c = {0};
    size_t first_doc[64] = {0}; /* input i's documents: first_doc[i] .. first_doc[i + 1] */
    if (argc > 63) {
        fprintf(stderr, "filter_bench: at most 62 inputs\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        /* langid.jsonl.gz holds 43 languages: take its English paragraphs only */
        bool is_langid = strstr(argv[i], "langid") != NULL;
        first_doc[i - 1] = c.n;
        load(&c, argv[i], is_langid ? "en" : NULL);
    }
    first_doc[argc - 1] = c.n;
    if (!c.n) {
        fprintf(stderr, "usage: filter_bench FILE.jsonl[.gz]...\n");
        return 2;
    }
    int reps = getenv("BENCH_REPS") ? atoi(getenv("BENCH_REPS")) : 3;
    int cores = omp_get_max_threads();
    double mb = (double)c.bytes / 1e6;
    printf("corpus: %zu real English documents, %.1f MB of text; best of %d passes; %d cores\n",
           c.n, mb, reps, cores);
    timing tc = {1e30, 1e30};
    for (int r = 0; r < reps; r++)
        keep_best(&tc, ceiling(&c));
    double ceil_mbs = mb / tc.cpu;
    printf("%-34s %9.1f MB/s wall, %9.1f MB per CPU-s\n", "ceiling: byte-classification loop",
           mb / tc.wall, ceil_mbs);

    wn_filter_chain chain;
    char err[512];
    if (wn_filter_chain_build(&chain, NULL, NULL, false, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    bool chain_only = getenv("BENCH_CHAIN_ONLY") != NULL; /* for profiling the chain */
    if (!chain_only)
        printf("\neach filter alone, 1 thread (every document, drops ignored):\n");
    const char *only = getenv("BENCH_ONLY"); /* one filter alone, for profiling it */
    for (size_t k = 0; k < chain.n && !chain_only; k++) {
        if (only && strcmp(chain.stages[k]->name, only))
            continue;
        if (!strcmp(chain.stages[k]->name, "url")) {
            printf("  %-32s       n/a   (these documents carry no URL)\n", "url");
            continue;
        }
        timing t = best(&c, &chain.stages[k], 1, 1, false, reps, NULL);
        printf("  %-32s %9.1f MB/s wall, %9.1f MB per CPU-s  %5.1f%% of ceiling\n",
               chain.stages[k]->name, mb / t.wall, mb / t.cpu, 100.0 * (mb / t.cpu) / ceil_mbs);
    }
    if (only) {
        wn_filter_chain_release(&chain);
        return 0;
    }
    uint64_t kept;
    printf("\ndefault chain (documents leave at their first drop):\n");
    timing t1 = best(&c, chain.stages, chain.n, 1, true, reps, &kept);
    printf("  %-32s %9.1f MB/s wall, %9.1f MB per CPU-s  %5.1f%% of ceiling  (kept %llu of %zu)\n",
           "1 thread", mb / t1.wall, mb / t1.cpu, 100.0 * (mb / t1.cpu) / ceil_mbs,
           (unsigned long long)kept, c.n);
    timing tp = pass(&c, chain.stages, chain.n, 1, true, true, NULL); /* stage shares */
    printf("  %-32s", "  its time by stage:");
    for (size_t k = 0; k < chain.n; k++)
        printf(" %s %.0f%%", chain.stages[k]->name, 100.0 * stage_secs[k] / tp.wall);
    printf("\n");
    /* The corpus's inputs differ in kind, and so does the chain's speed on them: edited prose
     * passes most rules, so every filter runs on it, while most of the Debian copyright files'
     * bytes leave at language ID or the repetition rules. Each on its own, 1 thread: */
    for (int i = 1; i < argc && argc > 2; i++) {
        size_t a = first_doc[i - 1], n = first_doc[i] - a, bytes = 0;
        for (size_t k = a; k < a + n; k++)
            bytes += c.len[k];
        corpus part = {c.text + a, c.len + a, n, n, bytes};
        uint64_t part_kept;
        timing tt = best(&part, chain.stages, chain.n, 1, true, reps, &part_kept);
        const char *name = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        printf("    %-30s %9.1f MB per CPU-s  (%.1f MB, kept %llu of %zu)\n", name,
               (double)bytes / 1e6 / tt.cpu, (double)bytes / 1e6, (unsigned long long)part_kept, n);
    }
    /* BENCH_CHAIN_ONLY: the 1-thread chain alone, so that a profile of it holds nothing else */
    for (int th = 2; th <= cores && !chain_only; th *= 2) {
        timing tn = best(&c, chain.stages, chain.n, th, true, reps, NULL);
        printf("  %-32s %9.1f MB/s wall (speed-up %.2fx), %9.1f MB per CPU-s\n",
               th == cores ? "all threads" : "threads", mb / tn.wall, t1.wall / tn.wall,
               mb / tn.cpu);
    }
    wn_filter_chain_release(&chain);

    /* what lazy rules save: the same chain computing every signal of every document (as
     * --annotate-only does; text-rewriting stages only record what they would do) */
    if (!chain_only) {
        if (wn_filter_chain_build(&chain, NULL, NULL, true, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        timing ta = best(&c, chain.stages, chain.n, 1, true, reps, NULL);
        printf("  %-32s %9.1f MB/s wall, %9.1f MB per CPU-s\n", "every signal (--annotate-only)",
               mb / ta.wall, mb / ta.cpu);
        wn_filter_chain_release(&chain);
    }
    for (size_t i = 0; i < c.n; i++)
        free(c.text[i]);
    free(c.text);
    free(c.len);
    return 0;
}
