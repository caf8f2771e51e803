/* LIF over a whole sequence, time-major, all steps in one call.
 *
 * Instantiated for float32 and float64 by both_types.h. Tensors are
 * (T, B, N). Each thread owns a range of batch rows for the whole sequence
 * (rows.h), so the recurrence needs no synchronisation between steps.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"

#ifdef LIF_FORWARD
typedef struct {
  const REAL *af, *xs, *wf, *im, *ms, *wt, *bias;
  long shift, st_t, st_b, T, B, N, M, D;
  REAL gain, beta, vth;
  int hard;
  REAL *volts, *spikes;
} CAT(fwd_args, SFX);

/* out (N) = W s for s (D) and W^T given row-major as wt (D, N) */
static void CAT(project, SFX)(const REAL *restrict s, const REAL *restrict wt,
                              long D, long N, REAL *restrict out) {
  for (long n = 0; n < N; ++n) out[n] = (REAL)0;
  for (long j = 0; j < D; ++j) {
    const REAL sj = s[j];
    const REAL *restrict w = wt + j * N;
    for (long n = 0; n < N; ++n) out[n] += w[n] * sj;
  }
}

static int CAT(fwd_rows, SFX)(const void *p, long b0, long b1) {
  /* locals, not k->...: stores to REAL arrays could alias the REAL fields of
   * *k, which would force reloads and block vectorisation */
  const CAT(fwd_args, SFX) *k = p;
  const REAL *restrict af = k->af, *restrict im = k->im, *restrict bias = k->bias;
  const REAL *restrict xs = k->xs, *restrict wf = k->wf;
  const REAL *restrict ms = k->ms, *restrict wt = k->wt;
  REAL *restrict volts = k->volts, *restrict spikes = k->spikes;
  const long B = k->B, N = k->N, T = k->T, M = k->M, D = k->D;
  const long shift = k->shift, st_t = k->st_t, st_b = k->st_b;
  const REAL gain = k->gain, beta = k->beta, vth = k->vth;
  const int hard = k->hard;
  if (b1 <= b0 || N < 1) return 0;
  REAL *restrict v = calloc((size_t)((b1 - b0 + 2) * N), sizeof(REAL));
  if (v == NULL) return 1;
  REAL *restrict proj_m = v + (b1 - b0) * N; /* one row of W_m m */
  REAL *restrict proj_f = proj_m + N;        /* one row of W_f x */
  for (long t = 0; t < T; ++t) {
    for (long b = b0; b < b1; ++b) {
      const REAL *restrict a = NULL;
      if (t >= shift && xs) { /* narrow input: W_f x formed here */
        CAT(project, SFX)(xs + ((t - shift) * B + b) * M, wf, M, N, proj_f);
        a = proj_f;
      } else if (t >= shift) {
        a = af + (t - shift) * st_t + b * st_b;
      }
      const long o = (t * B + b) * N;
      const REAL *restrict m = im ? im + o : NULL;
      if (ms) { /* W_m m[t, b] from the d-dim state: no (T, B, N) current */
        CAT(project, SFX)(ms + (t * B + b) * D, wt, D, N, proj_m);
        m = proj_m;
      }
      REAL *restrict vb = v + (b - b0) * N, *restrict vo = volts + o;
      REAL *restrict so = spikes + o;
      for (long n = 0; n < N; ++n) {
        /* (i_m + a) + bias, then gain: the order of the torch fallback */
        REAL in = a ? a[n] : (REAL)0;
        if (m) in = m[n] + in;
        if (bias) in += bias[n];
        REAL x = gain * in + beta * vb[n];
        REAL s = x >= vth ? (REAL)1 : (REAL)0;
        vo[n] = x;
        so[n] = s;
        vb[n] = hard ? x - x * s : x - vth * s;
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
 * and batch strides (unit neuron stride), or is given as W_f x from a narrow
 * input xs (T, B, M) and wf = W_f^T (M, N). i_m is given (T, B, N), or as
 * W_m m from the state ms (T, B, D) and wt = W_m^T (D, N), or absent (NULL);
 * bias may be NULL. Writes volts (before reset) and spikes, contiguous. */
int CAT(lif_forward, SFX)(const REAL *af, const REAL *xs, const REAL *wf,
                          long M, long shift, long st_t, long st_b,
                          const REAL *im, const REAL *ms, const REAL *wt,
                          long D, const REAL *bias, REAL gain, REAL beta,
                          REAL vth, int hard, long T, long B, long N,
                          REAL *volts, REAL *spikes, int nthreads) {
  CAT(fwd_args, SFX) k = {af,    xs,   wf,   im,    ms,  wt,   bias,
                          shift, st_t, st_b, T,     B,   N,    M,
                          D,     gain, beta, vth,   hard, volts, spikes};
  return run_rows(CAT(fwd_rows, SFX), &k, B, nthreads);
}
#endif

#ifdef LIF_BACKWARD
typedef struct {
  const REAL *gs, *volts, *spikes;
  long st_t, st_b, T, B, N;
  REAL beta, vth, slope, gain;
  int hard;
  REAL *gi;
  double *gbias;
} CAT(bwd_args, SFX);

static int CAT(bwd_rows, SFX)(const void *p, long b0, long b1) {
  const CAT(bwd_args, SFX) *k = p; /* locals: see fwd_rows */
  const REAL *restrict gs = k->gs, *restrict volts = k->volts;
  const REAL *restrict spikes = k->spikes;
  REAL *restrict gi = k->gi;
  double *restrict gbias = k->gbias;
  const long B = k->B, N = k->N, T = k->T, st_t = k->st_t, st_b = k->st_b;
  const REAL slope = k->slope, vth = k->vth, beta = k->beta, gain = k->gain;
  const int hard = k->hard;
  if (b1 <= b0 || N < 1) return 0;
  REAL *restrict carry = calloc((size_t)((b1 - b0) * N), sizeof(REAL));
  if (carry == NULL) return 1;
  if (gbias) memset(gbias + b0 * N, 0, sizeof(double) * (size_t)((b1 - b0) * N));
  for (long t = T - 1; t >= 0; --t) {
    for (long b = b0; b < b1; ++b) {
      const REAL *restrict g = gs + t * st_t + b * st_b;
      const long o = (t * B + b) * N;
      const REAL *restrict v = volts + o;
      const REAL *restrict s = spikes ? spikes + o : NULL;
      REAL *restrict out = gi + o, *restrict c = carry + (b - b0) * N;
      for (long n = 0; n < N; ++n) {
        /* sig'(x) = e / (1 + e)^2, e = exp(-|x|): even, never overflows */
        REAL e = EXP(-ABS(slope * (v[n] - vth)));
        REAL q = (REAL)1 / ((REAL)1 + e);
        /* the reset at step t gates what flows back from step t + 1; a
         * membrane read after its reset (the integer layer's) cannot say
         * whether it fired: the spikes do */
        const int fired = s ? s[n] != (REAL)0 : v[n] >= vth;
        REAL keep = (hard && fired) ? (REAL)0 : beta;
        REAL gv = g[n] * slope * e * q * q + keep * c[n];
        c[n] = gv;
        out[n] = gain * gv;
      }
      if (gbias) {
        double *restrict gb = gbias + b * N;
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
 * (unit neuron stride): a readout's mean hands over a broadcast gradient.
 * s[t] is read from spikes if not NULL, else s[t] = v[t] >= vth. */
int CAT(lif_backward, SFX)(const REAL *gs, long st_t, long st_b,
                           const REAL *volts, const REAL *spikes, REAL beta,
                           REAL vth, int hard, REAL slope, REAL gain, long T,
                           long B, long N, REAL *gi, double *gbias,
                           int nthreads) {
  CAT(bwd_args, SFX) k = {gs,  volts, spikes, st_t, st_b, T,  B,    N,
                          beta, vth,  slope,  gain, hard, gi, gbias};
  return run_rows(CAT(bwd_rows, SFX), &k, B, nthreads);
}
#endif

