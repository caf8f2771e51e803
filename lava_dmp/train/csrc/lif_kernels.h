/* LIF over a whole sequence, time-major, all steps in one call.
 *
 * Included twice by each .c file, with REAL = float / double, SFX = f32 /
 * f64 and the matching EXP and ABS. Tensors are (T, B, N). Each thread owns a
 * range of batch rows for the whole sequence (rows.h), so the recurrence
 * needs no synchronisation between steps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)

#ifdef LIF_FORWARD
typedef struct {
  const REAL *af, *im, *bias;
  long shift, st_t, st_b, T, B, N;
  REAL gain, beta, vth;
  int hard;
  REAL *volts, *spikes;
} CAT(fwd_args, SFX);

static int CAT(fwd_rows, SFX)(const void *p, long b0, long b1) {
  const CAT(fwd_args, SFX) *k = p;
  const long B = k->B, N = k->N;
  if (b1 <= b0 || N < 1) return 0;
  REAL *v = calloc((size_t)((b1 - b0) * N), sizeof(REAL));
  if (v == NULL) return 1;
  for (long t = 0; t < k->T; ++t) {
    for (long b = b0; b < b1; ++b) {
      const REAL *a =
          t >= k->shift ? k->af + (t - k->shift) * k->st_t + b * k->st_b : NULL;
      const long o = (t * B + b) * N;
      REAL *vb = v + (b - b0) * N;
      for (long n = 0; n < N; ++n) {
        /* (i_m + a) + bias, then gain: the order of the torch fallback */
        REAL in = a ? a[n] : (REAL)0;
        if (k->im) in = k->im[o + n] + in;
        if (k->bias) in += k->bias[n];
        REAL x = k->gain * in + k->beta * vb[n];
        int s = x >= k->vth;
        k->volts[o + n] = x;
        k->spikes[o + n] = (REAL)s;
        vb[n] = k->hard ? (s ? (REAL)0 : x) : x - k->vth * (REAL)s;
      }
    }
  }
  free(v);
  return 0;
}

/* v[t] = beta v^[t-1] + gain (a[t] + i_m[t] + bias), s[t] = v[t] >= vth,
 * v^[t] = v[t] (1 - s[t]) (hard) or v[t] - vth s[t] (soft), where
 * a[t] = a_f[t - shift], zero for t < shift (a synaptic delay without a
 * shifted copy; the last shift rows of a_f are not read). a_f has any time
 * and batch strides (unit neuron stride); i_m and bias may be NULL. Writes
 * volts (before reset) and spikes, contiguous, for T steps. */
int CAT(lif_forward, SFX)(const REAL *af, long shift, long st_t, long st_b,
                          const REAL *im, const REAL *bias, REAL gain,
                          REAL beta, REAL vth, int hard, long T, long B, long N,
                          REAL *volts, REAL *spikes, int nthreads) {
  CAT(fwd_args, SFX) k = {af,  im,   bias, shift, st_t, st_b, T,     B, N,
                          gain, beta, vth, hard,  volts, spikes};
  return run_rows(CAT(fwd_rows, SFX), &k, B, nthreads);
}
#endif

#ifdef LIF_BACKWARD
typedef struct {
  const REAL *gs, *volts;
  long st_t, st_b, T, B, N;
  REAL beta, vth, slope, gain;
  int hard;
  REAL *gi;
  double *gbias;
} CAT(bwd_args, SFX);

static int CAT(bwd_rows, SFX)(const void *p, long b0, long b1) {
  const CAT(bwd_args, SFX) *k = p;
  const long B = k->B, N = k->N;
  const REAL slope = k->slope, vth = k->vth;
  if (b1 <= b0 || N < 1) return 0;
  REAL *carry = calloc((size_t)((b1 - b0) * N), sizeof(REAL));
  if (carry == NULL) return 1;
  if (k->gbias) memset(k->gbias + b0 * N, 0, sizeof(double) * (size_t)((b1 - b0) * N));
  for (long t = k->T - 1; t >= 0; --t) {
    for (long b = b0; b < b1; ++b) {
      const REAL *g = k->gs + t * k->st_t + b * k->st_b;
      const long o = (t * B + b) * N;
      const REAL *v = k->volts + o;
      REAL *out = k->gi + o, *c = carry + (b - b0) * N;
      for (long n = 0; n < N; ++n) {
        /* sig'(x) = e / (1 + e)^2, e = exp(-|x|): even, never overflows */
        REAL e = EXP(-ABS(slope * (v[n] - vth)));
        REAL q = (REAL)1 / ((REAL)1 + e);
        /* the reset at step t gates what flows back from step t + 1 */
        REAL keep = (k->hard && v[n] >= vth) ? (REAL)0 : k->beta;
        REAL gv = g[n] * slope * e * q * q + keep * c[n];
        c[n] = gv;
        out[n] = k->gain * gv;
      }
      if (k->gbias) {
        double *gb = k->gbias + b * N;
        for (long n = 0; n < N; ++n) gb[n] += (double)out[n];
      }
    }
  }
  free(carry);
  return 0;
}

/* g_v[t] = g_s[t] sig'(v[t]) + beta r[t] g_v[t+1], r[t] = 1 - s[t] (hard) or 1,
 * sig' = a sig(a (v - vth)) (1 - sig(a (v - vth))); writes g_i = gain g_v
 * (the gradient of every summand of the current) and, if gbias is not NULL,
 * its sum over time per (batch, neuron). g_s has any time and batch strides
 * (unit neuron stride): a readout's mean hands over a broadcast gradient. */
int CAT(lif_backward, SFX)(const REAL *gs, long st_t, long st_b,
                           const REAL *volts, REAL beta, REAL vth, int hard,
                           REAL slope, REAL gain, long T, long B, long N,
                           REAL *gi, double *gbias, int nthreads) {
  CAT(bwd_args, SFX) k = {gs, volts, st_t, st_b, T,    B,  N,
                          beta, vth, slope, gain, hard, gi, gbias};
  return run_rows(CAT(bwd_rows, SFX), &k, B, nthreads);
}
#endif

#undef CAT
#undef CAT_
