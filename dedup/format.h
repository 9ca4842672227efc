/* format.h: the headered binary files that carry dedup state between phases.
 *
 * Every phase file (signatures, document tables, band-key runs, edges, clusters, removal
 * sets, line-hash runs, frequent-line sets) starts with the same 256-byte header, all
 * integers little-endian (spec: docs/dedup.md, "On-disk formats"):
 *
 *   off  size  field
 *     0     8  magic "WNDEDUP\0"
 *     8     4  u32 version (WN_DEDUP_FORMAT_VERSION)
 *    12     4  u32 kind (wn_dedup_kind)
 *    16     8  u64 config hash: XXH3-64 of the canonical config text below
 *    24     8  u64 record count
 *    32     4  u32 record size in bytes (0 = variable-size records)
 *    36     4  u32 shard index (producer's --shard I, or partition number)
 *    40     4  u32 shard count
 *    44    20  reserved, zero
 *    64   192  canonical config text, NUL-padded (e.g. "minhash v1 ngram=5 bands=14 rows=8
 *              seed=1"), so a refusal can say what differs
 *
 * Records follow the header. For fixed-size kinds the reader checks that the file size is
 * exactly 256 + count * record_size. A file of another kind, version or config is refused
 * with a message naming the file and both configs: state from different configurations is
 * never mixed.
 *
 * Ownership: a wn_dedup_file owns its FILE and buffers. Writers write to "<path>.tmp-<pid>"
 * and wn_dedup_file_commit renames into place (the same rule as core/io.h wn_out), so a
 * crashed phase leaves no file under the final name. Not thread-safe; one per thread.
 */
#ifndef WN_DEDUP_FORMAT_H
#define WN_DEDUP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define WN_DEDUP_MAGIC "WNDEDUP"
#define WN_DEDUP_FORMAT_VERSION 1u
#define WN_DEDUP_HEADER_SIZE 256u
#define WN_DEDUP_CONFIG_MAX 192u

typedef enum wn_dedup_kind {
    WN_DEDUP_KIND_SIGNATURES = 1, /* wn_dedup_sig_rec + u32 values[n_values]          */
    WN_DEDUP_KIND_DOCS = 2,       /* variable: wn_dedup_doc_rec, see wn_dedup_doc_read */
    WN_DEDUP_KIND_BANDS = 3,      /* wn_dedup_band_rec, sorted by (key, uid)           */
    WN_DEDUP_KIND_EDGES = 4,      /* wn_dedup_edge_rec (a < b)                          */
    WN_DEDUP_KIND_CLUSTERS = 5,   /* wn_dedup_cluster_rec, sorted by uid                */
    WN_DEDUP_KIND_REMOVE = 6,     /* wn_dedup_remove_rec, sorted by uid                 */
    WN_DEDUP_KIND_LINES = 7,      /* wn_dedup_line_rec, sorted by (hash, uid, line)     */
    WN_DEDUP_KIND_LINESET = 8,    /* wn_dedup_lineset_rec (lines.h), by (hash, bucket)  */
    WN_DEDUP_KIND_FILES = 9,      /* wn_dedup_files_rec, by file index                  */
    WN_DEDUP_KIND_SEM_ROWS = 10,  /* u64 uid, f32 v[d] (sem_files.h), by uid            */
    WN_DEDUP_KIND_SEM_CENTROIDS = 11, /* f32 v[d], one per k-means cluster              */
    WN_DEDUP_KIND_SEM_CLUSTER_ROWS = 12, /* u32 cluster, u32 0, u64 uid, f32 v[d], by
                                          * (cluster, uid)                              */
    WN_DEDUP_KIND_SEM_ASSIGN = 13, /* wn_sem_assign_rec (sem_files.h), by uid           */
    WN_DEDUP_KIND_FPRINT = 14,    /* wn_dedup_fprint_rec (fingerprint.h), by file index */
} wn_dedup_kind;

/* A document's identity everywhere in dedup: its input file's position in the sorted list
 * of ALL inputs (not the shard's slice) and its 0-based line (record) in that file, bad
 * lines included. It does not depend on --shard or thread count, sorting by uid is input
 * order, and a uid tells where its document is. */
#define WN_DEDUP_UID(file, rec) (((uint64_t)(file) << 40) | (uint64_t)(rec))
#define WN_DEDUP_UID_FILE(uid) ((uint32_t)(((uid) >> 40) & 0x7fffffu))
#define WN_DEDUP_UID_REC(uid) ((uid) & ((1ull << 40) - 1))
/* Documents that come from a saved index (incremental dedup) carry this bit: they are
 * always kept, since the old corpus is not rewritten. */
#define WN_DEDUP_UID_INDEX (1ull << 63)

typedef struct wn_dedup_header {
    uint32_t version;
    uint32_t kind;
    uint64_t config_hash;
    uint64_t count;
    uint32_t record_size;
    uint32_t shard_index, shard_count;
    char config[WN_DEDUP_CONFIG_MAX + 1];
} wn_dedup_header;

/* Fixed-size records (packed by construction: only 8- and 4-byte fields, in that order). */
typedef struct wn_dedup_sig_rec {  /* followed by u32 values[n_values] on disk */
    uint64_t uid;
    uint32_t n_shingles; /* 0: empty or shorter than one shingle: no signature */
    uint32_t flags;      /* reserved */
} wn_dedup_sig_rec;

typedef struct wn_dedup_band_rec {
    uint64_t key_hi, key_lo; /* XXH3-128 of the band's values, seeded with the band index */
    uint64_t uid;
} wn_dedup_band_rec;

typedef struct wn_dedup_edge_rec {
    uint64_t a, b; /* uids, a < b: "a and b share a band bucket" */
} wn_dedup_edge_rec;

typedef struct wn_dedup_cluster_rec {
    uint64_t uid;
    uint64_t cluster; /* uid of the cluster's smallest member (a stable cluster name) */
    uint32_t keep;    /* 1 for the one member the keep rule keeps */
    uint32_t size;    /* members in the cluster */
} wn_dedup_cluster_rec;

typedef struct wn_dedup_remove_rec {
    uint64_t uid;
    uint64_t kept; /* uid of the cluster member kept in its place */
} wn_dedup_remove_rec;

typedef struct wn_dedup_line_rec {
    uint64_t hash;  /* XXH3-64 of the normalised line */
    uint64_t uid;   /* first document (in uid order) holding the line */
    uint32_t line;  /* line number of that first occurrence in the document */
    uint32_t count; /* occurrences this record stands for */
} wn_dedup_line_rec;

typedef struct wn_dedup_files_rec {
    uint64_t file;  /* index in the sorted list of all inputs */
    uint64_t docs;  /* records (lines) read from it (uids file:0 .. file:docs-1) */
} wn_dedup_files_rec;

/* Document table record (variable size on disk):
 *   u64 uid, u64 text_bytes, u16 id_len, u16 date_len, id bytes, date bytes.
 * date is the document's `created` (or metadata.date), ISO 8601, possibly empty. */
typedef struct wn_dedup_doc_rec {
    uint64_t uid;
    uint64_t text_bytes;
    char *id;   size_t id_len;   /* owned by the reader; valid until the next read */
    char *date; size_t date_len;
} wn_dedup_doc_rec;

typedef struct wn_dedup_file wn_dedup_file;

/* Create `path` (via a temporary) with the given header fields. NULL + message in err. */
wn_dedup_file *wn_dedup_file_create(const char *path, wn_dedup_kind kind, const char *config,
                                    uint32_t record_size, uint32_t shard_index,
                                    uint32_t shard_count, char *err, size_t errlen);
/* Write n fixed-size records (n * record_size bytes) or raw bytes of a variable record. */
int wn_dedup_file_write(wn_dedup_file *f, const void *rec, size_t bytes, uint64_t n_records);
/* Patch the record count into the header, close, rename into place. 0 on success. */
int wn_dedup_file_commit(wn_dedup_file *f, char *err, size_t errlen);
/* Close and delete the temporary. Accepts NULL. */
void wn_dedup_file_abort(wn_dedup_file *f);

/* Open for reading and check magic, version, kind and (when `config` is not NULL) that
 * the config matches; for fixed-size kinds also the file size. NULL + message such as
 * "'sig-00000.wsig' was made with config 'minhash v1 ngram=5 bands=20 rows=13 seed=1', this
 * run uses 'minhash v1 ngram=5 bands=14 rows=8 seed=1'; refusing to mix them". */
wn_dedup_file *wn_dedup_file_open(const char *path, wn_dedup_kind kind, const char *config,
                                  char *err, size_t errlen);
const wn_dedup_header *wn_dedup_file_header(const wn_dedup_file *f);
const char *wn_dedup_file_path(const wn_dedup_file *f);
/* Read up to n fixed-size records into dst; returns records read (0 at end), -1 on a
 * short or failed read (message in err of the file, see wn_dedup_file_error). */
long wn_dedup_file_read(wn_dedup_file *f, void *dst, size_t n);
/* Read the next document-table record; 1 read, 0 at end, -1 on a corrupt record. */
int wn_dedup_doc_read(wn_dedup_file *f, wn_dedup_doc_rec *d);
int wn_dedup_doc_write(wn_dedup_file *f, uint64_t uid, uint64_t text_bytes, const char *id,
                       size_t id_len, const char *date, size_t date_len);
const char *wn_dedup_file_error(const wn_dedup_file *f);
void wn_dedup_file_close(wn_dedup_file *f);

/* Hash of a canonical config text (XXH3-64). */
uint64_t wn_dedup_config_hash(const char *config);

#endif
