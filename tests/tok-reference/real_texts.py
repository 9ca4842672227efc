"""real_texts.py SEED BYTES OUT.jsonl [SHARED_DATA]: about BYTES of real text, cut at random
from whatever the machine has, as {"text"} lines for compare.mjs.

adversarial.py builds texts from chosen pieces; this takes text nobody chose: the labelled
documents, web pages and WARC records of ../shared/data (when given), the Python standard
library's source, C headers, Debian's changelogs, and the translations of installed programs
(.mo catalogs: their msgstr strings in a hundred languages, with format directives, accelerator
keys and markup). Each text is a slice of one source, 1 byte to ~100 KB long (lengths
log-uniform, so short texts, where a piece meets the text's edges, are as common as long
ones), starting anywhere: in the middle of a word, of a line, of a run of spaces. Invalid
UTF-8 in a source is dropped before slicing (the JSON texts are valid UTF-8, as tiktoken's
strings are). Deterministic for a seed and a machine's files; the files are listed in
sorted order, so another machine gives other texts, each as real."""
import gettext
import glob
import gzip
import json
import os
import random
import sys
import sysconfig


def read_bytes(path):
    """The file's bytes; a gzip file's, as far as it decompresses (truncated archives too)."""
    if not path.endswith(".gz"):
        with open(path, "rb") as f:
            return f.read()
    chunks = []
    try:
        with gzip.open(path, "rb") as f:
            while True:
                c = f.read(1 << 16)
                if not c:
                    break
                chunks.append(c)
    except (OSError, EOFError):
        pass
    return b"".join(chunks)


def file_text(path):
    """The file's text, its invalid UTF-8 dropped."""
    return read_bytes(path).decode("utf-8", "ignore")


def jsonl_text(path):
    """The {"text"} of every record, one after another."""
    out = []
    for line in file_text(path).splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and isinstance(doc.get("text"), str):
            out.append(doc["text"])
    return "\n\n".join(out)


def mo_text(path):
    """The translations of a .mo catalog, a line each."""
    try:
        with open(path, "rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog
    except Exception:
        return ""
    return "\n".join(v for v in catalog.values() if isinstance(v, str) and v)


def sources(shared, rng):
    """The text of every source that has one, at most `cap` files of each kind (a sample
    drawn with rng)."""
    kinds = []
    if shared:
        kinds.append((sorted(glob.glob(f"{shared}/**/*.jsonl.gz", recursive=True)), jsonl_text, 50))
        web = sorted(p for p in glob.glob(f"{shared}/**/*", recursive=True)
                     if os.path.isfile(p) and (".warc" in p or p.endswith((".html", ".htm", ".txt"))))
        kinds.append((web, file_text, 200))
    stdlib = sysconfig.get_paths()["stdlib"]
    kinds.append((sorted(glob.glob(f"{stdlib}/**/*.py", recursive=True)), file_text, 400))
    kinds.append((sorted(glob.glob("/usr/include/**/*.h", recursive=True)), file_text, 400))
    kinds.append((sorted(glob.glob("/usr/share/doc/*/changelog*.gz")), file_text, 200))
    kinds.append((sorted(glob.glob("/usr/share/locale/*/LC_MESSAGES/*.mo")), mo_text, 400))
    for files, reader, cap in kinds:
        if len(files) > cap:
            files = sorted(rng.sample(files, cap))
        for path in files:
            try:
                text = reader(path)
            except OSError:
                continue
            if text:
                yield text


def main():
    seed, budget, out_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    shared = sys.argv[4] if len(sys.argv) > 4 and os.path.isdir(sys.argv[4]) else None
    rng = random.Random(seed)
    texts = list(sources(shared, rng))
    if not texts:
        sys.exit("no source texts found")
    total = count = 0
    with open(out_path, "w", encoding="utf-8") as out:
        while total < budget:
            src = texts[rng.randrange(len(texts))]
            length = min(len(src), int(2 ** rng.uniform(0, 17)))
            start = rng.randrange(len(src) - length + 1)
            text = src[start:start + length]
            out.write(json.dumps({"text": text}) + "\n")
            total += len(text.encode("utf-8"))
            count += 1
    print(f"{count} texts, {total} bytes, from {len(texts)} sources", file=sys.stderr)


if __name__ == "__main__":
    main()
