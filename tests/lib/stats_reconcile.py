#!/usr/bin/env python3
"""Every stage of the given *.stats.json files (or of every one under the given
directories) reconciles: documents in = kept + removed by reason + errors, i.e.
docs_in == docs_out + sum(drops[*].docs) + sum(errors[*].count) (core/stats.h), and
each stage gets what the one before kept: its docs_in is the docs_out of the source or
stage before it (core/runner.c counts a document at each stage it reaches).

A stats file is a run record {"source": {...}, "stages": [{...}, ...]} (core/runner.h) or
one stage's counters at its top level; each stage object has docs_in, docs_out, drops and
errors. Prints one line per stage that does not reconcile (file, stage, the numbers) and
exits 1 if any; exits 2 when no stats file was found (a check that checked nothing)."""
import json
import os
import sys


def stage_objects(record):
    """The stage counters of one stats.json record."""
    if "docs_in" in record:
        yield record
    if isinstance(record.get("source"), dict):
        yield record["source"]
    for stage in record.get("stages") or []:
        yield stage


def unreconciled(path):
    with open(path) as f:
        record = json.load(f)
    for s in stage_objects(record):
        removed = sum(d["docs"] for d in (s.get("drops") or {}).values())
        errors = sum(e["count"] for e in (s.get("errors") or {}).values())
        if s["docs_in"] != s["docs_out"] + removed + errors:
            yield "%s: stage '%s': docs_in %d != docs_out %d + removed %d + errors %d" % (
                path, s.get("stage", "?"), s["docs_in"], s["docs_out"], removed, errors)
    chain = ([record["source"]] if isinstance(record.get("source"), dict) else []) + \
        (record.get("stages") or [])
    for before, s in zip(chain, chain[1:]):
        if s["docs_in"] != before["docs_out"]:
            yield "%s: stage '%s': docs_in %d != docs_out %d of '%s' before it" % (
                path, s.get("stage", "?"), s["docs_in"], before["docs_out"], before.get("stage", "?"))


def stats_files(args):
    for a in args:
        if os.path.isdir(a):
            for root, dirs, files in os.walk(a):
                dirs.sort()
                for name in sorted(files):
                    if name.endswith(".stats.json"):
                        yield os.path.join(root, name)
        else:
            yield a


def main():
    files = list(stats_files(sys.argv[1:]))
    bad = [line for p in files for line in unreconciled(p)]
    for line in bad:
        print(line)
    if not files:
        print("no *.stats.json found under: %s" % " ".join(sys.argv[1:]))
        return 2
    print("stats reconcile: %d files, %d mismatches" % (len(files), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
