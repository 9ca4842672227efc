#!/usr/bin/env python3
"""Real JSONL at K times the size of the bench corpus (bench/scale.sh).

Copy 0 is the real documents (Brown prose and spam, web pages through winnow ingest, Debian
copyright files (every other one), README histories, the langid paragraphs). Copy k > 0 gives
every document a new id ('#k'), a new URL ('?copy=k') and new text: the lines of all the
documents of the same source, shuffled with seed k and dealt back in the original documents'
line counts. So repeats are real text but not all duplicates (a one-line document may meet a
line it had before; dedup finds those, as a crawl's repeats). Also writes, from the same
documents, chat conversations (user: the first line, assistant: the rest) and a fastText
training file (__label__<source>), for tokenize --chat and classify supervised.
usage: scale_corpus.py K WEB_JSONL SHARED_DATA OUTDIR
"""
import gzip, json, random, sys

k_copies, web, shared, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sources = [("quality", shared + "/quality/quality.jsonl.gz"), ("web", web),
           ("copyright", shared + "/dedup/copyright.jsonl.gz"),
           ("history", shared + "/dedup/doc-history.jsonl.gz"),
           ("langid", shared + "/langid/langid.jsonl.gz")]


def records(name, path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f):
            if name == "copyright" and n % 2:
                continue
            r = json.loads(line)
            r.setdefault("id", "%s:%d" % (name, n))
            yield r


docs_out = open(out + "/docs.jsonl", "w", encoding="utf-8")
chat_out = open(out + "/chat.jsonl", "w", encoding="utf-8")
train_out = open(out + "/train.txt", "w", encoding="utf-8")
for si, (name, path) in enumerate(sources):
    recs = list(records(name, path))
    lines = [r["text"].split("\n") for r in recs]
    pool = [l for ls in lines for l in ls]
    for k in range(k_copies):
        order = list(range(len(pool)))
        if k:
            random.Random(1000 * k + si).shuffle(order)
        at = 0
        for r, ls in zip(recs, lines):
            d = dict(r)
            if k:
                d["id"] = "%s#%d" % (r["id"], k)
                d["text"] = "\n".join(pool[i] for i in order[at:at + len(ls)])
                meta = d.get("metadata")
                if isinstance(meta, dict) and "url" in meta:
                    d["metadata"] = dict(meta, url=meta["url"] + "?copy=%d" % k)
            at += len(ls)
            docs_out.write(json.dumps(d, ensure_ascii=False) + "\n")
            first, _, rest = d["text"].partition("\n")
            if first.strip() and rest.strip():
                chat_out.write(json.dumps({"id": d["id"], "messages": [
                    {"role": "user", "content": first},
                    {"role": "assistant", "content": rest}]}, ensure_ascii=False) + "\n")
            train_out.write("__label__%s %s\n" % (name, " ".join(d["text"].split())))
