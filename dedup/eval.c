/* eval.c: recall, precision, S-curve and estimate error of a MinHash run (eval.h). */
#include "dedup/eval.h"

#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "dedup/extsort.h"
#include "dedup/minhash.h"

#include <glob.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct doc_entry {
    char *id;
    uint64_t uid;
    uint64_t cluster; /* 0 = none, else cluster uid + 1 */
    uint32_t *sig;    /* NULL = no signature */
} doc_entry;

typedef struct eval_ctx {
    doc_entry *docs;
    size_t n, cap;
    unsigned bands, rows;
} eval_ctx;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const doc_entry *)a)->id, ((const doc_entry *)b)->id);
}
static int by_uid(const void *a, const void *b)
{
    uint64_t x = ((const doc_entry *)a)->uid, y = ((const doc_entry *)b)->uid;
    return x < y ? -1 : x > y;
}

static doc_entry *find_uid(eval_ctx *e, uint64_t uid)
{
    doc_entry key = {.uid = uid};
    return bsearch(&key, e->docs, e->n, sizeof key, by_uid);
}

static void glob_dir(const char *dir, const char *pat, char ***out, size_t *n)
{
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/%s", dir, pat);
    glob_t g;
    if (glob(p.data, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) wn_strv_push(out, n, g.gl_pathv[i]);
        globfree(&g);
    }
    wn_buf_release(&p);
}

static int load_state(eval_ctx *e, const char *dir, const char *config, char *err, size_t errlen)
{
    char **files = NULL;
    size_t nf = 0;
    glob_dir(dir, "docs-*.wdoc", &files, &nf);
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++) {
        wn_dedup_file *f = wn_dedup_file_open(files[i], WN_DEDUP_KIND_DOCS, config, err, errlen);
        if (!f) { rc = -1; break; }
        wn_dedup_doc_rec d;
        while (wn_dedup_doc_read(f, &d) == 1) {
            if (e->n == e->cap) {
                e->cap = e->cap ? e->cap * 2 : 1024;
                e->docs = wn_xrealloc(e->docs, e->cap * sizeof *e->docs);
            }
            e->docs[e->n++] = (doc_entry){wn_xstrndup(d.id, d.id_len), d.uid, 0, NULL};
        }
        wn_dedup_file_close(f);
    }
    for (size_t i = 0; i < nf; i++) free(files[i]);
    free(files);
    if (rc) return rc;
    qsort(e->docs, e->n, sizeof *e->docs, by_uid);
    unsigned nv = e->bands * e->rows;
    size_t rs = 16 + 4u * nv;
    files = NULL;
    nf = 0;
    glob_dir(dir, "sig-*.wsig", &files, &nf);
    unsigned char *rec = wn_xmalloc(rs);
    for (size_t i = 0; i < nf && rc == 0; i++) {
        wn_dedup_file *f = wn_dedup_file_open(files[i], WN_DEDUP_KIND_SIGNATURES, config, err, errlen);
        if (!f) { rc = -1; break; }
        while (wn_dedup_file_read(f, rec, 1) == 1) {
            wn_dedup_sig_rec sr;
            memcpy(&sr, rec, sizeof sr);
            doc_entry *d = find_uid(e, sr.uid);
            if (!d || !sr.n_shingles) continue;
            d->sig = wn_xmalloc(4u * nv);
            memcpy(d->sig, rec + sizeof sr, 4u * nv);
        }
        wn_dedup_file_close(f);
    }
    free(rec);
    for (size_t i = 0; i < nf; i++) free(files[i]);
    free(files);
    if (rc) return rc;
    wn_buf cp = WN_BUF_INIT;
    wn_buf_appendf(&cp, "%s/clusters.wcl", dir);
    wn_dedup_file *f = wn_dedup_file_open(cp.data, WN_DEDUP_KIND_CLUSTERS, config, err, errlen);
    wn_buf_release(&cp);
    if (!f) return -1;
    wn_dedup_cluster_rec c;
    while (wn_dedup_file_read(f, &c, 1) == 1) {
        doc_entry *d = find_uid(e, c.uid);
        if (d) d->cluster = c.cluster + 1;
    }
    wn_dedup_file_close(f);
    qsort(e->docs, e->n, sizeof *e->docs, by_id);
    return 0;
}

static doc_entry *find_id(eval_ctx *e, const char *id)
{
    doc_entry key = {.id = (char *)id};
    return bsearch(&key, e->docs, e->n, sizeof key, by_id);
}

static bool share_band(const eval_ctx *e, const uint32_t *a, const uint32_t *b)
{
    for (unsigned j = 0; j < e->bands; j++)
        if (!memcmp(a + j * e->rows, b + j * e->rows, e->rows * 4)) return true;
    return false;
}

static int u64_order(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Pairs of signed documents that share a cluster: sum of m(m-1)/2 over clusters. */
static uint64_t cluster_pairs(const eval_ctx *e)
{
    uint64_t *ids = wn_xmalloc((e->n + 1) * sizeof *ids);
    size_t m = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->docs[i].cluster && e->docs[i].sig) ids[m++] = e->docs[i].cluster;
    /* sorted, the run lengths are the cluster sizes */
    qsort(ids, m, sizeof *ids, u64_order);
    uint64_t pairs = 0;
    for (size_t i = 0; i < m;) {
        size_t j = i;
        while (j < m && ids[j] == ids[i]) j++;
        pairs += (uint64_t)(j - i) * (j - i - 1) / 2;
        i = j;
    }
    free(ids);
    return pairs;
}

typedef struct band_cmp_ctx {
    const eval_ctx *e;
    unsigned band;
} band_cmp_ctx;

static int by_band(const void *pa, const void *pb, void *arg)
{
    const band_cmp_ctx *c = arg;
    const doc_entry *a = &c->e->docs[*(const size_t *)pa], *b = &c->e->docs[*(const size_t *)pb];
    return memcmp(a->sig + c->band * c->e->rows, b->sig + c->band * c->e->rows, c->e->rows * 4);
}

/* Distinct pairs of signed documents that share at least one band. */
static uint64_t candidate_pairs(const eval_ctx *e)
{
    size_t *order = wn_xmalloc((e->n + 1) * sizeof *order), m = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->docs[i].sig) order[m++] = i;
    uint64_t *pairs = NULL;
    size_t np = 0, cap = 0;
    for (unsigned band = 0; band < e->bands; band++) {
        band_cmp_ctx c = {e, band};
        qsort_r(order, m, sizeof *order, by_band, &c);
        for (size_t i = 0; i < m;) {
            size_t j = i + 1;
            while (j < m && by_band(&order[i], &order[j], &c) == 0) j++;
            for (size_t x = i; x < j; x++)
                for (size_t y = x + 1; y < j; y++) {
                    if (np == cap) {
                        cap = cap ? cap * 2 : 1024;
                        pairs = wn_xrealloc(pairs, cap * sizeof *pairs);
                    }
                    size_t lo = order[x] < order[y] ? order[x] : order[y];
                    size_t hi = order[x] ^ order[y] ^ lo;
                    pairs[np++] = (uint64_t)lo << 32 | hi;
                }
            i = j;
        }
    }
    uint64_t n = wn_u64_sort_unique(pairs, np);
    free(pairs);
    free(order);
    return n;
}

static void free_docs(eval_ctx *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->docs[i].id);
        free(e->docs[i].sig);
    }
    free(e->docs);
}

enum { N_T = 3, N_BINS = 7 };
static const double thresholds[N_T] = {0.7, 0.8, 0.9};

int wn_dedup_eval(const char *state_dir, const char *pairs_path, const char *config,
                  const char *name, FILE *out, char *err, size_t errlen)
{
    eval_ctx e = {0};
    const char *b = strstr(config, "bands="), *r = strstr(config, "rows=");
    if (!b || !r) {
        snprintf(err, errlen, "eval needs a minhash config, got '%s'", config);
        return -1;
    }
    e.bands = (unsigned)atoi(b + 6);
    e.rows = (unsigned)atoi(r + 5);
    if (load_state(&e, state_dir, config, err, errlen)) return -1;
    wn_in *in = wn_in_open(pairs_path, WN_COMP_AUTO, err, errlen);
    if (!in) return -1;
    unsigned nv = e.bands * e.rows;
    /* counts per threshold: true pairs, found in cluster, found as candidate */
    uint64_t truth[N_T] = {0}, clus_hit[N_T] = {0}, cand_hit[N_T] = {0};
    uint64_t bin_n[N_BINS] = {0}, bin_cand[N_BINS] = {0};
    double bin_theory[N_BINS] = {0}, bin_j[N_BINS] = {0}, bin_est[N_BINS] = {0};
    double err_sum = 0, err_abs = 0, err_sq = 0, theo_var = 0;
    uint64_t n_pairs = 0, skipped = 0, malformed = 0, lineno = 0;
    size_t len;
    const char *line;
    while ((line = wn_in_line(in, &len)) != NULL) {
        if (++lineno == 1) continue; /* the header */
        if (len && line[len - 1] == '\r') len--;
        char *l = wn_xstrndup(line, len);
        char *ida = strtok(l, "\t"), *idb = strtok(NULL, "\t"), *js = strtok(NULL, "\t");
        /* a J that is not a number in [0, 1] (atof made "abc" 0, and a nan a bin index
         * out of range) makes the line malformed, not a pair of unrelated documents */
        char *je = NULL;
        double j = js ? strtod(js, &je) : NAN;
        if (!js || je == js || !(j >= 0 && j <= 1)) {
            if (malformed++ == 0)
                wn_warn("'%s' line %llu: expected id<TAB>id<TAB>Jaccard in [0, 1] (skipped)",
                        pairs_path, (unsigned long long)lineno);
            free(l);
            continue;
        }
        doc_entry *da = find_id(&e, ida), *db = idb ? find_id(&e, idb) : NULL;
        if (!da || !db || !da->sig || !db->sig) {
            skipped++;
            free(l);
            continue;
        }
        free(l);
        n_pairs++;
        bool same = da->cluster && da->cluster == db->cluster;
        bool cand = share_band(&e, da->sig, db->sig);
        for (int t = 0; t < N_T; t++) {
            if (j >= thresholds[t]) {
                truth[t]++;
                clus_hit[t] += same;
                cand_hit[t] += cand;
            }
        }
        int bin = j >= 1.0 ? N_BINS - 1 : (int)((j - 0.3) * 10);
        if (bin < 0) bin = 0;
        if (bin >= N_BINS) bin = N_BINS - 1;
        bin_n[bin]++;
        bin_cand[bin] += cand;
        bin_theory[bin] += 1.0 - pow(1.0 - pow(j, e.rows), e.bands);
        double est = wn_mh_estimate(da->sig, db->sig, nv);
        bin_j[bin] += j;
        bin_est[bin] += est;
        err_sum += est - j;
        err_abs += fabs(est - j);
        err_sq += (est - j) * (est - j);
        theo_var += j * (1 - j) / nv;
    }
    bool failed = wn_in_failed(in);
    if (failed)
        snprintf(err, errlen, "cannot read '%s' after line %llu: %s", pairs_path,
                 (unsigned long long)lineno, wn_in_errmsg(in));
    else if (n_pairs == 0 && skipped + malformed > 0)
        snprintf(err, errlen, "no line of '%s' names two documents of '%s' (%llu lines "
                 "malformed, %llu naming other documents): pairs of another corpus?",
                 pairs_path, state_dir, (unsigned long long)malformed,
                 (unsigned long long)skipped);
    wn_in_close(in);
    if (failed || (n_pairs == 0 && skipped + malformed > 0)) {
        free_docs(&e);
        return -1;
    }
    /* every pair inside a cluster and every candidate pair, listed or not */
    qsort(e.docs, e.n, sizeof *e.docs, by_uid);
    uint64_t clus_pairs = cluster_pairs(&e), cand_pairs = candidate_pairs(&e);
    fprintf(out, "### %s\n\n", name);
    fprintf(out, "%zu documents, %llu listed pairs (J >= 0.3) evaluated, %llu skipped "
            "(a document without a signature)", e.n, (unsigned long long)n_pairs,
            (unsigned long long)skipped);
    if (malformed)
        fprintf(out, ", %llu malformed lines", (unsigned long long)malformed);
    fprintf(out, "; config `%s`.\n\n", config);
    fprintf(out, "| threshold | true pairs | recall (cluster) | recall (candidate) | "
            "precision (cluster) | precision (candidate) |\n|---|---|---|---|---|---|\n");
    for (int t = 0; t < N_T; t++)
        fprintf(out, "| J >= %.1f | %llu | %.4f | %.4f | %.4f | %.4f |\n", thresholds[t],
                (unsigned long long)truth[t], truth[t] ? (double)clus_hit[t] / truth[t] : 0,
                truth[t] ? (double)cand_hit[t] / truth[t] : 0,
                clus_pairs ? (double)clus_hit[t] / clus_pairs : 0,
                cand_pairs ? (double)cand_hit[t] / cand_pairs : 0);
    fprintf(out, "\n(%llu pairs share a cluster, %llu pairs share a band.)\n",
            (unsigned long long)clus_pairs, (unsigned long long)cand_pairs);
    fprintf(out, "\n| true J | pairs | mean J | mean estimate | share with a common band | "
            "theory 1-(1-J^%u)^%u |\n|---|---|---|---|---|---|\n", e.rows, e.bands);
    for (int k = 0; k < N_BINS; k++) {
        if (!bin_n[k]) continue;
        fprintf(out, "| %.1f-%.1f | %llu | %.4f | %.4f | %.4f | %.4f |\n", 0.3 + 0.1 * k,
                k == N_BINS - 1 ? 1.0 : 0.4 + 0.1 * k, (unsigned long long)bin_n[k],
                bin_j[k] / bin_n[k], bin_est[k] / bin_n[k], (double)bin_cand[k] / bin_n[k],
                bin_theory[k] / bin_n[k]);
    }
    if (n_pairs)
        fprintf(out, "\nJaccard estimate (%u values) vs true J over %llu pairs: bias %+.4f, "
                "mean abs error %.4f, RMSE %.4f (theory RMSE %.4f)\n\n", nv,
                (unsigned long long)n_pairs, err_sum / n_pairs, err_abs / n_pairs,
                sqrt(err_sq / n_pairs), sqrt(theo_var / n_pairs));
    free_docs(&e);
    return 0;
}
