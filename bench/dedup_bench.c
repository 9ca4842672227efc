/* dedup_bench.c: MinHash signature throughput on real text, one core.
 *
 *   cc ... bench/dedup_bench.c build/libwinnow.a -> dedup_bench FILE.jsonl[.gz]... [-b B -r R]
 *
 * Loads the documents' text into memory first (reading is not what is measured), then
 * signs every document repeatedly for at least 2 s on one thread and prints
 * "signatures (BxR): <MB/s> MB/s/core (CPU time; <MB/s> wall) ...". */
#include "core/io.h"
#include "core/jsonl.h"
#include "core/progress.h"
#include "dedup/minhash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
    wn_dedup_config cfg;
    wn_dedup_config_default(&cfg, WN_DEDUP_MINHASH);
    char **texts = NULL;
    size_t *lens = NULL, n = 0, cap = 0, bytes = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-b") && i + 1 < argc) { cfg.bands = (unsigned)atoi(argv[++i]); continue; }
        if (!strcmp(argv[i], "-r") && i + 1 < argc) { cfg.rows = (unsigned)atoi(argv[++i]); continue; }
        char err[256];
        wn_in *in = wn_in_open(argv[i], WN_COMP_AUTO, err, sizeof err);
        if (!in) { fprintf(stderr, "%s\n", err); return 1; }
        const char *line;
        size_t len;
        while ((line = wn_in_line(in, &len)) != NULL) {
            wn_doc d;
            wn_doc_init(&d);
            if (wn_jsonl_parse(line, len, NULL, &d, err, sizeof err) == 0) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 4096;
                    texts = realloc(texts, cap * sizeof *texts);
                    lens = realloc(lens, cap * sizeof *lens);
                }
                texts[n] = malloc(d.text.len + 1);
                memcpy(texts[n], d.text.ptr, d.text.len + 1);
                lens[n++] = d.text.len;
                bytes += d.text.len;
            }
            wn_doc_release(&d);
        }
        wn_in_close(in);
    }
    wn_mh_hasher *h = wn_mh_hasher_new(&cfg);
    uint32_t sig[WN_MH_MAX_VALUES];
    void *scratch = NULL;
    size_t scap = 0;
    unsigned passes = 0;
    uint64_t check = 0;
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    double t0 = wn_now(), t;
    do {
        for (size_t i = 0; i < n; i++) {
            wn_mh_signature(h, texts[i], lens[i], sig, &scratch, &scap);
            check += sig[0];
        }
        passes++;
        t = wn_now() - t0;
    } while (t < 2.0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) / 1e9;
    /* MB per CPU second is what one core does; wall-clock MB/s drops when the machine is
     * shared, so both are printed. */
    printf("signatures (%ux%u): %.1f MB/s/core (CPU time; %.1f MB/s wall) %.0f docs/s "
           "(%zu docs, %zu bytes x %u passes, check %llu)\n", cfg.bands, cfg.rows,
           (double)bytes * passes / cpu / 1e6, (double)bytes * passes / t / 1e6,
           (double)n * passes / cpu, n, bytes, passes, (unsigned long long)(check % 1000));
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    free(scratch);
    wn_mh_hasher_free(h);
    return 0;
}
