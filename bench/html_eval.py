#!/usr/bin/env python3
"""html_eval.py: score HTML-to-text output with the article-extraction-benchmark's metric.

Re-implements scrapinghub/article-extraction-benchmark evaluate.py (MIT), commit 7d95432:
tokens are `\\w+` matches (Python re, Unicode, case kept), shingles are 4-token tuples
(a text with fewer than 4 tokens is one shorter shingle), per page TP/FP/FN are multiset
matches of shingles normalised to sum 1, precision and recall are macro-averaged over
pages (precision over pages with tp+fp > 0, recall over pages with tp+fn > 0), and
F1 = 2PR/(P+R). Bootstrap intervals are left out (they are random).

usage: html_eval.py GROUND_TRUTH.json PREDICTIONS.json [--worst N]
PREDICTIONS.json: {"<sha256>": {"articleBody": "..."}, ...} (bench/html_bench writes it)
"""
import json
import re
import statistics
import sys
from collections import Counter

_TOKEN_RE = re.compile(r'\w+', re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)


def tokenize(text):
    return _TOKEN_RE.findall(text or '')


def ngrams(text, n):
    tokens = tokenize(text)
    out = []
    for i in range(0, max(1, len(tokens) - n + 1)):
        shingle = tuple(tokens[i:i + n])
        if shingle:
            out.append(shingle)
    return out


def shingle_matching(true, pred, n=4):
    ts, ps = Counter(ngrams(true, n)), Counter(ngrams(pred, n))
    tp = fp = fn = 0.0
    for key in set(ts) | set(ps):
        t, p = ts.get(key, 0), ps.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    s = tp + fp + fn
    if s > 0:
        return tp / s, fp / s, fn / s
    return tp, fp, fn


def precision_score(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def recall_score(tp, fp, fn):
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


def metrics(rows):
    p = statistics.mean([precision_score(*r) for r in rows if r[0] + r[1] > 0])
    r = statistics.mean([recall_score(*r) for r in rows if r[0] + r[2] > 0])
    return p, r, 2 * p * r / (p + r)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    gt = json.load(open(sys.argv[1], encoding='utf8'))
    pred = json.load(open(sys.argv[2], encoding='utf8'))
    if gt.keys() != pred.keys():
        sys.exit('prediction keys do not match ground truth')
    keys = list(gt.keys())
    rows = [shingle_matching(gt[k].get('articleBody', ''), pred[k].get('articleBody', ''))
            for k in keys]
    p, r, f1 = metrics(rows)
    print(f'pages={len(keys)} precision={p:.3f} recall={r:.3f} F1={f1:.3f}')
    if '--worst' in sys.argv:
        n = int(sys.argv[sys.argv.index('--worst') + 1])
        scored = sorted(zip(keys, rows), key=lambda kr: kr[1][0])
        for k, (tp, fp, fn) in scored[:n]:
            print(f'  {k[:12]} tp={tp:.2f} fp={fp:.2f} fn={fn:.2f} {gt[k].get("url", "")}')


if __name__ == '__main__':
    main()
