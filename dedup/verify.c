/* verify.c: optional check of candidate edges by exact word n-gram Jaccard. */
#include "dedup/extsort.h"
#include "dedup/minhash.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/runner.h"
#include "dedup/uidsource.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

typedef struct shingle_set {
    uint64_t *v;
    size_t n;
} shingle_set;

typedef struct verify_state {
    wn_dedup_uids uids;
    const uint64_t *nodes;
    size_t n_nodes;
    shingle_set *sets;   /* by node */
    unsigned ngram;
} verify_state;

static void verify_doc(void *p, wn_doc *d, wn_stats *stats)
{
    verify_state *s = p;
    (void)stats;
    size_t i = wn_u64_find(s->nodes, s->n_nodes, wn_dedup_uid_of(&s->uids, d));
    if (i == SIZE_MAX) return;
    uint64_t *v = NULL;
    size_t cap = 0, n = wn_mh_shingles(d->text.ptr, d->text.len, s->ngram, &v, &cap);
    size_t k = wn_u64_sort_unique(v, n);
    s->sets[i].v = v; /* one slot per document: no two threads write the same one */
    s->sets[i].n = k;
}

static double jaccard(const shingle_set *a, const shingle_set *b)
{
    size_t i = 0, j = 0, inter = 0;
    while (i < a->n && j < b->n) {
        if (a->v[i] == b->v[j]) { inter++; i++; j++; }
        else if (a->v[i] < b->v[j]) i++;
        else j++;
    }
    size_t uni = a->n + b->n - inter;
    return uni ? (double)inter / (double)uni : 0.0;
}

int wn_dedup_verify_edges(char **edge_files, size_t n_edge_files, char **all_inputs,
                          size_t n_all_inputs, const wn_jsonl_opts *jsonl,
                          const wn_dedup_config *config, double threshold,
                          const char *out_path, uint64_t *kept, uint64_t *dropped,
                          char *err, size_t errlen)
{
    char cfg[WN_DEDUP_CONFIG_MAX + 1];
    if (wn_dedup_config_text(config, cfg, sizeof cfg, err, errlen)) return -1;
    wn_dedup_edge_rec *edges = NULL;
    size_t n_edges = 0, cap = 0;
    for (size_t f = 0; f < n_edge_files; f++) {
        wn_dedup_file *in = wn_dedup_file_open(edge_files[f], WN_DEDUP_KIND_EDGES, cfg, err, errlen);
        if (!in) { free(edges); return -1; }
        uint64_t cnt = wn_dedup_file_header(in)->count;
        if (n_edges + cnt > cap) {
            cap = n_edges + cnt;
            edges = wn_xrealloc(edges, (cap ? cap : 1) * sizeof *edges);
        }
        long got = cnt ? wn_dedup_file_read(in, edges + n_edges, cnt) : 0;
        if (got < 0) {
            snprintf(err, errlen, "%s", wn_dedup_file_error(in));
            wn_dedup_file_close(in);
            free(edges);
            return -1;
        }
        n_edges += (size_t)got;
        wn_dedup_file_close(in);
    }
    uint64_t *nodes = wn_xmalloc((2 * n_edges + 1) * sizeof *nodes);
    size_t n_nodes = 0;
    for (size_t i = 0; i < n_edges; i++) {
        nodes[n_nodes++] = edges[i].a;
        nodes[n_nodes++] = edges[i].b;
    }
    n_nodes = wn_u64_sort_unique(nodes, n_nodes);

    verify_state s = {0};
    s.nodes = nodes;
    s.n_nodes = n_nodes;
    s.sets = wn_xcalloc(n_nodes + 1, sizeof *s.sets);
    s.ngram = config->ngram;
    wn_dedup_uids_init(&s.uids, all_inputs, n_all_inputs, jsonl, 0);
    /* Only the files that hold a document of an edge are read again. */
    wn_common_opts common;
    wn_common_init(&common);
    common.quiet = true;
    common.inputs = wn_xcalloc(n_all_inputs + 1, sizeof *common.inputs);
    for (size_t fi = 0, ni = 0; fi < n_all_inputs; fi++) {
        while (ni < n_nodes && !(nodes[ni] & WN_DEDUP_UID_INDEX) && WN_DEDUP_UID_FILE(nodes[ni]) < fi) ni++;
        if (ni < n_nodes && !(nodes[ni] & WN_DEDUP_UID_INDEX) && WN_DEDUP_UID_FILE(nodes[ni]) == fi)
            common.inputs[common.n_inputs++] = all_inputs[fi];
    }
    wn_stage st = {.name = "dedup.verify", .state = &s, .process_doc = verify_doc};
    wn_stage *stages[] = {&st};
    wn_run_opts ro = {.command = "dedup-verify", .common = &common,
                      .open = wn_dedup_uid_source_open, .open_ctx = &s.uids, .stages = stages,
                      .n_stages = 1, .no_output = true};
    wn_run_result res;
    int rc = wn_run(&ro, &res) ? -1 : 0;
    wn_run_result_release(&res);
    free(common.inputs);
    if (rc) snprintf(err, errlen, "cannot read the inputs again for --verify");

    wn_dedup_file *out = rc ? NULL : wn_dedup_file_create(out_path, WN_DEDUP_KIND_EDGES, cfg,
                                                          sizeof(wn_dedup_edge_rec), 0, 1, err,
                                                          errlen);
    if (!out) rc = -1;
    *kept = *dropped = 0;
    /* Candidate components (union-find over the unverified edges). In a component of at
     * most ALL_PAIRS_MAX documents every pair is checked, so two members similar to each
     * other stay linked even when the band star linked them through a third one; larger
     * components check the edges as found. Edges with index documents (no text here) are
     * kept as found. */
    uint32_t *parent = wn_xmalloc((n_nodes + 1) * sizeof *parent);
    for (size_t i = 0; i < n_nodes; i++) parent[i] = (uint32_t)i;
    for (size_t i = 0; i < n_edges; i++) {
        uint32_t a = (uint32_t)wn_u64_find(nodes, n_nodes, edges[i].a);
        uint32_t b = (uint32_t)wn_u64_find(nodes, n_nodes, edges[i].b);
        while (parent[a] != a) a = parent[a] = parent[parent[a]];
        while (parent[b] != b) b = parent[b] = parent[parent[b]];
        if (a < b) parent[b] = a;
        else if (b < a) parent[a] = b;
    }
    size_t *size = wn_xcalloc(n_nodes + 1, sizeof *size);
    for (size_t i = 0; i < n_nodes; i++) {
        uint32_t r = (uint32_t)i;
        while (parent[r] != r) r = parent[r];
        parent[i] = r;
        size[r]++;
    }
    enum { ALL_PAIRS_MAX = 256 };
    /* members of each component in node order (counting sort by root) */
    size_t *start = wn_xcalloc(n_nodes + 2, sizeof *start), *members = wn_xmalloc((n_nodes + 1) * sizeof *members);
    for (size_t i = 0; i < n_nodes; i++) start[parent[i] + 1]++;
    for (size_t i = 0; i < n_nodes; i++) start[i + 1] += start[i];
    size_t *fill = wn_xmalloc((n_nodes + 1) * sizeof *fill);
    memcpy(fill, start, (n_nodes + 1) * sizeof *fill);
    for (size_t i = 0; i < n_nodes; i++) members[fill[parent[i]]++] = i;
    free(fill);
    /* all pairs of the small components */
    for (size_t r = 0; r < n_nodes && rc == 0; r++) {
        size_t m0 = start[r], m1 = start[r + 1];
        if (m1 - m0 < 2 || m1 - m0 > ALL_PAIRS_MAX) continue;
        for (size_t x = m0; x < m1 && rc == 0; x++) {
            size_t i = members[x];
            if (nodes[i] & WN_DEDUP_UID_INDEX) continue;
            for (size_t y = x + 1; y < m1 && rc == 0; y++) {
                size_t j = members[y];
                if (nodes[j] & WN_DEDUP_UID_INDEX) continue;
                if (jaccard(&s.sets[i], &s.sets[j]) >= threshold) {
                    wn_dedup_edge_rec e = {nodes[i], nodes[j]};
                    rc = wn_dedup_file_write(out, &e, sizeof e, 1);
                    (*kept)++;
                } else {
                    (*dropped)++;
                }
            }
        }
    }
    free(start);
    free(members);
    for (size_t i = 0; i < n_edges && rc == 0; i++) {
        const wn_dedup_edge_rec *e = &edges[i];
        size_t ia = wn_u64_find(nodes, n_nodes, e->a), ib = wn_u64_find(nodes, n_nodes, e->b);
        bool with_index = (e->a | e->b) & WN_DEDUP_UID_INDEX;
        if (!with_index && size[parent[ia]] <= ALL_PAIRS_MAX) continue; /* done above */
        if (with_index || jaccard(&s.sets[ia], &s.sets[ib]) >= threshold) {
            rc = wn_dedup_file_write(out, e, sizeof *e, 1);
            (*kept)++;
        } else {
            (*dropped)++;
        }
    }
    free(parent);
    free(size);
    if (out) rc = rc == 0 ? wn_dedup_file_commit(out, err, errlen) : (wn_dedup_file_abort(out), -1);
    for (size_t i = 0; i < n_nodes; i++) free(s.sets[i].v);
    free(s.sets);
    wn_dedup_uids_release(&s.uids);
    free(nodes);
    free(edges);
    return rc;
}
