/* kl.c: Llama 3's token-distribution KL divergence filter (Llama 3 paper, section 3.1.1):
 * drop documents with too many outlier tokens compared to the corpus distribution.
 *
 * Two passes, both this stage:
 *   1. build_reference: PATH   counts lowercased word unigrams over the corpus (documents
 *                              pass through untouched) and writes "count<TAB>word" lines,
 *                              most frequent first, to PATH at the end (words seen fewer
 *                              than min_count times are left out);
 *   2. reference: PATH         scores each document: KL(p_doc || q_ref) in nats, where
 *                              q_ref(w) = (count(w) + 1) / (total + vocabulary + unseen)
 *                              (add-one smoothing over the reference's vocabulary and the
 *                              document's `unseen` distinct words outside it, at least 1, so
 *                              q_ref sums to 1 and KL is never negative; unseen words are
 *                              the outliers), and drops it ("kl.divergence") when KL > max_kl.
 * The unit is Llama 3 tokenizer ids (unit: tokens, tokenize/tokenizer.h, the default, as
 * the paper) or lowercased word unigrams (unit: words, cheaper). The reference file starts
 * with "# unit: tokens|words" and the other pass must use the same unit; token lines are
 * "count<TAB>id". Documents with fewer than min_words units are scored but never dropped.
 *
 * On a cluster pass 1 runs as --shard I/N tasks: each writes its own part beside PATH,
 * "<PATH>.IIIII-of-NNNNN" (before a trailing .gz/.zst, so it is compressed alike), with
 * every count and a "# min_count: X" line; pass 2, finding no PATH, sums the N parts and
 * then leaves out the words under min_count, which gives exactly the reference one
 * unsharded pass 1 writes. Until the seventh session every shard wrote PATH itself and
 * the last one to finish won.
 */
#include "filter/filter.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "tokenize/tokenizer.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct kl_entry {
    uint64_t hash, count;
    size_t word_off, word_len;
} kl_entry;

typedef struct kl {
    wn_tok *tok; /* NULL: word unigrams */
    /* build mode */
    char *build_path;
    double min_count;
    wn_u64map index; /* hash -> entry index + 1 */
    kl_entry *entries;
    size_t n_entries, cap_entries;
    wn_buf words;
    /* score mode */
    double *logq;    /* per entry, with one unseen word in the denominator */
    double log_unseen;
    double denom;    /* total + vocabulary + 1 */
    double max_kl, min_words;
} kl;

static _Thread_local wn_u64map doc_counts;
static _Thread_local wn_tok_ids doc_ids;

static uint64_t lower_hash(const char *s, size_t n)
{
    char tmp[128];
    if (n > sizeof tmp)
        n = sizeof tmp; /* long tokens: their first 128 bytes identify them well enough */
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char)tolower((unsigned char)s[i]);
    return wn_text_hash(tmp, n);
}

/* The map key of a unit: token id + 1, or the hash of the lowercased word. A label is
 * n bytes, not a C string (summed parts pass labels from one buffer). */
static uint64_t unit_key(const kl *k, const char *label, size_t n)
{
    if (!k->tok)
        return lower_hash(label, n);
    uint64_t id = 0;
    for (size_t i = 0; i < n && isdigit((unsigned char)label[i]); i++)
        id = id * 10 + (uint64_t)(label[i] - '0');
    return id + 1;
}

static void count_word(kl *k, const char *w, size_t n, uint64_t times)
{
    uint64_t h = unit_key(k, w, n);
    bool added;
    uint32_t *slot = wn_u64map_slot(&k->index, h, &added);
    if (added) {
        if (k->n_entries == k->cap_entries) {
            k->cap_entries = k->cap_entries ? k->cap_entries * 2 : 4096;
            k->entries = wn_xrealloc(k->entries, k->cap_entries * sizeof *k->entries);
        }
        *slot = (uint32_t)++k->n_entries;
        kl_entry *e = &k->entries[k->n_entries - 1];
        e->hash = h;
        e->count = 0;
        e->word_off = k->words.len;
        e->word_len = n;
        for (size_t i = 0; i < n; i++)
            wn_buf_appendc(&k->words, (char)tolower((unsigned char)w[i]));
    }
    k->entries[*slot - 1].count += times;
}

/* Build mode: count on the batch thread, in input order (deterministic). */
static void kl_batch(void *state, wn_batch *b, wn_stats *s)
{
    kl *k = state;
    for (size_t i = 0; i < b->n; i++) {
        const wn_doc *d = &b->docs[i];
        if (d->drop_reason)
            continue;
        if (k->tok) {
            wn_tok_ids_reset(&doc_ids);
            wn_tok_encode(k->tok, d->text.ptr, d->text.len, 0, &doc_ids);
            for (size_t j = 0; j < doc_ids.len; j++) {
                char label[24];
                int n = snprintf(label, sizeof label, "%u", (unsigned)doc_ids.ids[j]);
                count_word(k, label, (size_t)n, 1);
            }
            continue;
        }
        const wn_text *t = wn_text_analyze(d);
        for (size_t j = 0; j < t->n_words; j++) {
            const wn_word *w = &t->words[j];
            if (!(w->flags & WN_WORD_SYMBOL))
                count_word(k, t->s + w->off, w->len, 1);
        }
    }
}

static const char *cmp_words;
static int cmp_entry(const void *a, const void *b)
{
    const kl_entry *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    size_t n = x->word_len < y->word_len ? x->word_len : y->word_len;
    int c = memcmp(cmp_words + x->word_off, cmp_words + y->word_off, n);
    return c ? c : (x->word_len > y->word_len) - (x->word_len < y->word_len);
}

/* Where the part of shard i of n goes: "<stem>.IIIII-of-NNNNN<ext>", ext a trailing .gz or
 * .zst of path (kept last, so the part is compressed as the whole would be). With i < 0 a
 * glob pattern for every part of any run. */
static size_t stem_len(const char *path)
{
    size_t len = strlen(path);
    if (len > 3 && !strcmp(path + len - 3, ".gz"))
        return len - 3;
    if (len > 4 && !strcmp(path + len - 4, ".zst"))
        return len - 4;
    return len;
}

static char *shard_path(const char *path, int i, unsigned n)
{
    size_t stem = stem_len(path);
    wn_buf p = WN_BUF_INIT;
    wn_buf_append(&p, path, stem);
    if (i < 0)
        wn_buf_appendf(&p, ".[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]%s", path + stem);
    else
        wn_buf_appendf(&p, ".%05d-of-%05u%s", i, n, path + stem);
    return wn_buf_detach(&p, NULL);
}

static int kl_finish(void *state, wn_stats *s)
{
    kl *k = state;
    cmp_words = k->words.data;
    if (k->n_entries > 1)
        qsort(k->entries, k->n_entries, sizeof *k->entries, cmp_entry);
    /* a shard's part keeps every count: min_count applies to the sum (load_reference) */
    wn_shard shard = wn_process_shard();
    bool part = shard.count > 1;
    char *path = part ? shard_path(k->build_path, (int)shard.index, shard.count)
                      : wn_xstrdup(k->build_path);
    double min_count = part ? 0 : k->min_count;
    char err[256];
    wn_out *out = wn_out_open(path, WN_COMP_AUTO, 3, err, sizeof err);
    if (!out) {
        wn_error("cannot write '%s': %s", path, err);
        free(path);
        return -1;
    }
    wn_buf line = WN_BUF_INIT;
    wn_buf_appendf(&line, "# unit: %s\n", k->tok ? "tokens" : "words");
    if (part)
        wn_buf_appendf(&line, "# min_count: %.17g\n# shard: %u/%u\n", k->min_count,
                       shard.index, shard.count);
    wn_out_write(out, line.data, line.len);
    uint64_t total = 0;
    size_t written = 0;
    for (size_t i = 0; i < k->n_entries; i++) {
        const kl_entry *e = &k->entries[i];
        total += e->count;
        if ((double)e->count < min_count)
            continue;
        /* words with tabs or newlines cannot be written as one TSV line */
        const char *w = k->words.data + e->word_off;
        if (memchr(w, '\t', e->word_len) || memchr(w, '\n', e->word_len))
            continue;
        wn_buf_reset(&line);
        wn_buf_appendf(&line, "%llu\t", (unsigned long long)e->count);
        wn_buf_append(&line, w, e->word_len);
        wn_buf_appendc(&line, '\n');
        wn_out_write(out, line.data, line.len);
        written++;
    }
    wn_buf_release(&line);
    wn_stats_add(s, "kl.reference_words", (double)written);
    wn_stats_add(s, "kl.reference_tokens", (double)total);
    int rc = 0;
    if (wn_out_commit(out, err, sizeof err)) {
        wn_error("cannot write '%s': %s", path, err);
        rc = -1;
    }
    free(path);
    return rc;
}

/* Adds the counts of one reference file (or part) to k; *total adds them up, *min_count
 * (may be NULL) takes a part's "# min_count: X". */
static int read_reference(kl *k, const char *path, uint64_t *total, double *min_count,
                          char *err, size_t errlen)
{
    char e[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, e, sizeof e);
    if (!in) {
        snprintf(err, errlen, "%s", e); /* names the file */
        return -1;
    }
    const char *line;
    size_t len;
    uint64_t lineno = 0;
    /* The reference is checked line by line: a CRLF file made every word "word\r" (never
     * seen), a words file read as tokens made every word token 0, and "-5" or a count over
     * 2^64 was read as a huge count. Each is now an error naming the line. */
    const char *bad = NULL;
    while (!bad && (line = wn_in_line(in, &len))) {
        lineno++;
        if (len && line[len - 1] == '\r')
            len--;
        if (lineno == 1) {
            const char *want = k->tok ? "# unit: tokens" : "# unit: words";
            if (len < strlen(want) || strncmp(line, want, strlen(want))) {
                snprintf(err, errlen, "'%s' line 1: built with another unit or not by "
                         "build_reference (want '%s')", path, want);
                wn_in_close(in);
                return -1;
            }
            continue;
        }
        if (len && line[0] == '#') {
            if (min_count && len > 13 && !strncmp(line, "# min_count: ", 13))
                *min_count = strtod(line + 13, NULL);
            continue;
        }
        char *end;
        errno = 0;
        unsigned long long c = line[0] == '-' ? 0 : strtoull(line, &end, 10);
        if (line[0] == '-' || end == line || *end != '\t' || errno == ERANGE) {
            bad = "expected count<TAB>word";
            break;
        }
        end++;
        size_t wlen = len - (size_t)(end - line);
        if (k->tok && (wlen == 0 || wlen > 10 || strspn(end, "0123456789") < wlen)) {
            bad = "expected count<TAB>token id";
            break;
        }
        if (*total + c < *total) {
            bad = "the counts add up to more than 2^64";
            break;
        }
        count_word(k, end, wlen, c);
        *total += c;
    }
    if (!bad && lineno == 0 && !wn_in_failed(in))
        bad = "the file is empty (expected a '# unit: ...' line)";
    if (bad) {
        snprintf(err, errlen, "'%s' line %llu: %s", path, (unsigned long long)lineno, bad);
        wn_in_close(in);
        return -1;
    }
    bool failed = wn_in_failed(in);
    wn_in_close(in);
    if (failed) {
        snprintf(err, errlen, "cannot read '%s' (line %llu)", path, (unsigned long long)lineno);
        return -1;
    }
    return 0;
}

/* How many parts a sharded pass 1 wrote for path: 0 when none, -1 (err set) when parts
 * of runs with different shard counts lie there. */
static int count_parts(const char *path, char *err, size_t errlen)
{
    char *pattern = shard_path(path, -1, 0);
    size_t ext = strlen(path) - stem_len(path);
    glob_t g;
    int n = 0;
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc && n >= 0; i++) {
            const char *m = g.gl_pathv[i];
            int of = atoi(m + strlen(m) - ext - 5); /* the NNNNN of ".IIIII-of-NNNNN" */
            if (n && of != n) {
                snprintf(err, errlen, "'%s': parts of pass 1 runs with %d and %d shards lie "
                         "beside it: remove the older run's", path, n, of);
                n = -1;
            } else {
                n = of;
            }
        }
        globfree(&g);
    }
    free(pattern);
    return n;
}

static void finish_reference(kl *k, uint64_t total)
{
    double denom = (double)total + (double)k->n_entries + 1.0;
    k->denom = denom;
    k->logq = wn_xmalloc((k->n_entries + 1) * sizeof *k->logq);
    for (size_t i = 0; i < k->n_entries; i++)
        k->logq[i] = log(((double)k->entries[i].count + 1.0) / denom);
    k->log_unseen = log(1.0 / denom);
}

static void counts_release(kl *k)
{
    wn_u64map_release(&k->index);
    free(k->entries);
    wn_buf_release(&k->words);
}

/* PATH, or the sum of the N parts a sharded pass 1 wrote in its place (min_count applied
 * to the sum, as one unsharded pass applies it to its counts). */
static int load_reference(kl *k, const char *path, char *err, size_t errlen)
{
    int parts = count_parts(path, err, errlen);
    if (parts < 0)
        return -1;
    uint64_t total = 0;
    if (parts && access(path, F_OK) == 0) {
        snprintf(err, errlen, "'%s' and the parts of a sharded pass 1 ('%s.*-of-%05d') both "
                 "exist: remove the older run's", path, path, parts);
        return -1;
    }
    if (!parts) {
        if (read_reference(k, path, &total, NULL, err, errlen))
            return -1;
        finish_reference(k, total);
        return 0;
    }
    kl sum = {.tok = k->tok};
    double min_count = -1;
    int rc = 0;
    for (int i = 0; i < parts && !rc; i++) {
        char *part = shard_path(path, i, (unsigned)parts);
        double mc = -1;
        uint64_t t = 0;
        if (access(part, F_OK) != 0) {
            snprintf(err, errlen, "no '%s': pass 1 with --shard %d/%d has not finished", part,
                     i, parts);
            rc = -1;
        } else if (read_reference(&sum, part, &t, &mc, err, errlen)) {
            rc = -1;
        } else if (mc < 0 || (i && mc != min_count)) {
            snprintf(err, errlen, "'%s': %s", part, mc < 0 ? "no '# min_count:' line (not a "
                     "part written by build_reference)" : "another min_count than part 0");
            rc = -1;
        }
        min_count = mc;
        free(part);
    }
    for (size_t i = 0; i < sum.n_entries && !rc; i++) {
        const kl_entry *e = &sum.entries[i];
        if ((double)e->count >= min_count) {
            count_word(k, sum.words.data + e->word_off, e->word_len, e->count);
            total += e->count;
        }
    }
    counts_release(&sum);
    if (!rc)
        finish_reference(k, total);
    return rc;
}

static void kl_doc(void *state, wn_doc *d, wn_stats *s)
{
    const kl *k = state;
    const wn_text *t = wn_text_analyze(d);
    size_t n = 0;
    if (k->tok) {
        wn_tok_ids_reset(&doc_ids);
        wn_tok_encode(k->tok, d->text.ptr, d->text.len, 0, &doc_ids);
        wn_u64map_reset(&doc_counts, doc_ids.len);
        for (size_t j = 0; j < doc_ids.len; j++)
            wn_u64map_add(&doc_counts, (uint64_t)doc_ids.ids[j] + 1);
        n = doc_ids.len;
    } else {
        wn_u64map_reset(&doc_counts, t->n_nonsym);
        for (size_t j = 0; j < t->n_words; j++) {
            const wn_word *w = &t->words[j];
            if (w->flags & WN_WORD_SYMBOL)
                continue;
            wn_u64map_add(&doc_counts, lower_hash(t->s + w->off, w->len));
            n++;
        }
    }
    double div = 0.0;
    size_t unseen = 0;
    for (size_t i = 0; i < doc_counts.cap && n; i++) {
        if (!wn_u64map_used(&doc_counts, i))
            continue;
        double p = (double)doc_counts.slots[i].val / (double)n;
        uint32_t e = wn_u64map_get(&k->index, doc_counts.slots[i].key);
        unseen += !e;
        div += p * (log(p) - (e ? k->logq[e - 1] : k->log_unseen));
    }
    /* Each unseen word takes a count of one in q's denominator: with u of them it is
     * denom + u - 1, not denom, and every log q (whose p sum to 1) is lower by the log of
     * the ratio. Without it, a document of many different unseen words against a small
     * reference summed q over more than 1 and could score a negative KL. */
    if (unseen > 1)
        div += log1p((double)(unseen - 1) / k->denom);
    if (div < 0.0)
        div = 0.0; /* rounding only: q sums to at most 1, so KL >= 0 */
    wn_filter_signal(d, t->n_chars, s, "kl.divergence", div, 0, 20);
    if ((double)n >= k->min_words && div > k->max_kl)
        d->drop_reason = "kl.divergence";
}

static void kl_release(void *state)
{
    kl *k = state;
    wn_tok_free(k->tok);
    free(k->build_path);
    counts_release(k);
    free(k->logq);
    free(k);
}

wn_stage *wn_filter_kl_new(wn_fparams *p)
{
    kl *k = wn_xcalloc(1, sizeof *k);
    size_t nb = 0, nr = 0;
    char **build = wn_fp_paths(p, "build_reference", NULL, &nb);
    char **ref = wn_fp_paths(p, "reference", NULL, &nr);
    const char *unit = wn_fp_str(p, "unit", "tokens");
    k->min_count = wn_fp_num(p, "min_count", 2);
    if (unit && !strcmp(unit, "tokens")) {
        char err[512];
        if (!(k->tok = wn_tok_load_default(err, sizeof err)))
            wn_fp_fail(p, "%s", err);
    } else if (!unit || strcmp(unit, "words")) {
        wn_fp_fail(p, "unit must be 'tokens' or 'words'");
    }
    k->max_kl = wn_fp_num(p, "max_kl", 6.0);
    k->min_words = wn_fp_num(p, "min_words", 50);
    wn_stage *st = wn_filter_stage_new("kl_divergence", k, NULL, kl_release);
    if (nb == 1 && nr == 0) {
        k->build_path = wn_xstrdup(build[0]);
        st->process_batch = kl_batch;
        st->finish = kl_finish;
    } else if (nr == 1 && nb == 0) {
        char err[512];
        if (load_reference(k, ref[0], err, sizeof err))
            wn_fp_fail(p, "%s", err);
        st->process_doc = kl_doc;
    } else {
        wn_fp_fail(p, "give exactly one of 'build_reference' or 'reference'");
    }
    for (size_t i = 0; i < nb; i++)
        free(build[i]);
    for (size_t i = 0; i < nr; i++)
        free(ref[i]);
    free(build);
    free(ref);
    return st;
}
