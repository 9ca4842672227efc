/* index.c: save an index of kept signatures; list an index's signature files. */
#include "dedup/index.h"

#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "dedup/extsort.h"
#include "dedup/minhash.h"

#include <glob.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void wn_dedup_index_sig_files(const char *index_dir, char ***sigs, size_t *n)
{
    wn_buf pat = WN_BUF_INIT;
    wn_buf_appendf(&pat, "%s/sig-*.wsig", index_dir);
    glob_t g;
    if (glob(pat.data, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) wn_strv_push(sigs, n, g.gl_pathv[i]);
        globfree(&g);
    }
    wn_buf_release(&pat);
}

static int read_generation(const char *dir, const char *config, unsigned *gen, char *err,
                           size_t errlen)
{
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/index.json", dir);
    json_error_t je;
    json_t *j = json_load_file(p.data, 0, &je);
    int rc = 0;
    if (!j) {
        snprintf(err, errlen, "cannot read index '%s': %s", p.data, je.text);
        rc = -1;
    } else {
        const char *c = json_string_value(json_object_get(j, "config"));
        if (!c || strcmp(c, config)) {
            snprintf(err, errlen, "index '%s' was made with config '%s', this run uses '%s'; "
                     "refusing to mix them", dir, c ? c : "?", config);
            rc = -1;
        }
        *gen = (unsigned)json_integer_value(json_object_get(j, "generation"));
        json_decref(j);
    }
    wn_buf_release(&p);
    return rc;
}

/* Copy signature records from `in` to `out`, skipping removed uids and re-marking uids. */
static int copy_sigs(const char *in_path, wn_dedup_file *out, const wn_dedup_removal *rm,
                     uint64_t mark, const char *config, char *err, size_t errlen)
{
    wn_dedup_file *in = wn_dedup_file_open(in_path, WN_DEDUP_KIND_SIGNATURES, config, err, errlen);
    if (!in) return -1;
    size_t rs = wn_dedup_file_header(in)->record_size;
    unsigned char *rec = wn_xmalloc(rs);
    long got;
    int rc = 0;
    while ((got = wn_dedup_file_read(in, rec, 1)) == 1) {
        uint64_t uid;
        memcpy(&uid, rec, 8);
        if (rm && wn_dedup_removal_has(rm, uid)) continue;
        if (mark) {
            if (uid >> 56) {
                snprintf(err, errlen, "'%s': an index holds documents of the first 65,536 "
                         "input files only (uid %llx)", in_path, (unsigned long long)uid);
                rc = -1;
                break;
            }
            uid = WN_DEDUP_UID_INDEX | mark << 56 | uid;
            memcpy(rec, &uid, 8);
        }
        if (wn_dedup_file_write(out, rec, rs, 1)) { rc = -1; break; }
    }
    if (got < 0) {
        snprintf(err, errlen, "%s", wn_dedup_file_error(in));
        rc = -1;
    }
    free(rec);
    wn_dedup_file_close(in);
    return rc;
}

int wn_dedup_index_save(const char *out_dir, const char *old_dir, char **sigs, size_t n_sigs,
                        const char *remove_path, const char *config, char *err, size_t errlen)
{
    unsigned gen = 0;
    if (old_dir && read_generation(old_dir, config, &gen, err, errlen)) return -1;
    gen++;
    if (gen > 127) {
        snprintf(err, errlen, "index '%s' has 127 generations; rebuild it", old_dir);
        return -1;
    }
    if (wn_mkdirs(out_dir)) {
        snprintf(err, errlen, "cannot create directory '%s'", out_dir);
        return -1;
    }
    wn_dedup_removal *rm = wn_dedup_removal_load(remove_path, config, err, errlen);
    if (!rm) return -1;
    int rc = 0;
    char **old = NULL;
    size_t n_old = 0;
    if (old_dir && strcmp(old_dir, out_dir)) wn_dedup_index_sig_files(old_dir, &old, &n_old);
    for (size_t i = 0; i < n_old && rc == 0; i++) {
        const char *base = strrchr(old[i], '/');
        wn_buf p = WN_BUF_INIT;
        wn_buf_appendf(&p, "%s/%s", out_dir, base ? base + 1 : old[i]);
        wn_dedup_file *f = wn_dedup_file_open(old[i], WN_DEDUP_KIND_SIGNATURES, config, err, errlen);
        if (!f) { rc = -1; wn_buf_release(&p); break; }
        const wn_dedup_header *h = wn_dedup_file_header(f);
        wn_dedup_file *o = wn_dedup_file_create(p.data, WN_DEDUP_KIND_SIGNATURES, config,
                                                h->record_size, h->shard_index, h->shard_count,
                                                err, errlen);
        wn_dedup_file_close(f);
        rc = o ? copy_sigs(old[i], o, NULL, 0, config, err, errlen) : -1;
        if (o) rc = rc == 0 ? wn_dedup_file_commit(o, err, errlen) : (wn_dedup_file_abort(o), -1);
        wn_buf_release(&p);
    }
    wn_free_strv(old, n_old);
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/sig-g%03u.wsig", out_dir, gen);
    wn_dedup_file *o = NULL;
    if (rc == 0 && n_sigs) {
        wn_dedup_file *f = wn_dedup_file_open(sigs[0], WN_DEDUP_KIND_SIGNATURES, config, err, errlen);
        if (!f) rc = -1;
        else {
            /* shard index 65536+g keeps the band-run names of index files apart */
            o = wn_dedup_file_create(p.data, WN_DEDUP_KIND_SIGNATURES, config,
                                     wn_dedup_file_header(f)->record_size, 65536 + gen, 0,
                                     err, errlen);
            wn_dedup_file_close(f);
            if (!o) rc = -1;
        }
    }
    for (size_t i = 0; i < n_sigs && rc == 0; i++)
        rc = copy_sigs(sigs[i], o, rm, gen, config, err, errlen);
    if (o) rc = rc == 0 ? wn_dedup_file_commit(o, err, errlen) : (wn_dedup_file_abort(o), -1);
    wn_buf_release(&p);
    wn_dedup_removal_free(rm);
    if (rc == 0) {
        json_t *j = json_pack("{s:s,s:i}", "config", config, "generation", (json_int_t)gen);
        wn_buf jp = WN_BUF_INIT;
        wn_buf_appendf(&jp, "%s/index.json", out_dir);
        if (wn_json_write_file(jp.data, j, JSON_INDENT(1))) {
            snprintf(err, errlen, "cannot write '%s'", jp.data);
            rc = -1;
        }
        wn_buf_release(&jp);
    }
    return rc;
}
