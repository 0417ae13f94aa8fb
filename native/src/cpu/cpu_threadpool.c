/*
 * cpu_threadpool.c -- persistent workers for the CPU backend.
 *
 * A job is (fn, arg, n, grain) cut into fixed chunks. Chunk c belongs to
 * thread c % threads (the caller is thread 0): each thread first claims its
 * own chunks from its own counter, then steals what is left of the others'.
 * So a job that repeats (a training loop calling the same op on the same
 * buffers) finds each part of its data in the cache of the core that touched
 * it last time; claiming from one shared counter let the chunks move between
 * cores from call to call, and a 10K-element add on two threads was slower
 * than on one. The caller never waits for a
 * worker that has not joined: in a process shared with PyTorch's or NumPy's
 * own threads a worker may be descheduled for a whole time slice, and an op
 * must not stall behind it. Joining goes through one atomic state word:
 *
 *     bits 63..32  job generation   bit 31  closed   bits 30..0  workers inside
 *
 * A worker enters only by a compare-and-swap that still sees the open job it
 * was woken for, so a late worker can never run a chunk of a finished job.
 * The caller closes the job once every chunk is done; workers still inside
 * leave without claiming anything, and the next job waits for them to leave
 * before it rewrites the parameters.
 */
#include "cpu_threadpool.h"

#include "hologram/hologram.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ volatile("yield")
#else
#define cpu_relax() ((void)0)
#endif

/* How long an idle worker spins before sleeping: long enough to bridge the
   Python overhead between two ops, short enough not to take a core from the
   other runtimes in the process for long. */
#define SPIN_NANOSECONDS 20000
/* A caller waiting for a chunk that a descheduled worker holds yields its core
   after this long, rather than spinning against the thread it waits for. */
#define WAIT_SPIN_NANOSECONDS 20000

#define CLOSED_BIT (UINT64_C(1) << 31)
#define ACTIVE_MASK (CLOSED_BIT - 1)

static struct {
    pthread_mutex_t init_lock;
    int initialised;
    int threads; /* including the caller */

    atomic_int busy; /* one job at a time; a second caller runs serially */
    /* the current job: written only while no worker is inside */
    hg_cpu_task_fn fn;
    void *arg;
    int64_t n, grain, chunks;
    atomic_int_fast64_t done_chunks;
    _Atomic uint64_t state;

    pthread_mutex_t sleep_lock;
    pthread_cond_t wake;
    /* Changed under sleep_lock, read without it by a caller deciding whether
       to signal: the caller stores the new job, then loads sleepers; a worker
       stores sleepers, then loads the job (both sequentially consistent), so
       one of them always sees the other. */
    atomic_int sleepers;
} pool = {.init_lock = PTHREAD_MUTEX_INITIALIZER,
          .sleep_lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .state = CLOSED_BIT};

/* next_own[t]: how many of thread t's chunks (t, t + threads, ...) have been
   claimed, by t or by a thief; one cache line each so claims do not contend. */
#define MAX_THREADS 256
static struct {
    _Alignas(64) atomic_int_fast64_t claimed;
} next_own[MAX_THREADS];

static int count_cpus(void) {
    const char *env = getenv("HOLOGRAM_NUM_THREADS");
    if (env && env[0]) {
        long v = strtol(env, NULL, 10);
        if (v >= 1) return v < MAX_THREADS ? (int)v : MAX_THREADS;
    }
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set) < MAX_THREADS ? CPU_COUNT(&set) : MAX_THREADS;
#endif
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (online < MAX_THREADS ? (int)online : MAX_THREADS) : 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs thread `self`'s chunks, then steals from the others in turn. */
static void run_chunks(int self) {
    const int64_t chunks = pool.chunks, n = pool.n, grain = pool.grain;
    const int threads = pool.threads;
    for (int i = 0; i < threads; i++) {
        const int owner = (self + i) % threads;
        for (;;) {
            const int64_t c = owner + atomic_fetch_add(&next_own[owner].claimed, 1) * threads;
            if (c >= chunks) break;
            const int64_t begin = c * grain;
            pool.fn(pool.arg, begin, begin + grain < n ? begin + grain : n);
            atomic_fetch_add(&pool.done_chunks, 1);
        }
    }
}

/* Joins the open job of generation `gen`, if it is still open. */
static int try_enter(uint64_t gen) {
    uint64_t s = atomic_load(&pool.state);
    while ((s >> 32) == gen && !(s & CLOSED_BIT)) {
        if (atomic_compare_exchange_weak(&pool.state, &s, s + 1)) return 1;
    }
    return 0;
}

static void *worker_main(void *index) {
    const int self = (int)(intptr_t)index;
    uint64_t seen = atomic_load(&pool.state) >> 32;
    for (;;) {
        uint64_t s;
        int64_t spin_until = 0;
        for (unsigned i = 0; ((s = atomic_load(&pool.state)) >> 32) == seen; i++) {
            if ((i & 255) != 255) {
                cpu_relax();
                continue;
            }
            const int64_t t = now_ns();
            if (!spin_until) spin_until = t + SPIN_NANOSECONDS;
            if (t < spin_until) continue;
            pthread_mutex_lock(&pool.sleep_lock);
            atomic_fetch_add(&pool.sleepers, 1);
            while ((atomic_load(&pool.state) >> 32) == seen) pthread_cond_wait(&pool.wake, &pool.sleep_lock);
            atomic_fetch_sub(&pool.sleepers, 1);
            pthread_mutex_unlock(&pool.sleep_lock);
        }
        seen = s >> 32;
        if (try_enter(seen)) {
            run_chunks(self);
            atomic_fetch_sub(&pool.state, 1);
        }
    }
    return NULL;
}

/* After fork() only the forking thread exists in the child: start afresh. */
static void reset_after_fork(void) {
    pool.initialised = 0;
    pool.threads = 0;
    atomic_store(&pool.busy, 0);
    atomic_store(&pool.state, CLOSED_BIT);
    pthread_mutex_init(&pool.init_lock, NULL);
    pthread_mutex_init(&pool.sleep_lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    atomic_store(&pool.sleepers, 0);
}

static void ensure_started(void) {
    if (__atomic_load_n(&pool.initialised, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&pool.init_lock);
    if (!pool.initialised) {
        static int atfork_registered;
        if (!atfork_registered) {
            pthread_atfork(NULL, NULL, reset_after_fork);
            atfork_registered = 1;
        }
        int wanted = count_cpus(), started = 1;
        /* Workers read pool.threads only inside a job, after this store is
           published by the job's state word. */
        for (int i = 1; i < wanted; i++) {
            pthread_t t;
            pthread_attr_t attr;
            pthread_attr_init(&attr);
            pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
            /* Worker indices are dense: a refused thread leaves no hole. */
            if (pthread_create(&t, &attr, worker_main, (void *)(intptr_t)started) == 0) started++;
            pthread_attr_destroy(&attr);
        }
        pool.threads = started; /* fewer if the system refused threads: still correct */
        __atomic_store_n(&pool.initialised, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&pool.init_lock);
}

int hg_cpu_num_threads(void) {
    ensure_started();
    return pool.threads;
}

int32_t hg_cpu_threads(void) { return hg_cpu_num_threads(); }

static void run_serially(int64_t n, int64_t grain, hg_cpu_task_fn fn, void *arg) {
    /* The same chunks as a parallel run, so results do not depend on threads. */
    for (int64_t begin = 0; begin < n; begin += grain) fn(arg, begin, begin + grain < n ? begin + grain : n);
}

void hg_cpu_parallel_for(int64_t n, int64_t grain, hg_cpu_task_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n <= grain) {
        fn(arg, 0, n);
        return;
    }
    ensure_started();
    int expected = 0;
    if (pool.threads <= 1 || !atomic_compare_exchange_strong(&pool.busy, &expected, 1)) {
        run_serially(n, grain, fn, arg);
        return;
    }
    /* Workers of the previous job may still be on their way out. */
    while (atomic_load(&pool.state) & ACTIVE_MASK) cpu_relax();
    pool.fn = fn;
    pool.arg = arg;
    pool.n = n;
    pool.grain = grain;
    pool.chunks = (n + grain - 1) / grain;
    for (int t = 0; t < pool.threads; t++) atomic_store(&next_own[t].claimed, 0);
    atomic_store(&pool.done_chunks, 0);
    const uint64_t gen = (atomic_load(&pool.state) >> 32) + 1;
    atomic_store(&pool.state, (gen & 0xffffffffu) << 32); /* open, nobody inside */
    if (atomic_load(&pool.sleepers)) {
        pthread_mutex_lock(&pool.sleep_lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.sleep_lock);
    }
    run_chunks(0);
    /* Chunks claimed by workers must finish; unclaimed ones do not exist. */
    int64_t yield_after = 0;
    for (unsigned i = 0; atomic_load(&pool.done_chunks) < pool.chunks; i++) {
        if ((i & 255) != 255) {
            cpu_relax();
            continue;
        }
        const int64_t t = now_ns();
        if (!yield_after) yield_after = t + WAIT_SPIN_NANOSECONDS;
        if (t >= yield_after) sched_yield();
    }
    atomic_fetch_or(&pool.state, CLOSED_BIT);
    atomic_store(&pool.busy, 0);
}
