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

static int hash_inputs(mx_run *m)
{
    for (size_t i = 0; i < m->n_inputs; i++) {
        const mx_input *in = &m->inputs[i];
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

/* Our own outputs from an interrupted earlier attempt (shards, temporaries) are removed so
 * a rerun leaves exactly what one clean run leaves. */
static void clean_outdir(const char *outdir)
{
    DIR *dir = opendir(outdir);
    if (!dir)
        return;
    struct dirent *e;
    wn_buf p = WN_BUF_INIT;
    while ((e = readdir(dir))) {
        const char *n = e->d_name;
        if (strncmp(n, "train-", 6) && strncmp(n, "val-", 4) && strncmp(n, "mix_train_", 10) &&
            strncmp(n, "mix_val_", 8) && strncmp(n, "manifest.json", 13))
            continue;
        wn_buf_reset(&p);
        wn_buf_appendf(&p, "%s/%s", outdir, n);
        unlink(p.data);
    }
    wn_buf_release(&p);
    closedir(dir);
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

/* One spec (main or anneal) into outdir; returns its manifest part or NULL. */
static json_t *execute_spec(const wn_mix_config *c, const wn_mix_spec *spec, const char *outdir,
                            bool quiet)
{
    mx_run m = {.c = c, .spec = spec};
    wn_mix_spec counted = *spec;
    counted.sources = NULL;
    json_t *part = NULL, *outputs = json_array();
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
    clean_outdir(outdir);
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
    if (mx_pack_split(&m, &m.train, outdir, "train", m.train_tokens, m.train_docs, outputs) != 0 ||
        mx_pack_split(&m, &m.val, outdir, "val", m.val_tokens, m.val_docs, outputs) != 0 ||
        hash_inputs(&m) != 0)
        goto out;
    part = json_pack("{s:o, s:O, s:o, s:O}", "plan", wn_mix_plan_to_json(spec, &m.plan),
                     "inputs", m.inputs_json, "achieved", achieved_json(&m), "outputs", outputs);
out:
    json_decref(outputs);
    run_release(&m);
    free(counted.sources);
    return part;
}

static int write_json(const char *path, json_t *j)
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

int wn_mix_execute(const wn_mix_config *c, const char *outdir, bool force, bool quiet)
{
    wn_buf done = WN_BUF_INIT, path = WN_BUF_INIT;
    wn_buf_appendf(&done, "%s/mix.done", outdir);
    struct stat st;
    if (!force && stat(done.data, &st) == 0) {
        if (!quiet)
            wn_info("mix: '%s' is already complete (remove it or use --force to redo)", done.data);
        wn_buf_release(&done);
        return 0;
    }
    unlink(done.data);
    int rc = -1;
    json_t *manifest = json_pack("{s:s, s:O, s:I, s:i, s:s, s:f, s:b}", "config",
        c->config_path, "mix", c->config_json, "seed", (json_int_t)c->seed, "sequence_length",
        (int)c->sequence_length, "format", c->format == WN_MIX_LLMC ? "llmc" : "megatron",
        "val_fraction", c->val_fraction, "keep_remainder", c->keep_remainder);
    char *config_hash = mx_file_hash(c->config_path);
    json_object_set_new(manifest, "config_xxh3_128", config_hash ? json_string(config_hash)
                                                                 : json_null());
    free(config_hash);
    json_t *part = execute_spec(c, &c->main, outdir, quiet);
    if (!part)
        goto out;
    json_object_set_new(manifest, "main", part);
    if (c->anneal.n_sources) {
        wn_buf_appendf(&path, "%s/anneal", outdir);
        part = execute_spec(c, &c->anneal, path.data, quiet);
        if (!part)
            goto out;
        json_object_set_new(manifest, "anneal", part);
    }
    wn_buf_reset(&path);
    wn_buf_appendf(&path, "%s/manifest.json", outdir);
    if (write_json(path.data, manifest) != 0)
        goto out;
    json_t *rec = json_pack("{s:s}", "manifest", "manifest.json");
    rc = write_json(done.data, rec); /* last: the completion record */
    json_decref(rec);
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
out:
    json_decref(manifest);
    wn_buf_release(&done);
    wn_buf_release(&path);
    return rc;
}
