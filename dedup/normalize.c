/* normalize.c: white-space-collapsed text hashing and URL normalisation. */
#include "dedup/normalize.h"

#include "dedup/minhash.h"

#include <ctype.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

static bool ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

bool wn_dedup_text_values(const char *text, size_t len, uint32_t out[4])
{
    XXH3_state_t state;
    XXH3_state_t *st = &state;
    XXH3_128bits_reset(st);
    size_t i = 0;
    bool any = false;
    while (i < len) {
        while (i < len && ascii_space((unsigned char)text[i])) i++;
        size_t start = i;
        while (i < len && !ascii_space((unsigned char)text[i])) i++;
        if (i > start) {
            if (any) XXH3_128bits_update(st, " ", 1);
            XXH3_128bits_update(st, text + start, i - start);
            any = true;
        }
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    out[0] = (uint32_t)h.high64; out[1] = (uint32_t)(h.high64 >> 32);
    out[2] = (uint32_t)h.low64;  out[3] = (uint32_t)(h.low64 >> 32);
    return any;
}

bool wn_dedup_url_normalize(const char *url, size_t len, wn_buf *out)
{
    wn_buf_reset(out);
    while (len && ascii_space((unsigned char)*url)) { url++; len--; }
    while (len && ascii_space((unsigned char)url[len - 1])) len--;
    const char *sep = len >= 3 ? memmem(url, len, "://", 3) : NULL;
    if (!sep || sep == url) return false;
    size_t slen = (size_t)(sep - url);
    for (size_t i = 0; i < slen; i++) wn_buf_appendc(out, (char)tolower((unsigned char)url[i]));
    wn_buf_append(out, "://", 3);
    const char *p = sep + 3, *end = url + len;
    const char *hash = memchr(p, '#', (size_t)(end - p));
    if (hash) end = hash;
    size_t auth_len = 0;
    while (p + auth_len < end && p[auth_len] != '/' && p[auth_len] != '?') auth_len++;
    const char *auth_end = p + auth_len;
    /* userinfo@ kept as is; host lowercased; default port dropped */
    const char *at = memchr(p, '@', auth_len);
    const char *host = at ? at + 1 : p;
    if (at) wn_buf_append(out, p, (size_t)(host - p));
    const char *colon = NULL;
    for (const char *q = auth_end; q > host; q--)
        if (q[-1] == ':') { colon = q - 1; break; } else if (q[-1] == ']') break;
    const char *host_end = colon ? colon : auth_end;
    if (host_end == host) return false;
    for (const char *q = host; q < host_end; q++) wn_buf_appendc(out, (char)tolower((unsigned char)*q));
    if (colon) {
        size_t plen = (size_t)(auth_end - colon - 1);
        bool dflt = plen == 0 || (slen == 4 && !strncmp(out->data, "http", 4) && plen == 2 &&
                                  !memcmp(colon + 1, "80", 2)) ||
                    (slen == 5 && !strncmp(out->data, "https", 5) && plen == 3 &&
                     !memcmp(colon + 1, "443", 3));
        if (!dflt) wn_buf_append(out, colon, (size_t)(auth_end - colon));
    }
    const char *path = auth_end;
    const char *query = memchr(path, '?', (size_t)(end - path));
    const char *path_end = query ? query : end;
    size_t plen = (size_t)(path_end - path);
    if (plen == 0) wn_buf_appendc(out, '/');
    else {
        if (plen > 1 && path[plen - 1] == '/') plen--;
        wn_buf_append(out, path, plen);
    }
    if (query) wn_buf_append(out, query, (size_t)(end - query));
    return true;
}
