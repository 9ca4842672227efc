/* datasets.c: a source's `path` entries -> Megatron dataset prefixes, token counting, and
 * the input hashes the manifest records. */
#include "mix/mix_internal.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "mix/megatron.h"

#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void push_prefix(char ***v, size_t *n, const char *path)
{
    size_t len = strlen(path);
    if (len > 4 && (!strcmp(path + len - 4, ".idx") || !strcmp(path + len - 4, ".bin")))
        len -= 4;
    for (size_t i = 0; i < *n; i++)
        if (strlen((*v)[i]) == len && !strncmp((*v)[i], path, len))
            return;
    *v = wn_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = wn_xstrndup(path, len);
}

int mx_expand(char **paths, size_t n_paths, char ***out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    for (size_t i = 0; i < n_paths; i++) {
        const char *p = paths[i];
        struct stat st;
        wn_buf pat = WN_BUF_INIT;
        wn_buf_appendf(&pat, "%s.idx", p);
        if (stat(pat.data, &st) == 0) {
            push_prefix(out, n_out, p);
        } else {
            wn_buf_reset(&pat);
            if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
                wn_buf_appendf(&pat, "%s/*.idx", p);
            else
                wn_buf_appends(&pat, p);
            glob_t g;
            if (glob(pat.data, 0, NULL, &g) == 0) {
                for (size_t k = 0; k < g.gl_pathc; k++) {
                    const char *f = g.gl_pathv[k];
                    size_t len = strlen(f);
                    /* tokenize --chat writes loss masks as <prefix>_mask.{bin,idx} */
                    bool mask = len > 9 && !strcmp(f + len - 9, "_mask.idx");
                    if (!mask && len > 4 && (!strcmp(f + len - 4, ".idx") ||
                                             !strcmp(f + len - 4, ".bin")))
                        push_prefix(out, n_out, f);
                }
                globfree(&g);
            }
        }
        wn_buf_release(&pat);
    }
    if (*n_out == 0) {
        wn_error("no Megatron dataset (.bin/.idx) found at '%s'%s", n_paths ? paths[0] : "",
                 n_paths > 1 ? " and the other paths" : "");
        return -1;
    }
    qsort(*out, *n_out, sizeof **out, cmp_str);
    return 0;
}

bool wn_mix_counts_known(const wn_mix_config *c)
{
    for (size_t i = 0; i < c->main.n_sources; i++)
        if (!c->main.sources[i].counted && !c->main.sources[i].declared)
            return false;
    return true;
}

int wn_mix_count_sources(wn_mix_config *c, bool include_bound)
{
    for (size_t i = 0; i < c->main.n_sources; i++) {
        wn_mix_source *s = &c->main.sources[i];
        if (s->counted || s->n_paths == 0 || (s->bound && !include_bound))
            continue;
        struct stat st;
        if (s->bound && stat(s->paths[0], &st) != 0) {
            if (s->declared)
                continue; /* planned on paper before the pipeline made the data */
            wn_error("source '%s' has no tokens yet: '%s' is made by `winnow run`; run it "
                     "first, or declare the source's `tokens` to plan on paper", s->name,
                     s->paths[0]);
            return -1;
        }
        char **prefixes;
        size_t n;
        if (mx_expand(s->paths, s->n_paths, &prefixes, &n) != 0)
            return -1;
        s->tokens = s->docs = 0;
        int rc = 0;
        for (size_t k = 0; k < n && rc == 0; k++) {
            wn_mg_reader r;
            char err[512];
            if (wn_mg_open(&r, prefixes[k], err, sizeof err) != 0) {
                wn_error("source '%s': %s", s->name, err);
                rc = -1;
                continue;
            }
            s->tokens += r.n_tokens;
            s->docs += r.n_docs;
            wn_mg_close(&r);
        }
        for (size_t k = 0; k < n; k++)
            free(prefixes[k]);
        free(prefixes);
        if (rc != 0)
            return -1;
        s->counted = true;
        for (size_t j = 0; j < c->anneal.n_sources; j++)
            if (!strcmp(c->anneal.sources[j].name, s->name)) {
                c->anneal.sources[j].tokens = s->tokens;
                c->anneal.sources[j].docs = s->docs;
                c->anneal.sources[j].counted = true;
            }
    }
    return 0;
}

char *mx_file_hash(const char *path)
{
    uint64_t d[2], bytes;
    if (wn_file_xxh3_128(path, d, &bytes) != 0)
        return NULL;
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash(&canon, (XXH128_hash_t){.low64 = d[0], .high64 = d[1]});
    char *hex = wn_xmalloc(2 * sizeof canon.digest + 1);
    for (size_t i = 0; i < sizeof canon.digest; i++)
        sprintf(hex + 2 * i, "%02x", canon.digest[i]);
    return hex;
}
