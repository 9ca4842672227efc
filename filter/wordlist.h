/* wordlist.h: many literal words matched at once with Hyperscan (one scan per text, not a
 * loop over words), for the dirty-word and URL filters.
 *
 * Entries are literals, ASCII-caseless. A side of an entry that ends in a word character
 * must meet a word boundary in the text (whole words where words are spaced), except when
 * that character belongs to a script written without spaces (CJK, Thai...), where the
 * entry matches as a substring, as the LDNOOBW lists for those languages expect.
 *
 * Lists are files with one entry per line (surrounding whitespace removed, empty lines
 * skipped), or directories, meaning every *.txt file in them in name order.
 *
 * Thread safety: a built wordlist is read-only; wn_wordlist_count may run on many threads
 * (each keeps its own Hyperscan scratch in thread-local storage).
 */
#ifndef WN_FILTER_WORDLIST_H
#define WN_FILTER_WORDLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wn_wordlist wn_wordlist;

/* Read entries from files or directories. With `normalize`, each entry is lowercased and
 * keeps only [a-z0-9] (for matching URLs reduced the same way). `scan` makes the list
 * scannable by wn_wordlist_count (a list used only for exact lookups is not); its Hyperscan
 * database is compiled by the first wn_wordlist_count, once, so lists a run never scans cost
 * no compilation. NULL + err on failure (unreadable file, or no entries at all). */
wn_wordlist *wn_wordlist_load(char *const *paths, size_t n, bool normalize, bool scan,
                              char *err, size_t errlen);
void wn_wordlist_free(wn_wordlist *wl);
size_t wn_wordlist_size(const wn_wordlist *wl);

/* Number of matches in (s, n); stops counting at `limit` (0 = no limit). The first call
 * compiles the database (thread-safe; wn_fatal if Hyperscan cannot, which for literals
 * that were read fine means it is out of resources). */
size_t wn_wordlist_count(const wn_wordlist *wl, const char *s, size_t n, size_t limit);

/* The same count by Hyperscan alone; wn_wordlist_count takes a faster exact way for lists
 * whose entries start with an ASCII letter or digit that needs a word boundary, save a few
 * (wordlist_scan.h: has_fast_count says whether it does). For tests. */
size_t wn_wordlist_count_hyperscan(const wn_wordlist *wl, const char *s, size_t n, size_t limit);
bool wn_wordlist_has_fast_count(const wn_wordlist *wl);

/* Entries as a sorted, de-duplicated string set (for exact word lookups). */
bool wn_wordlist_contains(const wn_wordlist *wl, const char *s, size_t n);

/* The list files of a directory (*.txt, name order) as full paths: 1 when `path` is a
 * directory (files set, free with wn_free_strv), 0 when it is not. */
int wn_list_dir(const char *path, char ***files, size_t *n);

/* Read the entries of list files/directories into a malloc'd string vector. */
int wn_list_read(char *const *paths, size_t n, char ***out, size_t *n_out, char *err,
                 size_t errlen);

#endif
