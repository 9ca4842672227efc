/* sem_select.c: SemDeDup's selection over rows sorted by (cluster, uid), in bounded memory
 * (semantic.h, wn_sem_selector).
 *
 * Rows are buffered until the buffer is full; the whole clusters in it are selected together
 * by wn_sem_select (clusters in parallel, each in uid order). A cluster that fills the
 * buffer alone is processed in blocks: each block is first compared, in parallel, with the
 * kept rows already spilled to disk, then row by row with the kept rows in memory; when the
 * kept rows outgrow their share they are compared with the rest of the block and appended
 * to the spill file. A removed row names the first kept row (in uid order) it matches, as
 * the in-memory rule does, so both paths give the same removals. */
#include "dedup/semantic.h"
#include "dedup/sem_files.h"

#include "core/buf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_MATCH UINT64_MAX

struct wn_sem_selector {
    unsigned d;
    double eps;
    float thr;
    wn_sem_remove_fn on_remove;
    void *ctx;
    /* the buffer: whole clusters, or the current block of a big cluster */
    float *x;
    uint64_t *uid, *match;
    uint32_t *cl, *local;
    uint8_t *keep;
    size_t *kept_of;
    size_t n, cap;
    /* a cluster larger than the buffer */
    bool big;
    uint32_t big_cluster;
    float *kept;
    uint64_t *kept_uid;
    size_t nk, kcap;
    char *spill_path;
    FILE *spill;
    uint64_t n_spill;
    uint64_t blocked;
    bool failed;
    char err[512];
};

wn_sem_selector *wn_sem_selector_new(unsigned d, double eps, uint64_t mem_bytes,
                                     const char *spill_path, wn_sem_remove_fn on_remove,
                                     void *ctx)
{
    wn_sem_selector *s = wn_xcalloc(1, sizeof *s);
    s->d = d;
    s->eps = eps;
    s->thr = (float)(1.0 - eps);
    s->on_remove = on_remove;
    s->ctx = ctx;
    /* half of the budget for the buffer (a row and its bookkeeping, wn_sem_select's
     * included), a quarter for the kept rows of a big cluster, a quarter for reading its
     * spilled kept rows back in chunks */
    uint64_t per_row = 4ull * d + 64, kept_row = 4ull * d + 8;
    s->cap = (size_t)(mem_bytes / 2 / per_row);
    if (s->cap < 2) s->cap = 2;
    s->kcap = (size_t)(mem_bytes / 4 / kept_row);
    if (s->kcap < 1) s->kcap = 1;
    s->x = wn_xmalloc(s->cap * d * sizeof *s->x);
    s->uid = wn_xmalloc(s->cap * sizeof *s->uid);
    s->match = wn_xmalloc(s->cap * sizeof *s->match);
    s->cl = wn_xmalloc(s->cap * sizeof *s->cl);
    s->local = wn_xmalloc(s->cap * sizeof *s->local);
    s->keep = wn_xmalloc(s->cap);
    s->kept_of = wn_xmalloc(s->cap * sizeof *s->kept_of);
    s->spill_path = wn_xstrdup(spill_path);
    return s;
}

static void fail_errno(wn_sem_selector *s, const char *what)
{
    if (!s->failed)
        snprintf(s->err, sizeof s->err, "cannot %s '%s': %s", what, s->spill_path,
                 strerror(errno));
    s->failed = true;
}

static void report(wn_sem_selector *s, uint64_t uid, uint64_t kept)
{
    if (!s->failed && s->on_remove(s->ctx, uid, kept)) {
        snprintf(s->err, sizeof s->err, "cannot record a removal");
        s->failed = true;
    }
}

/* Rows [0, n) hold whole clusters: select them in memory. */
static void select_whole(wn_sem_selector *s, size_t n)
{
    if (n == 0) return;
    unsigned m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && s->cl[i] != s->cl[i - 1]) m++;
        s->local[i] = m;
    }
    wn_sem_select(s->x, n, s->d, s->local, m + 1, s->eps, s->keep, s->kept_of);
    for (size_t i = 0; i < n; i++)
        if (!s->keep[i]) report(s, s->uid[i], s->uid[s->kept_of[i]]);
}

/* match[i] for rows [from, n) not matched yet: the first of `nk` kept rows above the
 * threshold. Rows are independent, so threads only split the work. */
static void match_against(wn_sem_selector *s, size_t from, const float *kept,
                          const uint64_t *kept_uid, size_t nk)
{
#pragma omp parallel for schedule(dynamic, 16)
    for (long i = (long)from; i < (long)s->n; i++) {
        if (s->match[i] != NO_MATCH) continue;
        for (size_t q = 0; q < nk; q++)
            if (wn_sem_dot(s->x + (size_t)i * s->d, kept + q * s->d, s->d) > s->thr) {
                s->match[i] = kept_uid[q];
                break;
            }
    }
}

/* Compares the block with every kept row spilled so far, oldest first, a chunk of kcap rows
 * at a time (a chunk buffer the size of the kept buffer, held only meanwhile). */
static void match_spilled(wn_sem_selector *s)
{
    if (!s->n_spill || s->failed) return;
    if (fflush(s->spill) || fseeko(s->spill, 0, SEEK_SET)) { fail_errno(s, "read"); return; }
    size_t rb = wn_sem_row_bytes(s->d); /* spilled rows are .wse rows */
    unsigned char *buf = wn_xmalloc(s->kcap * rb);
    float *rows = wn_xmalloc(s->kcap * s->d * sizeof *rows);
    uint64_t *uids = wn_xmalloc(s->kcap * sizeof *uids);
    for (uint64_t done = 0; done < s->n_spill && !s->failed;) {
        size_t want = s->n_spill - done < s->kcap ? (size_t)(s->n_spill - done) : s->kcap;
        if (fread(buf, rb, want, s->spill) != want) { fail_errno(s, "read"); break; }
        for (size_t q = 0; q < want; q++) {
            memcpy(&uids[q], buf + q * rb, 8);
            memcpy(rows + q * s->d, buf + q * rb + 8, (size_t)s->d * 4);
        }
        match_against(s, 0, rows, uids, want);
        done += want;
    }
    free(buf);
    free(rows);
    free(uids);
    if (fseeko(s->spill, 0, SEEK_END)) fail_errno(s, "write");
}

/* The kept buffer is full: rows after `from` are compared with it, then it goes to disk. */
static void spill_kept(wn_sem_selector *s, size_t from)
{
    match_against(s, from, s->kept, s->kept_uid, s->nk);
    if (!s->spill && !(s->spill = fopen(s->spill_path, "w+b"))) { fail_errno(s, "create"); return; }
    for (size_t q = 0; q < s->nk && !s->failed; q++)
        if (fwrite(&s->kept_uid[q], 8, 1, s->spill) != 1 ||
            fwrite(s->kept + q * s->d, (size_t)s->d * 4, 1, s->spill) != 1)
            fail_errno(s, "write");
    s->n_spill += s->nk;
    s->nk = 0;
}

/* Rows [0, n) are the next block of the big cluster, in uid order. */
static void select_block(wn_sem_selector *s)
{
    for (size_t i = 0; i < s->n; i++) s->match[i] = NO_MATCH;
    match_spilled(s);
    for (size_t i = 0; i < s->n && !s->failed; i++) {
        const float *v = s->x + i * s->d;
        for (size_t q = 0; q < s->nk && s->match[i] == NO_MATCH; q++)
            if (wn_sem_dot(v, s->kept + q * s->d, s->d) > s->thr) s->match[i] = s->kept_uid[q];
        if (s->match[i] != NO_MATCH) {
            report(s, s->uid[i], s->match[i]);
            continue;
        }
        if (s->nk == s->kcap) spill_kept(s, i + 1);
        if (!s->kept) {
            s->kept = wn_xmalloc(s->kcap * s->d * sizeof *s->kept);
            s->kept_uid = wn_xmalloc(s->kcap * sizeof *s->kept_uid);
        }
        memcpy(s->kept + s->nk * s->d, v, s->d * sizeof *v);
        s->kept_uid[s->nk++] = s->uid[i];
    }
    s->n = 0;
}

static void end_big(wn_sem_selector *s)
{
    if (s->n) select_block(s);
    if (s->spill) {
        fclose(s->spill);
        s->spill = NULL;
        remove(s->spill_path);
    }
    s->big = false;
    s->nk = 0;
    s->n_spill = 0;
}

/* The buffer is full and another row comes: select what is complete, or start blocks. */
static void make_room(wn_sem_selector *s, uint32_t cluster)
{
    if (cluster != s->cl[s->n - 1]) {
        select_whole(s, s->n);
        s->n = 0;
        return;
    }
    size_t first = s->n - 1;
    while (first > 0 && s->cl[first - 1] == cluster) first--;
    if (first == 0) { /* one cluster fills the buffer: it goes in blocks */
        s->big = true;
        s->big_cluster = cluster;
        s->blocked++;
        select_block(s);
        return;
    }
    select_whole(s, first);
    size_t rest = s->n - first;
    memmove(s->x, s->x + first * s->d, rest * s->d * sizeof *s->x);
    memmove(s->uid, s->uid + first, rest * sizeof *s->uid);
    memmove(s->cl, s->cl + first, rest * sizeof *s->cl);
    s->n = rest;
}

int wn_sem_selector_add(wn_sem_selector *s, uint32_t cluster, uint64_t uid, const float *v,
                        char *err, size_t errlen)
{
    if (s->big && cluster != s->big_cluster) end_big(s);
    if (s->n == s->cap) {
        if (s->big) select_block(s);
        else make_room(s, cluster);
    }
    memcpy(s->x + s->n * s->d, v, s->d * sizeof *v);
    s->uid[s->n] = uid;
    s->cl[s->n++] = cluster;
    if (s->failed) snprintf(err, errlen, "%s", s->err);
    return s->failed ? -1 : 0;
}

int wn_sem_selector_finish(wn_sem_selector *s, uint64_t *blocked, char *err, size_t errlen)
{
    if (s->big) end_big(s);
    else select_whole(s, s->n);
    int rc = s->failed ? -1 : 0;
    if (rc) snprintf(err, errlen, "%s", s->err);
    if (blocked) *blocked = s->blocked;
    if (s->spill) { fclose(s->spill); remove(s->spill_path); }
    free(s->x); free(s->uid); free(s->match); free(s->cl); free(s->local); free(s->keep);
    free(s->kept_of); free(s->kept); free(s->kept_uid); free(s->spill_path);
    free(s);
    return rc;
}
