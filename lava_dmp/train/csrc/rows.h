/* Run fn(args, b0, b1) over batch rows [0, B) split across threads.
 *
 * Plain pthreads, not OpenMP: torch brings its own OpenMP runtime, and two
 * runtimes in one process spin against each other on a small machine. A
 * thread per call costs microseconds; a call runs a whole sequence.
 */
#ifndef LAVA_DMP_ROWS_H
#define LAVA_DMP_ROWS_H
#include <pthread.h>

#define MAX_THREADS 64

typedef int (*rows_fn)(const void *args, long b0, long b1);

typedef struct {
  rows_fn fn;
  const void *args;
  long b0, b1;
  int failed;
} rows_job;

static void *rows_main(void *p) {
  rows_job *job = (rows_job *)p;
  job->failed = job->fn(job->args, job->b0, job->b1);
  return NULL;
}

/* Returns nonzero if any range failed (an allocation). */
static int run_rows(rows_fn fn, const void *args, long B, int nthreads) {
  rows_job jobs[MAX_THREADS];
  pthread_t tids[MAX_THREADS];
  int started[MAX_THREADS] = {0}, failed = 0;
  if (nthreads > B) nthreads = (int)B;
  if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
  if (nthreads < 1) nthreads = 1;
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
#endif
