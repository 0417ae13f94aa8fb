/*
 * cpu_threadpool.h -- the CPU backend's own thread pool (no OpenMP: it would
 * fight the runtimes of PyTorch and NumPy living in the same process).
 *
 * Persistent workers spin briefly after each job, then sleep, so a burst of
 * small ops pays no wake-up latency while an idle process burns no CPU.
 * One job runs at a time: a caller that finds the pool busy (another Python
 * thread's op) runs its work serially instead of waiting, so many threads can
 * call into one executor safely.
 */
#ifndef HOLOGRAM_CPU_THREADPOOL_H
#define HOLOGRAM_CPU_THREADPOOL_H

#include <stdint.h>

/* Runs fn(arg, begin, end) over [0, n) split into chunks of at least `grain`
   items (the last may be shorter). Chunk boundaries depend only on n and
   grain, never on the thread count, so results are bit-identical whatever
   HOLOGRAM_NUM_THREADS says. Returns when every chunk has run; runs in the
   calling thread alone when n <= grain, when there is one thread, or when
   the pool is busy. */
typedef void (*hg_cpu_task_fn)(void *arg, int64_t begin, int64_t end);
void hg_cpu_parallel_for(int64_t n, int64_t grain, hg_cpu_task_fn fn, void *arg);

/* Threads a job may use, the caller included: HOLOGRAM_NUM_THREADS, else the
   CPUs this process may run on. */
int hg_cpu_num_threads(void);

#endif /* HOLOGRAM_CPU_THREADPOOL_H */
