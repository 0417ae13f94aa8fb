/*
 * bench_gemm.c -- GFLOP/s of the CPU GEMM (and matvec) kernels per size, ISA
 * and dtype, called directly through hg_cpu_kernel_lookup_isa. Not part of
 * `make test`; run with `make -C native bench-gemm` or by hand:
 *
 *   build/plain/bench_gemm [options] [size ...]
 *     -isa NAME     only this ISA (scalar, avx2, avx512)
 *     -dtype f32|f64
 *     -trans N      flags: 0 none, 1 A^T, 2 B^T, 3 both (default 0)
 *     -t SECONDS    time per measurement (default 0.3)
 *     -matvec       y = A x instead of GEMM
 *     -pack N       force what is packed (0 none, 1 A, 2 B, 3 both; B^T always)
 *                   instead of the size rules -- for tuning them
 *     -kc N, -mc N, -nc N
 *                   force the block sizes instead of deriving them from the
 *                   caches (MC, NC rounded down to whole micro-tiles) -- for
 *                   tuning them on a new CPU without a rebuild
 *
 * Each size is square (m = n = k) unless given as MxNxK (or MxN). Reported: the best
 * of 5 timing rounds, each a loop of back-to-back calls (as a training loop
 * would make them), in GFLOP/s = 2 m n k / time. Threads: the library's
 * pool (HOLOGRAM_NUM_THREADS).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu_gemm_internal.h"
#include "cpu_kernels.h"
#include "hologram/backend.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *alloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void fill(void *p, int64_t n, int f64, uint64_t seed)
{
    for (int64_t i = 0; i < n; ++i) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        const double v = (double)(seed >> 11) / 9007199254740992.0 - 0.5;
        if (f64)
            ((double *)p)[i] = v;
        else
            ((float *)p)[i] = (float)v;
    }
}

/* Seconds per call: best of 5 rounds of back-to-back calls. */
static double time_call(hg_kernel_fn fn, const hg_op_args *args, double budget)
{
    fn(NULL, args); /* warm-up: caches, scratch buffer, thread pool */
    int reps = 1;
    for (;;) {
        const double t0 = now();
        for (int r = 0; r < reps; ++r)
            fn(NULL, args);
        const double dt = now() - t0;
        if (dt > budget / 10 || reps > (1 << 24))
            break;
        reps *= 2;
    }
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {
        const double t0 = now();
        for (int r = 0; r < reps; ++r)
            fn(NULL, args);
        const double dt = (now() - t0) / reps;
        if (dt < best)
            best = dt;
    }
    return best;
}

int main(int argc, char **argv)
{
    const char *only_isa = NULL, *only_dtype = NULL;
    uint32_t trans = 0;
    double budget = 0.3;
    int matvec = 0;
    int64_t dims[64][3];
    int ndims = 0;
    for (int i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "-isa") && i + 1 < argc)
            only_isa = argv[++i];
        else if (!strcmp(argv[i], "-dtype") && i + 1 < argc)
            only_dtype = argv[++i];
        else if (!strcmp(argv[i], "-trans") && i + 1 < argc)
            trans = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            budget = atof(argv[++i]);
        else if (!strcmp(argv[i], "-matvec"))
            matvec = 1;
        else if (!strcmp(argv[i], "-pack") && i + 1 < argc)
            atomic_store(&hg_gemm_test_pack, atoi(argv[++i]));
        else if (!strcmp(argv[i], "-kc") && i + 1 < argc) /* force block sizes (tuning) */
            atomic_store(&hg_gemm_test_kc, atoi(argv[++i]));
        else if (!strcmp(argv[i], "-mc") && i + 1 < argc)
            atomic_store(&hg_gemm_test_mc, atoi(argv[++i]));
        else if (!strcmp(argv[i], "-nc") && i + 1 < argc)
            atomic_store(&hg_gemm_test_nc, atoi(argv[++i]));
        else if (ndims < 64) {
            long long m = 0, n = 0, k = 0;
            const int got = sscanf(argv[i], "%lldx%lldx%lld", &m, &n, &k);
            if (got == 1)
                n = k = m;
            else if (got == 2)
                k = n; /* M x N: matvec's shape (GEMM: k = n) */
            if (got < 1 || m <= 0 || n <= 0 || k <= 0) {
                fprintf(stderr, "bad size %s\n", argv[i]);
                return 2;
            }
            dims[ndims][0] = m;
            dims[ndims][1] = n;
            dims[ndims][2] = k;
            ++ndims;
        }
    }
    if (ndims == 0) {
        static const int64_t defaults[] = {64, 128, 256, 512, 1024, 2048};
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; ++i, ++ndims)
            dims[ndims][0] = dims[ndims][1] = dims[ndims][2] = defaults[i];
    }
    printf("%-8s %-5s %-5s %-16s %12s %10s\n", "isa", "dtype", "trans", "m x n x k", "time (us)",
           matvec ? "GB/s" : "GFLOP/s");
    for (int isa = 0; isa < HG_CPU_ISA_COUNT; ++isa) {
        if (!hg_cpu_isa_supported(isa) || (only_isa && strcmp(only_isa, hg_cpu_isa_name(isa))))
            continue;
        for (int f64 = 0; f64 < 2; ++f64) {
            if (only_dtype && strcmp(only_dtype, f64 ? "f64" : "f32"))
                continue;
            const uint32_t dtype = f64 ? HG_DTYPE_FLOAT64 : HG_DTYPE_FLOAT32;
            const size_t es = f64 ? 8 : 4;
            hg_kernel_fn fn = hg_cpu_kernel_lookup_isa(isa, matvec ? HG_OP_MATVEC : HG_OP_GEMM, dtype);
            for (int d = 0; d < ndims; ++d) {
                const int64_t m = dims[d][0], n = dims[d][1], k = matvec ? 1 : dims[d][2];
                void *a = alloc((size_t)(m * (matvec ? n : k)) * es);
                void *b = alloc((size_t)((matvec ? n : k * n)) * es);
                void *c = alloc((size_t)(matvec ? m : m * n) * es);
                fill(a, m * (matvec ? n : k), f64, 1);
                fill(b, matvec ? n : k * n, f64, 2);
                fill(c, matvec ? m : m * n, f64, 3);
                hg_op_args args;
                memset(&args, 0, sizeof args);
                args.op = matvec ? HG_OP_MATVEC : HG_OP_GEMM;
                args.dtype = dtype;
                args.flags = matvec ? 0 : trans;
                args.num_operands = 3;
                args.dims[0] = m;
                args.dims[1] = n;
                args.dims[2] = k;
                args.scalar[0] = 1.0;
                args.scalar[1] = 0.0;
                args.operand[0] = a;
                args.operand[1] = b;
                args.operand[2] = c;
                const double t = time_call(fn, &args, budget);
                const double rate = matvec ? (double)(m * n) * (double)es / t * 1e-9
                                           : 2.0 * (double)m * (double)n * (double)k / t * 1e-9;
                char shape[64];
                snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)m, (long long)n,
                         (long long)k);
                printf("%-8s %-5s %-5u %-16s %12.1f %10.1f\n", hg_cpu_isa_name(isa),
                       f64 ? "f64" : "f32", matvec ? 0u : trans, shape, t * 1e6, rate);
                fflush(stdout);
                free(a);
                free(b);
                free(c);
            }
        }
    }
    return 0;
}
