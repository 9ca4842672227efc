/* lid_bench.c: language ID alone, without the filter stage around it (no text analysis, no
 * attributes): wn_ft_predict (k = 1) over each line of a text file, cut at 4,000 bytes as the
 * langid stage cuts it, one cold pass then the best of N warm passes, in MB per CPU-second of
 * this thread. Also prints the words the word cache read again from the dictionary per warm
 * pass and the sum of the top probabilities, which two builds must print alike.
 *
 *   cc -std=c11 -D_GNU_SOURCE -O2 -I. $(pkg-config --cflags $PKGS) bench/lid_bench.c \
 *      build/libwinnow.a $(pkg-config --libs $PKGS) -fopenmp -lm -lpthread -o /tmp/lid_bench
 *   /tmp/lid_bench data/models/lid.176.ftz lines.txt [passes]
 *
 * (lines.txt: one text a line, newlines inside a text made spaces.) Timing two builds: run
 * them in turn, several rounds. */
#include "classify/fasttext.h"
#include "classify/ft_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_BYTES = 4000 };

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: lid_bench MODEL LINES [passes]\n");
        return 2;
    }
    char err[512];
    wn_ft_model *m = wn_ft_load(argv[1], err, sizeof err);
    if (!m) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        fprintf(stderr, "cannot open '%s'\n", argv[2]);
        return 1;
    }
    int passes = argc > 3 ? atoi(argv[3]) : 10;
    char **texts = NULL, *line = NULL;
    size_t *lens = NULL, n_texts = 0, cap = 0;
    double bytes = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        texts = realloc(texts, (n_texts + 1) * sizeof *texts);
        lens = realloc(lens, (n_texts + 1) * sizeof *lens);
        if (!texts || !lens)
            return 1;
        texts[n_texts] = line;
        lens[n_texts] = (size_t)got < MAX_BYTES ? (size_t)got : MAX_BYTES;
        bytes += (double)lens[n_texts++];
        line = NULL;
        cap = 0;
    }
    free(line);
    fclose(f);
    double best = 1e30, prob_sum = 0;
    uint64_t reads = 0;
    for (int pass = 0; pass <= passes; pass++) { /* pass 0: the cold one */
        uint64_t reads0 = wn_ft_cache_reads();
        double t0 = cpu_seconds();
        prob_sum = 0;
        for (size_t i = 0; i < n_texts; i++) {
            wn_ft_prediction p;
            if (wn_ft_predict(m, texts[i], lens[i], 1, 0.0f, &p) > 0)
                prob_sum += p.prob;
        }
        double t = cpu_seconds() - t0;
        if (pass > 0 && t < best)
            best = t;
        reads = wn_ft_cache_reads() - reads0;
    }
    printf("%zu texts, %.2f MB: %.1f MB per CPU-s (best of %d warm passes), %llu words read "
           "again a warm pass, probabilities sum to %.9f\n",
           n_texts, bytes / 1e6, bytes / 1e6 / best, passes, (unsigned long long)reads,
           prob_sum);
    for (size_t i = 0; i < n_texts; i++)
        free(texts[i]);
    free(texts);
    free(lens);
    wn_ft_free(m);
    return 0;
}
