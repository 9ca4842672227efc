/* urllist.h: UT1 / squidGuard `urls` lists: entries "host/path" that block one part of a
 * site (where a `domains` list blocks a whole domain and its subdomains).
 *
 * As squidGuard reads them: entries and URLs are lowercased, the scheme, user, port and a
 * leading "www", "web" or "ftp" label (with optional digits: www2.) are dropped, and an entry
 * matches a URL that starts with it when the URL ends there or continues with '/', '?' or
 * '#' ("example.com/adult" blocks example.com/adult/x and www.example.com/adult?p=2, not
 * example.com/adulteducation nor other.example.com/adult). An entry without a path blocks
 * only that host (subdomains are the `domains` list's job).
 *
 * Thread safety: read-only once loaded. */
#ifndef WN_FILTER_URLLIST_H
#define WN_FILTER_URLLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct wn_urllist wn_urllist;

/* Entries from list files or directories (as wordlist.h reads them). NULL + err on failure
 * (unreadable file, no entries). */
wn_urllist *wn_urllist_load(char *const *paths, size_t n, char *err, size_t errlen);
void wn_urllist_free(wn_urllist *ul);
size_t wn_urllist_size(const wn_urllist *ul);
/* Does an entry block this URL? */
bool wn_urllist_blocks(const wn_urllist *ul, const char *url, size_t n);

#endif
