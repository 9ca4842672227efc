/* annotate_store.c: append-only answer records and resumption; see annotate_store.h. */
#include "classify/annotate_store.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *join(const char *dir, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", dir, name);
    return wn_buf_detach(&b, NULL);
}

typedef void (*record_fn)(void *ctx, uint64_t n, json_t *rec);

/* Reads every complete line of path; cuts a torn tail (no final newline) off the file.
 * Lines that are not records (cannot happen short of editing) are warned about once and
 * skipped: their documents are simply asked again. Returns 0, or -1 on an I/O error. */
static int scan_records(const char *path, size_t size, record_fn fn, void *ctx, uint64_t *torn)
{
    char err[512];
    size_t len;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return 0; /* a first run */
    char *text = wn_read_file(path, &len, err, sizeof err);
    if (!text) {
        wn_error("cannot read '%s': %s", path, err);
        return -1;
    }
    size_t pos = 0, bad = 0, line_no = 0;
    while (pos < len) {
        char *nl = memchr(text + pos, '\n', len - pos);
        if (!nl) {
            if (truncate(path, (off_t)pos) != 0) {
                wn_error("cannot cut the torn last line of '%s': %s", path, strerror(errno));
                free(text);
                return -1;
            }
            (*torn)++;
            break;
        }
        line_no++;
        json_t *rec = json_loadb(text + pos, (size_t)(nl - text) - pos, 0, NULL);
        json_t *n = json_object_get(rec, "n");
        if (json_is_integer(n) && json_integer_value(n) >= 0 && (size_t)json_integer_value(n) < size)
            fn(ctx, (uint64_t)json_integer_value(n), rec);
        else if (bad++ == 0)
            wn_warn("'%s' line %zu is not an annotation record; its document will be asked again",
                    path, line_no);
        json_decref(rec);
        pos = (size_t)(nl - text) + 1;
    }
    free(text);
    return 0;
}

static void mark_done(void *ctx, uint64_t n, json_t *rec)
{
    wn_ann_store *s = ctx;
    (void)rec;
    if (!wn_ann_store_is_done(s, n))
        s->resumed++;
    s->done[n / 8] |= (uint8_t)(1u << (n % 8));
}

static int open_one(const char *dir, const char *name, wn_ann_store *s, uint64_t *count)
{
    char *path = join(dir, name);
    uint64_t before = s->resumed;
    int fd = -1;
    if (scan_records(path, s->size, mark_done, s, &s->torn) == 0) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            wn_error("cannot open '%s': %s", path, strerror(errno));
    }
    *count = s->resumed - before;
    free(path);
    return fd;
}

int wn_ann_store_open(wn_ann_store *s, const char *dir, size_t size)
{
    memset(s, 0, sizeof *s);
    s->labels_fd = s->unparseable_fd = -1;
    s->size = size;
    s->done = wn_xcalloc(size / 8 + 1, 1);
    s->labels_fd = open_one(dir, WN_ANN_LABELS, s, &s->labelled);
    if (s->labels_fd >= 0)
        s->unparseable_fd = open_one(dir, WN_ANN_UNPARSEABLE, s, &s->unparseable);
    if (s->labels_fd < 0 || s->unparseable_fd < 0) {
        wn_ann_store_close(s);
        return -1;
    }
    return 0;
}

void wn_ann_store_close(wn_ann_store *s)
{
    if (s->labels_fd >= 0)
        close(s->labels_fd);
    if (s->unparseable_fd >= 0)
        close(s->unparseable_fd);
    s->labels_fd = s->unparseable_fd = -1;
    free(s->done);
    s->done = NULL;
}

bool wn_ann_store_is_done(const wn_ann_store *s, uint64_t n)
{
    return n < s->size && (s->done[n / 8] >> (n % 8)) & 1u;
}

int wn_ann_store_append(wn_ann_store *s, bool unparseable, uint64_t n, const char *json,
                        size_t len)
{
    /* One write per record: with O_APPEND a killed run leaves at most one torn line. */
    char *line = wn_xmalloc(len + 1);
    memcpy(line, json, len);
    line[len] = '\n';
    int fd = unparseable ? s->unparseable_fd : s->labels_fd;
    size_t off = 0;
    while (off < len + 1) {
        ssize_t w = write(fd, line + off, len + 1 - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            wn_error("cannot append to '%s': %s",
                     unparseable ? WN_ANN_UNPARSEABLE : WN_ANN_LABELS, strerror(errno));
            free(line);
            return -1;
        }
        off += (size_t)w;
    }
    free(line);
    if (!wn_ann_store_is_done(s, n)) {
        s->done[n / 8] |= (uint8_t)(1u << (n % 8));
        if (unparseable)
            s->unparseable++;
        else
            s->labelled++;
    }
    return 0;
}

static void keep_label(void *ctx, uint64_t n, json_t *rec)
{
    char **labels = ctx;
    json_t *l = json_object_get(rec, "label");
    if (!json_is_string(l))
        return;
    free(labels[n]);
    labels[n] = wn_xstrdup(json_string_value(l));
}

int wn_ann_store_read_labels(const char *dir, size_t size, char ***labels)
{
    *labels = wn_xcalloc(size ? size : 1, sizeof **labels);
    char *path = join(dir, WN_ANN_LABELS);
    uint64_t torn = 0;
    int rc = scan_records(path, size, keep_label, *labels, &torn);
    free(path);
    return rc;
}
