/* script_key.h: which writing system a text is mostly in, as a number to sort documents by,
 * so that one thread encodes one script's documents one after another.
 *
 * Why: the tokenizer's per-thread piece cache learns the words it meets. Documents handed
 * out in input order give each thread a bit of every language, so with two threads both
 * caches learn every language's words: over the 43-language mix each thread ran 93-94 MB/s
 * against 100-101 for one thread over all of it (docs/tokenize.md, twenty-third session).
 * The same documents grouped by script ran 116-120 MB/s on one thread.
 *
 * The key is cheap (a sample of 32 to 256 bytes, one table load per letter outside ASCII)
 * and only orders work: it never changes a document's ids.
 */
#ifndef WN_SCRIPT_KEY_H
#define WN_SCRIPT_KEY_H

#include <stddef.h>
#include <stdint.h>

/* A key for text s[0..n) (any bytes; invalid UTF-8 is skipped): in the high 32 bits the
 * ICU script (UScriptCode) of most of the letters of a sample from the middle of the text
 * (a JSONL record's text, not its keys, when s is a whole record), Hiragana for Japanese
 * (kana with Han); in the low 32 bits, for Latin, the commonest letter outside ASCII (0 for
 * none), so that French and German fall apart from English. Equal texts get equal keys; a
 * text without letters gets 0. */
uint64_t wn_script_key(const char *s, size_t n);

#endif
