/* One fixed-point DMP layer over a whole sequence (T, B): the integer golden
 * model lava_dmp.golden.GoldenDMPLayer.run in one call, for the quantised
 * (hardware-aware) training forward.
 *
 * The formulas are those of lava_dmp/fixed_point.py and lava_dmp/golden.py,
 * which stay the single definition of the contract; each part below names
 * the Python function it mirrors, and tests/lava_dmp/train/
 * test_quantised_kernel.py checks the two bit for bit. All arithmetic is
 * int64 as in numpy: built with -fwrapv, additions and products wrap modulo
 * 2^64 exactly as numpy's int64 does (the contract's widths keep them far
 * from it), left shifts go through uint64, right shifts of negative values
 * are arithmetic (floor), as numpy's right_shift.
 *
 * Saturation always clips; the kernel reports whether any clip changed a
 * value. With overflow="raise" the golden model raises at the first such
 * value, so the caller reruns the golden model then (same error, same text).
 *
 * Threads split the batch (rows.h); each owns its rows for all steps, and a
 * row runs its whole sequence before the next, so its state stays in L1.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"

typedef int64_t i64;

/* input element types (the in_kind argument) */
enum { IN_I64 = 0, IN_F32 = 1, IN_F64 = 2 };
/* output element types (the out_kind argument) */
enum { OUT_I64 = 0, OUT_F32 = 1, OUT_F64 = 2 };
/* return codes, OR-ed over threads */
enum { DMP_OK = 0, DMP_NOMEM = 1, DMP_CLIPPED = 2, DMP_OFF_GRID = 4 };

typedef struct {
  const void *s_in;
  int in_kind;
  long st_t, st_b, st_m; /* input strides, elements */
  double in_scale;       /* float inputs: integer = rint(x / in_scale) */
  i64 in_lo, in_hi;      /* float inputs: accepted integer range */
  long T, B, M, N, D, delay, dilation;
  const i64 *wt; /* Dense weights transposed, (M, N + 1), drive last */
  int weight_exp;
  const i64 *bias; /* (N) */
  i64 bias_x, vth, dv;
  const i64 *at, *bbar; /* A_bar^T (D, D), B_bar (D) */
  const i64 *pt, *nu;   /* P^T (D, N), nu (N) */
  int sh_a, sh_b, sh_p, sh_nu;
  i64 acc_lo, acc_hi, v_lo, v_hi, m_lo, m_hi;
  int hard;
  int out_kind;
  double out_scale; /* float outputs: v is written as v * out_scale */
  void *out_s, *out_v;
  i64 *out_m, *out_x;
} dmp_args;

/* fixed_point.rshift: right shift rounding half away from zero, n <= 0 an
 * exact left shift (wrapping as numpy's left_shift) */
static inline i64 rshift(i64 x, int n) {
  if (n <= 0) return (i64)((uint64_t)x << -n);
  return (x + ((((i64)1) << (n - 1)) - (x < 0))) >> n;
}

/* fixed_point.saturate (overflow="saturate"); *clipped records a change */
static inline i64 sat(i64 x, i64 lo, i64 hi, int *clipped) {
  i64 y = x < lo ? lo : (x > hi ? hi : x);
  *clipped |= y != x;
  return y;
}

/* One input element as an integer. Float inputs follow _quantized_forward:
 * rint(x / in_scale) (ties to even, as numpy.rint), on the grid within 1e-3
 * and inside [in_lo, in_hi]; anything else (NaN included) is flagged and the
 * caller takes the numpy path, which reports it. */
static inline i64 input_at(const dmp_args *k, long off, int *bad) {
  double r;
  if (k->in_kind == IN_I64) return ((const i64 *)k->s_in)[off];
  if (k->in_kind == IN_F32)
    r = (double)((const float *)k->s_in)[off] / k->in_scale;
  else
    r = ((const double *)k->s_in)[off] / k->in_scale;
  double q = nearbyint(r);
  if (!(fabs(r - q) <= 1e-3) || !(q >= (double)k->in_lo) ||
      !(q <= (double)k->in_hi)) {
    *bad = 1;
    return 0;
  }
  return (i64)q;
}

/* fixed_point.dense_bit_acc for one input row: acc (N + 1) = (W s) << exp,
 * or >> -exp (floor). Zero inputs are skipped (spikes are sparse), unit ones
 * add a weight column without a product. */
static void dense(const dmp_args *k, long row, i64 *restrict acc, int *bad) {
  const long M = k->M, N1 = k->N + 1;
  const i64 *restrict wt = k->wt;
  for (long n = 0; n < N1; ++n) acc[n] = 0;
  for (long j = 0; j < M; ++j) {
    const i64 sj = input_at(k, row + j * k->st_m, bad);
    if (sj == 0) continue;
    const i64 *restrict w = wt + j * N1;
    if (sj == 1) {
      for (long n = 0; n < N1; ++n) acc[n] += w[n];
    } else {
      for (long n = 0; n < N1; ++n) acc[n] += w[n] * sj;
    }
  }
  const int e = k->weight_exp;
  if (e > 0) {
    for (long n = 0; n < N1; ++n) acc[n] = (i64)((uint64_t)acc[n] << e);
  } else if (e < 0) {
    for (long n = 0; n < N1; ++n) acc[n] >>= -e;
  }
}

/* out (N) = rshift(W x, sh) for x (D) and W^T given row-major as wt (D, N):
 * the products of fixed_point.memory_current and lmu_update */
static void project(const i64 *restrict x, const i64 *restrict wt, long D,
                    long N, int sh, i64 *restrict out) {
  for (long n = 0; n < N; ++n) out[n] = 0;
  for (long j = 0; j < D; ++j) {
    const i64 xj = x[j];
    const i64 *restrict w = wt + j * N;
    for (long n = 0; n < N; ++n) out[n] += w[n] * xj;
  }
  for (long n = 0; n < N; ++n) out[n] = rshift(out[n], sh);
}

static void store(int kind, void *base, long o, i64 value, double scale) {
  if (kind == OUT_I64)
    ((i64 *)base)[o] = value;
  else if (kind == OUT_F32) /* via double, as numpy's v * scale then a cast */
    ((float *)base)[o] = (float)((double)value * scale);
  else
    ((double *)base)[o] = (double)value * scale;
}

static int dmp_rows(const void *p, long b0, long b1) {
  const dmp_args *k = p;
  const long T = k->T, B = k->B, N = k->N, D = k->D, N1 = N + 1;
  const i64 acc_lo = k->acc_lo, acc_hi = k->acc_hi;
  const i64 v_lo = k->v_lo, v_hi = k->v_hi, vth = k->vth;
  const i64 keep = ((i64)1 << 12) - k->dv; /* fixed_point.leak, DECAY_BITS */
  const i64 *restrict bias = k->bias;
  const int hard = k->hard;
  int clipped = 0, bad = 0;
  if (b1 <= b0) return 0;
  i64 *buf = malloc(sizeof(i64) * (size_t)(N1 + 3 * N + 2 * D));
  if (buf == NULL) return DMP_NOMEM;
  i64 *restrict acc = buf, *restrict v = acc + N1, *restrict im = v + N;
  i64 *restrict tmp = im + N, *restrict m = tmp + N, *restrict newm = m + D;
  for (long b = b0; b < b1; ++b) {
    /* GoldenDMPLayer.reset */
    memset(v, 0, sizeof(i64) * (size_t)N);
    memset(im, 0, sizeof(i64) * (size_t)N);
    memset(m, 0, sizeof(i64) * (size_t)D);
    i64 xsum = 0;
    for (long t = 0; t < T; ++t) {
      /* GoldenDMPLayer._step; run(delay=True) sees s_in[t - 1], zero at 0 */
      const long ti = t - k->delay;
      if (ti >= 0) {
        dense(k, ti * k->st_t + b * k->st_b, acc, &bad);
      } else {
        for (long n = 0; n < N1; ++n) acc[n] = 0;
      }
      i64 x = acc[N] + k->bias_x;
      x = sat(x > 0 ? x : 0, acc_lo, acc_hi, &clipped);
      xsum = sat(xsum + x, acc_lo, acc_hi, &clipped);
      if (t % k->dilation == 0) {
        /* fixed_point.memory_current with the memory before the update */
        project(m, k->pt, D, N, k->sh_p, tmp);
        for (long n = 0; n < N; ++n)
          im[n] = sat(tmp[n] + rshift(xsum * k->nu[n], k->sh_nu), acc_lo,
                      acc_hi, &clipped);
        /* fixed_point.lmu_update */
        project(m, k->at, D, D, k->sh_a, newm);
        for (long i = 0; i < D; ++i)
          m[i] = sat(newm[i] + rshift(xsum * k->bbar[i], k->sh_b), k->m_lo,
                     k->m_hi, &clipped);
        xsum = 0;
      }
      /* i_f, i, then fixed_point.lif_update (leak, integrate, spike, reset) */
      const long o = (t * B + b) * N;
      for (long n = 0; n < N; ++n) {
        const i64 i_f = sat(acc[n], acc_lo, acc_hi, &clipped);
        const i64 i = sat(i_f + im[n] + bias[n], acc_lo, acc_hi, &clipped);
        i64 vn = sat(rshift(v[n] * keep, 12) + i, v_lo, v_hi, &clipped);
        const int s = vn >= vth;
        if (s) vn = hard ? 0 : vn - vth;
        v[n] = vn;
        if (k->out_s) store(k->out_kind, k->out_s, o + n, s, 1.0);
        if (k->out_v) store(k->out_kind, k->out_v, o + n, vn, k->out_scale);
      }
      if (k->out_m) memcpy(k->out_m + (t * B + b) * D, m, sizeof(i64) * D);
      if (k->out_x) k->out_x[t * B + b] = x;
    }
  }
  free(buf);
  return (clipped ? DMP_CLIPPED : 0) | (bad ? DMP_OFF_GRID : 0);
}

/* Run the layer from rest over s_in (T, B, M) of element type in_kind with
 * element strides (st_t, st_b, st_m). Outputs (each may be NULL): s and v
 * (T, B, N) of out_kind, v after the reset as GoldenDMPLayer.run stores it
 * (times out_scale for float outputs), m (T, B, D) and x (T, B) as int64.
 * Returns a DMP_* bit set: DMP_CLIPPED if a saturation changed a value,
 * DMP_OFF_GRID if a float input was not an accepted integer. */
int dmp_fixed_forward(const void *s_in, int in_kind, long st_t, long st_b,
                      long st_m, double in_scale, i64 in_lo, i64 in_hi, long T,
                      long B, long M, long N, long D, long delay,
                      long dilation, const i64 *wt, int weight_exp,
                      const i64 *bias, i64 bias_x, i64 vth, i64 dv,
                      const i64 *at, const i64 *bbar, const i64 *pt,
                      const i64 *nu, int sh_a, int sh_b, int sh_p, int sh_nu,
                      int acc_bits, int v_bits, int m_bits, int hard,
                      int out_kind, double out_scale, void *out_s, void *out_v,
                      i64 *out_m, i64 *out_x, int nthreads) {
  /* fixed_point.signed_range */
#define LO(bits) (-((i64)1 << ((bits) - 1)))
#define HI(bits) (((i64)1 << ((bits) - 1)) - 1)
  dmp_args k = {s_in,     in_kind,  st_t,       st_b,      st_m,   in_scale,
                in_lo,    in_hi,    T,          B,         M,      N,
                D,        delay,    dilation,   wt,        weight_exp,
                bias,     bias_x,   vth,        dv,        at,     bbar,
                pt,       nu,       sh_a,       sh_b,      sh_p,   sh_nu,
                LO(acc_bits), HI(acc_bits), LO(v_bits), HI(v_bits),
                LO(m_bits), HI(m_bits), hard, out_kind, out_scale,
                out_s,    out_v,    out_m,      out_x};
#undef LO
#undef HI
  return run_rows(dmp_rows, &k, B, nthreads);
}
