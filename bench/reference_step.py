"""numpy reference of one depth-1 adam + L*/F training step (docs/design/math.md 3.1-3.4), for bench/speed.ts.

Reads the problem bench/speed.ts wrote (so both sides train on the same data, mask and initialization), then times
`steps` steps per round for `rounds` rounds after `warmup` steps. Each step: residual on Omega, data gradient
(2/|Omega|)(W - M) on Omega, thin SVD (numpy.linalg.svd -> LAPACK dgesdd), ratio gradient
lambda*((U V^T)/F - (N/F^3) W), Adam (beta1 0.9, beta2 0.999, eps 1e-8, bias-corrected), W -= lr * update.
Prints one JSON line: ms per step of each round, peak RSS (getrusage), RSS after 100 and after 1000 steps (when
reached), and ||W||_F at the end (to check that both implementations computed the same thing). With TARGET, also
relError = ||W - W*||_F / ||W*||_F after every step (W* from the problem file), the first step after which it is
<= TARGET and the seconds to get there (the reference of `mcomplete run --stop-at-error TARGET`), and the final
relError.
Usage: python3 bench/reference_step.py PROBLEM_FILE STEPS ROUNDS WARMUP [TARGET]
"""
import json
import resource
import sys
import time

import numpy as np


def rss_kb():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return None


def main():
    path, steps, rounds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    target = float(sys.argv[5]) if len(sys.argv) > 5 else None
    with open(path, 'rb') as f:
        n, count = (int(x) for x in np.frombuffer(f.read(8), dtype=np.int32))
        lam, lr = np.frombuffer(f.read(16), dtype=np.float64)
        idx = np.frombuffer(f.read(4 * count), dtype=np.int32).astype(np.intp)
        vals = np.frombuffer(f.read(8 * count), dtype=np.float64).copy()
        W = np.frombuffer(f.read(8 * n * n), dtype=np.float64).copy().reshape(n, n)
        truth = np.frombuffer(f.read(8 * n * n), dtype=np.float64).copy().reshape(n, n) if target is not None else None
    truth_norm = np.linalg.norm(truth) if truth is not None else None
    hit = {}
    b1, b2, eps = 0.9, 0.999, 1e-8
    m1 = np.zeros_like(W)
    v2 = np.zeros_like(W)
    G = np.zeros_like(W)
    Gf = G.reshape(-1)
    Wf = W.reshape(-1)
    scale = 2.0 / count
    marks = {}

    def step(t):
        nonlocal W, G, m1, v2
        r = Wf[idx] - vals
        G.fill(0.0)
        Gf[idx] = scale * r
        U, s, Vt = np.linalg.svd(W, full_matrices=False)
        N = s.sum()
        F = np.sqrt(np.dot(s, s))
        G += (lam / F) * (U @ Vt)
        G -= (lam * N / F**3) * W
        m1 *= b1
        m1 += (1 - b1) * G
        v2 *= b2
        v2 += (1 - b2) * (G * G)
        mhat = m1 / (1 - b1**t)
        vhat = v2 / (1 - b2**t)
        W -= lr * mhat / (np.sqrt(vhat) + eps)
        if t in (100, 1000):
            marks[t] = rss_kb()
        if target is not None and 'step' not in hit and np.linalg.norm(W - truth) / truth_norm <= target:
            hit['step'] = t
            hit['seconds'] = time.perf_counter() - start

    t = 0
    start = time.perf_counter()
    for _ in range(warmup):
        t += 1
        step(t)
    per_round = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(steps):
            t += 1
            step(t)
        per_round.append((time.perf_counter() - t0) * 1000 / steps)
    print(json.dumps({
        'msPerStep': per_round,
        'maxRssKB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        'rssAfter100KB': marks.get(100),
        'rssAfter1000KB': marks.get(1000),
        'normW': float(np.linalg.norm(W)),
        'steps': t,
        'numpy': np.__version__,
        **({'relError': float(np.linalg.norm(W - truth) / truth_norm), 'seconds': time.perf_counter() - start,
            'targetStep': hit.get('step'), 'targetSeconds': hit.get('seconds')} if target is not None else {}),
    }))


if __name__ == '__main__':
    main()
