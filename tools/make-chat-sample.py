#!/usr/bin/env python3
"""Writes data/sample/chat/python-faq.jsonl: real question/answer conversations for the
finetune sample (configs/finetune.yaml), taken from the Python FAQ pages inside the sample
crawl data/sample/crawl/python311-docs-wget.warc.gz (Debian python3.11-doc 3.11.2, PSF-2.0):
each FAQ question heading (<h3>) becomes the user turn and the paragraphs under it the
assistant turn, as OpenAI-style {"messages": [...]} lines.

Usage: python3 tools/make-chat-sample.py
"""
import gzip
import json
import os
import re
from html.parser import HTMLParser

ROOT = os.path.join(os.path.dirname(__file__), "..")
WARC = os.path.join(ROOT, "data", "sample", "crawl", "python311-docs-wget.warc.gz")
OUT = os.path.join(ROOT, "data", "sample", "chat", "python-faq.jsonl")


def warc_responses(path):
    """(target URI, HTTP body) of every response record; .warc.gz is one gzip member per
    record, and gzip.open reads the members back to back."""
    data = gzip.open(path, "rb").read()
    at = 0
    while True:
        start = data.find(b"WARC/1.", at)
        if start < 0:
            return
        head_end = data.index(b"\r\n\r\n", start)
        head = data[start:head_end].decode("utf-8", "replace")
        length = int(re.search(r"Content-Length: (\d+)", head).group(1))
        block = data[head_end + 4:head_end + 4 + length]
        at = head_end + 4 + length
        if "WARC-Type: response" in head:
            uri = re.search(r"WARC-Target-URI: <?([^>\r\n]+)", head).group(1)
            yield uri, block.split(b"\r\n\r\n", 1)[-1]


class FAQ(HTMLParser):
    def __init__(self):
        super().__init__()
        self.pairs, self.q, self.a, self.tag = [], None, [], None

    def handle_starttag(self, tag, attrs):
        if tag in ("h3", "p"):
            self.tag = tag
            if tag == "h3":
                self.flush()
                self.q = ""
            else:
                self.a.append("")

    def handle_endtag(self, tag):
        if tag == self.tag:
            self.tag = None

    def handle_data(self, text):
        if self.tag == "h3" and self.q is not None:
            self.q += text
        elif self.tag == "p" and self.q is not None and self.a:
            self.a[-1] += text

    def flush(self):
        answer = "\n\n".join(" ".join(p.split()) for p in self.a if p.strip())
        question = " ".join((self.q or "").replace("\u00b6", "").split())
        if question.endswith("?") and answer:
            self.pairs.append((question, answer))
        self.q, self.a = None, []


def main():
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    n = 0
    with open(OUT, "w", encoding="utf-8") as out:
        for uri, body in warc_responses(WARC):
            if "/faq/" not in uri or not uri.endswith(".html"):
                continue
            p = FAQ()
            p.feed(body.decode("utf-8", "replace"))
            p.flush()
            for q, a in p.pairs:
                msg = [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
                out.write(json.dumps({"id": "%s#%d" % (uri, n), "messages": msg},
                                     ensure_ascii=False) + "\n")
                n += 1
    print(n, "conversations")


if __name__ == "__main__":
    main()
