/* tok_classes.c: the code point classes the Llama 3 pattern needs (\s = White_Space,
 * \p{L}, \p{N}), taken from ICU once per process and kept in a two-level table so the
 * pre-tokenizer pays one or two loads per character and never calls ICU while encoding;
 * plus a bitmap of the letters of the Basic Multilingual Plane (8 KB), one load for each
 * character of a word outside ASCII. */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <pthread.h>
#include <string.h>
#include <unicode/uchar.h>

#define N_BLOCKS 0x1100 /* 0x110000 code points / 256 */

static wn_tok_classes g_classes;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static uint8_t icu_class(UChar32 c)
{
    if (c == ' ')
        return WN_TC_SPACE;
    if (c == '\r' || c == '\n')
        return WN_TC_CRLF;
    if (c == '\'')
        return WN_TC_APOS;
    if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE))
        return WN_TC_WS;
    switch (u_charType(c)) {
    case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER: case U_OTHER_LETTER:
        return WN_TC_LETTER;
    case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
        return WN_TC_NUMBER;
    default:
        return WN_TC_OTHER;
    }
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
    uint16_t *stage1 = wn_xmalloc(N_BLOCKS * sizeof *stage1);
    wn_buf blocks = WN_BUF_INIT;
    uint8_t block[256];
    size_t n_unique = 0;
    for (UChar32 hi = 0; hi < N_BLOCKS; hi++) {
        for (int lo = 0; lo < 256; lo++)
            block[lo] = icu_class((hi << 8) | lo);
        /* Most blocks repeat (unassigned planes, CJK, Hangul): share identical ones. */
        size_t k;
        for (k = 0; k < n_unique; k++)
            if (memcmp(blocks.data + k * 256, block, 256) == 0)
                break;
        if (k == n_unique) {
            wn_buf_append(&blocks, block, 256);
            n_unique++;
        }
        stage1[hi] = (uint16_t)k;
    }
    g_classes.stage1 = stage1;
    g_classes.blocks = (const uint8_t *)wn_buf_detach(&blocks, NULL);
    for (int c = 0; c < 128; c++)
        g_classes.ascii[c] = icu_class(c);
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
