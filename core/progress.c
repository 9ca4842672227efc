/* progress.c: one progress line on a TTY; see progress.h. */
#include "core/progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    bool active, drawn;
    char label[64];
    uint64_t total;
    double start, last;
} P;

double wn_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

void wn_progress_begin(const char *label, uint64_t total_bytes, bool quiet)
{
    P.active = !quiet && isatty(STDERR_FILENO);
    P.drawn = false;
    snprintf(P.label, sizeof P.label, "%s", label);
    P.total = total_bytes;
    P.start = P.last = wn_now();
}

void wn_progress_update(uint64_t docs, uint64_t bytes)
{
    if (!P.active)
        return;
    double now = wn_now();
    if (now - P.last < 0.25)
        return;
    P.last = now;
    double el = now - P.start, mbs = el > 0 ? bytes / 1e6 / el : 0;
    char eta[32] = "";
    if (P.total && bytes && bytes < P.total && mbs > 0) {
        double left = (P.total - bytes) / 1e6 / mbs;
        snprintf(eta, sizeof eta, "  ETA %dm%02ds", (int)(left / 60), (int)left % 60);
    }
    fprintf(stderr, "\r\033[K%s: %llu docs, %.1f MB, %.1f MB/s%s", P.label, (unsigned long long)docs,
            bytes / 1e6, mbs, eta);
    P.drawn = true;
}

void wn_progress_clear_line(void)
{
    if (P.active && P.drawn) {
        fputs("\r\033[K", stderr);
        P.drawn = false;
    }
}

void wn_progress_end(void)
{
    wn_progress_clear_line();
    P.active = false;
}
