/*
 * mcomplete's native linear algebra: an N-API addon over the system OpenBLAS (cblas_dgemm) and LAPACKE
 * (dgesdd, dgeqrf), plus hand-written loops that no library has (sampledResidual: the factored model's data term on the
 * observed entries; factorJacobian and its transpose: GNMR's LSQR products). Every matrix is a row-major Float64Array;
 * the TypeScript wrapper (src/linalg/native.ts) checks shapes before calling, this file checks only what it needs for
 * memory safety (buffer lengths, indices).
 *
 * SVD workspaces hold every buffer dgesdd needs (input copy, work, iwork, V^T), sized once by a workspace query,
 * so repeated calls allocate nothing. A row-major m×n matrix is the column-major n×m matrix A^T; dgesdd on A^T
 * gives A^T = V S U^T, whose "VT" output (k×m column-major) is exactly U (m×k row-major), and whose "U" output
 * (n×k column-major) is V^T (k×n row-major), transposed into V at the end.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <cblas.h>
#include <lapacke.h>

#define CHECK(call)                                                                                                  \
  do {                                                                                                               \
    if ((call) != napi_ok) {                                                                                         \
      napi_throw_error(env, NULL, "mcomplete native: N-API call failed: " #call);                                    \
      return NULL;                                                                                                   \
    }                                                                                                                \
  } while (0)

/* The call's arguments into napi_value a[count]; throws and returns NULL unless exactly `count` were given. */
#define GET_ARGS(count, name)                                                                                        \
  size_t argc = count;                                                                                               \
  napi_value a[count];                                                                                               \
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));                                                          \
  if (argc != count) {                                                                                               \
    napi_throw_error(env, NULL, "mcomplete native " name ": expected " #count " arguments");                         \
    return NULL;                                                                                                     \
  }

/* The data of a typed array of the wanted type (Float64Array or Int32Array) and its length; 0 (thrown) otherwise. */
static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, data, &ab, &off) != napi_ok || type != want) {
    napi_throw_type_error(env, NULL, want == napi_float64_array ? "mcomplete native: expected a Float64Array"
                                                                : "mcomplete native: expected an Int32Array");
    return 0;
  }
  return 1;
}

static int get_f64(napi_env env, napi_value v, double **data, size_t *len) {
  return get_typed(env, v, napi_float64_array, (void **)data, len);
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "mcomplete native: expected an integer");
    return 0;
  }
  return 1;
}

static int get_f(napi_env env, napi_value v, double *out) {
  if (napi_get_value_double(env, v, out) != napi_ok) {
    napi_throw_type_error(env, NULL, "mcomplete native: expected a number");
    return 0;
  }
  return 1;
}

/* The largest BLAS and LAPACK integers: 32-bit unless OpenBLAS/LAPACKE were built for 64-bit indices (ILP64). */
#define BLASINT_MAX (sizeof(blasint) == 4 ? (int64_t)INT32_MAX : INT64_MAX)
#define LAPACKINT_MAX (sizeof(lapack_int) == 4 ? (int64_t)INT32_MAX : INT64_MAX)

/* 1 when v <= max; else throws a RangeError naming the function and the dimension (v is never cast down) and 0. */
static int fits(napi_env env, const char *fn, const char *name, int64_t v, int64_t max, size_t bytes) {
  if (v <= max) return 1;
  char msg[256];
  snprintf(msg, sizeof msg,
           "mcomplete native %s: %s = %lld is larger than the largest %d-bit BLAS/LAPACK integer (%lld)", fn, name,
           (long long)v, (int)(8 * bytes), (long long)max);
  napi_throw_range_error(env, NULL, msg);
  return 0;
}

/* 1 when a·b <= limit for a, b >= 0, without overflowing. */
static int product_le(int64_t a, int64_t b, uint64_t limit) {
  return a == 0 || (uint64_t)b <= limit / (uint64_t)a;
}

/* gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc): C = alpha op(A) op(B) + beta C, row-major. */
static napi_value gemm(napi_env env, napi_callback_info info) {
  GET_ARGS(13, "gemm")
  bool ta, tb;
  CHECK(napi_get_value_bool(env, a[0], &ta));
  CHECK(napi_get_value_bool(env, a[1], &tb));
  int64_t m, n, k, lda, ldb, ldc;
  double alpha, beta, *A, *B, *C;
  size_t la, lb, lc;
  if (!get_i64(env, a[2], &m) || !get_i64(env, a[3], &n) || !get_i64(env, a[4], &k) || !get_f(env, a[5], &alpha) ||
      !get_f64(env, a[6], &A, &la) || !get_i64(env, a[7], &lda) || !get_f64(env, a[8], &B, &lb) ||
      !get_i64(env, a[9], &ldb) || !get_f(env, a[10], &beta) || !get_f64(env, a[11], &C, &lc) ||
      !get_i64(env, a[12], &ldc))
    return NULL;
  if (m <= 0 || n <= 0 || k <= 0) {
    napi_throw_range_error(env, NULL, "mcomplete native gemm: bad shape or buffer length");
    return NULL;
  }
  /* Every dimension must fit a BLAS int before anything is cast or multiplied (a cast would wrap around). */
  const size_t bi = sizeof(blasint);
  if (!fits(env, "gemm", "m", m, BLASINT_MAX, bi) || !fits(env, "gemm", "n", n, BLASINT_MAX, bi) ||
      !fits(env, "gemm", "k", k, BLASINT_MAX, bi) || !fits(env, "gemm", "lda", lda, BLASINT_MAX, bi) ||
      !fits(env, "gemm", "ldb", ldb, BLASINT_MAX, bi) || !fits(env, "gemm", "ldc", ldc, BLASINT_MAX, bi))
    return NULL;
  /* Rows × leading dimension of each stored (untransposed) operand must fit its buffer. */
  int64_t ar = ta ? k : m, br = tb ? n : k;
  if (lda < (ta ? m : k) || ldb < (tb ? k : n) || ldc < n || !product_le(ar, lda, la) || !product_le(br, ldb, lb) ||
      !product_le(m, ldc, lc)) {
    napi_throw_range_error(env, NULL, "mcomplete native gemm: bad shape or buffer length");
    return NULL;
  }
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)n,
              (blasint)k, alpha, A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
  return NULL;
}

typedef struct {
  lapack_int m, n, k, lwork;
  lapack_int info; /* dgesdd's INFO from the last svd call that reached it (svdInfo reads it) */
  int64_t bytes; /* reported to V8 with napi_adjust_external_memory, returned when freed */
  double *a;    /* copy of the input (dgesdd overwrites it) */
  double *vt;   /* V^T, k×n row-major */
  double *work;
  lapack_int *iwork;
} SvdWs;

static void svd_ws_free(napi_env env, void *data, void *hint) {
  (void)hint;
  SvdWs *w = (SvdWs *)data;
  if (w->bytes) {
    int64_t adjusted;
    napi_adjust_external_memory(env, -w->bytes, &adjusted);
  }
  free(w->a);
  free(w->vt);
  free(w->work);
  free(w->iwork);
  free(w);
}

/* svdCreate(m, n): an external holding dgesdd's buffers for m×n matrices (m, n >= 1). */
static napi_value svd_create(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int64_t m, n;
  if (argc != 2 || !get_i64(env, a[0], &m) || !get_i64(env, a[1], &n)) return NULL;
  if (m < 1 || n < 1) {
    napi_throw_range_error(env, NULL, "mcomplete native svdCreate: shape must be positive");
    return NULL;
  }
  const size_t li = sizeof(lapack_int);
  if (!fits(env, "svdCreate", "m", m, LAPACKINT_MAX, li) || !fits(env, "svdCreate", "n", n, LAPACKINT_MAX, li))
    return NULL;
  /* dgesdd (JOBZ = 'S') needs LWORK >= 4 mn² + 7 mn and 8 mn IWORK entries, mn = min(m, n): both must be
     LAPACK ints, checked in double (exact far beyond the limit) before anything is allocated. */
  const double mn = (double)(m < n ? m : n);
  if (4 * mn * mn + 7 * mn > (double)LAPACKINT_MAX) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "mcomplete native svdCreate: a %lld×%lld SVD needs a dgesdd workspace of %.0f doubles, more than the "
             "largest %d-bit LAPACK integer (%lld)",
             (long long)m, (long long)n, 4 * mn * mn + 7 * mn, (int)(8 * li), (long long)LAPACKINT_MAX);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  SvdWs *w = calloc(1, sizeof(SvdWs));
  if (!w) goto oom;
  w->m = (lapack_int)m;
  w->n = (lapack_int)n;
  w->k = (lapack_int)(m < n ? m : n);
  w->a = malloc(sizeof(double) * (size_t)m * (size_t)n);
  w->vt = malloc(sizeof(double) * (size_t)w->k * (size_t)n);
  w->iwork = malloc(sizeof(lapack_int) * 8 * (size_t)w->k);
  if (!w->a || !w->vt || !w->iwork) goto oom;
  /* Workspace query on the column-major n×m problem (A^T). */
  double q = 0;
  lapack_int info_q = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', w->n, w->m, w->a, w->n, NULL, w->vt, w->n, NULL,
                                          w->k, &q, -1, w->iwork);
  if (info_q != 0 || !(q >= 1) || q > (double)LAPACKINT_MAX) {
    svd_ws_free(env, w, NULL);
    char msg[200];
    snprintf(msg, sizeof msg, "mcomplete native svdCreate: dgesdd workspace query failed (info = %lld, lwork = %.0f)",
             (long long)info_q, q);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  w->lwork = (lapack_int)q;
  w->work = malloc(sizeof(double) * (size_t)(w->lwork > 1 ? w->lwork : 1));
  if (!w->work) goto oom;
  napi_value ext;
  if (napi_create_external(env, w, svd_ws_free, NULL, &ext) != napi_ok) {
    svd_ws_free(env, w, NULL);
    napi_throw_error(env, NULL, "mcomplete native svdCreate: could not create the workspace object");
    return NULL;
  }
  w->bytes = (int64_t)(sizeof(double) * ((size_t)m * n + (size_t)w->k * n + (size_t)w->lwork) +
                       sizeof(lapack_int) * 8 * (size_t)w->k);
  int64_t adjusted;
  napi_adjust_external_memory(env, w->bytes, &adjusted);
  return ext;
oom:
  if (w) svd_ws_free(env, w, NULL);
  {
    char msg[200];
    snprintf(msg, sizeof msg, "mcomplete native svdCreate: could not allocate the SVD workspace for a %lld×%lld matrix",
             (long long)m, (long long)n);
    napi_throw_error(env, NULL, msg);
  }
  return NULL;
}

/*
 * svd(ws, A, U, s, V): thin SVD A = U diag(s) V^T of the m×n row-major A (U m×k, V n×k row-major, s length k,
 * descending). Returns 0 on success, 1 if A has a NaN, 2 if it has an infinite entry, and when dgesdd fails: 3 (an
 * argument had an illegal value, INFO < 0), 4 (DBDSDC did not converge, INFO > 0) or 5 (LAPACKE could not allocate
 * its work memory); svdInfo(ws) then gives INFO.
 */
static napi_value svd(napi_env env, napi_callback_info info) {
  GET_ARGS(5, "svd")
  SvdWs *w;
  double *A, *U, *s, *V;
  size_t la, lu, ls, lv;
  CHECK(napi_get_value_external(env, a[0], (void **)&w));
  if (!get_f64(env, a[1], &A, &la) || !get_f64(env, a[2], &U, &lu) || !get_f64(env, a[3], &s, &ls) ||
      !get_f64(env, a[4], &V, &lv))
    return NULL;
  const size_t m = (size_t)w->m, n = (size_t)w->n, k = (size_t)w->k;
  if (la != m * n || lu != m * k || ls != k || lv != n * k) {
    napi_throw_range_error(env, NULL, "mcomplete native svd: buffer lengths do not match the workspace");
    return NULL;
  }
  int code = 0;
  for (size_t i = 0; i < m * n; i++) {
    const double x = A[i];
    if (isnan(x)) {
      code = 1;
      break;
    }
    if (isinf(x)) code = 2;
  }
  if (code == 0) {
    memcpy(w->a, A, sizeof(double) * m * n);
    lapack_int inf = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', w->n, w->m, w->a, w->n, s, w->vt, w->n, U, w->k,
                                         w->work, w->lwork, w->iwork);
    w->info = inf;
    if (inf == LAPACK_WORK_MEMORY_ERROR || inf == LAPACK_TRANSPOSE_MEMORY_ERROR) {
      code = 5;
    } else if (inf != 0) {
      code = inf < 0 ? 3 : 4;
    } else {
      /* w->vt is column-major n×k with leading dimension n: V[j][r] = vt[j + r n]. */
      for (size_t j = 0; j < n; j++)
        for (size_t r = 0; r < k; r++) V[j * k + r] = w->vt[j + r * n];
    }
  }
  napi_value out;
  CHECK(napi_create_int32(env, code, &out));
  return out;
}

/* svdInfo(ws): dgesdd's INFO from the workspace's last svd call (0 after a success). */
static napi_value svd_info(napi_env env, napi_callback_info info) {
  GET_ARGS(1, "svdInfo")
  SvdWs *w;
  CHECK(napi_get_value_external(env, a[0], (void **)&w));
  napi_value out;
  CHECK(napi_create_int32(env, (int32_t)w->info, &out));
  return out;
}

static int get_i32(napi_env env, napi_value v, int32_t **data, size_t *len) {
  return get_typed(env, v, napi_int32_array, (void **)data, len);
}

/*
 * sampledResidual(k, A, B, rows, cols, values, scale, gradA, gradB): Σ_t r_t² with r_t = A_i·B_j − v_t over the
 * entries (i, j) = (rows[t], cols[t]) of the row-major A (·×k) and B (·×k), adding scale·r_t·B_j to gradA_i and
 * scale·r_t·A_i to gradB_j when gradA and gradB are Float64Arrays (null: value only). The same loop, in the same order,
 * as src/linalg/sampled.ts, built with -ffp-contract=off, so both give the same bits. Returns the sum, or throws a
 * RangeError for an index outside A or B (checked before anything is written).
 */
static napi_value sampled_residual(napi_env env, napi_callback_info info) {
  GET_ARGS(9, "sampledResidual")
  int64_t k;
  double *A, *B, *vals, scale, *GA = NULL, *GB = NULL;
  int32_t *rows, *cols;
  size_t la, lb, lr, lc, lv, lga = 0, lgb = 0;
  if (!get_i64(env, a[0], &k) || !get_f64(env, a[1], &A, &la) || !get_f64(env, a[2], &B, &lb) ||
      !get_i32(env, a[3], &rows, &lr) || !get_i32(env, a[4], &cols, &lc) || !get_f64(env, a[5], &vals, &lv) ||
      !get_f(env, a[6], &scale))
    return NULL;
  napi_valuetype tga, tgb;
  CHECK(napi_typeof(env, a[7], &tga));
  CHECK(napi_typeof(env, a[8], &tgb));
  const int grads = tga != napi_null && tga != napi_undefined;
  if (grads != (tgb != napi_null && tgb != napi_undefined)) {
    napi_throw_range_error(env, NULL, "mcomplete native sampledResidual: give both gradients or neither");
    return NULL;
  }
  if (grads && (!get_f64(env, a[7], &GA, &lga) || !get_f64(env, a[8], &GB, &lgb))) return NULL;
  if (k < 1 || la % (size_t)k != 0 || lb % (size_t)k != 0 || lr != lv || lc != lv || (grads && (lga != la || lgb != lb))) {
    napi_throw_range_error(env, NULL, "mcomplete native sampledResidual: bad shape or buffer length");
    return NULL;
  }
  const size_t m = la / (size_t)k, n = lb / (size_t)k, kk = (size_t)k;
  for (size_t t = 0; t < lv; t++) {
    if (rows[t] < 0 || (size_t)rows[t] >= m || cols[t] < 0 || (size_t)cols[t] >= n) {
      napi_throw_range_error(env, NULL, "mcomplete native sampledResidual: an entry's index is outside A or B");
      return NULL;
    }
  }
  double sse = 0;
  for (size_t t = 0; t < lv; t++) {
    const double *restrict ai = A + (size_t)rows[t] * kk;
    const double *restrict bj = B + (size_t)cols[t] * kk;
    double w = 0;
    for (size_t c = 0; c < kk; c++) w += ai[c] * bj[c];
    const double r = w - vals[t];
    sse += r * r;
    if (grads) {
      const double g = scale * r;
      double *restrict gai = GA + (size_t)rows[t] * kk;
      double *restrict gbj = GB + (size_t)cols[t] * kk;
      for (size_t c = 0; c < kk; c++) {
        gai[c] += g * bj[c];
        gbj[c] += g * ai[c];
      }
    }
  }
  napi_value out;
  CHECK(napi_create_double(env, sse, &out));
  return out;
}

/*
 * The factor pair's Jacobian on the observed entries, J(ΔU, ΔV) = P_Ω(U ΔVᵀ + ΔU Vᵀ), and its transpose (GNMR's
 * LSQR products, src/solver/gnmr.ts): no BLAS routine has this product (a sparse matrix whose nonzeros are the factors
 * themselves), so it is hand-written: every output the same sum in the same order as src/linalg/sampled.ts (two
 * lanes at a time, built with -ffp-contract=off), so both backends give the same bits. Cost 4|Ω|r flops each. The arguments are checked for
 * memory safety: buffer lengths up front, each entry's indices as it is reached (a RangeError; out is then partly
 * written).
 */
/*
 * Two lanes as one vector (the GCC/clang vector extension, SSE2 or NEON): lane-wise IEEE operations, so the same bits
 * as the scalar loop; loads and stores by memcpy (any alignment, no aliasing assumption).
 */
typedef double f64x2 __attribute__((vector_size(16)));
static inline f64x2 load2(const double *p) {
  f64x2 v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void store2(double *p, f64x2 v) { memcpy(p, &v, sizeof v); }

/* The arguments (r, U, V, rows, cols, in, out): x is the factor-space vector (in, or out when transposed), y the other. */
static int jacobian_args(napi_env env, napi_callback_info info, const char *name, int transposed, size_t *r, double **U,
                         size_t *m, double **V, size_t *n, int32_t **rows, int32_t **cols, size_t *count, double **x,
                         double **y) {
  char msg[128];
  size_t argc = 7;
  napi_value a[7];
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc != 7) {
    snprintf(msg, sizeof msg, "mcomplete native %s: expected 7 arguments", name);
    napi_throw_error(env, NULL, msg);
    return 0;
  }
  int64_t k;
  size_t lu, lv, lr, lc, lx, ly;
  if (!get_i64(env, a[0], &k) || !get_f64(env, a[1], U, &lu) || !get_f64(env, a[2], V, &lv) ||
      !get_i32(env, a[3], rows, &lr) || !get_i32(env, a[4], cols, &lc) ||
      !get_f64(env, a[transposed ? 6 : 5], x, &lx) || !get_f64(env, a[transposed ? 5 : 6], y, &ly))
    return 0;
  if (k < 1 || lu % (size_t)k != 0 || lv % (size_t)k != 0 || lc != lr || lx != lu + lv || ly != lr) {
    snprintf(msg, sizeof msg, "mcomplete native %s: bad shape or buffer length", name);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  *r = (size_t)k;
  *m = lu / (size_t)k;
  *n = lv / (size_t)k;
  *count = lr;
  return 1;
}

/* factorJacobian(r, U, V, rows, cols, x, out): out_t = Σ_k (U_{i,k} x_V[j,k] + x_U[i,k] V_{j,k}), x = [x_U; x_V]. */
static napi_value factor_jacobian(napi_env env, napi_callback_info info) {
  size_t r, m, n, count;
  double *U, *V, *x, *out;
  int32_t *rows, *cols;
  if (!jacobian_args(env, info, "factorJacobian", 0, &r, &U, &m, &V, &n, &rows, &cols, &count, &x, &out)) return NULL;
  const double *restrict xv = x + m * r;
  for (size_t t = 0; t < count; t++) {
    const uint32_t i = (uint32_t)rows[t], j = (uint32_t)cols[t];
    if (i >= m || j >= n) {
      napi_throw_range_error(env, NULL, "mcomplete native factorJacobian: an entry's index is outside U or V");
      return NULL;
    }
    const double *restrict ui = U + i * r, *restrict xui = x + i * r;
    const double *restrict vj = V + j * r, *restrict xvj = xv + j * r;
    /* Two terms at a time as one vector, added to s in order. */
    double s = 0;
    size_t k = 0;
    for (; k + 2 <= r; k += 2) {
      const f64x2 e = load2(ui + k) * load2(xvj + k) + load2(xui + k) * load2(vj + k);
      s += e[0];
      s += e[1];
    }
    if (k < r) s += ui[k] * xvj[k] + xui[k] * vj[k];
    out[t] = s;
  }
  return NULL;
}

/* factorJacobianTranspose(r, U, V, rows, cols, y, out): out = [Σ y_t V_j into row i; Σ y_t U_i into row j]. */
static napi_value factor_jacobian_transpose(napi_env env, napi_callback_info info) {
  size_t r, m, n, count;
  double *U, *V, *out, *y;
  int32_t *rows, *cols;
  if (!jacobian_args(env, info, "factorJacobianTranspose", 1, &r, &U, &m, &V, &n, &rows, &cols, &count, &out, &y))
    return NULL;
  memset(out, 0, (m + n) * r * sizeof(double));
  double *restrict ov = out + m * r;
  for (size_t t = 0; t < count; t++) {
    const uint32_t i = (uint32_t)rows[t], j = (uint32_t)cols[t];
    if (i >= m || j >= n) {
      napi_throw_range_error(env, NULL, "mcomplete native factorJacobianTranspose: an entry's index is outside U or V");
      return NULL;
    }
    const double *restrict ui = U + i * r, *restrict vj = V + j * r;
    double *restrict oui = out + i * r, *restrict ovj = ov + j * r;
    const double yt = y[t];
    const f64x2 y2 = {yt, yt};
    size_t k = 0;
    for (; k + 2 <= r; k += 2) {
      store2(oui + k, load2(oui + k) + y2 * load2(vj + k));
      store2(ovj + k, load2(ovj + k) + y2 * load2(ui + k));
    }
    if (k < r) {
      oui[k] += yt * vj[k];
      ovj[k] += yt * ui[k];
    }
  }
  return NULL;
}

/*
 * geqrf(m, n, A, tau): in-place Householder QR (LAPACK dgeqrf) of the column-major m×n matrix A (lda = m),
 * m >= n >= 1: R on and above the diagonal, the reflectors' tails below it, their factors in tau[0..n). This is the
 * layout of householderQrRows (src/linalg/qr.ts: the row-major n×m transpose). Returns dgeqrf's INFO (0: success).
 */
static napi_value geqrf(napi_env env, napi_callback_info info) {
  GET_ARGS(4, "geqrf")
  int64_t m, n;
  double *A, *tau;
  size_t la, lt;
  if (!get_i64(env, a[0], &m) || !get_i64(env, a[1], &n) || !get_f64(env, a[2], &A, &la) || !get_f64(env, a[3], &tau, &lt))
    return NULL;
  const size_t li = sizeof(lapack_int);
  if (!fits(env, "geqrf", "m", m, LAPACKINT_MAX, li) || !fits(env, "geqrf", "n", n, LAPACKINT_MAX, li)) return NULL;
  if (n < 1 || m < n || !product_le(m, n, la) || lt < (size_t)n) {
    napi_throw_range_error(env, NULL, "mcomplete native geqrf: bad shape or buffer length");
    return NULL;
  }
  lapack_int inf = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, A, (lapack_int)m, tau);
  napi_value out;
  CHECK(napi_create_int32(env, (int32_t)inf, &out));
  return out;
}

/* threads(n): sets OpenBLAS's thread count when n >= 1; returns the current count. */
static napi_value threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int64_t t = 0;
  if (argc == 1 && !get_i64(env, a[0], &t)) return NULL;
  if (!fits(env, "threads", "n", t, INT32_MAX, sizeof(int))) return NULL;
  if (t >= 1) openblas_set_num_threads((int)t);
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemm", NULL, gemm, NULL, NULL, NULL, napi_default, NULL},
      {"svdCreate", NULL, svd_create, NULL, NULL, NULL, napi_default, NULL},
      {"svd", NULL, svd, NULL, NULL, NULL, napi_default, NULL},
      {"svdInfo", NULL, svd_info, NULL, NULL, NULL, napi_default, NULL},
      {"geqrf", NULL, geqrf, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"sampledResidual", NULL, sampled_residual, NULL, NULL, NULL, napi_default, NULL},
      {"factorJacobian", NULL, factor_jacobian, NULL, NULL, NULL, napi_default, NULL},
      {"factorJacobianTranspose", NULL, factor_jacobian_transpose, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
