/* megatron.h: Megatron-LM indexed datasets (prefix.bin + prefix.idx), read and written.
 *
 * Follows NVIDIA/Megatron-LM@d98e8a6:megatron/core/datasets/indexed_dataset.py
 * (_INDEX_HEADER, DType, _IndexWriter, _IndexReader), as transcribed byte by byte in
 * ../shared/FORMATS.md (a): .bin is the raw little-endian tokens, .idx is the 9-byte magic
 * "MMIDIDX\0\0", u64 version 1, u8 dtype code, u64 S, u64 D, int32 lengths[S], int64 byte
 * pointers[S], int64 document_indices[D] (D = documents + 1, starting at 0).
 *
 * Two levels: a *sequence* is a run of tokens, a *document* a run of sequences. Tokenized
 * sources have one sequence per document. mix's packed output uses the two levels to keep
 * document boundaries: each packed training sample is one Megatron document, and the
 * pieces of source documents inside it are its sequences (see docs/mix.md).
 *
 * Ownership: a reader owns its index arrays and the mapping of .bin until wn_mg_close; token
 * pointers it hands out are copies into caller buffers. A writer owns its streams; the
 * files appear under their final names only when wn_mg_writer_commit succeeds.
 */
#ifndef WN_MIX_MEGATRON_H
#define WN_MIX_MEGATRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DType codes of indexed_dataset.py `class DType`. There is no uint32 code. */
enum {
    WN_MG_UINT8 = 1, WN_MG_INT8 = 2, WN_MG_INT16 = 3, WN_MG_INT32 = 4,
    WN_MG_INT64 = 5, WN_MG_FLOAT64 = 6, WN_MG_FLOAT32 = 7, WN_MG_UINT16 = 8,
};

/* Size in bytes of a dtype code's item, 0 for an unknown code. */
size_t wn_mg_itemsize(int dtype);
/* Megatron's DType.optimal_dtype: uint16 when vocab < 65500, else int32. */
int wn_mg_optimal_dtype(uint64_t vocab_size);

typedef struct wn_mg_reader {
    char *prefix;
    int dtype;
    size_t itemsize;
    uint64_t n_seqs, n_docs;  /* n_docs = documents (D - 1) */
    int32_t *seq_lens;        /* [n_seqs] */
    int64_t *seq_ptrs;        /* [n_seqs], byte offsets into .bin */
    int64_t *doc_index;       /* [n_docs + 1] */
    uint64_t n_tokens;        /* sum of seq_lens */
    const unsigned char *bin; /* mapped .bin (NULL when empty) */
    size_t bin_size;
} wn_mg_reader;

/* Open prefix.idx and prefix.bin, checking magic, version, dtype, that the file size is
 * what the header implies, and that pointers and document indices are consistent. Returns
 * 0, or -1 with "'<file>': <reason> at offset N" in err. */
int wn_mg_open(wn_mg_reader *r, const char *prefix, char *err, size_t errlen);
void wn_mg_close(wn_mg_reader *r);

/* Tokens of document k (all its sequences), and a copy of them as uint32 into dst (which
 * must hold wn_mg_doc_tokens(r, k) items). Token values of signed dtypes are taken as
 * unsigned ids; float dtypes are refused at open. */
uint64_t wn_mg_doc_tokens(const wn_mg_reader *r, uint64_t k);
void wn_mg_doc_copy(const wn_mg_reader *r, uint64_t k, uint32_t *dst);

typedef struct wn_mg_writer wn_mg_writer;

/* Start prefix.bin / prefix.idx (written under temporary names). dtype WN_MG_INT32 or
 * WN_MG_UINT16. NULL with a message in err on failure. */
wn_mg_writer *wn_mg_writer_open(const char *prefix, int dtype, char *err, size_t errlen);
/* Append one sequence of n tokens. A token that does not fit the dtype is an error (-1). */
int wn_mg_add_sequence(wn_mg_writer *w, const uint32_t *tokens, size_t n);
/* Close the current document (Megatron end_document). */
void wn_mg_end_document(wn_mg_writer *w);
/* Bytes of .bin written so far. */
uint64_t wn_mg_bin_bytes(const wn_mg_writer *w);
/* Write the index, rename both files into place, free the writer. 0 on success. */
int wn_mg_writer_commit(wn_mg_writer *w, char *err, size_t errlen);
/* Remove the temporaries and free. Accepts NULL. */
void wn_mg_writer_abort(wn_mg_writer *w);

#endif
