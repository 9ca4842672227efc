/* lines_apply.c: line-level dedup phase 3 - the stage that removes the lines of the set
 * (spec: lines.h). */
#include "dedup/lines.h"

#include "core/buf.h"
#include "core/jsonl.h"
#include "dedup/uidsource.h"

#include <stdlib.h>
#include <string.h>

typedef struct top_line {
    uint64_t hash, count;
    uint32_t bucket;
    uint64_t sample_uid;
    uint32_t sample_line;
    char *text;
} top_line;

typedef struct apply_state {
    wn_dedup_uids *uids;
    wn_dedup_lineset_rec *recs;
    size_t n_recs;
    uint32_t *table;   /* open addressing: index+1 into recs, 0 = empty */
    size_t mask;
    uint32_t *bucket_of;
    size_t n_files;
    bool ccnet;
    top_line top[20];
    size_t n_top;
    char *report_path;
} apply_state;

static uint64_t mix_key(uint64_t hash, uint32_t bucket)
{
    uint64_t k = hash ^ ((uint64_t)bucket * 0x9e3779b97f4a7c15ull);
    return k ^ (k >> 29);
}

static const wn_dedup_lineset_rec *lookup(const apply_state *s, uint64_t hash, uint32_t bucket)
{
    size_t i = (size_t)mix_key(hash, bucket) & s->mask;
    while (s->table[i]) {
        const wn_dedup_lineset_rec *r = &s->recs[s->table[i] - 1];
        if (r->hash == hash && r->bucket == bucket) return r;
        i = (i + 1) & s->mask;
    }
    return NULL;
}

static void apply_doc(void *p, wn_doc *d, wn_stats *stats)
{
    apply_state *s = p;
    uint64_t uid = wn_dedup_uid_of(s->uids, d);
    uint32_t file = WN_DEDUP_UID_FILE(uid);
    uint32_t bucket = file < s->n_files ? s->bucket_of[file] : 0;
    const char *t = d->text.ptr, *end = t + d->text.len;
    wn_buf kept = WN_BUF_INIT;
    uint32_t line = 0, removed = 0, content_left = 0;
    uint64_t removed_bytes = 0;
    bool first_out = true;
    while (t <= end) {
        const char *nl = memchr(t, '\n', (size_t)(end - t));
        const char *le = nl ? nl : end;
        uint64_t h;
        bool drop = false;
        if (wn_lines_hash(t, (size_t)(le - t), &h)) {
            const wn_dedup_lineset_rec *r = lookup(s, h, bucket);
            if (r && !(s->ccnet && r->first_uid == uid && r->first_line == line)) drop = true;
            if (r) {
                for (size_t k = 0; k < s->n_top; k++) {
                    top_line *tl = &s->top[k];
                    if (tl->hash != h || tl->bucket != bucket) continue;
#pragma omp critical(wn_lines_top)
                    if (!tl->text || uid < tl->sample_uid ||
                        (uid == tl->sample_uid && line < tl->sample_line)) {
                        free(tl->text);
                        tl->text = wn_xstrndup(t, (size_t)(le - t));
                        tl->sample_uid = uid;
                        tl->sample_line = line;
                    }
                }
            }
            if (!drop) content_left++;
        }
        if (drop) {
            removed++;
            removed_bytes += (uint64_t)(le - t) + (nl ? 1 : 0);
        } else {
            if (!first_out) wn_buf_appendc(&kept, '\n');
            wn_buf_append(&kept, t, (size_t)(le - t));
            first_out = false;
        }
        line++;
        if (!nl) break;
        t = nl + 1;
    }
    if (removed) {
        wn_stats_add(stats, "lines_removed", removed);
        wn_stats_add(stats, "line_bytes_removed", (double)removed_bytes);
        wn_stats_hist(stats, "lines_removed_per_doc", 0, 64, 64, removed);
        wn_doc_attr_set(d, "dedup_line_removed", json_integer(removed));
        if (content_left == 0) {
            d->drop_reason = "dedup.line.empty";
            wn_buf_release(&kept);
            return;
        }
        size_t len;
        char *txt = wn_buf_detach(&kept, &len);
        if (!txt) txt = wn_xstrdup(""), len = 0;
        wn_str_take(&d->text, txt, len);
    }
    wn_buf_release(&kept);
}

static int apply_finish(void *p, wn_stats *stats)
{
    apply_state *s = p;
    (void)stats;
    if (!s->report_path) return 0;
    json_t *arr = json_array();
    for (size_t k = 0; k < s->n_top; k++) {
        json_t *o = json_pack("{s:I,s:I,s:s?}", "count", (json_int_t)s->top[k].count, "bucket",
                              (json_int_t)s->top[k].bucket, "text", s->top[k].text);
        json_array_append_new(arr, o);
    }
    json_t *j = json_pack("{s:o}", "top_lines", arr);
    return wn_json_write_file(s->report_path, j, JSON_INDENT(1));
}

static void apply_release(void *p)
{
    apply_state *s = p;
    for (size_t k = 0; k < s->n_top; k++) free(s->top[k].text);
    free(s->recs);
    free(s->table);
    free(s->bucket_of);
    free(s->report_path);
    free(s);
}

wn_stage *wn_lines_stage_new(const char *lineset_path, char **files_tables, size_t n_tables,
                             const wn_lines_config *cfg, const char *config,
                             struct wn_dedup_uids *uids, const char *report_path, char *err,
                             size_t errlen)
{
    wn_dedup_file *f = wn_dedup_file_open(lineset_path, WN_DEDUP_KIND_LINESET, config, err, errlen);
    if (!f) return NULL;
    apply_state *s = wn_xcalloc(1, sizeof *s);
    s->uids = uids;
    s->ccnet = cfg->ccnet;
    uint64_t n = wn_dedup_file_header(f)->count;
    if (n >= UINT32_MAX) {
        snprintf(err, errlen, "'%s' holds too many lines (%llu)", lineset_path,
                 (unsigned long long)n);
        wn_dedup_file_close(f);
        free(s);
        return NULL;
    }
    s->recs = wn_xmalloc((n ? n : 1) * sizeof *s->recs);
    long got = n ? wn_dedup_file_read(f, s->recs, n) : 0;
    wn_dedup_file_close(f);
    if (got < 0 || (uint64_t)got != n) {
        snprintf(err, errlen, "'%s' is truncated", lineset_path);
        apply_release(s);
        return NULL;
    }
    s->n_recs = n;
    size_t size = 16;
    while (size < 2 * n) size <<= 1;
    s->mask = size - 1;
    s->table = wn_xcalloc(size, sizeof *s->table);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)mix_key(s->recs[i].hash, s->recs[i].bucket) & s->mask;
        while (s->table[k]) k = (k + 1) & s->mask;
        s->table[k] = (uint32_t)(i + 1);
        /* top lines: by count desc, then hash, bucket (a total order) */
        top_line cand = {s->recs[i].hash, s->recs[i].count, s->recs[i].bucket, 0, 0, NULL};
        size_t pos = s->n_top;
        while (pos > 0 && (s->top[pos - 1].count < cand.count ||
                           (s->top[pos - 1].count == cand.count &&
                            (s->top[pos - 1].hash > cand.hash ||
                             (s->top[pos - 1].hash == cand.hash &&
                              s->top[pos - 1].bucket > cand.bucket)))))
            pos--;
        if (pos < 20) {
            size_t last = s->n_top < 20 ? s->n_top : 19;
            memmove(s->top + pos + 1, s->top + pos, (last - pos) * sizeof *s->top);
            s->top[pos] = cand;
            if (s->n_top < 20) s->n_top++;
        }
    }
    size_t nf;
    if (wn_lines_buckets(files_tables, n_tables, config, cfg->bucket_docs, &s->bucket_of, &nf,
                         err, errlen)) {
        apply_release(s);
        return NULL;
    }
    s->n_files = nf;
    if (report_path) s->report_path = wn_xstrdup(report_path);
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = "dedup.line";
    st->state = s;
    st->process_doc = apply_doc;
    st->finish = apply_finish;
    st->release = apply_release;
    return st;
}
