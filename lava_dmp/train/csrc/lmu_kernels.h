/* Adjoint of the Legendre memory over a whole sequence (float training).
 *
 * Instantiated for float32 and float64 by both_types.h. The memory
 * m[k] = A m[k-1] + b x[k] (a causal convolution with h[j] = A^j b,
 * computed forward by FFT) has the input gradient
 *     lam[k] = g[k] + A^T lam[k+1],   g_x[k] = b . lam[k],
 * for the state gradient g (T, B, d): T d^2 multiply-adds per sequence
 * instead of d transforms of twice its length. Threads split the batch.
 */
#include <stdlib.h>
#include <string.h>

#include "rows.h"

typedef struct {
  const REAL *g, *a, *bv;
  long T, B, D;
  REAL *out;
} CAT(adj_args, SFX);

static int CAT(adj_rows, SFX)(const void *p, long b0, long b1) {
  const CAT(adj_args, SFX) *k = p; /* locals: stores must not alias *k */
  const REAL *restrict g = k->g, *restrict a = k->a, *restrict bv = k->bv;
  REAL *restrict out = k->out;
  const long T = k->T, B = k->B, D = k->D;
  if (b1 <= b0 || D < 1) return 0;
  REAL *restrict lam = calloc((size_t)(2 * D), sizeof(REAL));
  if (lam == NULL) return 1;
  REAL *restrict next = lam + D;
  for (long b = b0; b < b1; ++b) {
    memset(lam, 0, sizeof(REAL) * (size_t)D);
    for (long t = T - 1; t >= 0; --t) {
      const REAL *restrict gt = g + (t * B + b) * D;
      for (long i = 0; i < D; ++i) next[i] = gt[i];
      for (long j = 0; j < D; ++j) { /* (A^T lam)_i = sum_j A[j][i] lam_j */
        const REAL lj = lam[j];
        const REAL *restrict row = a + j * D;
        for (long i = 0; i < D; ++i) next[i] += row[i] * lj;
      }
      REAL dot = 0;
      for (long i = 0; i < D; ++i) {
        lam[i] = next[i];
        dot += bv[i] * next[i];
      }
      out[t * B + b] = dot;
    }
  }
  free(lam);
  return 0;
}

/* g (T, B, D), a = A (D, D) row-major, bv = b (D): writes g_x (T, B). */
int CAT(lmu_adjoint, SFX)(const REAL *g, const REAL *a, const REAL *bv, long T,
                          long B, long D, REAL *out, int nthreads) {
  CAT(adj_args, SFX) k = {g, a, bv, T, B, D, out};
  return run_rows(CAT(adj_rows, SFX), &k, B, nthreads);
}

