/* wordlist.c: literal multi-word matching with Hyperscan; see wordlist.h. */
#include "filter/wordlist.h"
#include "filter/text.h"
#include "filter/wordlist_scan.h"
#include "core/buf.h"
#include "core/args.h"
#include "core/io.h"
#include "core/utf8.h"

#include <ctype.h>
#include <dirent.h>
#include "core/log.h"

#include <hs/hs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The Hyperscan database is compiled on the first scan, not at load: compiling costs ~3 ms
 * per 100 entries, and most of the lists a chain loads are never scanned in a given run (the
 * default chain keeps English, so of the 28 LDNOOBW lists and their union only en.txt is
 * used): compiling them all was ~0.1 s per process. */
struct wn_wordlist {
    _Atomic(hs_database_t *) db; /* NULL until the first scan */
    pthread_mutex_t compiling;
    bool scan;
    wn_wl_entry *info; /* the entries as matched, in the order of sorted */
    wn_wl_scan *fast;  /* the count without Hyperscan, when the entries suit it */
    char **sorted; /* lowercased entries, sorted, for wn_wordlist_contains */
    size_t n;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum { WN_LIST_MAX_ENTRY = 8192 };

/* A list is text: one entry a line, UTF-8, an optional byte-order mark (Windows editors
 * write one; it would glue itself to the first entry), LF or CRLF. A NUL byte or bytes that
 * are not UTF-8 (a compressed list that was not named .gz, a Latin-1 file) are refused with
 * the line, so the list is not silently read as entries that never match. */
static int read_one(const char *path, char ***v, size_t *n, size_t *cap, char *err, size_t errlen)
{
    size_t len;
    char *text = wn_read_file(path, &len, err, errlen);
    if (!text)
        return -1;
    char *start = text;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        start += 3;
    size_t line = 0;
    for (char *p = start, *end = text + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *q = nl ? nl : end;
        char *a = p, *b = q;
        line++;
        const char *bad = memchr(a, '\0', (size_t)(b - a)) ? "a NUL byte (a binary file?)"
                          : wn_utf8_valid_prefix(a, (size_t)(b - a)) < (size_t)(b - a)
                              ? "bytes that are not UTF-8"
                              : NULL;
        if (bad) {
            snprintf(err, errlen, "'%s': line %zu: %s", path, line, bad);
            free(text);
            return -1;
        }
        while (a < b && isspace((unsigned char)*a)) a++;
        while (b > a && isspace((unsigned char)b[-1])) b--;
        /* Hyperscan refuses literals over ~16 KB, and only at the first scan, mid-run */
        if ((size_t)(b - a) > WN_LIST_MAX_ENTRY) {
            snprintf(err, errlen, "'%s': line %zu: an entry of %zu bytes (at most %d): not a "
                     "list of words, phrases or URLs?", path, line, (size_t)(b - a),
                     WN_LIST_MAX_ENTRY);
            free(text);
            return -1;
        }
        if (b > a) {
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 256;
                *v = wn_xrealloc(*v, *cap * sizeof **v);
            }
            (*v)[(*n)++] = wn_xstrndup(a, (size_t)(b - a));
        }
        p = q + 1;
    }
    free(text);
    return 0;
}

static int is_txt(const struct dirent *d)
{
    size_t k = strlen(d->d_name);
    return d->d_name[0] != '.' && k > 4 && !strcmp(d->d_name + k - 4, ".txt");
}

int wn_list_dir(const char *path, char ***files, size_t *n)
{
    struct stat stt;
    if (stat(path, &stt) != 0 || !S_ISDIR(stt.st_mode))
        return 0;
    struct dirent **ents;
    int k = scandir(path, &ents, is_txt, alphasort);
    *files = wn_xcalloc(k > 0 ? (size_t)k : 1, sizeof **files);
    *n = 0;
    for (int j = 0; j < k; j++) {
        wn_buf p = WN_BUF_INIT;
        wn_buf_appendf(&p, "%s/%s", path, ents[j]->d_name);
        (*files)[(*n)++] = wn_buf_detach(&p, NULL);
        free(ents[j]);
    }
    if (k > 0)
        free(ents);
    return 1;
}

int wn_list_read(char *const *paths, size_t n, char ***out, size_t *n_out, char *err,
                 size_t errlen)
{
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        char **files;
        size_t nf;
        if (wn_list_dir(paths[i], &files, &nf)) {
            int rc = 0;
            for (size_t j = 0; j < nf && !rc; j++)
                rc = read_one(files[j], &v, &cnt, &cap, err, errlen);
            wn_free_strv(files, nf);
            if (rc)
                goto fail;
        } else if (read_one(paths[i], &v, &cnt, &cap, err, errlen)) {
            goto fail;
        }
    }
    *out = v;
    *n_out = cnt;
    return 0;
fail:
    for (size_t i = 0; i < cnt; i++)
        free(v[i]);
    free(v);
    return -1;
}

static bool needs_boundary(int32_t cp)
{
    return wn_wl_word_char(cp) && !wn_text_spaceless(cp);
}

static char *normalize_entry(const char *s)
{
    size_t k = 0, n = strlen(s);
    char *o = wn_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        if (isalnum((unsigned char)s[i]))
            o[k++] = (char)tolower((unsigned char)s[i]);
    o[k] = '\0';
    return o;
}

wn_wordlist *wn_wordlist_load(char *const *paths, size_t n, bool normalize, bool scan,
                              char *err, size_t errlen)
{
    char **v;
    size_t cnt;
    if (wn_list_read(paths, n, &v, &cnt, err, errlen))
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < cnt; i++) {
        char *e = normalize ? normalize_entry(v[i]) : v[i];
        if (normalize)
            free(v[i]);
        for (char *c = e; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (*e)
            v[k++] = e;
        else
            free(e);
    }
    cnt = k;
    if (cnt > 1)
        qsort(v, cnt, sizeof *v, cmp_str);
    k = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (k && !strcmp(v[k - 1], v[i]))
            free(v[i]);
        else
            v[k++] = v[i];
    }
    cnt = k;
    if (cnt == 0) {
        snprintf(err, errlen, "no entries in '%s'%s", n ? paths[0] : "", n > 1 ? " and the other lists" : "");
        free(v);
        return NULL;
    }
    wn_wordlist *wl = wn_xcalloc(1, sizeof *wl);
    wl->sorted = v;
    wl->n = cnt;
    wl->info = wn_xcalloc(cnt, sizeof *wl->info);
    for (size_t i = 0; i < cnt; i++) {
        size_t len = strlen(v[i]);
        wl->info[i].word = v[i];
        wl->info[i].len = (uint32_t)len;
        wl->info[i].left = !normalize && needs_boundary(wn_wl_cp_at(v[i], len, 0));
        wl->info[i].right = !normalize && needs_boundary(wn_wl_cp_before(v[i], len));
    }
    wl->scan = scan;
    wl->fast = scan ? wn_wl_scan_new(wl->info, cnt) : NULL;
    pthread_mutex_init(&wl->compiling, NULL);
    return wl;
}

/* Compile the entries into one block-mode database, caseless. Failing on literals that were
 * read fine means Hyperscan ran out of resources: nothing to recover. */
static hs_database_t *compile(const wn_wordlist *wl)
{
    size_t cnt = wl->n;
    unsigned *flags = wn_xcalloc(cnt, sizeof *flags);
    unsigned *ids = wn_xcalloc(cnt, sizeof *ids);
    size_t *lens = wn_xcalloc(cnt, sizeof *lens);
    for (size_t i = 0; i < cnt; i++) {
        flags[i] = HS_FLAG_CASELESS;
        ids[i] = (unsigned)i;
        lens[i] = wl->info[i].len;
    }
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    if (hs_compile_lit_multi((const char *const *)wl->sorted, flags, ids, lens, (unsigned)cnt,
                             HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS)
        wn_fatal("hyperscan cannot compile a word list of %zu entries: %s", cnt,
                 ce && ce->message ? ce->message : "unknown error");
    free(flags);
    free(ids);
    free(lens);
    return db;
}

/* The database, compiled by the first thread to ask (double-checked: the common case is one
 * atomic load). */
static const hs_database_t *database(wn_wordlist *wl)
{
    hs_database_t *db = atomic_load_explicit(&wl->db, memory_order_acquire);
    if (db || !wl->scan)
        return db;
    pthread_mutex_lock(&wl->compiling);
    db = atomic_load_explicit(&wl->db, memory_order_relaxed);
    if (!db) {
        db = compile(wl);
        atomic_store_explicit(&wl->db, db, memory_order_release);
    }
    pthread_mutex_unlock(&wl->compiling);
    return db;
}

void wn_wordlist_free(wn_wordlist *wl)
{
    if (!wl)
        return;
    hs_free_database(atomic_load(&wl->db));
    wn_wl_scan_free(wl->fast);
    pthread_mutex_destroy(&wl->compiling);
    for (size_t i = 0; i < wl->n; i++)
        free(wl->sorted[i]);
    free(wl->sorted);
    free(wl->info);
    free(wl);
}

size_t wn_wordlist_size(const wn_wordlist *wl)
{
    return wl->n;
}

typedef struct scan_ctx {
    const wn_wordlist *wl;
    const char *s;
    size_t n, count, limit;
} scan_ctx;

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
    scan_ctx *c = ctx;
    const wn_wl_entry *e = &c->wl->info[id];
    if (!wn_wl_match_ok(e, c->s, c->n, (size_t)to - e->len))
        return 0;
    c->count++;
    return c->limit && c->count >= c->limit;
}

/* One scratch per thread, grown for every database this thread scans. */
static _Thread_local hs_scratch_t *scratch;
static _Thread_local const void *scratch_for[16];
static _Thread_local size_t n_scratch_for;

static bool ensure_scratch(const hs_database_t *db)
{
    for (size_t i = 0; i < n_scratch_for; i++)
        if (scratch_for[i] == db)
            return true;
    if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS)
        return false;
    if (n_scratch_for < 16)
        scratch_for[n_scratch_for++] = db;
    return true;
}

/* Hyperscan takes an unsigned int length: huge texts are scanned in overlapping windows */
static const size_t window = (size_t)1 << 30;

size_t wn_wordlist_count(const wn_wordlist *wl, const char *s, size_t n, size_t limit)
{
    if (wl->fast && n <= window)
        return wn_wl_scan_count(wl->fast, s, n, limit);
    return wn_wordlist_count_hyperscan(wl, s, n, limit);
}

bool wn_wordlist_has_fast_count(const wn_wordlist *wl)
{
    return wl->fast != NULL;
}

/* Hyperscan 5.4's AVX-512 VBMI literal matcher reads up to a vector past the end of the
 * buffer it scans (vectorscan issue #322): a text whose end is within that of a page boundary
 * faults when the next page is not mapped (seen in the ASan build, whose heap has such
 * pages). Such a text is scanned from a copy with that much room after it. */
#define HS_OVERREAD 64
#define SMALLEST_PAGE 4096

static bool overread_may_fault(const char *p, size_t len)
{
    uintptr_t last = (uintptr_t)(p + len - 1);
    return last / SMALLEST_PAGE != (last + HS_OVERREAD) / SMALLEST_PAGE;
}

/* Scan the window w->s[0..w->n) (n > 0) into w; last: it ends the text (an earlier window
 * has the text's next bytes after it). */
static void scan_window(const hs_database_t *db, scan_ctx *w, bool last)
{
    char *copy = NULL;
    if (last && overread_may_fault(w->s, w->n)) {
        copy = wn_xmalloc(w->n + HS_OVERREAD);
        memcpy(copy, w->s, w->n);
        w->s = copy;
    }
    hs_scan(db, w->s, (unsigned)w->n, 0, scratch, on_match, w);
    free(copy);
}

size_t wn_wordlist_count_hyperscan(const wn_wordlist *wl, const char *s, size_t n, size_t limit)
{
    scan_ctx c = {wl, s, n, 0, limit};
    /* the database compiled on demand is a cache: the list stays logically read-only */
    const hs_database_t *db = n ? database((wn_wordlist *)wl) : NULL;
    if (!db || !ensure_scratch(db))
        return 0;
    for (size_t off = 0; off < n; off += window) {
        size_t len = n - off < window + 256 ? n - off : window + 256;
        scan_ctx w = {wl, s + off, len, 0, 0};
        scan_window(db, &w, len == n - off);
        c.count += w.count;
        if (len == n - off)
            break;
    }
    return limit && c.count > limit ? limit : c.count;
}

bool wn_wordlist_contains(const wn_wordlist *wl, const char *s, size_t n)
{
    char tmp[256];
    if (n >= sizeof tmp)
        return false;
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char)tolower((unsigned char)s[i]);
    tmp[n] = '\0';
    const char *key = tmp;
    return bsearch(&key, wl->sorted, wl->n, sizeof *wl->sorted, cmp_str) != NULL;
}
