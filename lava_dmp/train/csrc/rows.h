/* Run fn(args, b0, b1) over batch rows [0, B) split across threads.
 *
 * Built with -fopenmp, the split runs on the OpenMP runtime that torch has
 * already loaded (the loader resolves libgomp.so.1 to torch's copy): its
 * worker threads are the ones that spin after each torch operation, so they
 * take the rows at once instead of competing with threads of our own for the
 * two cores. Without OpenMP, plain pthreads: a thread per call costs
 * microseconds; a call runs a whole sequence.
 */
#ifndef LAVA_DMP_ROWS_H
#define LAVA_DMP_ROWS_H

typedef int (*rows_fn)(const void *args, long b0, long b1);

/* Threads to use: at least one, at most one per row and at most cap. */
static int clamp_threads(int nthreads, long B, int cap) {
  if (nthreads > B) nthreads = (int)B;
  if (nthreads > cap) nthreads = cap;
  return nthreads < 1 ? 1 : nthreads;
}

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
/* Subnormal floats (a trained network's gradients underflow into them in
 * the backward) cost a hundred cycles an operation: flush them to zero in
 * this thread for the call and restore the caller's mode after. */
#define FTZ_DAZ 0x8040u
static int call_flushed(rows_fn fn, const void *args, long b0, long b1) {
  const unsigned int saved = _mm_getcsr();
  _mm_setcsr(saved | FTZ_DAZ);
  const int failed = fn(args, b0, b1);
  _mm_setcsr(saved);
  return failed;
}
#else
static int call_flushed(rows_fn fn, const void *args, long b0, long b1) {
  return fn(args, b0, b1);
}
#endif

#ifdef _OPENMP
#include <omp.h>

/* Returns nonzero if any range failed (an allocation). */
static int run_rows(rows_fn fn, const void *args, long B, int nthreads) {
  int failed = 0;
  nthreads = clamp_threads(nthreads, B, omp_get_thread_limit());
#pragma omp parallel num_threads(nthreads) reduction(| : failed)
  {
    const long i = omp_get_thread_num(), n = omp_get_num_threads();
    failed |= call_flushed(fn, args, B * i / n, B * (i + 1) / n);
  }
  return failed;
}
#else
#include <pthread.h>

#define MAX_THREADS 64

typedef struct {
  rows_fn fn;
  const void *args;
  long b0, b1;
  int failed;
} rows_job;

static void *rows_main(void *p) {
  rows_job *job = (rows_job *)p;
  job->failed = call_flushed(job->fn, job->args, job->b0, job->b1);
  return NULL;
}

/* Returns nonzero if any range failed (an allocation). */
static int run_rows(rows_fn fn, const void *args, long B, int nthreads) {
  rows_job jobs[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  int started[MAX_THREADS] = {0}, failed = 0;
  nthreads = clamp_threads(nthreads, B, MAX_THREADS);
  for (int i = 0; i < nthreads; ++i) {
    jobs[i].fn = fn;
    jobs[i].args = args;
    jobs[i].b0 = B * i / nthreads;
    jobs[i].b1 = B * (i + 1) / nthreads;
    jobs[i].failed = 0;
  }
  for (int i = 1; i < nthreads; ++i)
    started[i] = pthread_create(&tids[i], NULL, rows_main, &jobs[i]) == 0;
  for (int i = 1; i < nthreads; ++i)
    if (!started[i]) rows_main(&jobs[i]); /* no thread: run it here */
  rows_main(&jobs[0]);
  for (int i = 0; i < nthreads; ++i) {
    if (started[i]) pthread_join(tids[i], NULL);
    failed |= jobs[i].failed;
  }
  return failed;
}
#endif /* _OPENMP */
#endif
