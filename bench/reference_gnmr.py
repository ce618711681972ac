"""scipy reference of GNMR for matrix completion (Zilber & Nadler, SIMODS 2022), for bench/gnmr.bench.ts.

Written from the paper's description with the authors' settings (docs/design/math.md 3.5b): the start is the top-r
singular vectors of P_Omega(X) (scipy.sparse.linalg.svds); each iteration solves
    min over (U~, V~) of || P_Omega(U V~^T + U~ V^T) - P_Omega(X + alpha U V^T) ||
by scipy.sparse.linalg.lsqr from zero (atol = btol = 1e-15, min(1e-15, relRes^2) once relRes < 1e-5, at most
LSQR_MAX iterations) on the sparse Jacobian; (U, V) <- ((1 - alpha)/2)(U, V) + (U~, V~); the estimate is the rank-2r
X^ = [U, U~ - U][V~, V]^T, and the answer the rank-r truncated SVD of the lowest-residual X^ (from QRs of the
n x 2r factors). Stops at relRes <= TOL or MAX_ITERS.
Reads the problem bench/gnmr.bench.ts wrote (DIR/meta.json, rows.bin, cols.bin, vals.bin and the truth's factors
tu.bin, tv.bin) and prints one JSON line: seconds (wall and CPU), iterations, LSQR iterations, residual history
and relError.
Usage: python3 bench/reference_gnmr.py DIR [ALPHA] [MAX_ITERS] [TOL] [LSQR_MAX]
"""
import json
import sys
import time

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import lsqr, svds


def truncated_pair(L, R, r):
    """Rank-r truncated SVD of L R^T as (U sqrt(s), V sqrt(s)), from thin QRs of L and R."""
    qa, ra = np.linalg.qr(L)
    qb, rb = np.linalg.qr(R)
    u, s, vt = np.linalg.svd(ra @ rb.T)
    return (qa @ u[:, :r]) * np.sqrt(s[:r]), (qb @ vt[:r].T) * np.sqrt(s[:r])


def main():
    d = sys.argv[1]
    alpha = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    max_iters = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    tol = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-16
    lsqr_max = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
    meta = json.load(open(f'{d}/meta.json'))
    n1, n2, r = meta['n1'], meta['n2'], meta['r']
    I = np.fromfile(f'{d}/rows.bin', dtype=np.int32)
    J = np.fromfile(f'{d}/cols.bin', dtype=np.int32)
    b = np.fromfile(f'{d}/vals.bin')
    m = len(b)
    t0 = time.perf_counter()
    c0 = time.process_time()
    U, _, Vt = svds(sparse.csr_matrix((b, (I, J)), shape=(n1, n2)), k=r, tol=1e-16)
    V = Vt.T
    # Row t of the Jacobian: V_j in the columns of U_i, U_i in the columns of V_j.
    rows_a = np.repeat(np.arange(m), 2 * r)
    cols_a = np.concatenate([I[:, None] * r + np.arange(r), n1 * r + J[:, None] * r + np.arange(r)], axis=1).ravel()
    bnorm = np.linalg.norm(b)
    rel = np.inf
    best = (np.inf, None)
    history, inner_total, it = [], 0, 0
    while it < max_iters:
        it += 1
        A = sparse.csr_matrix((np.concatenate([V[J], U[I]], axis=1).ravel(), (rows_a, cols_a)), shape=(m, r * (n1 + n2)))
        rhs = b + alpha * np.einsum('ij,ij->i', U[I], V[J])
        inner_tol = min(1e-15, rel ** 2) if rel < 1e-5 else 1e-15
        x, _, inner, res = lsqr(A, rhs, atol=inner_tol, btol=inner_tol, iter_lim=lsqr_max)[:4]
        inner_total += inner
        Ut = 0.5 * (1 - alpha) * U + x[: n1 * r].reshape(n1, r)
        Vn = 0.5 * (1 - alpha) * V + x[n1 * r :].reshape(n2, r)
        rel = res / bnorm
        history.append(rel)
        if rel < best[0]:
            best = (rel, (np.hstack([U, Ut - U]), np.hstack([Vn, V])))
        U, V = Ut, Vn
        if rel <= tol:
            break
    Uh, Vh = truncated_pair(best[1][0], best[1][1], r)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    out = {'seconds': seconds, 'cpuSeconds': cpu_seconds, 'iterations': it, 'lsqrIterations': int(inner_total),
           'history': history}
    try:
        tu = np.fromfile(f'{d}/tu.bin').reshape(n1, -1)
        tv = np.fromfile(f'{d}/tv.bin').reshape(n2, -1)
        if n1 * n2 <= 4_000_000:
            T = tu @ tv.T
            out['relError'] = float(np.linalg.norm(Uh @ Vh.T - T) / np.linalg.norm(T))
        else:
            # From Gram matrices (nothing n1 x n2); cancellation limits this to about 1e-7.
            aa = np.sum((Uh.T @ Uh) * (Vh.T @ Vh))
            bb = np.sum((tu.T @ tu) * (tv.T @ tv))
            ab = np.sum((Uh.T @ tu) * (Vh.T @ tv))
            out['relError'] = float(np.sqrt(max(aa - 2 * ab + bb, 0.0) / bb))
    except FileNotFoundError:
        pass
    print(json.dumps(out))


if __name__ == '__main__':
    main()
