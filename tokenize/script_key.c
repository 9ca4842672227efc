/* script_key.c: a text's commonest script (ICU), for grouping documents (script_key.h). */
#include "tokenize/script_key.h"

#include <pthread.h>
#include <string.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

/* The sample: an eighth of the text, at least 32 and at most 256 bytes, from its middle.
 * Its cost is about a nanosecond a byte against ~10 to encode one. On the multilingual mix
 * (pages of 240 bytes on average) 32 bytes grouped as well as 64 and 128 did within the
 * noise, and 128 cost 0.8 ms more a pass of 15 (docs/tokenize.md, twenty-fourth session). */
enum { SAMPLE_MIN = 32, SAMPLE_MAX = 256, MAX_ACCENTS = 8 };

/* A letter of another script counts as this many Latin ones: a record's JSON keys and
 * metadata are ASCII, and the sample of a short record's middle can fall among them. On the
 * 6,548 labelled paragraphs of ../shared/data/langid, the script of the text's language
 * came out for 97.8% of the texts and 95.8% of the raw records counting alike, 99.5% and
 * 98.7% at 4 to 1 (99.8% and 99.4% at 8 to 1, which would make an English text with a
 * Greek letter every 8 Latin ones Greek). */
enum { OTHER_SCRIPT_WEIGHT = 4 };

/* ICU's script of each BMP code point (uscript_getScript per character cost ~10 ns; this
 * is one load), USCRIPT_COMMON for Common, Inherited and unassigned. Filled once, 64 KB. */
static uint8_t g_bmp_script[0x10000];
static pthread_once_t g_bmp_once = PTHREAD_ONCE_INIT;

static void bmp_script_fill(void)
{
    for (UChar32 c = 0; c < 0x10000; c++) {
        UErrorCode err = U_ZERO_ERROR;
        UScriptCode sc = uscript_getScript(c, &err);
        if (U_FAILURE(err) || sc == USCRIPT_INHERITED || sc == USCRIPT_UNKNOWN || sc > 255)
            sc = USCRIPT_COMMON;
        g_bmp_script[c] = (uint8_t)sc;
    }
}

/* The Latin letters outside ASCII a sample has, with their counts (the first MAX_ACCENTS
 * kinds: a sample with more has no commonest worth the name). */
typedef struct accents {
    UChar32 letter[MAX_ACCENTS];
    int count[MAX_ACCENTS];
    int n;
} accents;

static void accents_add(accents *a, UChar32 c)
{
    for (int k = 0; k < a->n; k++)
        if (a->letter[k] == c) {
            a->count[k]++;
            return;
        }
    if (a->n < MAX_ACCENTS) {
        a->letter[a->n] = c;
        a->count[a->n++] = 1;
    }
}

/* The commonest, the smallest of equals (so that it does not depend on the sample's order);
 * 0 for none. */
static uint32_t accents_top(const accents *a)
{
    UChar32 best = 0;
    int best_count = 0;
    for (int k = 0; k < a->n; k++)
        if (a->count[k] > best_count || (a->count[k] == best_count && a->letter[k] < best)) {
            best = a->letter[k];
            best_count = a->count[k];
        }
    return (uint32_t)best;
}

uint64_t wn_script_key(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    pthread_once(&g_bmp_once, bmp_script_fill);
    size_t want = n / 8 < SAMPLE_MIN ? SAMPLE_MIN : n / 8 > SAMPLE_MAX ? SAMPLE_MAX : n / 8;
    size_t from = n > want ? (n - want) / 2 : 0;
    const uint8_t *u = (const uint8_t *)s;
    while (from < n && U8_IS_TRAIL(u[from])) /* from a character's first byte */
        from++;
    u += from;
    int32_t end = (int32_t)(n - from < want ? n - from : want);

    uint8_t count[256]; /* letters by script (a sample has at most 256 bytes) */
    memset(count, 0, sizeof count);
    accents acc = { .n = 0 };
    int ascii_letters = 0, script = USCRIPT_COMMON, most = 0;
    for (int32_t k = 0; k < end;) {
        if (u[k] < 0x80) { /* most of most texts: no table */
            ascii_letters += (unsigned)((u[k] | 0x20) - 'a') < 26;
            k++;
            continue;
        }
        UChar32 c;
        U8_NEXT(u, k, end, c);
        if (c < 0 || c >= 0x10000) /* invalid, or an emoji or rare letter: not counted */
            continue;
        int sc = g_bmp_script[c];
        if (sc == USCRIPT_COMMON)
            continue;
        if (++count[sc] > most) {
            most = count[sc];
            script = sc;
        }
        if (sc == USCRIPT_LATIN)
            accents_add(&acc, c);
    }
    if (ascii_letters + count[USCRIPT_LATIN] > OTHER_SCRIPT_WEIGHT * most)
        script = USCRIPT_LATIN;
    /* Japanese writes Han and kana together; Chinese rarely has a kana */
    if ((script == USCRIPT_HAN || script == USCRIPT_KATAKANA) &&
        count[USCRIPT_HIRAGANA] + count[USCRIPT_KATAKANA] > 0)
        script = USCRIPT_HIRAGANA;
    uint32_t letter = script == USCRIPT_LATIN ? accents_top(&acc) : 0;
    return (uint64_t)(uint32_t)script << 32 | letter;
}
