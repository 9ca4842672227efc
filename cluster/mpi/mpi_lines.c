/* mpi_lines.c: dedup's global line counting (dedup/lines.h phases 1-2) over MPI ranks.
 *
 *   1 hash      rank r hashes shard r/R with dedup's own phase 1 (lines-r, files-r)
 *   2 exchange  each rank streams its line records to the rank owning the hash's range,
 *               (hash >> 32) * R >> 32, in rounds of bounded size, sorting what arrives
 *   3 count     each rank counts its hash range with dedup's phase 2 (buckets come from
 *               the files tables of all ranks), writing lineset-part-r.wls
 *   4 merge     rank 0 merges the parts by (hash, bucket) into lineset.wls, the file the
 *               single-process count writes (the hash ranges are disjoint and ascending
 *               with the rank, so this is their concatenation)
 */
#include "cluster/mpi/exchange.h"
#include "cluster/mpi/mpi_dedup.h"
#include "core/args.h"
#include "core/io.h"
#include "core/log.h"
#include "dedup/extsort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_line(const void *pa, const void *pb)
{
    const wn_dedup_line_rec *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    if (a->uid != b->uid) return a->uid < b->uid ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static int cmp_lineset(const void *pa, const void *pb)
{
    const wn_dedup_lineset_rec *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->bucket < b->bucket ? -1 : a->bucket > b->bucket;
}

/* Sorted paths matching "<state>/<pattern>". */
static void glob_state(const char *state, const char *pattern, char ***out, size_t *n)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", state, pattern);
    wn_dedup_glob(b.data, out, n);
    wn_buf_release(&b);
}

/* Phase 2: route this rank's line records to the owners of their hash ranges. */
static int exchange_lines(const wn_mpi_dedup_opts *o, const char *config, MPI_Comm comm,
                          int rank, char ***runs, size_t *n_runs)
{
    char err[512] = "", pat[64];
    snprintf(pat, sizeof pat, "lines-%05d*.wlh", rank);
    char **mine;
    size_t n_mine;
    glob_state(o->state, pat, &mine, &n_mine);
    wn_buf prefix = WN_BUF_INIT;
    wn_buf_appendf(&prefix, "%s/mpi-lines-%05d", o->state, rank);
    wn_extsort_opts so = {.rec_size = sizeof(wn_dedup_line_rec), .cmp = cmp_line, .n_parts = 1,
                          .mem_bytes = o->mem_bytes / 2, .prefix = prefix.data,
                          .suffix = ".wlh", .kind = WN_DEDUP_KIND_LINES, .config = config,
                          .shard_index = (uint32_t)rank, .shard_count = 1};
    wn_extsort *sorter = wn_extsort_new(&so);
    wn_outbox ob;
    wn_outbox_init(&ob, comm, sizeof(wn_dedup_line_rec));
    size_t per_round = o->mem_bytes / 4 / sizeof(wn_dedup_line_rec) + 1;
    wn_dedup_line_rec block[512];
    size_t file = 0;
    wn_dedup_file *in = NULL;
    int failed = 0, more = 1;
    while (wn_mpi_any(more && !failed, comm)) {
        size_t sent = 0;
        while (!failed && more && sent < per_round) {
            if (!in && file == n_mine) { more = 0; break; }
            if (!in && !(in = wn_dedup_file_open(mine[file++], WN_DEDUP_KIND_LINES, config,
                                                 err, sizeof err))) {
                failed = 1;
                break;
            }
            long got = wn_dedup_file_read(in, block, 512);
            if (got < 0) {
                snprintf(err, sizeof err, "%s", wn_dedup_file_error(in));
                failed = 1;
            }
            if (got <= 0) {
                wn_dedup_file_close(in);
                in = NULL;
                continue;
            }
            for (long k = 0; k < got; k++)
                wn_outbox_add(&ob, (int)(((block[k].hash >> 32) * (uint64_t)ob.size) >> 32),
                              &block[k]);
            sent += (size_t)got;
        }
        if (wn_outbox_exchange(&ob) != MPI_SUCCESS) failed = 1;
        const wn_dedup_line_rec *r = (const wn_dedup_line_rec *)ob.recv.data;
        for (size_t i = 0; i < ob.n_recv && !failed; i++)
            if (wn_extsort_add(sorter, &r[i], err, sizeof err)) failed = 1;
    }
    if (in) wn_dedup_file_close(in);
    wn_outbox_release(&ob);
    if (!failed && wn_extsort_finish(sorter, runs, n_runs, err, sizeof err)) failed = 1;
    else if (failed) wn_extsort_abort(sorter);
    if (failed && *err) wn_error("rank %d: %s", rank, err);
    wn_free_strv(mine, n_mine);
    wn_buf_release(&prefix);
    return failed ? -1 : 0;
}

/* Rank 0: merge the per-rank parts (each sorted by (hash, bucket), disjoint hashes). */
static int merge_parts(const wn_mpi_dedup_opts *o, const char *config)
{
    char err[512] = "";
    char **parts;
    size_t n_parts;
    glob_state(o->state, "mpi-lineset-part-*.wls", &parts, &n_parts);
    wn_buf path = WN_BUF_INIT;
    wn_buf_appendf(&path, "%s/lineset.wls", o->state);
    wn_merge *m = wn_merge_open(parts, n_parts, WN_DEDUP_KIND_LINESET, config,
                                sizeof(wn_dedup_lineset_rec), cmp_lineset, err, sizeof err);
    wn_dedup_file *out = m ? wn_dedup_file_create(path.data, WN_DEDUP_KIND_LINESET, config,
                                                  sizeof(wn_dedup_lineset_rec), 0, 1, err,
                                                  sizeof err)
                           : NULL;
    int rc = out ? 0 : -1;
    const wn_dedup_lineset_rec *r;
    while (out && rc == 0 && (r = wn_merge_next(m)) != NULL)
        rc = wn_dedup_file_write(out, r, sizeof *r, 1);
    if (rc == 0 && m && wn_merge_error(m)) {
        snprintf(err, sizeof err, "%s", wn_merge_error(m));
        rc = -1;
    }
    if (m) wn_merge_close(m);
    if (out && rc == 0) rc = wn_dedup_file_commit(out, err, sizeof err);
    else wn_dedup_file_abort(out);
    if (rc) wn_error("%s", *err ? err : "cannot write lineset.wls");
    for (size_t i = 0; i < n_parts; i++) unlink(parts[i]);
    wn_free_strv(parts, n_parts);
    wn_buf_release(&path);
    return rc;
}

int wn_mpi_dedup_lines(const wn_mpi_dedup_opts *o, MPI_Comm comm, wn_mpi_dedup_result *res)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(res, 0, sizeof *res);
    char config[WN_DEDUP_CONFIG_MAX + 1], err[512] = "";
    wn_lines_config_text(&o->lines, config, sizeof config);
    int failed = rank == 0 && wn_mkdirs(o->state);
    if (failed) wn_error("cannot create '%s'", o->state);
    if (wn_mpi_any(failed, comm)) return -1;

    /* 1 hash: exactly `winnow dedup line --phase hash --shard rank/size` */
    wn_stats st;
    wn_stats_init(&st, "dedup.line.hash");
    wn_lines_hash_opts ho = {.all_inputs = o->inputs, .n_all_inputs = o->n_inputs,
                             .shard_index = (unsigned)rank, .shard_count = (unsigned)size,
                             .outdir = o->state, .jsonl = NULL,
                             .mem_bytes = o->mem_bytes / 2, .config = config};
    failed = wn_lines_hash_shard(&ho, &st, err, sizeof err) != 0;
    if (failed) wn_error("rank %d: %s", rank, err);
    res->docs = wn_mpi_sum(st.docs_out, comm);
    res->docs_in = wn_mpi_sum(st.docs_in, comm);
    wn_stats_release(&st);
    if (wn_mpi_any(failed, comm)) return -1;

    /* 2 exchange by hash range; 3 count this rank's range over all buckets */
    char **runs = NULL, **tables = NULL;
    size_t n_runs = 0, n_tables = 0;
    failed = exchange_lines(o, config, comm, rank, &runs, &n_runs) != 0;
    glob_state(o->state, "files-*.wfl", &tables, &n_tables);
    wn_buf part = WN_BUF_INIT;
    wn_buf_appendf(&part, "%s/mpi-lineset-part-%05d.wls", o->state, rank);
    wn_lines_count_result cr = {0};
    if (!failed && wn_lines_count(runs, n_runs, tables, n_tables, &o->lines, config, part.data,
                                  &cr, NULL, 0, err, sizeof err)) {
        wn_error("rank %d: %s", rank, err);
        failed = 1;
    }
    for (size_t i = 0; i < n_runs; i++) unlink(runs[i]);
    wn_free_strv(runs, n_runs);
    wn_free_strv(tables, n_tables);
    wn_buf_release(&part);
    res->lines_distinct = wn_mpi_sum(cr.distinct_lines, comm);
    res->lines_removable = wn_mpi_sum(cr.removable_lines, comm);
    res->occurrences_removable = wn_mpi_sum(cr.removable_occurrences, comm);
    if (wn_mpi_any(failed, comm)) return -1;

    /* 4 one file, as the single-process count writes it */
    int rc = rank == 0 ? merge_parts(o, config) : 0;
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    return rc;
}
