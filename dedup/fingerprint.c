/* fingerprint.c: input fingerprints of a dedup state (see fingerprint.h). */
#include "dedup/fingerprint.h"

#include "core/buf.h"
#include "core/io.h"
#include "dedup/format.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int wn_dedup_fingerprint(const char *path, bool stat_only, wn_dedup_fprint_rec *r, char *err,
                         size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    r->size = (uint64_t)st.st_size;
    r->hash = 0;
    if (stat_only)
        return 0;
    uint64_t digest[2];
    /* r->size becomes what was hashed, should the file have grown meanwhile */
    if (wn_file_xxh3_128(path, digest, &r->size) != 0) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    r->hash = digest[0];
    return 0;
}

int wn_dedup_fprint_write(const char *outdir, char **all_inputs, size_t n_all,
                          unsigned shard_index, unsigned shard_count, const char *config,
                          char *err, size_t errlen)
{
    wn_buf path = WN_BUF_INIT;
    wn_buf_appendf(&path, "%s/fprint-%05u.wfp", outdir, shard_index);
    wn_dedup_file *f = wn_dedup_file_create(path.data, WN_DEDUP_KIND_FPRINT, config,
                                            sizeof(wn_dedup_fprint_rec), shard_index,
                                            shard_count, err, errlen);
    wn_buf_release(&path);
    int rc = f ? 0 : -1;
    for (size_t k = shard_index; rc == 0 && k < n_all; k += shard_count) {
        wn_dedup_fprint_rec r = {.file = k};
        rc = wn_dedup_fingerprint(all_inputs[k], false, &r, err, errlen);
        if (rc == 0)
            rc = wn_dedup_file_write(f, &r, sizeof r, 1);
    }
    if (!f)
        return -1;
    if (rc) {
        wn_dedup_file_abort(f);
        return -1;
    }
    return wn_dedup_file_commit(f, err, errlen);
}

int wn_dedup_fprint_check(char **tables, size_t n_tables, const char *config,
                          char **all_inputs, size_t n_all, unsigned first, unsigned last,
                          unsigned shard_count, char *err, size_t errlen)
{
    for (size_t t = 0; t < n_tables; t++) {
        char why[256];
        /* a table of another method or run is not this run's business */
        wn_dedup_file *f = wn_dedup_file_open(tables[t], WN_DEDUP_KIND_FPRINT, config, why,
                                              sizeof why);
        if (!f)
            continue;
        wn_dedup_fprint_rec r;
        int rc = 0;
        while (rc == 0 && wn_dedup_file_read(f, &r, 1) == 1) {
            if (r.file >= n_all || shard_count == 0)
                continue;
            unsigned shard = (unsigned)(r.file % shard_count);
            if (shard < first || shard > last)
                continue;
            wn_dedup_fprint_rec now = {.file = r.file};
            if (wn_dedup_fingerprint(all_inputs[r.file], true, &now, err, errlen))
                rc = -1;
            else if (now.size == r.size &&
                     wn_dedup_fingerprint(all_inputs[r.file], false, &now, err, errlen))
                rc = -1;
            else if (now.size != r.size || now.hash != r.hash) {
                snprintf(err, errlen, "'%s' changed since the first phase read it (%s: %llu "
                         "bytes then, %llu now; fingerprints in '%s'): the state names "
                         "documents by their place in it, so run every phase again",
                         all_inputs[r.file], now.size != r.size ? "its size" : "its content",
                         (unsigned long long)r.size, (unsigned long long)now.size, tables[t]);
                rc = -1;
            }
        }
        wn_dedup_file_close(f);
        if (rc)
            return -1;
    }
    return 0;
}
