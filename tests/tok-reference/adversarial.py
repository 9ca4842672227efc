"""adversarial.py SEED N OUT.jsonl: N texts that stress the Llama 3 pre-tokenizer and BPE.

Each text is 1 to 40 pieces drawn at random from the pieces below: every branch of the
pattern (contractions in all cases and with U+017F, letters after a non-letter, digit runs
of every length, punctuation runs ending in newlines, each Unicode White_Space character and
some look-alikes that are not, \\s+(?!\\S) before letters), letters and marks of many scripts
(marks are not letters: Devanagari vowel signs split words), numbers that are not decimal
digits, emoji sequences, private-use and noncharacters, C0/C1 controls, and special-token
names, which must stay plain text. Every tenth text is instead one long piece (65 bytes to a
few KB: BPE by windows, tokenize/bpe_windows.c): a piece repeated 20 to 400 times (a run of
one character, of spaces, of '-', of a CJK word), or 20 to 300 pieces of letters run
together. Deterministic for a seed."""
import json
import random
import sys

PIECES = [
    *"abcxyzABCXYZ", "the", "The", "HELLO", "don", "I", "we", "you",
    *"0123456789", "1234567", "3.14", "1,000",
    *" !\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~", "\u2019",
    "'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'lL",
    "'d", "'D", "'\u017f", "'K",
    " ", "  ", "   ", "\t", "\n", "\r", "\r\n", "\n\n", " \n", "\t\n", "\u000b", "\u000c",
    "\u0085", "\u00a0", "\u1680", "\u2000", "\u2003", "\u200a", "\u2028", "\u2029", "\u202f",
    "\u205f", "\u3000", "\u200b", "\u180e", "\ufeff",
    "\u00e9", "\u00c9", "\u00df", "\u1e9e", "\u00f8", "\u0142", "\u0131", "\u0130", "\u01c5",
    "\u02bc", "\u02c6", "\u00aa", "\u00ba",
    "\u043f\u0440\u0438\u0432\u0435\u0442", "\u041c\u043e\u0441\u043a\u0432\u0430", "\u0451",
    "\u0401", "\u043c\u0438\u0440", "\u0452", "\u0457",
    "\u03b3\u03b5\u03b9\u03ac", "\u03a9", "\u03c2",
    "\u4e2d\u6587", "\u6c49\u5b57", "\u65e5\u672c\u8a9e", "\u306e", "\u30ab\u30bf\u30ab\u30ca",
    "\u30fc", "\u3005", "\u3006", "\ud55c\uad6d\uc5b4", "\u3131", "\uac00",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629", "\u0627\u0644", "\u0640", "\u064b", "\u0670",
    "\u05e9\u05dc\u05d5\u05dd", "\u05b0",
    "\u0939\u093f\u0928\u094d\u0926\u0940", "\u093f", "\u094d", "\u0915",
    "\u0ba4\u0bae\u0bbf\u0bb4\u0bcd", "\u0e44\u0e17\u0e22", "\u0e31", "\u0e9e\u0eb2\u0eaa\u0eb2",
    "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8", "\u0540\u0561\u0575", "\u16a0", "\ua4d0",
    "\U00010348", "\U0001d518", "\U0001d7d8",
    "\u0301", "\u0308", "e\u0301", "\u20dd", "\u1ab0",
    "\u0660\u0661\u0662", "\u0969\u096a", "\u0be7", "\u00b2", "\u00b3", "\u00b9", "\u00bd",
    "\u00be", "\u216b", "\u217b", "\u2460", "\u3007", "\U0001d7d9", "\u1369", "\u0ed2",
    "\u20ac", "\u00a3", "\u00a9", "\u00ae", "\u2122", "\u00b0", "\u00b1", "\u00d7", "\u00f7",
    "\u2192", "\u2211", "\u221a", "\u221e", "\u2026", "\u2014", "\u2013", "\u00ab", "\u00bb",
    "\u201c", "\u201d", "\u201e", "\u2022", "\u00b7",
    "\U0001f600", "\U0001f44d\U0001f3fd", "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "\u2764\ufe0f", "\U0001f1e9\U0001f1ea", "\U0001f3f3\ufe0f\u200d\U0001f308", "\ufe0f",
    "\u200d", "\U0001f004", "\U00013000",
    "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>", "<|", "|>",
    "http://example.com/a?b=c&d=e", "foo@bar.org", "snake_case", "camelCase", "x86_64", "C++",
    "--", "...", "!!!", "???",
    "\x01", "\x07", "\x1b", "\x7f", "\u0080", "\u009f",
    "\ue000", "\U000f0000", "\ufffd", "\ufdd0", "\uffff",
]


LETTERS = [p for p in PIECES if p.isalpha()]


def long_piece(rng):
    if rng.random() < 0.5:
        return rng.choice(PIECES) * rng.randint(20, 400)
    return "".join(rng.choice(LETTERS) for _ in range(rng.randint(20, 300)))


def main():
    seed, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            if i % 10 == 9:
                text = long_piece(rng)
            else:
                k = rng.choice((1, 2, 3, 5, 8, 13, 21, 40))
                text = "".join(rng.choice(PIECES) for _ in range(k))
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")


main()
