/* tok_classes.c: the code point classes the Llama 3 pattern needs (\s = White_Space,
 * \p{L}, \p{N}), taken from ICU once per process and kept in a two-level table so the
 * pre-tokenizer pays one or two loads per character and never calls ICU while encoding;
 * plus a bitmap of the letters of the Basic Multilingual Plane (8 KB), one load for each
 * character of a word outside ASCII. */
#include "tokenize/tok_internal.h"

#include "core/buf.h"
#include "core/log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/uset.h>
#include <xxhash.h>

#define N_BLOCKS 0x1100 /* 0x110000 code points / 256 */

static wn_tok_classes g_classes;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

uint8_t wn_tok_category_class(int type)
{
    switch (type) {
    case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER: case U_OTHER_LETTER:
        return WN_TC_LETTER;
    case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
        return WN_TC_NUMBER;
    default:
        return WN_TC_OTHER;
    }
}

/* u_enumCharTypes' callback: one range of code points of one category into the flat
 * table (the context). */
static UBool category_range(const void *flat, UChar32 start, UChar32 limit, UCharCategory type)
{
    uint8_t c = wn_tok_category_class(type);
    if (c != WN_TC_OTHER)
        memset((uint8_t *)(uintptr_t)flat + start, c, (size_t)(limit - start));
    return true;
}

/* Every code point's class into flat[0..0x110000), from ICU's ranges: its categories, then
 * White_Space over them, then the characters the pattern names. Asking ICU about each code
 * point in turn (u_charType, u_hasBinaryProperty) took ~7 ms of every process that loads a
 * tokenizer; the ranges take well under one. */
static void classes_from_icu(uint8_t *flat)
{
    memset(flat, WN_TC_OTHER, 0x110000);
    u_enumCharTypes(category_range, flat);
    UErrorCode status = U_ZERO_ERROR;
    const USet *ws = u_getBinaryPropertySet(UCHAR_WHITE_SPACE, &status);
    if (U_FAILURE(status))
        wn_fatal("ICU has no White_Space set: %s", u_errorName(status));
    for (int32_t i = 0, n = uset_getItemCount(ws); i < n; i++) {
        UChar32 start, end;
        if (uset_getItem(ws, i, &start, &end, NULL, 0, &status) == 0)
            memset(flat + start, WN_TC_WS, (size_t)(end - start + 1));
    }
    flat['\r'] = flat['\n'] = WN_TC_CRLF;
    flat[' '] = WN_TC_SPACE;
    flat['\''] = WN_TC_APOS;
}

static bool letters_from_to(const uint64_t *letters, uint32_t first, uint32_t last)
{
    for (uint32_t cp = first; cp <= last; cp++)
        if (!((letters[cp >> 6] >> (cp & 63)) & 1))
            return false;
    return true;
}

/* Whether the blocks pretok.h's cutter takes as letters by their lead bytes are letters
 * throughout (U+00C0..00FF but U+00D7 and U+00F7; U+0100..017F; U+0400..047F;
 * U+5000..9FFF; U+B000..CFFF): true since Unicode 14 (U+9FFD..9FFF). */
static bool wide_blocks_are_letters(const uint64_t *letters)
{
    return letters_from_to(letters, 0xC0, 0xD6) && letters_from_to(letters, 0xD8, 0xF6) &&
           letters_from_to(letters, 0xF8, 0x17F) && letters_from_to(letters, 0x400, 0x47F) &&
           letters_from_to(letters, 0x5000, 0x9FFF) && letters_from_to(letters, 0xB000, 0xCFFF);
}

static void build(void)
{
    uint8_t *flat = wn_xmalloc(0x110000);
    classes_from_icu(flat);
    uint16_t *stage1 = wn_xmalloc(N_BLOCKS * sizeof *stage1);
    wn_buf blocks = WN_BUF_INIT;
    /* Most blocks repeat (unassigned planes, CJK, Hangul): identical ones are shared, found
     * by a hash of the block (open addressing; a slot holds the block's number + 1). */
    enum { SEEN_SLOTS = 2 * N_BLOCKS };
    uint16_t *seen = wn_xcalloc(SEEN_SLOTS, sizeof *seen);
    size_t n_unique = 0;
    for (UChar32 hi = 0; hi < N_BLOCKS; hi++) {
        const uint8_t *block = flat + ((size_t)hi << 8);
        size_t i = XXH3_64bits(block, 256) % SEEN_SLOTS;
        while (seen[i] && memcmp(blocks.data + (size_t)(seen[i] - 1) * 256, block, 256) != 0)
            i = (i + 1) % SEEN_SLOTS;
        if (!seen[i]) {
            wn_buf_append(&blocks, block, 256);
            seen[i] = (uint16_t)++n_unique;
        }
        stage1[hi] = (uint16_t)(seen[i] - 1);
    }
    free(seen);
    g_classes.stage1 = stage1;
    g_classes.blocks = (const uint8_t *)wn_buf_detach(&blocks, NULL);
    memcpy(g_classes.ascii, flat, sizeof g_classes.ascii);
    free(flat);
    uint64_t *letters = wn_xcalloc(0x10000 / 64, sizeof *letters);
    for (uint32_t cp = 0; cp < 0x10000; cp++)
        if (g_classes.blocks[(size_t)stage1[cp >> 8] * 256 + (cp & 255)] == WN_TC_LETTER)
            letters[cp >> 6] |= 1ull << (cp & 63);
    g_classes.bmp_letters = letters;
    g_classes.wide_letters = wide_blocks_are_letters(letters);
#if defined(__x86_64__) && defined(__GNUC__)
    /* the encoder's loop with the masks is compiled for AVX2, BMI and BMI2 (encode.c) */
    g_classes.avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
                     __builtin_cpu_supports("bmi2");
#endif
}

const wn_tok_classes *wn_tok_classes_get(void)
{
    pthread_once(&g_once, build);
    return &g_classes;
}
