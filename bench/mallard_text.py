#!/usr/bin/env python3
"""mallard_text.py HELP_DIR OUT.jsonl: GNOME Help (Mallard .page XML, as Debian's
gnome-user-docs installs it under /usr/share/help/<lang>/) as JSONL text documents, one a
page, for the tokenizer bench's multilingual-12mb corpus.

A page's text is its block elements' text (titles, paragraphs, code), one paragraph a block;
the <info> header (credits, e-mail addresses, revisions) is left out. Paragraphs a
translation left in English (equal to one of the English pages' paragraphs) are dropped, so
each language's pages hold its own text. The pages of all languages are shuffled with a fixed
seed, as a corpus mixing languages document by document would have them.
"""
import json
import os
import random
import re
import sys
import xml.etree.ElementTree as ET

GUIDES = ("gnome-help", "system-admin-guide")
BLOCKS = {"p", "title", "subtitle", "desc", "code", "screen"}


def paragraphs(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return []
    out = []

    def walk(el):
        tag = el.tag.split("}")[-1]
        if tag == "info":
            return
        if tag in BLOCKS:
            raw = "".join(el.itertext())
            text = raw.strip("\n") if tag in ("code", "screen") else re.sub(r"[ \t\r\n]+", " ", raw).strip()
            if text:
                out.append(text)
            return
        for child in el:
            walk(child)

    walk(root)
    return out


def pages(help_dir, lang):
    for guide in GUIDES:
        d = os.path.join(help_dir, lang, guide)
        if os.path.isdir(d):
            for name in sorted(os.listdir(d)):
                if name.endswith(".page"):
                    yield paragraphs(os.path.join(d, name))


def main():
    help_dir, out_path = sys.argv[1], sys.argv[2]
    english = {p for page in pages(help_dir, "C") for p in page}
    docs = []
    for lang in sorted(os.listdir(help_dir)):
        for page in pages(help_dir, lang):
            kept = page if lang == "C" else [p for p in page if p not in english]
            if kept:
                docs.append("\n\n".join(kept))
    random.Random(20261124).shuffle(docs)
    with open(out_path, "w", encoding="utf-8") as f:
        for text in docs:
            f.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
