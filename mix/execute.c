/* execute.c: a mix plan -> shuffled, packed, sharded training data and its manifest.
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
#include <xxhash.h>

typedef struct mx_input {
    wn_mg_reader r;
    size_t source;
} mx_input;

typedef struct mx_ref {
    uint32_t input;
    uint32_t source;
    uint64_t doc;
} mx_ref;

typedef struct mx_refs {
    mx_ref *v;
    size_t n, cap;
} mx_refs;

typedef struct mx_run {
    const wn_mix_config *c;
    const wn_mix_spec *spec;
    wn_mix_plan plan;
    mx_input *inputs;
    size_t n_inputs;
    mx_refs train, val;
    uint64_t *train_tokens, *val_tokens, *train_docs, *val_docs, *dropped; /* per source */
    json_t *inputs_json;
} mx_run;

static void refs_push(mx_refs *r, uint32_t input, uint32_t source, uint64_t doc)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = wn_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = (mx_ref){input, source, doc};
}

static void refs_shuffle(mx_refs *r, uint64_t seed, const char *label)
{
    mx_rng rng;
    mx_rng_init(&rng, seed, label);
    for (size_t i = r->n; i > 1; i--) {
        size_t j = (size_t)mx_rng_below(&rng, i);
        mx_ref t = r->v[i - 1];
        r->v[i - 1] = r->v[j];
        r->v[j] = t;
    }
}

/* A document's split depends only on the seed and its identity, never on the epoch. */
static bool is_val(const mx_run *m, const mx_input *in, uint64_t doc)
{
    if (m->c->val_fraction <= 0)
        return false;
    wn_buf key = WN_BUF_INIT;
    const char *base = strrchr(in->r.prefix, '/'); /* not the full path: runs may move */
    wn_buf_appendf(&key, "%s\n%s\n%llu", m->spec->sources[in->source].name,
                   base ? base + 1 : in->r.prefix, (unsigned long long)doc);
    uint64_t h = XXH64(key.data, key.len, m->c->seed);
    wn_buf_release(&key);
    return (double)(h >> 11) * 0x1.0p-53 < m->c->val_fraction;
}

static void select_doc(mx_run *m, uint32_t input, uint64_t doc, bool first_pass)
{
    const mx_input *in = &m->inputs[input];
    uint32_t s = (uint32_t)in->source;
    if (is_val(m, in, doc)) {
        if (first_pass)
            refs_push(&m->val, input, s, doc);
    } else {
        refs_push(&m->train, input, s, doc);
    }
}

/* Whole epochs, then a seeded random subset of documents for the fractional part. */
static void select_source(mx_run *m, size_t s)
{
    uint64_t total = m->spec->sources[s].tokens, want = m->plan.rows[s].tokens_taken;
    uint64_t full = total ? want / total : 0, rest = want - full * total;
    mx_refs all = {0};
    for (uint32_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].source == s)
            for (uint64_t d = 0; d < m->inputs[i].r.n_docs; d++)
                refs_push(&all, i, (uint32_t)s, d);
    for (uint64_t e = 0; e < full; e++)
        for (size_t k = 0; k < all.n; k++)
            select_doc(m, all.v[k].input, all.v[k].doc, e == 0);
    if (rest > 0) {
        char label[256];
        snprintf(label, sizeof label, "%s/partial/%s", m->spec->label, m->spec->sources[s].name);
        refs_shuffle(&all, m->c->seed, label);
        uint64_t got = 0;
        for (size_t k = 0; k < all.n && got < rest; k++) {
            select_doc(m, all.v[k].input, all.v[k].doc, full == 0);
            got += wn_mg_doc_tokens(&m->inputs[all.v[k].input].r, all.v[k].doc);
        }
    }
    free(all.v);
}

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

/* The output dtype: uint16 only when every input is 8/16-bit unsigned, else int32. */
static int output_dtype(const mx_run *m)
{
    for (size_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].r.dtype != WN_MG_UINT16 && m->inputs[i].r.dtype != WN_MG_UINT8)
            return WN_MG_INT32;
    return WN_MG_UINT16;
}

typedef struct mx_piece {
    uint32_t source;
    uint32_t len;
} mx_piece;

/* Pack one split: documents in order, cut into samples of sequence_length tokens. The
 * open sample is buffered so a short last one can be dropped without being written. */
static int pack_split(mx_run *m, const mx_refs *refs, const char *outdir, const char *split,
                      uint64_t *tokens_by_source, uint64_t *docs_by_source, json_t *outputs)
{
    const uint64_t L = m->c->sequence_length;
    int dtype = m->c->format == WN_MIX_LLMC ? WN_MG_INT32 : output_dtype(m);
    size_t item = m->c->format == WN_MIX_LLMC ? 4 : wn_mg_itemsize(dtype);
    uint64_t per_shard = m->c->max_shard_bytes / (L * item);
    uint64_t total = 0;
    for (size_t i = 0; i < refs->n; i++)
        total += wn_mg_doc_tokens(&m->inputs[refs->v[i].input].r, refs->v[i].doc);
    if (m->c->format == WN_MIX_LLMC && per_shard * L > 0x7fffffffu)
        per_shard = 0x7fffffffu / L; /* llm.c's header count is int32 */
    mx_sink *sink = mx_sink_open(m->c, outdir, split, dtype, per_shard);
    mx_sink_set_split_tokens(sink, m->c->keep_remainder ? total : total / L * L);

    uint32_t *sample = wn_xmalloc(L * sizeof *sample), *doc = NULL;
    mx_piece *pieces = wn_xmalloc(L * sizeof *pieces);
    size_t n_pieces = 0, doc_cap = 0;
    uint64_t fill = 0;
    int rc = 0;
    for (size_t i = 0; i < refs->n && rc == 0; i++) {
        const mx_ref *ref = &refs->v[i];
        const wn_mg_reader *r = &m->inputs[ref->input].r;
        uint64_t n = wn_mg_doc_tokens(r, ref->doc);
        if (n > doc_cap) {
            doc_cap = n;
            doc = wn_xrealloc(doc, doc_cap * sizeof *doc);
        }
        wn_mg_doc_copy(r, ref->doc, doc);
        docs_by_source[ref->source]++;
        for (uint64_t off = 0; off < n && rc == 0;) {
            uint64_t take = n - off < L - fill ? n - off : L - fill;
            memcpy(sample + fill, doc + off, take * sizeof *doc);
            pieces[n_pieces++] = (mx_piece){ref->source, (uint32_t)take};
            fill += take;
            off += take;
            if (fill < L)
                continue;
            for (size_t p = 0, at = 0; p < n_pieces && rc == 0; at += pieces[p++].len) {
                rc = mx_sink_piece(sink, sample + at, pieces[p].len);
                tokens_by_source[pieces[p].source] += pieces[p].len;
            }
            if (rc == 0)
                rc = mx_sink_end_sample(sink);
            fill = 0;
            n_pieces = 0;
        }
    }
    for (size_t p = 0, at = 0; p < n_pieces && rc == 0; at += pieces[p++].len) {
        if (m->c->keep_remainder) {
            rc = mx_sink_piece(sink, sample + at, pieces[p].len);
            tokens_by_source[pieces[p].source] += pieces[p].len;
        } else {
            m->dropped[pieces[p].source] += pieces[p].len;
        }
    }
    if (rc == 0 && n_pieces && m->c->keep_remainder)
        rc = mx_sink_end_sample(sink);
    free(sample);
    free(pieces);
    free(doc);
    if (rc != 0) {
        mx_sink_abort(sink);
        return -1;
    }
    return mx_sink_close(sink, outputs);
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
static json_t *execute_spec(const wn_mix_config *c, const wn_mix_spec *spec, const char *outdir)
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
    for (size_t s = 0; s < ns; s++)
        select_source(&m, s);
    char label[64];
    snprintf(label, sizeof label, "%s/train", spec->label);
    refs_shuffle(&m.train, c->seed, label);
    snprintf(label, sizeof label, "%s/val", spec->label);
    refs_shuffle(&m.val, c->seed, label);
    if (pack_split(&m, &m.train, outdir, "train", m.train_tokens, m.train_docs, outputs) != 0 ||
        pack_split(&m, &m.val, outdir, "val", m.val_tokens, m.val_docs, outputs) != 0 ||
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
    json_t *part = execute_spec(c, &c->main, outdir);
    if (!part)
        goto out;
    json_object_set_new(manifest, "main", part);
    if (c->anneal.n_sources) {
        wn_buf_appendf(&path, "%s/anneal", outdir);
        part = execute_spec(c, &c->anneal, path.data);
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
    if (rc == 0 && !quiet)
        wn_info("mix: wrote '%s' (manifest '%s')", outdir, path.data);
out:
    json_decref(manifest);
    wn_buf_release(&done);
    wn_buf_release(&path);
    return rc;
}
