#!/usr/bin/env python3
"""The command lines a Markdown file shows, for the docs_examples*.sh tests.

doc_commands.py --sh FILE: every line of FILE's ```sh blocks (README's quick start).
doc_commands.py FILE...:   "NAME<TAB>command" for each winnow/mpirun line of the code blocks
                           (fenced without a language or ```sh, and 4-space indented), NAME
                           the file's base name. A synopsis's lines that continue it (starting
                           with "[") are joined to it.
In both, continuations ("\\" at the end) are joined and comments (" #...", outside quotes)
cut."""
import os
import sys


def strip_comment(s):
    q = None
    for i, c in enumerate(s):
        if q:
            q = None if c == q else q
        elif c in "'\"":
            q = c
        elif c == "#" and (i == 0 or s[i - 1].isspace()):
            return s[:i].rstrip()
    return s.rstrip()


def blocks(path, sh_only):
    """Yields the code blocks of path, each a list of lines."""
    fenced, block, prev_blank = None, None, True
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if fenced is not None:
            if line.startswith("```"):
                if fenced:
                    yield block
                fenced, block = None, None
            elif fenced:
                block.append(line)
            continue
        if line.startswith("```"):
            if block:
                yield block
            lang = line[3:].strip()
            fenced = lang == "sh" or (lang == "" and not sh_only)
            block = []
            continue
        if not sh_only and line.startswith("    ") and (block is not None or prev_blank):
            if block is None:
                block = []
            block.append(line[4:])
        elif block is not None and line.strip():
            yield block
            block = None
        prev_blank = not line.strip()
    if block:
        yield block


def commands(block, sh_only):
    out, pending = [], ""
    for line in block:
        line = strip_comment(line)
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line.strip(), ""
        if not line:
            continue
        if sh_only:
            out.append(line)
        elif line.startswith("[") and out:
            out[-1] += " " + line
        elif line.startswith(("winnow ", "mpirun ")):
            out.append(line)
    return out


def main():
    sh_only = sys.argv[1] == "--sh"
    for path in sys.argv[2:] if sh_only else sys.argv[1:]:
        for block in blocks(path, sh_only):
            for cmd in commands(block, sh_only):
                print(cmd if sh_only else "%s\t%s" % (os.path.basename(path), cmd))


main()
