/* mpi_minhash.c: dedup's global MinHash phases (docs/dedup.md, phases 1-4) over MPI ranks.
 *
 *   1 sign      rank r signs shard r/R with dedup's own phase 1 (same sig/docs/files files)
 *   2 exchange  each rank streams its signatures, turns them into band records and sends
 *               each to the rank owning its bucket (key_hi % R), in rounds of bounded size;
 *               a rank sorts what it receives into runs on disk (dedup's external sort)
 *   3 merge     each rank merges its runs into its buckets' star edges (dedup's phase 3)
 *   4 cluster   distributed connected components (components.h); the members of every
 *               cluster are sent to the owner of its smallest uid, which applies the keep
 *               rule; clusters.wcl and remove.wrm are written by rank 0 from slices that the
 *               ranks sort by uid range, so the files equal the single-process ones byte
 *               for byte
 * Phase 5 (removal) is a plain per-shard task: `winnow dedup minhash --phase remove`.
 *
 * The owner of a document (for its label and keep-rule data) is the rank that signed it:
 * file index % R, since shard r reads the files k with k % R == r.
 */
#include "cluster/mpi/mpi_dedup.h"
#include "cluster/mpi/components.h"
#include "cluster/mpi/exchange.h"
#include "core/args.h"
#include "core/io.h"
#include "core/log.h"
#include "dedup/extsort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int owner_of(uint64_t uid, int n_ranks)
{
    return (int)(WN_DEDUP_UID_FILE(uid) % (unsigned)n_ranks);
}

static int cmp_band(const void *pa, const void *pb)
{
    const wn_dedup_band_rec *a = pa, *b = pb;
    if (a->key_hi != b->key_hi) return a->key_hi < b->key_hi ? -1 : 1;
    if (a->key_lo != b->key_lo) return a->key_lo < b->key_lo ? -1 : 1;
    return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static char *state_path(const wn_mpi_dedup_opts *o, const char *fmt, unsigned i)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/", o->state);
    wn_buf_appendf(&b, fmt, i);
    return wn_buf_detach(&b, NULL);
}

/* Phase 2: stream this rank's signatures to the bucket owners; sort what arrives. */
static int exchange_bands(const wn_mpi_dedup_opts *o, const char *config, MPI_Comm comm,
                          int rank, char ***runs, size_t *n_runs, wn_mpi_dedup_result *res)
{
    char err[512] = "";
    unsigned n_values = wn_dedup_config_values(&o->config);
    size_t sig_size = sizeof(wn_dedup_sig_rec) + 4u * n_values;
    char *sig_path = state_path(o, "sig-%05u.wsig", (unsigned)rank);
    char *prefix = state_path(o, "mpi-bands-%05u", (unsigned)rank);
    wn_dedup_file *in = wn_dedup_file_open(sig_path, WN_DEDUP_KIND_SIGNATURES, config, err,
                                           sizeof err);
    wn_extsort_opts so = {.rec_size = sizeof(wn_dedup_band_rec), .cmp = cmp_band,
                          .n_parts = 1, .mem_bytes = o->mem_bytes / 2, .prefix = prefix,
                          .suffix = ".wbk", .kind = WN_DEDUP_KIND_BANDS, .config = config,
                          .shard_index = (uint32_t)rank, .shard_count = 1};
    wn_extsort *sorter = wn_extsort_new(&so);
    wn_outbox ob;
    wn_outbox_init(&ob, comm, sizeof(wn_dedup_band_rec));
    /* A round sends at most ~mem/4 bytes of band records from this rank. */
    size_t per_round = o->mem_bytes / 4 / (sizeof(wn_dedup_band_rec) * o->config.bands) + 1;
    char *block = wn_xmalloc(sig_size * 256);
    int failed = in == NULL, more = 1;
    while (wn_mpi_any(more && !failed, comm)) {
        size_t sent = 0;
        while (!failed && more && sent < per_round) {
            long got = wn_dedup_file_read(in, block, 256);
            if (got < 0) {
                snprintf(err, sizeof err, "%s", wn_dedup_file_error(in));
                failed = 1;
            }
            if (got <= 0) more = 0;
            for (long k = 0; k < got; k++) {
                const wn_dedup_sig_rec *s = (const void *)(block + (size_t)k * sig_size);
                const uint32_t *values = (const uint32_t *)(s + 1);
                if (!s->n_shingles) continue; /* too short: in no band */
                for (unsigned b = 0; b < o->config.bands; b++) {
                    wn_dedup_band_rec r;
                    wn_dedup_band_key(values, b, o->config.rows, &r);
                    r.uid = s->uid;
                    wn_outbox_add(&ob, (int)(r.key_hi % (uint64_t)ob.size), &r);
                }
                sent++;
            }
        }
        if (wn_outbox_exchange(&ob) != MPI_SUCCESS) failed = 1;
        const wn_dedup_band_rec *r = (const wn_dedup_band_rec *)ob.recv.data;
        res->band_records += ob.n_recv; /* summed over ranks by the caller */
        for (size_t i = 0; i < ob.n_recv && !failed; i++)
            if (wn_extsort_add(sorter, &r[i], err, sizeof err)) failed = 1;
        res->rounds_bands++;
    }
    free(block);
    wn_outbox_release(&ob);
    if (in) wn_dedup_file_close(in);
    if (!failed && wn_extsort_finish(sorter, runs, n_runs, err, sizeof err)) failed = 1;
    else if (failed) wn_extsort_abort(sorter);
    if (failed && *err) wn_error("rank %d: %s", rank, err);
    free(sig_path);
    free(prefix);
    return failed ? -1 : 0;
}

static int read_edges(const char *path, const char *config, wn_dedup_edge_rec **edges,
                      size_t *n)
{
    char err[512];
    wn_dedup_file *f = wn_dedup_file_open(path, WN_DEDUP_KIND_EDGES, config, err, sizeof err);
    if (!f) {
        wn_error("%s", err);
        return -1;
    }
    *n = (size_t)wn_dedup_file_header(f)->count;
    *edges = wn_xmalloc((*n ? *n : 1) * sizeof **edges);
    long got = *n ? wn_dedup_file_read(f, *edges, *n) : 0;
    if (got != (long)*n) wn_error("%s", wn_dedup_file_error(f));
    wn_dedup_file_close(f);
    return got == (long)*n ? 0 : -1;
}

/* A clustered document's keep-rule keys travelling to its cluster's owner. */
typedef struct member {
    uint64_t root, uid, text_bytes;
    char *id, *date; /* NUL-terminated copies */
} member;

/* Same total order as dedup's phase 4 (docs/dedup.md, "keep rule"). */
static int keeps_before(wn_dedup_keep rule, const member *a, const member *b)
{
    if (rule != WN_KEEP_FIRST) {
        if (*a->date && !*b->date) return 1;
        if (!*a->date && *b->date) return 0;
        int c = strcmp(a->date, b->date);
        if (c) return rule == WN_KEEP_EARLIEST ? c < 0 : c > 0;
        c = strcmp(a->id, b->id);
        if (c) return c < 0;
    }
    return a->uid < b->uid;
}

static int cmp_member(const void *pa, const void *pb)
{
    const member *a = pa, *b = pb;
    if (a->root != b->root) return a->root < b->root ? -1 : 1;
    return a->uid < b->uid ? -1 : a->uid > b->uid;
}

/* Send (root, uid, text bytes, id, date) of every clustered document this rank owns to
 * the owner of its root. Packed as bytes: u64 root, u64 uid, u64 text_bytes, u16 id_len,
 * u16 date_len, id, date. */
static int gather_members(const wn_mpi_dedup_opts *o, const char *config, MPI_Comm comm,
                          int rank, const wn_u64map *labels, member **out, size_t *n_out,
                          uint64_t *n_docs)
{
    char err[512];
    char *path = state_path(o, "docs-%05u.wdoc", (unsigned)rank);
    wn_dedup_file *f = wn_dedup_file_open(path, WN_DEDUP_KIND_DOCS, config, err, sizeof err);
    free(path);
    wn_outbox ob;
    wn_outbox_init(&ob, comm, 1);
    int failed = f == NULL;
    if (!f) wn_error("%s", err);
    wn_dedup_doc_rec d;
    int r = 0;
    uint64_t docs = f ? wn_dedup_file_header(f)->count : 0;
    while (f && (r = wn_dedup_doc_read(f, &d)) == 1) {
        const uint64_t *root = wn_u64map_get(labels, d.uid);
        if (!root) continue;
        uint16_t il = (uint16_t)d.id_len, dl = (uint16_t)d.date_len;
        uint64_t head[3] = {*root, d.uid, d.text_bytes};
        int dest = owner_of(*root, ob.size);
        wn_buf_append(&ob.to[dest], head, sizeof head);
        wn_buf_append(&ob.to[dest], &il, 2);
        wn_buf_append(&ob.to[dest], &dl, 2);
        wn_buf_append(&ob.to[dest], d.id, il);
        wn_buf_append(&ob.to[dest], d.date, dl);
    }
    if (r < 0) {
        wn_error("%s", wn_dedup_file_error(f));
        failed = 1;
    }
    if (f) wn_dedup_file_close(f);
    *n_docs = wn_mpi_sum(docs, comm);
    if (wn_outbox_exchange(&ob) != MPI_SUCCESS) failed = 1;
    size_t n = 0, cap = 0;
    member *v = NULL;
    for (const char *p = ob.recv.data, *end = p + ob.recv.len; p && p < end;) {
        uint64_t head[3];
        uint16_t il, dl;
        memcpy(head, p, sizeof head);
        memcpy(&il, p + 24, 2);
        memcpy(&dl, p + 26, 2);
        if (n == cap) v = wn_xrealloc(v, (cap = cap ? 2 * cap : 1024) * sizeof *v);
        v[n].root = head[0];
        v[n].uid = head[1];
        v[n].text_bytes = head[2];
        v[n].id = wn_xstrndup(p + 28, il);
        v[n].date = wn_xstrndup(p + 28 + il, dl);
        n++;
        p += 28 + il + dl;
    }
    wn_outbox_release(&ob);
    if (n > 1) qsort(v, n, sizeof *v, cmp_member);
    *out = v;
    *n_out = n;
    return failed ? -1 : 0;
}

static int cmp_u64_first(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Route records (whose first field is a uid) to ranks by uid range, so that rank order is
 * uid order, and sort each slice: the concatenation over ranks is the file's order. */
static int sort_by_uid_range(wn_outbox *ob)
{
    int rc = wn_outbox_exchange(ob);
    if (ob->n_recv > 1)
        qsort(ob->recv.data, ob->n_recv, ob->rec_size, cmp_u64_first);
    return rc;
}

static int range_owner(uint64_t uid, size_t n_inputs, int n_ranks)
{
    return (int)((uint64_t)WN_DEDUP_UID_FILE(uid) * (uint64_t)n_ranks / (n_inputs ? n_inputs : 1));
}

typedef struct sink_ctx {
    wn_dedup_file *f;
    size_t rec_size;
} sink_ctx;

static int sink_write(void *p, const void *recs, size_t n)
{
    sink_ctx *c = p;
    return wn_dedup_file_write(c->f, recs, n * c->rec_size, n);
}

/* Rank 0 writes `path` from every rank's sorted slice. Collective. */
static int write_global(const char *path, wn_dedup_kind kind, const char *config,
                        const wn_outbox *ob, MPI_Comm comm, int rank)
{
    char err[512] = "";
    sink_ctx c = {NULL, ob->rec_size};
    int ok = 1;
    if (rank == 0) {
        c.f = wn_dedup_file_create(path, kind, config, (uint32_t)ob->rec_size, 0, 1, err,
                                   sizeof err);
        ok = c.f != NULL;
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, comm);
    if (!ok) {
        if (rank == 0) wn_error("%s", err);
        return -1;
    }
    int rc = wn_mpi_write_ordered(ob->recv.data, ob->n_recv, ob->rec_size, sink_write, &c, comm);
    if (rank == 0) {
        if (rc == 0 && wn_dedup_file_commit(c.f, err, sizeof err)) {
            wn_error("%s", err);
            rc = -1;
        } else if (rc) {
            wn_dedup_file_abort(c.f);
        }
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, comm);
    return rc;
}

/* Phase 4 after the components: keep rule per cluster, then the two global files. */
static int decide_and_write(const wn_mpi_dedup_opts *o, const char *config, MPI_Comm comm,
                            int rank, member *m, size_t n, wn_mpi_dedup_result *res)
{
    wn_outbox clusters, removals;
    wn_outbox_init(&clusters, comm, sizeof(wn_dedup_cluster_rec));
    wn_outbox_init(&removals, comm, sizeof(wn_dedup_remove_rec));
    uint64_t n_clusters = 0, n_removed = 0, removed_bytes = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i, best = i;
        for (; j < n && m[j].root == m[i].root; j++)
            if (keeps_before(o->keep, &m[j], &m[best])) best = j;
        n_clusters++;
        for (size_t k = i; k < j; k++) {
            int dest = range_owner(m[k].uid, o->n_inputs, clusters.size);
            wn_dedup_cluster_rec c = {m[k].uid, m[i].root, k == best, (uint32_t)(j - i)};
            wn_outbox_add(&clusters, dest, &c);
            if (k != best) {
                wn_dedup_remove_rec x = {m[k].uid, m[best].uid};
                wn_outbox_add(&removals, dest, &x);
                n_removed++;
                removed_bytes += m[k].text_bytes;
            }
        }
        i = j;
    }
    res->clusters = wn_mpi_sum(n_clusters, comm);
    res->removed = wn_mpi_sum(n_removed, comm);
    res->removed_bytes = wn_mpi_sum(removed_bytes, comm);
    res->clustered = wn_mpi_sum(n, comm);
    int rc = sort_by_uid_range(&clusters) | sort_by_uid_range(&removals);
    char *cpath = state_path(o, "clusters.wcl", 0), *rpath = state_path(o, "remove.wrm", 0);
    if (rc == MPI_SUCCESS)
        rc = write_global(cpath, WN_DEDUP_KIND_CLUSTERS, config, &clusters, comm, rank);
    if (rc == 0) rc = write_global(rpath, WN_DEDUP_KIND_REMOVE, config, &removals, comm, rank);
    free(cpath);
    free(rpath);
    wn_outbox_release(&clusters);
    wn_outbox_release(&removals);
    return rc ? -1 : 0;
}

static void remove_files(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) unlink(v[i]);
}

int wn_mpi_dedup_minhash(const wn_mpi_dedup_opts *o, MPI_Comm comm, wn_mpi_dedup_result *res)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    memset(res, 0, sizeof *res);
    char config[WN_DEDUP_CONFIG_MAX + 1], err[512] = "";
    if (wn_dedup_config_text(&o->config, config, sizeof config, err, sizeof err)) {
        if (rank == 0) wn_error("%s", err);
        return -1;
    }
    char *state = state_path(o, "", 0);
    int failed = rank == 0 && wn_mkdirs(state);
    if (failed) wn_error("cannot create '%s'", state);
    free(state);
    if (wn_mpi_any(failed, comm)) return -1;

    /* 1 sign: exactly `winnow dedup minhash --phase sign --shard rank/size` */
    wn_stats st;
    wn_stats_init(&st, "dedup.sign");
    wn_dedup_sign_opts so = {.config = &o->config, .all_inputs = o->inputs,
                             .n_all_inputs = o->n_inputs, .shard_index = (unsigned)rank,
                             .shard_count = (unsigned)size, .jsonl = NULL,
                             .batch_docs = 1024, .uid_flags = 0};
    so.outdir = state = state_path(o, "", 0);
    failed = wn_dedup_sign_shard(&so, &st, err, sizeof err) != 0;
    free(state);
    if (failed) wn_error("rank %d: %s", rank, err);
    res->docs_in = wn_mpi_sum(st.docs_in, comm);
    wn_stats_release(&st);
    if (wn_mpi_any(failed, comm)) return -1;

    /* 2 exchange band records; 3 merge this rank's buckets into edges */
    char **runs = NULL;
    size_t n_runs = 0;
    failed = exchange_bands(o, config, comm, rank, &runs, &n_runs, res) != 0;
    char *edges_path = state_path(o, "edges-p%05u.wed", (unsigned)rank);
    uint64_t n_edges = 0;
    if (!failed && wn_dedup_merge_bands(runs, n_runs, config, edges_path, &n_edges, err, sizeof err)) {
        wn_error("rank %d: %s", rank, err);
        failed = 1;
    }
    remove_files(runs, n_runs);
    wn_free_strv(runs, n_runs);
    res->edges = wn_mpi_sum(n_edges, comm);
    res->max_rank_records = wn_mpi_max(res->band_records, comm);
    res->max_rank_edges = wn_mpi_max(n_edges, comm);
    res->band_records = wn_mpi_sum(res->band_records, comm);
    if (wn_mpi_any(failed, comm)) {
        free(edges_path);
        return -1;
    }

    /* 4 components across ranks, keep rule at each cluster's owner, global files */
    wn_dedup_edge_rec *edges = NULL;
    size_t n = 0;
    failed = read_edges(edges_path, config, &edges, &n) != 0;
    free(edges_path);
    if (wn_mpi_any(failed, comm)) {
        free(edges);
        return -1;
    }
    wn_u64map labels;
    wn_u64map_init(&labels);
    int rc = wn_mpi_components(&edges, &n, owner_of, comm, &labels, &res->rounds_components);
    free(edges);
    res->max_rank_labels = wn_mpi_max(labels.n, comm);
    member *members = NULL;
    size_t n_members = 0;
    if (rc == MPI_SUCCESS)
        rc = gather_members(o, config, comm, rank, &labels, &members, &n_members,
                            &res->docs);
    wn_u64map_release(&labels);
    if (!wn_mpi_any(rc != 0, comm))
        rc = decide_and_write(o, config, comm, rank, members, n_members, res);
    else
        rc = -1;
    for (size_t i = 0; i < n_members; i++) {
        free(members[i].id);
        free(members[i].date);
    }
    free(members);
    return rc;
}
