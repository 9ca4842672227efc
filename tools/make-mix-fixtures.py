#!/usr/bin/env python3
"""Writes tests/data/mix/{web,code,multilingual}.{bin,idx}: small real tokenized sources for
the mix tests, written independently of winnow's own Megatron writer.

Source: ../shared/data/tokenizer/golden.jsonl - real text snippets with their Llama 3 token
ids from the official HF `tokenizers` binding (see ../shared/data/README.md for licenses:
Brown corpus, SpamAssassin PDDL/CC0, Debian docs, Python PSF, Unicode data). Each document
is [128000 <|begin_of_text|>] + ids, one Megatron sequence per document, dtype int32 (code 4),
laid out as ../shared/FORMATS.md (a) describes (NVIDIA/Megatron-LM indexed_dataset.py).

Usage: python3 tools/make-mix-fixtures.py [../shared/data/tokenizer/golden.jsonl]
"""
import json
import os
import struct
import sys

GROUPS = {
    "web": ["english-prose", "email", "contractions", "numbers-tables"],
    "code": ["code-c", "code-python", "code-shell-perl", "code-markup-config"],
    "multilingual": ["cjk", "rtl", "other-scripts", "latin-european", "emoji"],
}
MAX_TOKENS = 25000  # per source, to keep the repository small


def write_megatron(prefix, docs):
    lengths = [len(d) for d in docs]
    with open(prefix + ".bin", "wb") as f:
        for d in docs:
            f.write(struct.pack("<%di" % len(d), *d))
    pointers, at = [], 0
    for n in lengths:
        pointers.append(at)
        at += 4 * n
    with open(prefix + ".idx", "wb") as f:
        f.write(b"MMIDIDX\x00\x00")
        f.write(struct.pack("<Q", 1))
        f.write(struct.pack("<B", 4))
        f.write(struct.pack("<Q", len(docs)))
        f.write(struct.pack("<Q", len(docs) + 1))
        f.write(struct.pack("<%di" % len(lengths), *lengths))
        f.write(struct.pack("<%dq" % len(pointers), *pointers))
        f.write(struct.pack("<%dq" % (len(docs) + 1), *range(len(docs) + 1)))


def main():
    golden = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/tokenizer/golden.jsonl"
    rows = [json.loads(line) for line in open(golden, encoding="utf-8")]
    out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "mix")
    os.makedirs(out, exist_ok=True)
    for name, cats in GROUPS.items():
        docs, total = [], 0
        for r in rows:
            if r["cat"] in cats and r["ids"] and total + len(r["ids"]) + 1 <= MAX_TOKENS:
                docs.append([128000] + r["ids"])
                total += len(r["ids"]) + 1
        write_megatron(os.path.join(out, name), docs)
        print(name, len(docs), "documents", total, "tokens")


if __name__ == "__main__":
    main()
