/* wordlist_scan.h: the word lists' fast count (filter/wordlist.c's internals, not a stage API).
 *
 * Hyperscan reads every byte of a text for the ~400 English LDNOOBW entries (~1.2 GB/s on
 * prose, and its tables crowd the other filters' out of the caches), yet an entry that
 * starts with an ASCII letter or digit and needs a word boundary there can only start where
 * a run of ASCII letters and digits starts. This count looks up each such run start (found
 * 64 bytes at a time from bit masks) by the run's first 4 bytes and length, and the few
 * entries that start with a non-ASCII character at the non-ASCII bytes, then checks the
 * candidates exactly as the Hyperscan callback does: the same counts, as
 * tests/unit/test_filter_nsfw.c checks against Hyperscan on real and random texts. On the
 * filter bench's prose the chain gained ~5% (docs/filter.md, ninth session).
 */
#ifndef WN_FILTER_WORDLIST_SCAN_H
#define WN_FILTER_WORDLIST_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An entry as the matcher sees it: lowercased bytes (ASCII only, as Hyperscan's caseless
 * mode folds), and whether each side needs a word boundary in the text. */
typedef struct wn_wl_entry {
    const char *word;
    uint32_t len;
    bool left, right;
} wn_wl_entry;

typedef struct wn_wl_scan wn_wl_scan;

/* The fast count of these entries, or NULL when the list does not suit it (an entry that
 * starts with an ASCII character other than a letter or digit, or without a boundary
 * there, a one-byte entry, more than a few entries starting outside ASCII). The entries
 * must outlive it. */
wn_wl_scan *wn_wl_scan_new(const wn_wl_entry *e, size_t n);
void wn_wl_scan_free(wn_wl_scan *f);

/* Matches of the entries in s[0..n) as Hyperscan counts them (each entry at each end
 * offset, overlaps included), boundaries checked as wn_wl_match_ok; stops at `limit`
 * (0 = no limit) and returns at most limit. */
size_t wn_wl_scan_count(const wn_wl_scan *f, const char *s, size_t n, size_t limit);

/* Whether entry e found at s[start .. start + e->len) of s[0..n) counts: each side that
 * needs a word boundary has no word character (wn_wl_word_char) next to it. */
bool wn_wl_match_ok(const wn_wl_entry *e, const char *s, size_t n, size_t start);

/* The code point starting at s[i] of s[0..n), or ending just before s[i]; -1 when there is
 * none or the bytes are not UTF-8. */
int32_t wn_wl_cp_at(const char *s, size_t n, size_t i);
int32_t wn_wl_cp_before(const char *s, size_t i);

/* A letter or digit for ICU (alphanumeric or alphabetic); false for -1. */
bool wn_wl_word_char(int32_t cp);

#endif
