"""dedup_peer.py: the peer the signature benchmark is compared with - a datatrove-style
numpy MinHash signature (datatrove MinhashDedupSignature.get_signature: xxh64 of each
" "-joined word 5-gram, (a*h + b) mod (2^61 - 1), low 32 bits, min over shingles; 14 x 8
= 112 hashes), words as text.lower().split(). Prints "peer: <MB/s> MB/s/core" per CPU second.
Run with Debian's python3 (python3-numpy, python3-xxhash)."""
import gzip, json, sys, time
import numpy as np
import xxhash

MERSENNE = np.uint64((1 << 61) - 1)
N_HASHES = 112

def load(paths):
    texts = []
    for p in paths:
        opener = gzip.open if p.endswith(".gz") else open
        with opener(p, "rt", encoding="utf-8") as f:
            texts.extend(json.loads(l)["text"] for l in f)
    return texts

def main():
    texts = load(sys.argv[1:])
    rng = np.random.RandomState(seed=1)
    a = rng.randint(1, int(MERSENNE), size=(1, N_HASHES), dtype=np.uint64)
    b = rng.randint(0, int(MERSENNE), size=(1, N_HASHES), dtype=np.uint64)
    nbytes = sum(len(t.encode()) for t in texts)
    t0 = time.process_time()
    for t in texts:
        w = t.lower().split()
        if len(w) < 5:
            continue
        sh = np.fromiter((xxhash.xxh64_intdigest(" ".join(w[i:i + 5])) for i in range(len(w) - 4)),
                         dtype=np.uint64).reshape((-1, 1))
        phv = np.bitwise_and((sh * a + b) % MERSENNE, np.uint64(0xFFFFFFFF))
        np.min(phv, axis=0).astype(np.uint32)
    dt = time.process_time() - t0
    print("peer: %.2f MB/s/core (CPU time; %d docs, %d bytes, %.1f s)" % (nbytes / dt / 1e6, len(texts), nbytes, dt))

main()
