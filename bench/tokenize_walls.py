"""tokenize_walls.py INPUT PREFIX [OPTION...]: the best of 3 wall times of
`winnow tokenize INPUT -o PREFIX OPTION...` at -j1 and at -j2, printed as "J1 J2" seconds.
Used by tok_bench.sh for the end-to-end figures (the load, JSON and writing included)."""
import subprocess
import sys
import time


def best_walls(input_path, prefix, extra, runs=3):
    best = {}
    for j in (1, 2):
        walls = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(["./winnow", "tokenize", "--quiet", "--force", "-j", str(j)] + extra +
                           [input_path, "-o", prefix], check=True)
            walls.append(time.perf_counter() - t0)
        best[j] = min(walls)
    return best[1], best[2]


if __name__ == "__main__":
    j1, j2 = best_walls(sys.argv[1], sys.argv[2], sys.argv[3:])
    print("%.4f %.4f" % (j1, j2))
