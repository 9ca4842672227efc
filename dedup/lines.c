/* lines.c: line-level dedup (Llama 3 / CCNet): config, the line hash, the record order.
 * The phases are lines_hash.c, lines_count.c and lines_apply.c (spec: lines.h). */
#include "dedup/lines.h"

#include <stdio.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

void wn_lines_config_default(wn_lines_config *c)
{
    c->bucket_docs = 30000000; /* Llama 3: buckets of 30M documents */
    c->max_repeats = 6;        /* Llama 3: lines seen more than 6 times */
    c->ccnet = false;
}

void wn_lines_config_text(const wn_lines_config *c, char *out, size_t n)
{
    if (c->ccnet)
        snprintf(out, n, "lines v1 bucket=%llu mode=ccnet", (unsigned long long)c->bucket_docs);
    else
        snprintf(out, n, "lines v1 bucket=%llu max=%u mode=llama3",
                 (unsigned long long)c->bucket_docs, c->max_repeats);
}

static bool is_ws(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool wn_lines_hash(const char *line, size_t len, uint64_t *hash)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    char buf[512];
    size_t bl = 0, i = 0;
    bool any = false;
    while (i < len) {
        while (i < len && is_ws((unsigned char)line[i])) i++;
        if (i >= len) break;
        if (any) buf[bl++] = ' ';
        while (i < len && !is_ws((unsigned char)line[i])) {
            unsigned char c = (unsigned char)line[i++];
            buf[bl++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            if (bl >= sizeof buf - 1) {
                XXH3_64bits_update(&st, buf, bl);
                bl = 0;
            }
        }
        any = true;
    }
    if (bl) XXH3_64bits_update(&st, buf, bl);
    *hash = XXH3_64bits_digest(&st);
    return any;
}

int wn_lines_rec_cmp(const void *pa, const void *pb)
{
    const wn_dedup_line_rec *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    if (a->uid != b->uid) return a->uid < b->uid ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}
