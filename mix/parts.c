/* parts.c: the finishing step of a mix executed as several processes (`winnow mix --shard
 * I/N`, then `winnow mix --finish`): the parts' records -> the manifest the one-process run
 * writes, after checking that the parts are all there, all of this config and seed, all of
 * one plan, and that every shard they list is on disk with its size. Reads no tokens. */
#include "mix/mix_internal.h"
#include "core/buf.h"
#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool mx_outputs_name(const json_t *outputs, const char *name)
{
    size_t i;
    const json_t *o;
    size_t n = strlen(name);
    json_array_foreach(outputs, i, o) {
        const char *f = json_string_value(json_object_get(o, "file"));
        size_t k = f ? strlen(f) : 0;
        if (!f)
            continue;
        if (!strcmp(f, name))
            return true;
        /* a Megatron shard is listed by its .bin; its .idx goes with it */
        if (k == n && k > 4 && !strcmp(f + k - 4, ".bin") && !strcmp(name + n - 4, ".idx") &&
            !strncmp(f, name, k - 4))
            return true;
    }
    return false;
}

json_t *mx_shard_stamp(const wn_mix_config *c, const char *dir, const char *file)
{
    wn_buf p = WN_BUF_INIT, stamp = WN_BUF_INIT;
    struct stat st;
    json_t *j = json_null();
    wn_buf_appendf(&p, "%s/%s", dir, file);
    for (int k = 0; k < (c->format == WN_MIX_MEGATRON ? 2 : 1); k++) {
        if (k == 1 && p.len > 4)
            memcpy(p.data + p.len - 4, ".idx", 4);
        if (stat(p.data, &st) != 0)
            goto out;
        wn_buf_appendf(&stamp, "%s%llu:%lld%09ld", k ? " " : "", (unsigned long long)st.st_ino,
                       (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
    }
    json_decref(j);
    j = json_string(stamp.data);
out:
    wn_buf_release(&p);
    wn_buf_release(&stamp);
    return j;
}

static bool part_record(const char *name, const void *arg)
{
    (void)arg;
    return !strncmp(name, MX_PART_PREFIX, strlen(MX_PART_PREFIX));
}

/* Once mix.done is written the part records are spent: the directory then holds exactly
 * what the one-process run writes. */
static void remove_records(const char *outdir)
{
    mx_remove_where(outdir, part_record, NULL);
}

/* N of the part records in outdir; they must all say the same N. */
static int find_count(const char *outdir, unsigned *count)
{
    DIR *dir = opendir(outdir);
    if (!dir) {
        wn_error("cannot open '%s': %s", outdir, strerror(errno));
        return -1;
    }
    char first[300] = "";
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(dir))) {
        unsigned i, n;
        char again[300];
        if (sscanf(e->d_name, MX_PART_PREFIX "%u-of-%u.json", &i, &n) != 2)
            continue;
        snprintf(again, sizeof again, MX_PART_PREFIX "%05u-of-%05u.json", i, n);
        if (strcmp(again, e->d_name))
            continue; /* a temporary, or not ours */
        if (!*first) {
            snprintf(first, sizeof first, "%s", e->d_name);
            *count = n;
        } else if (n != *count) {
            wn_error("'%s/%s' and '%s/%s' are parts of runs of %u and %u parts: remove the "
                     "stale records (and redo those parts)", outdir, first, outdir, e->d_name,
                     *count, n);
            rc = -1;
        }
    }
    closedir(dir);
    if (rc == 0 && !*first) {
        wn_error("'%s' holds no part records (" MX_PART_PREFIX "IIIII-of-NNNNN.json): run "
                 "`winnow mix CONFIG -o %s --shard I/N` for every I first", outdir, outdir);
        rc = -1;
    }
    return rc;
}

/* Part i of n's record, checked against this config's manifest header. */
static json_t *load_record(const char *path, unsigned i, unsigned n, const json_t *header)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        wn_error("missing part record '%s': part %u of %u has not completed (run `winnow mix "
                 "CONFIG -o DIR --shard %u/%u`)", path, i, n, i, n);
        return NULL;
    }
    json_error_t je;
    json_t *rec = json_load_file(path, 0, &je);
    if (!rec) {
        wn_error("'%s': not a part record: %s at line %d", path, je.text, je.line);
        return NULL;
    }
    if (json_integer_value(json_object_get(rec, "part")) != (json_int_t)i ||
        json_integer_value(json_object_get(rec, "parts")) != (json_int_t)n) {
        wn_error("'%s': its content is not part %u of %u, as its name says", path, i, n);
        json_decref(rec);
        return NULL;
    }
    const char *key;
    const json_t *want;
    json_object_foreach((json_t *)header, key, want) {
        if (!strcmp(key, "config"))
            continue; /* the same config may be named by another path on another machine */
        if (!json_equal(json_object_get(rec, key), want)) {
            wn_error("'%s' is a part of another mix: its %s differs from this config's "
                     "(remove it and redo part %u of %u)", path, key, i, n);
            json_decref(rec);
            return NULL;
        }
    }
    return rec;
}

/* Is the shard a record lists on disk, with the size the record says? */
static int check_shard(const wn_mix_config *c, const char *dir, const json_t *o,
                       const char *record)
{
    const char *file = json_string_value(json_object_get(o, "file"));
    wn_buf p = WN_BUF_INIT;
    struct stat st;
    int rc = 0;
    wn_buf_appendf(&p, "%s/%s", dir, file ? file : "?");
    if (!file || stat(p.data, &st) != 0) {
        wn_error("missing shard '%s' (listed in '%s')", p.data, record);
        rc = -1;
    } else if ((uint64_t)st.st_size != (uint64_t)json_integer_value(json_object_get(o, "bytes"))) {
        wn_error("'%s' has %lld bytes, '%s' says %lld", p.data, (long long)st.st_size, record,
                 (long long)json_integer_value(json_object_get(o, "bytes")));
        rc = -1;
    } else if (c->format == WN_MIX_MEGATRON && p.len > 4 &&
               (memcpy(p.data + p.len - 4, ".idx", 4), stat(p.data, &st) != 0)) {
        wn_error("missing shard '%s' (listed in '%s')", p.data, record);
        rc = -1;
    } else {
        json_t *now = mx_shard_stamp(c, dir, file);
        if (!json_equal(now, json_object_get(o, "stamp"))) {
            wn_error("'%s/%s' was replaced after '%s' recorded it (by a part of another run?): "
                     "redo that part with --force", dir, file, record);
            rc = -1;
        }
        json_decref(now);
    }
    wn_buf_release(&p);
    return rc;
}

/* A split's shards from every part, in order: part i must list exactly its range. */
static int collect_split(const wn_mix_config *c, const char *dir, json_t **specs, char **paths,
                         unsigned n, const char *split, json_t *outputs)
{
    uint64_t total = (uint64_t)json_integer_value(
        json_object_get(json_object_get(specs[0], "shards"), split));
    for (unsigned i = 0; i < n; i++) {
        uint64_t want = total * (i + 1) / n - total * i / n, got = 0;
        size_t k;
        json_t *o;
        json_array_foreach(json_object_get(specs[i], "outputs"), k, o) {
            const char *s = json_string_value(json_object_get(o, "split"));
            if (!s || strcmp(s, split))
                continue;
            if (check_shard(c, dir, o, paths[i]) != 0)
                return -1;
            json_t *entry = json_copy(o); /* the manifest lists it as one run does */
            json_object_del(entry, "stamp");
            json_array_append_new(outputs, entry);
            got++;
        }
        if (got != want) {
            wn_error("'%s' lists %llu %s shards, its range of the mix has %llu", paths[i],
                     (unsigned long long)got, split, (unsigned long long)want);
            return -1;
        }
    }
    return 0;
}

/* One spec's manifest part ({plan, inputs, achieved, outputs}) from the records. */
static json_t *assemble_spec(const wn_mix_config *c, json_t **recs, char **paths, unsigned n,
                             const char *label, const char *dir)
{
    json_t **specs = wn_xcalloc(n, sizeof *specs), *result = NULL;
    json_t *inputs = json_array(), *outputs = json_array();
    static const char *const same[] = {"plan", "achieved", "shards"};
    for (unsigned i = 0; i < n; i++) {
        specs[i] = json_object_get(recs[i], label);
        if (!json_is_object(specs[i])) {
            wn_error("'%s' has no %s mix", paths[i], label);
            goto out;
        }
        for (size_t k = 0; k < sizeof same / sizeof *same; k++)
            if (!json_equal(json_object_get(specs[i], same[k]), json_object_get(specs[0], same[k]))) {
                wn_error("'%s': its %s mix's %s differs from '%s''s (parts of other inputs?)",
                         paths[i], label, same[k], paths[0]);
                goto out;
            }
    }
    size_t n_inputs = json_array_size(json_object_get(specs[0], "inputs"));
    for (size_t k = 0; k < n_inputs; k++) {
        unsigned owner = (unsigned)(k % n);
        json_t *e = json_array_get(json_object_get(specs[owner], "inputs"), k);
        if (!json_is_object(e)) {
            wn_error("'%s' has no hashes of its input %zu of the %s mix", paths[owner], k, label);
            goto out;
        }
        json_array_append(inputs, e);
    }
    if (collect_split(c, dir, specs, paths, n, "train", outputs) != 0 ||
        collect_split(c, dir, specs, paths, n, "val", outputs) != 0)
        goto out;
    result = json_pack("{s:O, s:O, s:O, s:O}", "plan", json_object_get(specs[0], "plan"),
                       "inputs", inputs, "achieved", json_object_get(specs[0], "achieved"),
                       "outputs", outputs);
out:
    json_decref(inputs);
    json_decref(outputs);
    free(specs);
    return result;
}

int wn_mix_finish(const wn_mix_config *c, const char *outdir, bool force, bool quiet)
{
    wn_buf done = WN_BUF_INIT, anneal = WN_BUF_INIT;
    wn_buf_appendf(&done, "%s/mix.done", outdir);
    wn_buf_appendf(&anneal, "%s/anneal", outdir);
    unsigned n = 0;
    int rc = -1;
    json_t *manifest = NULL, **recs = NULL;
    char **paths = NULL;
    if (mx_already_done(done.data, force, quiet)) {
        remove_records(outdir); /* left by a finish interrupted after mix.done */
        rc = 0;
        goto out;
    }
    if (find_count(outdir, &n) != 0)
        goto out;
    manifest = mx_manifest_header(c);
    recs = wn_xcalloc(n, sizeof *recs);
    paths = wn_xcalloc(n, sizeof *paths);
    for (unsigned i = 0; i < n; i++) {
        paths[i] = mx_part_record_path(outdir, i, n);
        if (!(recs[i] = load_record(paths[i], i, n, manifest)))
            goto out;
    }
    json_t *spec = assemble_spec(c, recs, paths, n, "main", outdir);
    if (!spec)
        goto out;
    json_object_set_new(manifest, "main", spec);
    if (c->anneal.n_sources) {
        if (!(spec = assemble_spec(c, recs, paths, n, "anneal", anneal.data)))
            goto out;
        json_object_set_new(manifest, "anneal", spec);
    }
    unlink(done.data);
    /* What an earlier, larger attempt left beyond the listed shards goes, as in one run. */
    mx_clean_outdir(outdir, json_object_get(json_object_get(manifest, "main"), "outputs"));
    if (c->anneal.n_sources)
        mx_clean_outdir(anneal.data,
                        json_object_get(json_object_get(manifest, "anneal"), "outputs"));
    rc = mx_commit_manifest(manifest, outdir, quiet);
    if (rc == 0)
        remove_records(outdir);
out:
    for (unsigned i = 0; i < n && recs; i++) {
        json_decref(recs[i]);
        free(paths[i]);
    }
    free(recs);
    free(paths);
    json_decref(manifest);
    wn_buf_release(&done);
    wn_buf_release(&anneal);
    return rc;
}
