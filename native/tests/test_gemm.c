/*
 * test_gemm.c -- the blocked GEMM (and matvec) kernels against a
 * double-precision reference (long double for float64), under every ISA this
 * machine runs.
 *
 * The sizes are aimed at the edges of the blocking, which the kernels report
 * through hg_cpu_gemm_blocking_<dtype>_<isa>: micro-tile multiples +-1 in m
 * and n, KC +-1 (k blocks), MC +-1 (row tasks), NC +-1 (column blocks), the
 * in-place path for small products and the packed one for larger ones,
 * 1 x N and N x 1, all four transpose combinations, alpha/beta including
 * beta == 0 over a C full of NaN (C must not be read), k == 0, operands
 * behind byte offsets and A == B. Repeating a call must give identical bits.
 *
 * Output: failures on stderr, then "N passed, N failed"; exit status 1 on any
 * failure.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_gemm_internal.h"
#include "cpu_kernels.h"
#include "hologram/backend.h"

static int g_isa;
#define TEST_LABEL() hg_cpu_isa_name(g_isa)
#include "test_support.h"


typedef void (*blocking_fn)(int64_t m, int64_t n, int64_t k, uint32_t flags, hg_gemm_blocking *bl);
#define BLOCKING_ENTRY(isa) [HG_CPU_ISA_##isa] = {hg_cpu_gemm_blocking_f32_##isa, hg_cpu_gemm_blocking_f64_##isa},
static const blocking_fn blocking[HG_CPU_ISA_COUNT][2] = {HG_CPU_ISAS(BLOCKING_ENTRY)};
#undef BLOCKING_ENTRY

/* ---- matrices: exact-size allocations behind a byte offset --------------- */

typedef struct mat {
    int f64;
    int64_t n;           /* elements */
    size_t offset;       /* bytes before the data (hg_op_args.offset) */
    unsigned char *base; /* NULL when n == 0 */
} mat;

static size_t esize(int f64)
{
    return f64 ? sizeof(double) : sizeof(float);
}

static mat mat_new(int f64, int64_t n)
{
    mat a = {f64, n, 0, NULL};
    if (n > 0) {
        a.offset = 5 * esize(f64);
        a.base = malloc(a.offset + (size_t)n * esize(f64));
        if (!a.base) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        memset(a.base, 0xA5, a.offset);
    }
    return a;
}

static void mat_free(mat *a)
{
    free(a->base);
    a->base = NULL;
}

static double get(const mat *a, int64_t i)
{
    const unsigned char *p = a->base + a->offset;
    return a->f64 ? ((const double *)(const void *)p)[i] : ((const float *)(const void *)p)[i];
}

static void set(mat *a, int64_t i, double v)
{
    unsigned char *p = a->base + a->offset;
    if (a->f64)
        ((double *)(void *)p)[i] = v;
    else
        ((float *)(void *)p)[i] = (float)v;
}

static void fill_uniform(mat *a)
{
    for (int64_t i = 0; i < a->n; ++i)
        set(a, i, uniform(-1.0, 1.0));
}

static void fill_value(mat *a, double v)
{
    for (int64_t i = 0; i < a->n; ++i)
        set(a, i, v);
}

static void copy_mat(mat *dst, const mat *src)
{
    if (src->n)
        memcpy(dst->base + dst->offset, src->base + src->offset, (size_t)src->n * esize(src->f64));
}

static hg_status run_gemm(int f64, uint32_t flags, int64_t m, int64_t n, int64_t k, double alpha,
                          double beta, mat *a, mat *b, mat *c)
{
    hg_op_args args;
    memset(&args, 0, sizeof args);
    args.op = HG_OP_GEMM;
    args.dtype = f64 ? HG_DTYPE_FLOAT64 : HG_DTYPE_FLOAT32;
    args.flags = flags;
    args.num_operands = 3;
    args.dims[0] = m;
    args.dims[1] = n;
    args.dims[2] = k;
    args.scalar[0] = alpha;
    args.scalar[1] = beta;
    mat *ops[3] = {a, b, c};
    for (int i = 0; i < 3; ++i) {
        args.operand[i] = ops[i]->base;
        args.offset[i] = ops[i]->base ? ops[i]->offset : 0;
    }
    hg_kernel_fn fn = hg_cpu_kernel_lookup_isa(g_isa, HG_OP_GEMM, args.dtype);
    return fn ? fn(NULL, &args) : HG_ERR_UNSUPPORTED;
}

/* ---- one GEMM case --------------------------------------------------------- */

static const double alpha_beta[][2] = {{1.0, 0.0}, {0.5, 2.0}, {-1.5, 1.0}, {2.0, -0.5}};
#define N_AB ((int)(sizeof alpha_beta / sizeof alpha_beta[0]))

/* The reference C = alpha op(A) op(B) + beta C0 and its tolerance, the
   classic bound for k-term dot products: (k + 3) u (|alpha| sum|a b| +
   |beta c|). */
static void reference(int f64, uint32_t flags, int64_t m, int64_t n, int64_t k, double alpha,
                      double beta, const mat *a, const mat *b, const mat *c0, double *ref,
                      double *tol)
{
    const int ta = (flags & HG_ARG_TRANS_A) != 0, tb = (flags & HG_ARG_TRANS_B) != 0;
    const double u = f64 ? DBL_EPSILON : FLT_EPSILON;
    for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
            long double dot = 0.0L, mag = 0.0L;
            for (int64_t p = 0; p < k; ++p) {
                const double x = get(a, ta ? p * m + i : i * k + p);
                const double y = get(b, tb ? j * k + p : p * n + j);
                if (f64) {
                    dot += (long double)x * y;
                    mag += fabsl((long double)x * y);
                } else { /* x * y is exact in double for float inputs */
                    dot += (long double)(x * y);
                    mag += (long double)fabs(x * y);
                }
            }
            const double cij = beta == 0.0 ? 0.0 : get(c0, i * n + j);
            ref[i * n + j] = (double)((long double)alpha * dot + (long double)beta * cij);
            tol[i * n + j] = (double)(k + 3) * u * (fabs(alpha) * (double)mag + fabs(beta * cij));
        }
    }
}

/* 1 when every element of C is within tolerance of the reference. */
static int compare(const char *what, int64_t m, int64_t n, const mat *c, const double *ref,
                   const double *tol)
{
    for (int64_t i = 0; i < m * n; ++i) {
        const double got = get(c, i);
        if (!(fabs(got - ref[i]) <= tol[i] + 1e-300)) {
            fprintf(stderr, "  %s: C[%lld][%lld] = %.17g, want %.17g (tol %.3g)\n", what,
                    (long long)(i / n), (long long)(i % n), got, ref[i], tol[i]);
            return 0;
        }
    }
    return 1;
}

static int check_c(const char *what, int f64, uint32_t flags, int64_t m, int64_t n, int64_t k,
                   double alpha, double beta, const mat *a, const mat *b, const mat *c0,
                   const mat *c)
{
    double *ref = malloc(sizeof(double) * (size_t)(m * n + 1));
    double *tol = malloc(sizeof(double) * (size_t)(m * n + 1));
    if (!ref || !tol) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    reference(f64, flags, m, n, k, alpha, beta, a, b, c0, ref, tol);
    const int ok = compare(what, m, n, c, ref, tol);
    free(ref);
    free(tol);
    return ok;
}

/* What the kernel packs: decided by the sizes (-1), or forced (none, A, B,
   both), so that every case runs through the in-place and the packed
   paths whatever its size. */
static const int pack_modes[] = {-1, 0, 1, 2, 3};
#define N_MODES ((int)(sizeof pack_modes / sizeof pack_modes[0]))

/* All transpose combinations, each with every (alpha, beta) of `ab_mask`
   (bit i: alpha_beta[i]) and every packing mode. */
static void gemm_case(int f64, int64_t m, int64_t n, int64_t k, unsigned ab_mask, const char *why)
{
    mat a = mat_new(f64, m * k), b = mat_new(f64, k * n), c0 = mat_new(f64, m * n);
    mat c = mat_new(f64, m * n), c2 = mat_new(f64, m * n);
    double *ref = malloc(sizeof(double) * (size_t)(m * n + 1));
    double *tol = malloc(sizeof(double) * (size_t)(m * n + 1));
    if (!ref || !tol) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    fill_uniform(&a);
    fill_uniform(&b);
    fill_uniform(&c0);
    for (uint32_t flags = 0; flags < 4; ++flags) {
        for (int s = 0; s < N_AB; ++s) {
            if (!(ab_mask >> s & 1u))
                continue;
            const double alpha = alpha_beta[s][0], beta = alpha_beta[s][1];
            reference(f64, flags, m, n, k, alpha, beta, &a, &b, &c0, ref, tol);
            for (int mode = 0; mode < N_MODES; ++mode) {
                atomic_store(&hg_gemm_test_pack, pack_modes[mode]);
                copy_mat(&c, &c0);
                if (beta == 0.0)
                    fill_value(&c, NAN); /* must not be read */
                const int ran = run_gemm(f64, flags, m, n, k, alpha, beta, &a, &b, &c) == HG_OK;
                char what[200];
                snprintf(what, sizeof what,
                         "gemm %s %lldx%lldx%lld trans_a=%d trans_b=%d alpha=%g beta=%g pack=%d (%s)",
                         f64 ? "f64" : "f32", (long long)m, (long long)n, (long long)k,
                         (flags & HG_ARG_TRANS_A) != 0, (flags & HG_ARG_TRANS_B) != 0, alpha, beta,
                         pack_modes[mode], why);
                CHECK(ran && compare(what, m, n, &c, ref, tol), "%s", what);
                /* Packing moves data, never changes the arithmetic: every
                   mode gives the bits of the first. */
                if (mode == 0)
                    copy_mat(&c2, &c);
                else
                    CHECK(m * n == 0 || !memcmp(c.base + c.offset, c2.base + c2.offset,
                                                (size_t)(m * n) * esize(f64)),
                          "%s: bits differ from pack=%d", what, pack_modes[0]);
            }
            atomic_store(&hg_gemm_test_pack, -1);
        }
    }
    free(ref);
    free(tol);
    mat_free(&a);
    mat_free(&b);
    mat_free(&c0);
    mat_free(&c);
    mat_free(&c2);
}

#define AB_ALL 0xFu
#define AB_PLAIN 0x1u  /* alpha 1, beta 0 */
#define AB_TWO 0x3u    /* and alpha 0.5, beta 2 */

static void test_gemm_sizes(int f64)
{
    hg_gemm_blocking bl;
    blocking[g_isa][f64](64, 64, 64, 0, &bl);
    const int64_t MR = bl.mr, NR = bl.nr, KC = bl.kc_max;

    /* Small, and m == 1 / n == 1 (the matrix-vector path). */
    static const int64_t small[][3] = {
        {1, 1, 1}, {2, 3, 4}, {1, 37, 50}, {37, 1, 50}, {1, 1, 300}, {5, 1, 1000}, {1, 1000, 3},
        {3, 2, 1}, {64, 64, 64}, {17, 9, 2},
    };
    for (size_t s = 0; s < sizeof small / sizeof small[0]; ++s)
        gemm_case(f64, small[s][0], small[s][1], small[s][2], AB_ALL, "small");

    /* Micro-tile multiples +-1. */
    for (int64_t dm = -1; dm <= 1; ++dm)
        for (int64_t dn = -1; dn <= 1; ++dn) {
            gemm_case(f64, MR + dm, NR + dn, 7, AB_ALL, "one tile");
            gemm_case(f64, 3 * MR + dm, 2 * NR + dn, 33, dm == 0 && dn == 0 ? AB_ALL : AB_TWO, "tiles");
        }

    /* Every partial-tile shape (edge tiles use smaller register tiles: a
       third or two thirds of the rows, half of the vectors). */
    for (int64_t m = 1; m <= MR + 1; ++m)
        gemm_case(f64, MR + m, NR + NR / 2 + 1, 7, AB_TWO, "edge rows");
    for (int64_t n = 2; n <= NR + 1; ++n)
        gemm_case(f64, MR + MR / 2, NR + n, 7, AB_TWO, "edge columns");

    /* k around KC: one block, one full block, two blocks; 2 KC + 1: three. */
    const int64_t ks[] = {KC - 1, KC, KC + 1, 2 * KC + 1};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; ++i)
        gemm_case(f64, 2 * MR + 1, NR + 3, ks[i], i == 2 ? AB_ALL : AB_TWO, "k blocks");

    /* Row blocks around MC: tasks of exactly MC rows (one ic block each),
       then MC + 1 (two blocks), for k = KC (one full k block). */
    {
        const int64_t k = KC, n = NR + 1;
        hg_gemm_blocking b2, b3;
        blocking[g_isa][f64](1000, n, k, 0, &b2);
        blocking[g_isa][f64](b2.threads * b2.mc, n, k, 0, &b3);
        const int64_t m0 = b3.tasks_m * b3.mc;
        CHECK(b3.task_rows == b3.mc, "gemm %s: %lld rows are not whole MC tasks", f64 ? "f64" : "f32",
              (long long)m0);
        for (int64_t dm = -1; dm <= 1; ++dm)
            gemm_case(f64, m0 + dm, n, k, AB_PLAIN, "m around MC");
    }

    /* n around NC (column blocks). */
    {
        const int64_t k = 9, m = MR + 2;
        hg_gemm_blocking b2;
        blocking[g_isa][f64](m, 8192, k, 0, &b2);
        for (int64_t dn = -1; dn <= 1; ++dn)
            gemm_case(f64, m, b2.nc_max + dn, k, AB_PLAIN, "n around NC");
    }

    /* A product large enough for the threads and all the loops at once. */
    gemm_case(f64, 131, 157, 2 * KC + 5, AB_TWO, "threads");

    /* The size rules pack large products with page-sized rows. */
    {
        hg_gemm_blocking b2;
        blocking[g_isa][f64](4096, 4096, 4096, 0, &b2);
        CHECK(b2.pack_a && b2.pack_b, "gemm %s 4096^3 not packed", f64 ? "f64" : "f32");
        blocking[g_isa][f64](64, 64, 64, 0, &b2);
        CHECK(!b2.pack_a && !b2.pack_b, "gemm %s 64^3 packed", f64 ? "f64" : "f32");
        blocking[g_isa][f64](64, 64, 64, HG_ARG_TRANS_B, &b2);
        CHECK(b2.pack_b, "gemm %s B^T not packed", f64 ? "f64" : "f32");
    }
}

/* Forced tiny blocks (KC 5, MC two micro-tiles, NC two micro-tiles): small
   odd products cross every loop boundary -- k blocks, row blocks, column
   blocks, edge tiles -- many times, in every packing mode. The blocking
   changes the order of the k sums, so only the error bound is checked. */
static void test_gemm_tiny_blocks(int f64)
{
    hg_gemm_blocking bl;
    blocking[g_isa][f64](64, 64, 64, 0, &bl);
    atomic_store(&hg_gemm_test_kc, 5);
    atomic_store(&hg_gemm_test_mc, (int)(2 * bl.mr));
    atomic_store(&hg_gemm_test_nc, (int)(2 * bl.nr));
    blocking[g_isa][f64](100, 100, 100, 0, &bl);
    CHECK(bl.kc_max == 5 && bl.mc == 2 * bl.mr && bl.nc_max == 2 * bl.nr,
          "gemm %s: forced blocks not taken (KC %lld, MC %lld, NC %lld)", f64 ? "f64" : "f32",
          (long long)bl.kc_max, (long long)bl.mc, (long long)bl.nc_max);
    const int64_t m1 = 5 * bl.mr + 3, n1 = 5 * bl.nr + 7;
    gemm_case(f64, m1, n1, 23, AB_TWO, "tiny blocks");
    gemm_case(f64, 2 * bl.mr, 2 * bl.nr, 10, AB_PLAIN, "tiny blocks, whole");
    gemm_case(f64, 1 + bl.mr, 3 * bl.nr - 1, 11, AB_PLAIN, "tiny blocks, edges");
    atomic_store(&hg_gemm_test_kc, 0);
    atomic_store(&hg_gemm_test_mc, 0);
    atomic_store(&hg_gemm_test_nc, 0);
}

/* The same rows of C get the same bits whether they are computed in one
   call (split into tasks for the threads) or in two calls of half the rows
   each (fewer tasks, other buffers): nothing depends on the task grid. */
static void test_gemm_split(int f64)
{
    hg_gemm_blocking bl;
    blocking[g_isa][f64](64, 64, 64, 0, &bl);
    const int64_t h = 3 * bl.mr, m = 2 * h, k = bl.kc_max + 3;
    /* A width where the whole product is split into tasks but a half is
       not (so the halves run on the calling thread), if there are threads. */
    int64_t n = 2 * bl.nr + 5;
    for (int64_t w = 2; w < 8 * bl.nr; ++w) {
        hg_gemm_blocking whole, half;
        blocking[g_isa][f64](m, w, k, 0, &whole);
        blocking[g_isa][f64](h, w, k, 0, &half);
        if (whole.tasks_m * whole.tasks_n > 1 && half.tasks_m * half.tasks_n == 1) {
            n = w;
            break;
        }
    }
    mat a = mat_new(f64, m * k), b = mat_new(f64, k * n), c = mat_new(f64, m * n), c2 = mat_new(f64, m * n);
    fill_uniform(&a);
    fill_uniform(&b);
    fill_uniform(&c);
    copy_mat(&c2, &c);
    int ok = run_gemm(f64, 0, m, n, k, 1.5, 0.5, &a, &b, &c) == HG_OK;
    /* Rows [0, h) and [h, m): A and C are row-major, so a row block is the
       same buffer behind a larger byte offset. */
    for (int half = 0; half < 2 && ok; ++half) {
        mat ah = a, ch = c2;
        ah.offset += (size_t)(half * h * k) * esize(f64);
        ch.offset += (size_t)(half * h * n) * esize(f64);
        ok = run_gemm(f64, 0, h, n, k, 1.5, 0.5, &ah, &b, &ch) == HG_OK;
    }
    CHECK(ok && !memcmp(c.base + c.offset, c2.base + c2.offset, (size_t)(m * n) * esize(f64)),
          "gemm %s %lldx%lldx%lld: one call and two half calls differ", f64 ? "f64" : "f32",
          (long long)m, (long long)n, (long long)k);
    mat_free(&a);
    mat_free(&b);
    mat_free(&c);
    mat_free(&c2);
}

/* k == 0: C = beta C, or zeros (never NaN) when beta == 0. */
static void test_gemm_k0(int f64)
{
    for (int s = 0; s < N_AB; ++s) {
        const double alpha = alpha_beta[s][0], beta = alpha_beta[s][1];
        const int64_t m = 5, n = 7;
        mat a = mat_new(f64, 0), b = mat_new(f64, 0), c0 = mat_new(f64, m * n), c = mat_new(f64, m * n);
        fill_uniform(&c0);
        copy_mat(&c, &c0);
        if (beta == 0.0)
            fill_value(&c, NAN);
        int ok = run_gemm(f64, 0, m, n, 0, alpha, beta, &a, &b, &c) == HG_OK;
        for (int64_t i = 0; ok && i < m * n; ++i) {
            const double want = beta == 0.0 ? 0.0 : (double)(f64 ? beta * get(&c0, i) : (float)(beta * get(&c0, i)));
            ok = get(&c, i) == want;
        }
        CHECK(ok, "gemm %s k=0 alpha=%g beta=%g", f64 ? "f64" : "f32", alpha, beta);
        mat_free(&a);
        mat_free(&b);
        mat_free(&c0);
        mat_free(&c);
    }
    /* Empty C: nothing to do, NULL operands untouched. */
    mat a = mat_new(f64, 0), b = mat_new(f64, 0), c = mat_new(f64, 0);
    CHECK(run_gemm(f64, 3, 0, 4, 5, 1.0, 0.0, &a, &b, &c) == HG_OK, "gemm m=0");
    CHECK(run_gemm(f64, 3, 4, 0, 5, 1.0, 0.0, &a, &b, &c) == HG_OK, "gemm n=0");
}

/* A and B the same memory: C = A A^T and A^T A, in place and packed. */
static void test_gemm_alias(int f64)
{
    const int64_t sizes[][2] = {{9, 13}, {70, 150}};
    for (int s = 0; s < 2; ++s) {
        const int64_t m = sizes[s][0], k = sizes[s][1];
        mat a = mat_new(f64, m * k), c = mat_new(f64, m * m), g = mat_new(f64, k * k);
        mat c0 = mat_new(f64, m * m), g0 = mat_new(f64, k * k);
        fill_uniform(&a);
        fill_value(&c, NAN);
        fill_value(&g, NAN);
        int ok = run_gemm(f64, HG_ARG_TRANS_B, m, m, k, 1.0, 0.0, &a, &a, &c) == HG_OK &&
                 run_gemm(f64, HG_ARG_TRANS_A, k, k, m, 1.0, 0.0, &a, &a, &g) == HG_OK;
        ok = ok && check_c("A A^T", f64, HG_ARG_TRANS_B, m, m, k, 1.0, 0.0, &a, &a, &c0, &c);
        ok = ok && check_c("A^T A", f64, HG_ARG_TRANS_A, k, k, m, 1.0, 0.0, &a, &a, &g0, &g);
        CHECK(ok, "gemm %s with A and B the same buffer (%lldx%lld)", f64 ? "f64" : "f32",
              (long long)m, (long long)k);
        mat_free(&a);
        mat_free(&c);
        mat_free(&g);
        mat_free(&c0);
        mat_free(&g0);
    }
}

static void test_matvec(int f64)
{
    static const int64_t mn[][2] = {
        {0, 0}, {0, 3}, {3, 0}, {1, 1}, {7, 33}, {33, 7}, {5, 31}, {4, 32}, {4097, 3}, {3, 4097}, {300, 300},
    };
    const double u = f64 ? DBL_EPSILON : FLT_EPSILON;
    for (size_t s = 0; s < sizeof mn / sizeof mn[0]; ++s) {
        const int64_t m = mn[s][0], n = mn[s][1];
        mat a = mat_new(f64, m * n), x = mat_new(f64, n), y = mat_new(f64, m);
        fill_uniform(&a);
        fill_uniform(&x);
        fill_value(&y, NAN);
        hg_op_args args;
        memset(&args, 0, sizeof args);
        args.op = HG_OP_MATVEC;
        args.dtype = f64 ? HG_DTYPE_FLOAT64 : HG_DTYPE_FLOAT32;
        args.num_operands = 3;
        args.dims[0] = m;
        args.dims[1] = n;
        mat *ops[3] = {&a, &x, &y};
        for (int i = 0; i < 3; ++i) {
            args.operand[i] = ops[i]->base;
            args.offset[i] = ops[i]->base ? ops[i]->offset : 0;
        }
        int ok = hg_cpu_kernel_lookup_isa(g_isa, HG_OP_MATVEC, args.dtype)(NULL, &args) == HG_OK;
        for (int64_t i = 0; ok && i < m; ++i) {
            long double dot = 0.0L, mag = 0.0L;
            for (int64_t j = 0; j < n; ++j) {
                dot += (long double)get(&a, i * n + j) * get(&x, j);
                mag += fabsl((long double)get(&a, i * n + j) * get(&x, j));
            }
            const double tol = (double)(n + 2) * u * (double)mag;
            ok = fabs(get(&y, i) - (double)dot) <= tol;
            if (!ok)
                fprintf(stderr, "  y[%lld] = %.17g, want %.17g\n", (long long)i, get(&y, i), (double)dot);
        }
        CHECK(ok, "matvec %s m=%lld n=%lld", f64 ? "f64" : "f32", (long long)m, (long long)n);
        mat_free(&a);
        mat_free(&x);
        mat_free(&y);
    }
}

int main(void)
{
    for (g_isa = 0; g_isa < HG_CPU_ISA_COUNT; g_isa++) {
        if (!hg_cpu_isa_supported(g_isa)) {
            printf("isa %s: not supported here, skipped\n", hg_cpu_isa_name(g_isa));
            continue;
        }
        const int before = g_failed, passed = g_passed;
        for (int f64 = 0; f64 < 2; ++f64) {
            hg_gemm_blocking bl;
            blocking[g_isa][f64](1024, 1024, 1024, 0, &bl);
            printf("isa %s %s: tile %lldx%lld, KC %lld, MC %lld, NC %lld, threads %d\n",
                   hg_cpu_isa_name(g_isa), f64 ? "f64" : "f32", (long long)bl.mr, (long long)bl.nr,
                   (long long)bl.kc_max, (long long)bl.mc, (long long)bl.nc_max, bl.threads);
            test_gemm_sizes(f64);
            test_gemm_split(f64);
            test_gemm_tiny_blocks(f64);
            test_gemm_k0(f64);
            test_gemm_alias(f64);
            test_matvec(f64);
        }
        printf("isa %s: %d checks, %s\n", hg_cpu_isa_name(g_isa), g_passed - passed + g_failed - before,
               g_failed == before ? "ok" : "FAILED");
    }
    return test_report();
}
