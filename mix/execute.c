/* execute.c: a mix plan -> shuffled, packed, sharded training data and its manifest:
 * opens the inputs, plans on their real token counts, has select.c choose and order the
 * documents and pack.c write them, then hashes the inputs and writes the manifest.
 *
 * Memory is one 16-byte reference per selected document (plus each input's index); tokens
 * are read from the mapped .bin files as samples are packed, never loaded as a corpus. */
#include "mix/mix_internal.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "mix/megatron.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_inputs(mx_run *m)
{
    m->inputs_json = json_array();
    for (size_t s = 0; s < m->spec->n_sources; s++) {
        const wn_mix_source *src = &m->spec->sources[s];
        if (src->n_paths == 0) {
            wn_error("source '%s' has no path: it can be planned but not mixed", src->name);
            return -1;
        }
        char **prefixes;
        size_t n;
        if (mx_expand(src->paths, src->n_paths, &prefixes, &n) != 0)
            return -1;
        int rc = 0;
        for (size_t k = 0; k < n; k++) {
            char err[512];
            mx_input in = {.source = s};
            if (rc == 0 && wn_mg_open(&in.r, prefixes[k], err, sizeof err) != 0) {
                wn_error("source '%s': %s", src->name, err);
                rc = -1;
            }
            if (rc == 0) {
                m->inputs = wn_xrealloc(m->inputs, (m->n_inputs + 1) * sizeof *m->inputs);
                m->inputs[m->n_inputs++] = in;
            }
            free(prefixes[k]);
        }
        free(prefixes);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Input i is hashed by part i mod count (reading every .bin is as much I/O as the copying);
 * the other parts' entries are null, filled in by the finishing step (parts.c). */
static int hash_inputs(mx_run *m, mx_part part)
{
    for (size_t i = 0; i < m->n_inputs; i++) {
        const mx_input *in = &m->inputs[i];
        if (i % part.count != part.index) {
            json_array_append_new(m->inputs_json, json_null());
            continue;
        }
        wn_buf p = WN_BUF_INIT;
        wn_buf_appendf(&p, "%s.idx", in->r.prefix);
        char *hidx = mx_file_hash(p.data);
        wn_buf_reset(&p);
        wn_buf_appendf(&p, "%s.bin", in->r.prefix);
        char *hbin = mx_file_hash(p.data);
        wn_buf_release(&p);
        if (!hidx || !hbin) {
            wn_error("cannot read '%s' to hash it", in->r.prefix);
            free(hidx);
            free(hbin);
            return -1;
        }
        json_array_append_new(m->inputs_json, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}",
            "source", m->spec->sources[in->source].name, "prefix", in->r.prefix,
            "idx_xxh3_128", hidx, "bin_xxh3_128", hbin, "documents", (json_int_t)in->r.n_docs,
            "tokens", (json_int_t)in->r.n_tokens));
        free(hidx);
        free(hbin);
    }
    return 0;
}

bool mx_is_mix_output(const char *name)
{
    return !strncmp(name, "train-", 6) || !strncmp(name, "val-", 4) ||
           !strncmp(name, "mix_train_", 10) || !strncmp(name, "mix_val_", 8) ||
           !strncmp(name, "manifest.json", 13) || !strncmp(name, MX_PART_PREFIX,
                                                           strlen(MX_PART_PREFIX));
}

void mx_remove_where(const char *dir, bool (*doomed)(const char *name, const void *arg),
                     const void *arg)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    wn_buf p = WN_BUF_INIT;
    while ((e = readdir(d))) {
        if (!doomed(e->d_name, arg))
            continue;
        wn_buf_reset(&p);
        wn_buf_appendf(&p, "%s/%s", dir, e->d_name);
        unlink(p.data);
    }
    wn_buf_release(&p);
    closedir(d);
}

static bool stale_output(const char *name, const void *keep)
{
    return mx_is_mix_output(name) &&
           !(keep && (mx_outputs_name(keep, name) ||
                      !strncmp(name, MX_PART_PREFIX, strlen(MX_PART_PREFIX))));
}

void mx_clean_outdir(const char *outdir, const json_t *keep)
{
    mx_remove_where(outdir, stale_output, keep);
}

static json_t *achieved_json(const mx_run *m)
{
    json_t *o = json_object();
    for (size_t s = 0; s < m->spec->n_sources; s++) {
        uint64_t t = m->train_tokens[s] + m->val_tokens[s];
        uint64_t avail = m->spec->sources[s].tokens;
        json_object_set_new(o, m->spec->sources[s].name, json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:f}", "train_tokens", (json_int_t)m->train_tokens[s],
            "val_tokens", (json_int_t)m->val_tokens[s], "train_documents",
            (json_int_t)m->train_docs[s], "val_documents", (json_int_t)m->val_docs[s],
            "dropped_remainder_tokens", (json_int_t)m->dropped[s], "epochs",
            avail ? (double)t / (double)avail : 0.0));
    }
    return o;
}

static void run_release(mx_run *m)
{
    for (size_t i = 0; i < m->n_inputs; i++)
        wn_mg_close(&m->inputs[i].r);
    free(m->inputs);
    free(m->train.v);
    free(m->val.v);
    free(m->train_tokens);
    free(m->val_tokens);
    free(m->train_docs);
    free(m->val_docs);
    free(m->dropped);
    json_decref(m->inputs_json);
    wn_mix_plan_release(&m->plan);
}

/* One spec (main or anneal) into outdir: every process plans and selects the same, then
 * writes its part of the shards. Returns its manifest part ({plan, inputs, achieved,
 * outputs}, plus the split's shard counts in a part's record) or NULL. */
static json_t *execute_spec(const wn_mix_config *c, const wn_mix_spec *spec, const char *outdir,
                            mx_part part, bool quiet)
{
    mx_run m = {.c = c, .spec = spec};
    wn_mix_spec counted = *spec;
    counted.sources = NULL;
    json_t *result = NULL, *outputs = json_array();
    size_t ns = spec->n_sources;
    m.train_tokens = wn_xcalloc(ns, sizeof(uint64_t));
    m.val_tokens = wn_xcalloc(ns, sizeof(uint64_t));
    m.train_docs = wn_xcalloc(ns, sizeof(uint64_t));
    m.val_docs = wn_xcalloc(ns, sizeof(uint64_t));
    m.dropped = wn_xcalloc(ns, sizeof(uint64_t));
    if (wn_mkdirs(outdir) != 0) {
        wn_error("cannot create '%s': %s", outdir, strerror(errno));
        goto out;
    }
    if (part.count == 1)
        mx_clean_outdir(outdir, NULL);
    if (open_inputs(&m) != 0)
        goto out;
    /* Plan on the tokens actually present, whatever the config declared. */
    counted.sources = wn_xcalloc(ns ? ns : 1, sizeof *counted.sources);
    memcpy(counted.sources, spec->sources, ns * sizeof *counted.sources);
    for (size_t s = 0; s < ns; s++)
        counted.sources[s].tokens = 0;
    for (size_t i = 0; i < m.n_inputs; i++)
        counted.sources[m.inputs[i].source].tokens += m.inputs[i].r.n_tokens;
    m.spec = &counted;
    if (wn_mix_plan_compute(&counted, NULL, c->config_path, &m.plan) != 0)
        goto out;
    if (!quiet)
        wn_mix_plan_print(&counted, &m.plan, stderr);
    mx_select(&m);
    uint64_t shards[2];
    if (mx_pack_split(&m, &m.train, outdir, "train", part, m.train_tokens, m.train_docs, outputs,
                      &shards[0]) != 0 ||
        mx_pack_split(&m, &m.val, outdir, "val", part, m.val_tokens, m.val_docs, outputs,
                      &shards[1]) != 0 ||
        hash_inputs(&m, part) != 0)
        goto out;
    result = json_pack("{s:o, s:O, s:o, s:O}", "plan", wn_mix_plan_to_json(spec, &m.plan),
                       "inputs", m.inputs_json, "achieved", achieved_json(&m), "outputs", outputs);
    if (part.count > 1) {
        json_object_set_new(result, "shards", json_pack("{s:I, s:I}", "train",
                            (json_int_t)shards[0], "val", (json_int_t)shards[1]));
        size_t i;
        json_t *o;
        json_array_foreach(outputs, i, o)
            json_object_set_new(o, "stamp", mx_shard_stamp(c, outdir, json_string_value(
                                                                 json_object_get(o, "file"))));
    }
out:
    json_decref(outputs);
    run_release(&m);
    free(counted.sources);
    return result;
}

int mx_write_json(const char *path, json_t *j)
{
    char err[512];
    wn_out *out = wn_out_open(path, WN_COMP_NONE, 0, err, sizeof err);
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
    int rc = -1;
    if (out && text && wn_out_write(out, text, strlen(text)) == 0 &&
        wn_out_write(out, "\n", 1) == 0) {
        rc = wn_out_commit(out, err, sizeof err);
        out = NULL;
    }
    wn_out_abort(out);
    if (rc != 0)
        wn_error("cannot write '%s': %s", path, err);
    free(text);
    return rc;
}

json_t *mx_manifest_header(const wn_mix_config *c)
{
    json_t *h = json_pack("{s:s, s:O, s:I, s:i, s:s, s:f, s:b}", "config", c->config_path,
        "mix", c->config_json, "seed", (json_int_t)c->seed, "sequence_length",
        (int)c->sequence_length, "format", c->format == WN_MIX_LLMC ? "llmc" : "megatron",
        "val_fraction", c->val_fraction, "keep_remainder", c->keep_remainder);
    char *config_hash = mx_file_hash(c->config_path);
    json_object_set_new(h, "config_xxh3_128", config_hash ? json_string(config_hash)
                                                          : json_null());
    free(config_hash);
    return h;
}

/* Both specs (main, then anneal into outdir/anneal) into obj; 0 or -1. */
static int execute_specs(const wn_mix_config *c, const char *outdir, mx_part part, bool quiet,
                         json_t *obj)
{
    json_t *spec = execute_spec(c, &c->main, outdir, part, quiet);
    if (!spec)
        return -1;
    json_object_set_new(obj, "main", spec);
    if (c->anneal.n_sources) {
        wn_buf path = WN_BUF_INIT;
        wn_buf_appendf(&path, "%s/anneal", outdir);
        spec = execute_spec(c, &c->anneal, path.data, part, quiet);
        wn_buf_release(&path);
        if (!spec)
            return -1;
        json_object_set_new(obj, "anneal", spec);
    }
    return 0;
}

bool mx_already_done(const char *done, bool force, bool quiet)
{
    struct stat st;
    if (force || stat(done, &st) != 0)
        return false;
    if (!quiet)
        wn_info("mix: '%s' is already complete (remove it or use --force to redo)", done);
    return true;
}

int mx_commit_manifest(json_t *manifest, const char *outdir, bool quiet)
{
    wn_buf done = WN_BUF_INIT, path = WN_BUF_INIT;
    wn_buf_appendf(&done, "%s/mix.done", outdir);
    wn_buf_appendf(&path, "%s/manifest.json", outdir);
    int rc = -1;
    if (mx_write_json(path.data, manifest) == 0) {
        json_t *rec = json_pack("{s:s}", "manifest", "manifest.json");
        rc = mx_write_json(done.data, rec); /* last: the completion record */
        json_decref(rec);
    }
    if (rc == 0 && !quiet) {
        uint64_t seqs[2] = {0, 0}, toks[2] = {0, 0}, shards[2] = {0, 0};
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(json_object_get(manifest, "main"), "outputs"), i, o) {
            int v = !strcmp(json_string_value(json_object_get(o, "split")), "val");
            seqs[v] += (uint64_t)json_integer_value(json_object_get(o, "samples"));
            toks[v] += (uint64_t)json_integer_value(json_object_get(o, "tokens"));
            shards[v]++;
        }
        wn_info("mix: train %llu sequences, %llu tokens in %llu shards; val %llu sequences, "
                "%llu tokens; in '%s' (manifest '%s')", (unsigned long long)seqs[0],
                (unsigned long long)toks[0], (unsigned long long)shards[0],
                (unsigned long long)seqs[1], (unsigned long long)toks[1], outdir, path.data);
    }
    wn_buf_release(&done);
    wn_buf_release(&path);
    return rc;
}

int wn_mix_execute(const wn_mix_config *c, const char *outdir, bool force, bool quiet)
{
    wn_buf done = WN_BUF_INIT;
    wn_buf_appendf(&done, "%s/mix.done", outdir);
    int rc = 0;
    if (!mx_already_done(done.data, force, quiet)) {
        unlink(done.data);
        json_t *manifest = mx_manifest_header(c);
        rc = execute_specs(c, outdir, (mx_part){0, 1}, quiet, manifest);
        if (rc == 0)
            rc = mx_commit_manifest(manifest, outdir, quiet);
        json_decref(manifest);
    }
    wn_buf_release(&done);
    return rc;
}

char *mx_part_record_path(const char *outdir, unsigned index, unsigned count)
{
    wn_buf p = WN_BUF_INIT;
    wn_buf_appendf(&p, "%s/" MX_PART_PREFIX "%05u-of-%05u.json", outdir, index, count);
    return wn_buf_detach(&p, NULL);
}

int wn_mix_execute_part(const wn_mix_config *c, const char *outdir, unsigned index,
                        unsigned count, bool force, bool quiet)
{
    if (count <= 1)
        return wn_mix_execute(c, outdir, force, quiet);
    wn_buf done = WN_BUF_INIT, manifest_path = WN_BUF_INIT;
    wn_buf_appendf(&done, "%s/mix.done", outdir);
    wn_buf_appendf(&manifest_path, "%s/manifest.json", outdir);
    char *record_path = mx_part_record_path(outdir, index, count);
    struct stat st;
    int rc = 0;
    if (mx_already_done(done.data, force, quiet)) {
        /* the whole mix is complete */
    } else if (!force && stat(record_path, &st) == 0) {
        if (!quiet)
            wn_info("mix: part %u of %u is already complete ('%s'; --force redoes it)", index,
                    count, record_path);
    } else {
        /* A new attempt: the earlier manifest no longer speaks for the outputs. */
        unlink(done.data);
        unlink(manifest_path.data);
        unlink(record_path);
        json_t *record = mx_manifest_header(c);
        json_object_set_new(record, "part", json_integer(index));
        json_object_set_new(record, "parts", json_integer(count));
        rc = execute_specs(c, outdir, (mx_part){index, count}, quiet, record);
        if (rc == 0)
            rc = mx_write_json(record_path, record); /* the part's completion record */
        if (rc == 0 && !quiet)
            wn_info("mix: part %u of %u written ('%s'); `--finish` assembles the manifest when "
                    "every part is", index, count, record_path);
        json_decref(record);
    }
    free(record_path);
    wn_buf_release(&done);
    wn_buf_release(&manifest_path);
    return rc;
}
