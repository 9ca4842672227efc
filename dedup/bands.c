/* bands.c: phase 2 (signatures -> sorted band-key runs) and phase 3 (runs -> edges). */
#include "dedup/extsort.h"
#include "dedup/minhash.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

int wn_dedup_band_cmp(const void *pa, const void *pb);
int wn_dedup_band_cmp(const void *pa, const void *pb)
{
    const wn_dedup_band_rec *a = pa, *b = pb;
    if (a->key_hi != b->key_hi) return a->key_hi < b->key_hi ? -1 : 1;
    if (a->key_lo != b->key_lo) return a->key_lo < b->key_lo ? -1 : 1;
    return a->uid < b->uid ? -1 : a->uid > b->uid;
}

static unsigned band_part(const void *rec, unsigned n_parts)
{
    return (unsigned)(((const wn_dedup_band_rec *)rec)->key_hi % n_parts);
}

/* "bands=14 rows=8" out of a config text; exact and url are one band of four values. */
static int config_shape(const char *config, unsigned *bands, unsigned *rows)
{
    const char *b = strstr(config, "bands="), *r = strstr(config, "rows=");
    if (b && r) {
        *bands = (unsigned)strtoul(b + 6, NULL, 10);
        *rows = (unsigned)strtoul(r + 5, NULL, 10);
    } else {
        *bands = 1;
        *rows = 4;
    }
    return *bands && *rows && (uint64_t)*bands * *rows <= WN_MH_MAX_VALUES ? 0 : -1;
}

int wn_dedup_emit_bands(const char *sig_path, const char *config, unsigned n_parts,
                        uint64_t mem_bytes, const char *outdir, char ***runs, size_t *n_runs,
                        char *err, size_t errlen)
{
    unsigned bands, rows;
    if (config_shape(config, &bands, &rows)) {
        snprintf(err, errlen, "invalid config '%s'", config);
        return -1;
    }
    wn_dedup_file *in = wn_dedup_file_open(sig_path, WN_DEDUP_KIND_SIGNATURES, config, err,
                                           errlen);
    if (!in) return -1;
    const wn_dedup_header *h = wn_dedup_file_header(in);
    size_t nv = (size_t)bands * rows, rec_size = sizeof(wn_dedup_sig_rec) + nv * 4;
    if (h->record_size != rec_size) {
        snprintf(err, errlen, "'%s' has %u-byte records, config '%s' needs %zu", sig_path,
                 h->record_size, config, rec_size);
        wn_dedup_file_close(in);
        return -1;
    }
    wn_buf prefix = WN_BUF_INIT;
    wn_buf_appendf(&prefix, "%s/bands-s%05u", outdir, h->shard_index);
    wn_extsort_opts so = {
        .rec_size = sizeof(wn_dedup_band_rec), .cmp = wn_dedup_band_cmp, .part = band_part,
        .n_parts = n_parts ? n_parts : 1, .mem_bytes = mem_bytes, .prefix = prefix.data,
        .suffix = ".wbk", .kind = WN_DEDUP_KIND_BANDS, .config = config,
        .shard_index = h->shard_index, .shard_count = h->shard_count,
    };
    wn_extsort *s = wn_extsort_new(&so);
    enum { BLOCK = 1024 };
    unsigned char *block = wn_xmalloc(BLOCK * rec_size);
    int rc = 0;
    long got;
    while ((got = wn_dedup_file_read(in, block, BLOCK)) > 0) {
        for (long i = 0; i < got && rc == 0; i++) {
            const unsigned char *r = block + (size_t)i * rec_size;
            wn_dedup_sig_rec sr;
            memcpy(&sr, r, sizeof sr);
            if (sr.n_shingles == 0) continue; /* no signature: never a candidate */
            const uint32_t *values = (const uint32_t *)(const void *)(r + sizeof sr);
            uint32_t v[WN_MH_MAX_VALUES];
            memcpy(v, values, nv * 4);
            for (unsigned b = 0; b < bands && rc == 0; b++) {
                wn_dedup_band_rec br;
                wn_dedup_band_key(v, b, rows, &br);
                br.uid = sr.uid;
                rc = wn_extsort_add(s, &br, err, errlen);
            }
        }
        if (rc) break;
    }
    if (got < 0 && rc == 0) {
        snprintf(err, errlen, "%s", wn_dedup_file_error(in));
        rc = -1;
    }
    free(block);
    wn_dedup_file_close(in);
    wn_buf_release(&prefix);
    if (rc) { wn_extsort_abort(s); return -1; }
    return wn_extsort_finish(s, runs, n_runs, err, errlen);
}

int wn_dedup_merge_bands(char **runs, size_t n_runs, const char *config,
                         const char *edges_path, uint64_t *n_edges, char *err, size_t errlen)
{
    return wn_dedup_merge_bands_part(runs, n_runs, config, 0, 1, edges_path, n_edges, err,
                                     errlen);
}

int wn_dedup_merge_bands_part(char **runs, size_t n_runs, const char *config, unsigned part,
                              unsigned n_parts, const char *edges_path, uint64_t *n_edges,
                              char *err, size_t errlen)
{
    wn_merge *m = wn_merge_open(runs, n_runs, WN_DEDUP_KIND_BANDS, config,
                                sizeof(wn_dedup_band_rec), wn_dedup_band_cmp, err, errlen);
    if (!m) return -1;
    wn_dedup_file *out = wn_dedup_file_create(edges_path, WN_DEDUP_KIND_EDGES, config,
                                              sizeof(wn_dedup_edge_rec), part, n_parts, err,
                                              errlen);
    if (!out) { wn_merge_close(m); return -1; }
    const wn_dedup_band_rec *r;
    wn_dedup_band_rec head = {0};
    bool have = false;
    uint64_t edges = 0;
    int rc = 0;
    /* Records arrive sorted by (key, uid): the first of a bucket has the smallest uid. */
    while ((r = wn_merge_next(m)) != NULL) {
        if (have && r->key_hi == head.key_hi && r->key_lo == head.key_lo) {
            if (r->uid == head.uid) continue; /* the same document twice (index + input) */
            wn_dedup_edge_rec e = {head.uid, r->uid};
            if (wn_dedup_file_write(out, &e, sizeof e, 1)) { rc = -1; break; }
            edges++;
        } else {
            head = *r;
            have = true;
        }
    }
    if (rc == 0 && wn_merge_error(m)) {
        snprintf(err, errlen, "%s", wn_merge_error(m));
        rc = -1;
    } else if (rc) {
        snprintf(err, errlen, "cannot write '%s'", edges_path);
    }
    wn_merge_close(m);
    if (rc) { wn_dedup_file_abort(out); return -1; }
    if (n_edges) *n_edges = edges;
    return wn_dedup_file_commit(out, err, errlen);
}
