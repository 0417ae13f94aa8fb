/*
 * test_kernels.c -- unit tests of the CPU kernels, called directly through
 * hg_cpu_kernel_lookup (no executor, no buffers: operands are malloc'd host
 * memory, which is what CPU memory handles are).
 *
 * Every (op, dtype) is compared with a plain double-precision loop written
 * here (long double where a reference sum must not be the weak point).
 * Operands are allocated at their exact size behind a non-zero byte offset,
 * so that sanitizers see overruns and the kernels must honour
 * hg_op_args.offset; zero-length operands are NULL handles.
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

#include "core.h"
#include "cpu_kernels.h"
#include "hologram/backend.h"

/* The ISA under test: main runs every test once per ISA this machine supports. */
static int g_isa;
#define TEST_LABEL() hg_cpu_isa_name(g_isa)
#include "test_support.h"


/* The core's own op names, so messages match what users see. */
#define op_names_at(op) hg__op_name((int32_t)(op))

static const uint32_t dtypes[2] = {HG_DTYPE_FLOAT32, HG_DTYPE_FLOAT64};
static const int64_t sizes[] = {0, 1, 7, 33, 1000, 4097};
#define NSIZES ((int)(sizeof sizes / sizeof sizes[0]))

static const char *dtype_name(uint32_t dtype)
{
    return dtype == HG_DTYPE_FLOAT32 ? "f32" : "f64";
}

static double eps_of(uint32_t dtype)
{
    return dtype == HG_DTYPE_FLOAT32 ? (double)FLT_EPSILON : DBL_EPSILON;
}

/* ---- typed test buffers -------------------------------------------------- */

typedef struct tbuf {
    uint32_t dtype;
    int64_t n;
    size_t offset;       /* bytes before the data, passed as hg_op_args.offset */
    unsigned char *base; /* NULL when n == 0 */
} tbuf;

static size_t esize(uint32_t dtype)
{
    return dtype == HG_DTYPE_FLOAT32 ? sizeof(float) : sizeof(double);
}

static tbuf tb_new(uint32_t dtype, int64_t n)
{
    tbuf b = {dtype, n, 0, NULL};
    if (n > 0) {
        b.offset = 3 * esize(dtype);
        b.base = malloc(b.offset + (size_t)n * esize(dtype));
        if (!b.base) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        memset(b.base, 0xA5, b.offset); /* bytes the kernels must not use */
    }
    return b;
}

static void tb_free(tbuf *b)
{
    free(b->base);
    b->base = NULL;
}

static double tb_get(const tbuf *b, int64_t i)
{
    const unsigned char *p = b->base + b->offset;
    if (b->dtype == HG_DTYPE_FLOAT32)
        return ((const float *)(const void *)p)[i];
    return ((const double *)(const void *)p)[i];
}

/* Stores v rounded to the buffer's dtype. */
static void tb_set(tbuf *b, int64_t i, double v)
{
    unsigned char *p = b->base + b->offset;
    if (b->dtype == HG_DTYPE_FLOAT32)
        ((float *)(void *)p)[i] = (float)v;
    else
        ((double *)(void *)p)[i] = v;
}

static void tb_fill_uniform(tbuf *b, double lo, double hi)
{
    for (int64_t i = 0; i < b->n; ++i)
        tb_set(b, i, uniform(lo, hi));
}

static void tb_fill_value(tbuf *b, double v)
{
    for (int64_t i = 0; i < b->n; ++i)
        tb_set(b, i, v);
}

static tbuf tb_clone(const tbuf *src)
{
    tbuf b = tb_new(src->dtype, src->n);
    for (int64_t i = 0; i < src->n; ++i)
        tb_set(&b, i, tb_get(src, i));
    return b;
}

static int tb_bits_equal(const tbuf *a, const tbuf *b)
{
    if (a->n != b->n)
        return 0;
    if (a->n == 0)
        return 1;
    return memcmp(a->base + a->offset, b->base + b->offset, (size_t)a->n * esize(a->dtype)) == 0;
}

/* Rounds a reference value to the dtype, as the kernel's store does. */
static double round_to(uint32_t dtype, double v)
{
    return dtype == HG_DTYPE_FLOAT32 ? (double)(float)v : v;
}

/* ---- kernel calls -------------------------------------------------------- */

typedef struct call {
    uint32_t op, dtype, flags;
    int64_t dims[4];
    double scalar[4];
    tbuf *operand[HG_MAX_OPERANDS];
    int num_operands;
} call;

static hg_status run(const call *c)
{
    hg_kernel_fn fn = hg_cpu_kernel_lookup_isa(g_isa, c->op, c->dtype);
    if (!fn)
        return HG_ERR_UNSUPPORTED;
    hg_op_args args;
    memset(&args, 0, sizeof args);
    args.op = c->op;
    args.dtype = c->dtype;
    args.flags = c->flags;
    args.num_operands = (uint32_t)c->num_operands;
    memcpy(args.dims, c->dims, sizeof args.dims);
    memcpy(args.scalar, c->scalar, sizeof args.scalar);
    for (int i = 0; i < c->num_operands; ++i) {
        args.operand[i] = c->operand[i]->base;
        args.offset[i] = c->operand[i]->base ? c->operand[i]->offset : 0;
    }
    return fn(NULL, &args);
}

/* ---- comparisons --------------------------------------------------------- */

/* Distance from |v| to the next representable value of the dtype. */
static double ulp_of(uint32_t dtype, double v)
{
    if (dtype == HG_DTYPE_FLOAT32) {
        const float f = fabsf((float)v);
        return (double)nextafterf(f, INFINITY) - (double)f;
    }
    const double d = fabs(v);
    return nextafter(d, INFINITY) - d;
}

/* got is close to the exact reference when it is within `ulps` units in the
   last place of the dtype, or within atol. NaN matches only NaN; an infinite
   (or overflowing) reference must be matched exactly. */
static int close_enough(uint32_t dtype, double got, double ref, double ulps, double atol)
{
    if (isnan(ref))
        return isnan(got);
    if (isnan(got))
        return 0;
    const double rounded = round_to(dtype, ref);
    if (isinf(rounded) || isinf(got))
        return got == rounded;
    const double err = fabs(got - ref);
    return err <= atol || err <= ulps * ulp_of(dtype, ref);
}

/* Compares out[0..n) with ref, element i within `ulps` or atols[i] (atols
   may be NULL: then atol for all); reports the first mismatch. */
static int matches_impl(const char *what, const tbuf *out, const double *ref, int64_t n,
                        double ulps, double atol, const double *atols)
{
    for (int64_t i = 0; i < n; ++i) {
        const double got = tb_get(out, i);
        if (!close_enough(out->dtype, got, ref[i], ulps, atols ? atols[i] : atol)) {
            fprintf(stderr, "  %s: index %lld: got %.17g, want %.17g (%.3g ulp)\n", what,
                    (long long)i, got, ref[i], fabs(got - ref[i]) / ulp_of(out->dtype, ref[i]));
            return 0;
        }
    }
    return 1;
}

static int matches(const char *what, const tbuf *out, const double *ref, int64_t n, double ulps,
                   double atol)
{
    return matches_impl(what, out, ref, n, ulps, atol, NULL);
}

static int matches_atols(const char *what, const tbuf *out, const double *ref, int64_t n,
                         double ulps, const double *atols)
{
    return matches_impl(what, out, ref, n, ulps, 0.0, atols);
}

static double *ref_alloc(int64_t n)
{
    double *r = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    if (!r) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return r;
}

/* ---- reference functions -------------------------------------------------- */

static double ref_maximum(double x, double y)
{
    if (isnan(x) || isnan(y))
        return NAN;
    return x > y ? x : y;
}

static double ref_minimum(double x, double y)
{
    if (isnan(x) || isnan(y))
        return NAN;
    return x < y ? x : y;
}

static double ref_binary(uint32_t op, double x, double y)
{
    switch (op) {
    case HG_OP_ADD: return x + y;
    case HG_OP_SUB: return x - y;
    case HG_OP_MUL: return x * y;
    case HG_OP_DIV: return x / y;
    case HG_OP_MAXIMUM: return ref_maximum(x, y);
    case HG_OP_MINIMUM: return ref_minimum(x, y);
    default: return NAN;
    }
}

static double ref_gelu(double x)
{
    return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
}

static double ref_gelu_tanh(double x)
{
    const double u = sqrt(2.0 / 3.14159265358979323846) * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1.0 + tanh(u));
}

static double ref_unary(uint32_t op, double x)
{
    switch (op) {
    case HG_OP_NEG: return -x;
    case HG_OP_ABS: return fabs(x);
    case HG_OP_RELU: return isnan(x) ? x : (x > 0.0 ? x : 0.0);
    case HG_OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case HG_OP_TANH: return tanh(x);
    case HG_OP_EXP: return exp(x);
    case HG_OP_LOG: return log(x);
    case HG_OP_SQRT: return sqrt(x);
    case HG_OP_GELU: return ref_gelu(x);
    case HG_OP_GELU_TANH: return ref_gelu_tanh(x);
    default: return NAN;
    }
}

/* The PyTorch-style clamped log of the loss definitions. */
static double ref_clamped_log(double v)
{
    const double lv = log(v);
    if (isnan(lv))
        return lv;
    return lv < -100.0 ? -100.0 : lv;
}

/* ---- lookup --------------------------------------------------------------- */

static void test_lookup(void)
{
    for (uint32_t op = 0; op < HG_OP_COUNT; ++op) {
        hg_kernel_fn f32 = hg_cpu_kernel_lookup_isa(g_isa, op, HG_DTYPE_FLOAT32);
        hg_kernel_fn f64 = hg_cpu_kernel_lookup_isa(g_isa, op, HG_DTYPE_FLOAT64);
        CHECK(f32 != NULL && f64 != NULL && f32 != f64, "lookup %s: f32 %p f64 %p", op_names_at(op),
              (void *)(uintptr_t)f32, (void *)(uintptr_t)f64);
        const uint32_t reserved[] = {HG_DTYPE_FLOAT16, HG_DTYPE_BFLOAT16, HG_DTYPE_INT32,
                                     HG_DTYPE_COUNT, 1000u, UINT32_MAX};
        for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; ++i)
            CHECK(hg_cpu_kernel_lookup_isa(g_isa, op, reserved[i]) == NULL, "lookup %s dtype %u is not NULL",
                  op_names_at(op), reserved[i]);
    }
    const uint32_t bad_ops[] = {HG_OP_COUNT, HG_OP_COUNT + 1u, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_ops / sizeof bad_ops[0]; ++i)
        for (int d = 0; d < 2; ++d)
            CHECK(hg_cpu_kernel_lookup_isa(g_isa, bad_ops[i], dtypes[d]) == NULL, "lookup op %u is not NULL",
                  bad_ops[i]);
}

/* ---- fill and copy ------------------------------------------------------- */

static void test_fill_copy(void)
{
    const double values[] = {3.25, 0.1, -0.0, INFINITY, NAN, 1e300};
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (int s = 0; s < NSIZES; ++s) {
            const int64_t n = sizes[s];
            for (size_t v = 0; v < sizeof values / sizeof values[0]; ++v) {
                tbuf out = tb_new(dt, n);
                tb_fill_value(&out, 7.0);
                call c = {.op = HG_OP_FILL, .dtype = dt, .dims = {n}, .scalar = {values[v]},
                          .operand = {&out}, .num_operands = 1};
                const hg_status st = run(&c);
                int ok = st == HG_OK;
                const double want = round_to(dt, values[v]);
                for (int64_t i = 0; ok && i < n; ++i) {
                    const double got = tb_get(&out, i);
                    ok = isnan(want) ? isnan(got)
                                     : got == want && signbit(got) == signbit(want);
                }
                CHECK(ok, "fill %s n=%lld value %g", dtype_name(dt), (long long)n, values[v]);
                tb_free(&out);
            }

            tbuf in = tb_new(dt, n);
            tb_fill_uniform(&in, -5.0, 5.0);
            if (n > 2) {
                tb_set(&in, 0, NAN);
                tb_set(&in, 1, -INFINITY);
            }
            tbuf out = tb_new(dt, n);
            tb_fill_value(&out, 1.0);
            call c = {.op = HG_OP_COPY, .dtype = dt, .dims = {n}, .operand = {&in, &out},
                      .num_operands = 2};
            CHECK(run(&c) == HG_OK && tb_bits_equal(&in, &out), "copy %s n=%lld", dtype_name(dt),
                  (long long)n);
            tbuf same = tb_clone(&in);
            call c2 = {.op = HG_OP_COPY, .dtype = dt, .dims = {n}, .operand = {&same, &same},
                       .num_operands = 2};
            CHECK(run(&c2) == HG_OK && tb_bits_equal(&in, &same), "copy in place %s n=%lld",
                  dtype_name(dt), (long long)n);
            tb_free(&in);
            tb_free(&out);
            tb_free(&same);
        }
    }
}

/* ---- binary and scalar ops ------------------------------------------------ */

/* Random operands with the IEEE special cases in the first slots. */
static void fill_binary_inputs(tbuf *a, tbuf *b)
{
    tb_fill_uniform(a, -10.0, 10.0);
    tb_fill_uniform(b, -10.0, 10.0);
    if (a->n >= 7) {
        tb_set(a, 0, NAN);
        tb_set(b, 1, NAN);
        tb_set(a, 2, INFINITY);
        tb_set(b, 2, INFINITY);
        tb_set(a, 3, -INFINITY);
        tb_set(b, 4, 0.0);
        tb_set(a, 5, -0.0);
        tb_set(b, 5, 0.0);
        tb_set(a, 6, 2.5);
        tb_set(b, 6, 2.5);
    }
}

static void test_binary(void)
{
    const uint32_t ops[] = {HG_OP_ADD, HG_OP_SUB, HG_OP_MUL, HG_OP_DIV, HG_OP_MAXIMUM, HG_OP_MINIMUM};
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; ++o) {
            const uint32_t op = ops[o];
            for (int s = 0; s < NSIZES; ++s) {
                const int64_t n = sizes[s];
                tbuf a = tb_new(dt, n), b = tb_new(dt, n), out = tb_new(dt, n);
                fill_binary_inputs(&a, &b);
                double *ref = ref_alloc(n);
                for (int64_t i = 0; i < n; ++i)
                    ref[i] = ref_binary(op, tb_get(&a, i), tb_get(&b, i));

                /* +-0.5 ulp: the exactly rounded result (for f32 the double
                   reference rounds the same way as the float operation). */
                call c = {.op = op, .dtype = dt, .dims = {n}, .operand = {&a, &b, &out},
                          .num_operands = 3};
                CHECK(run(&c) == HG_OK && matches(op_names_at(op), &out, ref, n, 0.5, 0.0), "%s %s n=%lld",
                      op_names_at(op), dtype_name(dt), (long long)n);

                tbuf ia = tb_clone(&a);
                call ca = {.op = op, .dtype = dt, .dims = {n}, .operand = {&ia, &b, &ia},
                           .num_operands = 3};
                CHECK(run(&ca) == HG_OK && matches(op_names_at(op), &ia, ref, n, 0.5, 0.0),
                      "%s %s n=%lld in place (out == a)", op_names_at(op), dtype_name(dt), (long long)n);

                tbuf ib = tb_clone(&b);
                call cb = {.op = op, .dtype = dt, .dims = {n}, .operand = {&a, &ib, &ib},
                           .num_operands = 3};
                CHECK(run(&cb) == HG_OK && matches(op_names_at(op), &ib, ref, n, 0.5, 0.0),
                      "%s %s n=%lld in place (out == b)", op_names_at(op), dtype_name(dt), (long long)n);

                for (int64_t i = 0; i < n; ++i)
                    ref[i] = ref_binary(op, tb_get(&a, i), tb_get(&a, i));
                call cs = {.op = op, .dtype = dt, .dims = {n}, .operand = {&a, &a, &out},
                           .num_operands = 3};
                CHECK(run(&cs) == HG_OK && matches(op_names_at(op), &out, ref, n, 0.5, 0.0),
                      "%s %s n=%lld (a == b)", op_names_at(op), dtype_name(dt), (long long)n);

                free(ref);
                tb_free(&a);
                tb_free(&b);
                tb_free(&out);
                tb_free(&ia);
                tb_free(&ib);
            }
        }
    }
}

static double ref_scalar(uint32_t op, double x, double s0, double s1)
{
    switch (op) {
    case HG_OP_ADD_SCALAR: return x + s0;
    case HG_OP_MUL_SCALAR: return x * s0;
    case HG_OP_CLIP: return ref_minimum(ref_maximum(x, s0), s1);
    default: return NAN;
    }
}

static void test_scalar(void)
{
    static const struct {
        uint32_t op;
        double s0, s1;
    } cases[] = {
        {HG_OP_ADD_SCALAR, 2.5, 0.0},   {HG_OP_ADD_SCALAR, 0.1, 0.0},
        {HG_OP_ADD_SCALAR, INFINITY, 0.0},
        {HG_OP_MUL_SCALAR, -1.75, 0.0}, {HG_OP_MUL_SCALAR, 0.1, 0.0},
        {HG_OP_MUL_SCALAR, 0.0, 0.0},
        {HG_OP_CLIP, -1.0, 2.0},        {HG_OP_CLIP, -INFINITY, 0.5},
        {HG_OP_CLIP, 3.0, 1.0}, /* lo > hi: np.clip gives hi */
        {HG_OP_CLIP, NAN, 1.0},         {HG_OP_CLIP, -1.0, NAN},
    };
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
            const uint32_t op = cases[k].op;
            /* The kernels apply the scalars at the operand precision, as
               NumPy does with a Python float next to a float32 array. */
            const double s0 = round_to(dt, cases[k].s0), s1 = round_to(dt, cases[k].s1);
            for (int s = 0; s < NSIZES; ++s) {
                const int64_t n = sizes[s];
                tbuf in = tb_new(dt, n), out = tb_new(dt, n), unused = tb_new(dt, n);
                fill_binary_inputs(&in, &unused);
                double *ref = ref_alloc(n);
                for (int64_t i = 0; i < n; ++i)
                    ref[i] = ref_scalar(op, tb_get(&in, i), s0, s1);
                call c = {.op = op, .dtype = dt, .dims = {n}, .scalar = {cases[k].s0, cases[k].s1},
                          .operand = {&in, &out}, .num_operands = 2};
                CHECK(run(&c) == HG_OK && matches(op_names_at(op), &out, ref, n, 0.5, 0.0),
                      "%s(%g, %g) %s n=%lld", op_names_at(op), cases[k].s0, cases[k].s1, dtype_name(dt),
                      (long long)n);
                call ci = {.op = op, .dtype = dt, .dims = {n}, .scalar = {cases[k].s0, cases[k].s1},
                           .operand = {&in, &in}, .num_operands = 2};
                CHECK(run(&ci) == HG_OK && matches(op_names_at(op), &in, ref, n, 0.5, 0.0),
                      "%s(%g, %g) %s n=%lld in place", op_names_at(op), cases[k].s0, cases[k].s1,
                      dtype_name(dt), (long long)n);
                free(ref);
                tb_free(&in);
                tb_free(&out);
                tb_free(&unused);
            }
        }
    }
}

/* ---- unary ops ----------------------------------------------------------- */

static void test_unary(void)
{
    static const struct {
        uint32_t op;
        double lo, hi;     /* range of the random inputs */
        double ulps_f32, ulps_f64, atol;
        double special[8]; /* inputs written to the first 8 slots */
    } cases[] = {
        {HG_OP_NEG, -10, 10, 0.5, 0.5, 0, {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e30, -1e-30, 1}},
        {HG_OP_ABS, -10, 10, 0.5, 0.5, 0, {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e30, -1e-30, 1}},
        {HG_OP_RELU, -10, 10, 0.5, 0.5, 0, {NAN, INFINITY, -INFINITY, -0.0, 0.0, 1e30, -1e-30, 1}},
        /* sigmoid: saturates without NaN; tiny results in the subnormal range */
        {HG_OP_SIGMOID, -30, 30, 4, 4, 0,
         {NAN, INFINITY, -INFINITY, 1000, -1000, -100, -700, 40}},
        {HG_OP_TANH, -20, 20, 3, 2, 0, {NAN, INFINITY, -INFINITY, 1000, -1000, -0.0, 1e-30, 0.5}},
        {HG_OP_EXP, -100, 100, 2, 2, 0, {NAN, INFINITY, -INFINITY, 0, 710, -746, 88.8, -104}},
        {HG_OP_LOG, 1e-3, 100, 2, 2, 0, {NAN, INFINITY, 0.0, -1.0, 1.0, 1e-40, 1e300, -0.0}},
        {HG_OP_SQRT, 0, 1e4, 0.5, 0.5, 0, {NAN, INFINITY, -1.0, 0.0, -0.0, 1e-40, 2, 1e300}},
        /* The spec formulas lose absolute precision ~1e-16 |x| to cancellation
           for x < 0 (the kernels avoid it), hence the small atol. */
        {HG_OP_GELU, -10, 10, 4, 4, 4e-15, {NAN, INFINITY, -40, 40, 1e20, -0.0, 5.5, -5.5}},
        {HG_OP_GELU_TANH, -10, 10, 4, 4, 4e-15, {NAN, INFINITY, -40, 40, 1e20, -1e20, 5.5, -5.5}},
    };
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
            const uint32_t op = cases[k].op;
            const double ulps = dt == HG_DTYPE_FLOAT32 ? cases[k].ulps_f32 : cases[k].ulps_f64;
            for (int s = 0; s < NSIZES; ++s) {
                const int64_t n = sizes[s];
                tbuf in = tb_new(dt, n), out = tb_new(dt, n);
                tb_fill_uniform(&in, cases[k].lo, cases[k].hi);
                for (int64_t i = 0; i < n && i < 8; ++i)
                    tb_set(&in, i, cases[k].special[i]);
                double *ref = ref_alloc(n);
                for (int64_t i = 0; i < n; ++i)
                    ref[i] = ref_unary(op, tb_get(&in, i));
                call c = {.op = op, .dtype = dt, .dims = {n}, .operand = {&in, &out},
                          .num_operands = 2};
                CHECK(run(&c) == HG_OK && matches(op_names_at(op), &out, ref, n, ulps, cases[k].atol),
                      "%s %s n=%lld", op_names_at(op), dtype_name(dt), (long long)n);
                call ci = {.op = op, .dtype = dt, .dims = {n}, .operand = {&in, &in},
                           .num_operands = 2};
                CHECK(run(&ci) == HG_OK && matches(op_names_at(op), &in, ref, n, ulps, cases[k].atol),
                      "%s %s n=%lld in place", op_names_at(op), dtype_name(dt), (long long)n);
                free(ref);
                tb_free(&in);
                tb_free(&out);
            }
        }
    }
}

/* Values the element-wise tests cannot pin down with a tolerance. */
static double unary_one(uint32_t op, uint32_t dt, double x)
{
    tbuf in = tb_new(dt, 1), out = tb_new(dt, 1);
    tb_set(&in, 0, x);
    call c = {.op = op, .dtype = dt, .dims = {1}, .operand = {&in, &out}, .num_operands = 2};
    const double y = run(&c) == HG_OK ? tb_get(&out, 0) : NAN;
    tb_free(&in);
    tb_free(&out);
    return y;
}

static void test_unary_exact(void)
{
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        const char *dn = dtype_name(dt);
        CHECK(unary_one(HG_OP_SIGMOID, dt, -1000.0) == 0.0, "sigmoid(-1000) %s", dn);
        CHECK(unary_one(HG_OP_SIGMOID, dt, 1000.0) == 1.0, "sigmoid(1000) %s", dn);
        CHECK(unary_one(HG_OP_SIGMOID, dt, -INFINITY) == 0.0, "sigmoid(-inf) %s", dn);
        CHECK(unary_one(HG_OP_SIGMOID, dt, INFINITY) == 1.0, "sigmoid(inf) %s", dn);
        CHECK(unary_one(HG_OP_SIGMOID, dt, 0.0) == 0.5, "sigmoid(0) %s", dn);
        CHECK(unary_one(HG_OP_TANH, dt, 1000.0) == 1.0, "tanh(1000) %s", dn);
        CHECK(unary_one(HG_OP_TANH, dt, -1000.0) == -1.0, "tanh(-1000) %s", dn);
        CHECK(isnan(unary_one(HG_OP_RELU, dt, NAN)), "relu(nan) %s", dn);
        CHECK(unary_one(HG_OP_GELU, dt, 1e20) == round_to(dt, 1e20), "gelu(1e20) %s", dn);
        CHECK(unary_one(HG_OP_GELU_TANH, dt, 1e20) == round_to(dt, 1e20), "gelu_tanh(1e20) %s", dn);
        CHECK(unary_one(HG_OP_GELU_TANH, dt, -1e20) == 0.0, "gelu_tanh(-1e20) %s", dn);
        CHECK(unary_one(HG_OP_GELU, dt, INFINITY) == INFINITY, "gelu(inf) %s", dn);
        /* -inf * 0 in the defining formula: NaN, documented */
        CHECK(isnan(unary_one(HG_OP_GELU, dt, -INFINITY)), "gelu(-inf) %s", dn);
    }
    /* For x << 0 the float32 GELUs stay within a few ULP of the exact value
       (cpu_vmath.h's bounds: 3.5 for gelu, 1.5 for gelu_tanh), where the
       literal formula computed in float would be far off. */
    int ok = 1;
    for (double x = -9.0; x < -2.0 && ok; x += 0.0137) {
        const double xf = (double)(float)x;
        const long double xl = xf;
        const double exact = (double)(0.5L * xl * erfcl(-xl / sqrtl(2.0L)));
        const double got = unary_one(HG_OP_GELU, HG_DTYPE_FLOAT32, xf);
        ok = close_enough(HG_DTYPE_FLOAT32, got, exact, 3.5, 0.0);
        if (!ok)
            fprintf(stderr, "  gelu f32(%.9g) = %.9g, want %.9g\n", xf, got, exact);
        const long double u = sqrtl(2.0L / 3.14159265358979323846264338327950288L) *
                              (xl + 0.044715L * xl * xl * xl);
        const double exact_t = (double)(xl / (1.0L + expl(-2.0L * u)));
        const double got_t = unary_one(HG_OP_GELU_TANH, HG_DTYPE_FLOAT32, xf);
        if (ok) {
            ok = close_enough(HG_DTYPE_FLOAT32, got_t, exact_t, 2.0, 0.0);
            if (!ok)
                fprintf(stderr, "  gelu_tanh f32(%.9g) = %.9g, want %.9g\n", xf, got_t, exact_t);
        }
    }
    CHECK(ok, "gelu/gelu_tanh f32 accurate for x << 0");
}

/* ---- reductions ----------------------------------------------------------- */

typedef struct shape {
    int64_t rows, cols;
} shape;

static const shape shapes[] = {
    {0, 0}, {0, 5}, {3, 0}, {1, 1}, {1, 7}, {7, 1}, {7, 33}, {33, 7},
    {2, 1000}, {1, 4097}, {3, 4097}, {1000, 3},
};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static void test_reduce(void)
{
    const uint32_t ops[] = {HG_OP_SUM, HG_OP_MAX, HG_OP_MIN, HG_OP_MEAN};
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; ++o) {
            const uint32_t op = ops[o];
            for (int s = 0; s < NSHAPES; ++s) {
                const int64_t rows = shapes[s].rows, cols = shapes[s].cols;
                if (cols == 0 && (op == HG_OP_MAX || op == HG_OP_MIN) && rows > 0)
                    continue; /* never passed by the host; see test_reduce_edges */
                tbuf in = tb_new(dt, rows * cols), out = tb_new(dt, rows);
                tb_fill_uniform(&in, -10.0, 10.0);
                /* Specials in a few rows, at positions inside the vectorised
                   lanes and in the tail. */
                if (rows >= 3 && cols >= 2) {
                    tb_set(&in, 1 * cols + (cols - 1), NAN);
                    tb_set(&in, 2 * cols + cols / 2, INFINITY);
                    tb_set(&in, 2 * cols, -INFINITY);
                } else if (rows >= 1 && cols >= 40) {
                    tb_set(&in, cols - 3, INFINITY);
                }
                double *ref = ref_alloc(rows);
                double *atol = ref_alloc(rows);
                for (int64_t r = 0; r < rows; ++r) {
                    long double sum = 0.0L, abs_sum = 0.0L;
                    double best = cols > 0 ? tb_get(&in, r * cols) : NAN;
                    for (int64_t j = 0; j < cols; ++j) {
                        const double x = tb_get(&in, r * cols + j);
                        sum += x;
                        abs_sum += fabsl((long double)x);
                        best = op == HG_OP_MAX ? ref_maximum(best, x) : ref_minimum(best, x);
                    }
                    switch (op) {
                    case HG_OP_SUM: ref[r] = (double)sum; break;
                    case HG_OP_MEAN: ref[r] = cols > 0 ? (double)(sum / cols) : NAN; break;
                    default: ref[r] = best; break;
                    }
                    /* Double accumulation: error far below the output ULP
                       except after cancellation, bounded by the abs sum. */
                    atol[r] = 16.0 * DBL_EPSILON * (double)abs_sum / (op == HG_OP_MEAN ? (double)cols : 1.0);
                }
                call c = {.op = op, .dtype = dt, .dims = {rows, cols}, .operand = {&in, &out},
                          .num_operands = 2};
                int ok = run(&c) == HG_OK;
                for (int64_t r = 0; ok && r < rows; ++r) {
                    ok = close_enough(dt, tb_get(&out, r), ref[r], 0.5 + (op == HG_OP_MEAN), atol[r]);
                    if (!ok)
                        fprintf(stderr, "  row %lld: got %.17g want %.17g\n", (long long)r,
                                tb_get(&out, r), ref[r]);
                }
                CHECK(ok, "%s %s %lldx%lld", op_names_at(op), dtype_name(dt), (long long)rows,
                      (long long)cols);
                free(ref);
                free(atol);
                tb_free(&in);
                tb_free(&out);
            }
        }
    }
}

static double reduce_row(uint32_t op, const tbuf *in)
{
    tbuf out = tb_new(in->dtype, 1);
    tbuf *src = (tbuf *)in;
    call c = {.op = op, .dtype = in->dtype, .dims = {1, in->n}, .operand = {src, &out},
              .num_operands = 2};
    const double y = run(&c) == HG_OK ? tb_get(&out, 0) : -12345.0;
    tb_free(&out);
    return y;
}

static void test_reduce_edges(void)
{
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        const char *dn = dtype_name(dt);
        /* Empty rows: sum 0, mean NaN (and NaN, documented, for max/min). */
        {
            tbuf in = tb_new(dt, 0), out = tb_new(dt, 4);
            tb_fill_value(&out, 5.0);
            call c = {.op = HG_OP_SUM, .dtype = dt, .dims = {4, 0}, .operand = {&in, &out},
                      .num_operands = 2};
            int ok = run(&c) == HG_OK;
            for (int64_t r = 0; r < 4; ++r)
                ok = ok && tb_get(&out, r) == 0.0;
            CHECK(ok, "sum %s over cols == 0 is 0", dn);
            const uint32_t nan_ops[] = {HG_OP_MEAN, HG_OP_MAX, HG_OP_MIN};
            for (size_t o = 0; o < 3; ++o) {
                tb_fill_value(&out, 5.0);
                c.op = nan_ops[o];
                ok = run(&c) == HG_OK;
                for (int64_t r = 0; r < 4; ++r)
                    ok = ok && isnan(tb_get(&out, r));
                CHECK(ok, "%s %s over cols == 0 is NaN", op_names_at(nan_ops[o]), dn);
            }
            tb_free(&in);
            tb_free(&out);
        }
        /* NaN at every position of rows around and past the 128 lanes of
           max/min: the leftover elements fold into the lanes, and every
           lane of the tree fold is hit. */
        const int64_t sizes[] = {127, 128, 129, 200, 255, 1000};
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; ++k) {
            const int64_t n = sizes[k];
            tbuf in = tb_new(dt, n);
            int ok = 1;
            for (int64_t p = 0; p < n && ok; ++p) {
                tb_fill_uniform(&in, -1.0, 1.0);
                tb_set(&in, p, NAN);
                ok = isnan(reduce_row(HG_OP_MAX, &in)) && isnan(reduce_row(HG_OP_MIN, &in)) &&
                     isnan(reduce_row(HG_OP_SUM, &in));
                if (!ok)
                    fprintf(stderr, "  NaN at %lld of %lld lost\n", (long long)p, (long long)n);
            }
            CHECK(ok, "max/min/sum %s propagate NaN from any position of %lld", dn, (long long)n);
            /* The extreme at every position, all other entries -inf/+inf. */
            for (int64_t p = 0; p < n && ok; ++p) {
                tb_fill_value(&in, -INFINITY);
                tb_set(&in, p, 3.0);
                ok = reduce_row(HG_OP_MAX, &in) == 3.0;
                tb_fill_value(&in, INFINITY);
                tb_set(&in, p, -3.0);
                ok = ok && reduce_row(HG_OP_MIN, &in) == -3.0;
            }
            CHECK(ok, "max/min %s find the extreme at any position of %lld", dn, (long long)n);
            tb_free(&in);
        }
    }

    /* float64 sum must be accurate over millions of elements: a single
       running accumulator is off by ~1e-13 relative here, pairwise ~1e-16. */
    {
        const int64_t n = (int64_t)1 << 22;
        tbuf in = tb_new(HG_DTYPE_FLOAT64, n);
        long double s = 0.0L, comp = 0.0L;
        for (int64_t i = 0; i < n; ++i) {
            const double x = 1.0 + uniform(0.0, 1e-3);
            tb_set(&in, i, x);
            const long double y = (long double)x - comp; /* Kahan in long double */
            const long double t = s + y;
            comp = (t - s) - y;
            s = t;
        }
        const double got = reduce_row(HG_OP_SUM, &in);
        const double rel = fabs(got - (double)s) / (double)s;
        CHECK(rel < 1e-15, "sum f64 of 2^22 elements: relative error %.3g", rel);
        const double mean = reduce_row(HG_OP_MEAN, &in);
        const double rel_mean = fabs(mean - (double)(s / n)) / (double)(s / n);
        CHECK(rel_mean < 1e-15, "mean f64 of 2^22 elements: relative error %.3g", rel_mean);
        tb_free(&in);
    }
    /* float32 sum accumulates in double: float accumulation would be off by
       far more than 1 ULP over 2^20 elements. */
    {
        const int64_t n = (int64_t)1 << 20;
        tbuf in = tb_new(HG_DTYPE_FLOAT32, n);
        long double s = 0.0L;
        for (int64_t i = 0; i < n; ++i) {
            tb_set(&in, i, 1.0 + uniform(0.0, 0.01));
            s += tb_get(&in, i);
        }
        const double got = reduce_row(HG_OP_SUM, &in);
        CHECK(close_enough(HG_DTYPE_FLOAT32, got, (double)s, 0.5, 0.0),
              "sum f32 of 2^20 elements: got %.9g want %.9g", got, (double)s);
        const double mean = reduce_row(HG_OP_MEAN, &in);
        CHECK(close_enough(HG_DTYPE_FLOAT32, mean, (double)(s / n), 0.5, 0.0),
              "mean f32 of 2^20 elements: got %.9g want %.9g", mean, (double)(s / n));
        tb_free(&in);
    }
}

/* ---- softmax / log_softmax ------------------------------------------------ */

/* Mirrors NumPy's float64 max-subtracted formulas: x - m is rounded to
   double as there (exp magnifies that rounding to ~|x - m| ULP, in NumPy as
   in the kernels), the rest is exact. atol[i] bounds the absolute error of
   log_softmax, whose log(sum) near 0 loses relative, not absolute, precision
   to the rounding of the sum (~1e-16). */
static void ref_softmax_rows(uint32_t op, const tbuf *in, int64_t rows, int64_t cols, double *ref,
                             double *atol)
{
    if (cols == 0)
        return;
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t base = r * cols;
        double m = tb_get(in, base);
        for (int64_t j = 1; j < cols; ++j)
            m = ref_maximum(m, tb_get(in, base + j));
        long double s = 0.0L;
        for (int64_t j = 0; j < cols; ++j)
            s += expl((long double)(tb_get(in, base + j) - m));
        for (int64_t j = 0; j < cols; ++j) {
            const double d = tb_get(in, base + j) - m;
            if (op == HG_OP_SOFTMAX) {
                ref[base + j] = (double)(expl((long double)d) / s);
                atol[base + j] = 0.0;
            } else {
                ref[base + j] = (double)((long double)d - logl(s));
                atol[base + j] = 4.0 * DBL_EPSILON * (1.0 + fabs(d) + (double)logl(s));
            }
        }
    }
}

static void test_rowwise(void)
{
    const uint32_t ops[] = {HG_OP_SOFTMAX, HG_OP_LOG_SOFTMAX};
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t o = 0; o < 2; ++o) {
            const uint32_t op = ops[o];
            for (int s = 0; s < NSHAPES; ++s) {
                const int64_t rows = shapes[s].rows, cols = shapes[s].cols, n = rows * cols;
                tbuf in = tb_new(dt, n), out = tb_new(dt, n);
                tb_fill_uniform(&in, -20.0, 20.0);
                if (rows >= 7 && cols >= 2) {
                    /* row 1: a -inf entry; row 2: all -inf; row 3: +inf;
                       row 4: NaN; row 5: huge but finite (must not overflow);
                       row 6: far below the max (tiny probabilities). */
                    tb_set(&in, 1 * cols, -INFINITY);
                    for (int64_t j = 0; j < cols; ++j)
                        tb_set(&in, 2 * cols + j, -INFINITY);
                    tb_set(&in, 3 * cols + cols - 1, INFINITY);
                    tb_set(&in, 4 * cols, NAN);
                    for (int64_t j = 0; j < cols; ++j)
                        tb_set(&in, 5 * cols + j, 1000.0 - (double)(j % 5));
                    tb_set(&in, 6 * cols, 200.0);
                }
                double *ref = ref_alloc(n), *atol = ref_alloc(n);
                ref_softmax_rows(op, &in, rows, cols, ref, atol);
                const double ulps = 3.0;
                call c = {.op = op, .dtype = dt, .dims = {rows, cols}, .operand = {&in, &out},
                          .num_operands = 2};
                CHECK(run(&c) == HG_OK && matches_atols(op_names_at(op), &out, ref, n, ulps, atol),
                      "%s %s %lldx%lld", op_names_at(op), dtype_name(dt), (long long)rows,
                      (long long)cols);
                call ci = {.op = op, .dtype = dt, .dims = {rows, cols}, .operand = {&in, &in},
                           .num_operands = 2};
                CHECK(run(&ci) == HG_OK && matches_atols(op_names_at(op), &in, ref, n, ulps, atol),
                      "%s %s %lldx%lld in place", op_names_at(op), dtype_name(dt), (long long)rows,
                      (long long)cols);
                if (rows >= 7 && cols >= 2) {
                    /* The documented IEEE outcomes, spelled out. */
                    int ok = 1;
                    for (int64_t j = 0; j < cols; ++j)
                        ok = ok && isnan(tb_get(&out, 2 * cols + j)) &&
                             isnan(tb_get(&out, 3 * cols + j)) && isnan(tb_get(&out, 4 * cols + j)) &&
                             isfinite(tb_get(&out, 5 * cols + j));
                    ok = ok && tb_get(&out, cols) == (op == HG_OP_SOFTMAX ? 0.0 : -INFINITY);
                    CHECK(ok, "%s %s special rows", op_names_at(op), dtype_name(dt));
                }
                free(ref);
                free(atol);
                tb_free(&in);
                tb_free(&out);
            }
        }
    }
}

/* ---- losses ---------------------------------------------------------------- */

static void test_losses(void)
{
    const uint32_t ops[] = {HG_OP_MSE, HG_OP_CROSS_ENTROPY, HG_OP_BINARY_CROSS_ENTROPY};
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t o = 0; o < 3; ++o) {
            const uint32_t op = ops[o];
            for (int s = 0; s < NSHAPES; ++s) {
                const int64_t rows = shapes[s].rows, cols = shapes[s].cols, n = rows * cols;
                for (int variant = 0; variant < 2; ++variant) {
                    tbuf p = tb_new(dt, n), t = tb_new(dt, n), out = tb_new(dt, 1);
                    tb_fill_value(&out, 99.0);
                    if (op == HG_OP_MSE) {
                        tb_fill_uniform(&p, -5.0, 5.0);
                        tb_fill_uniform(&t, -5.0, 5.0);
                    } else {
                        tb_fill_uniform(&p, 1e-3, 1.0);
                        tb_fill_uniform(&t, 0.0, 1.0);
                        if (n >= 4) {
                            /* log(0) and log(1 - 1) hit the -100 clamp */
                            tb_set(&p, 0, 0.0);
                            tb_set(&p, 1, 1.0);
                            tb_set(&t, 2, 0.0);
                            tb_set(&p, 2, 0.0);
                            tb_set(&t, 3, 1.0);
                            tb_set(&p, 3, 1.0);
                        }
                    }
                    if (variant == 1 && n >= 1)
                        tb_set(&p, n / 2, NAN); /* a NaN prediction poisons the loss */

                    long double sum = 0.0L, abs_sum = 0.0L;
                    for (int64_t i = 0; i < n; ++i) {
                        const double pi = tb_get(&p, i), ti = tb_get(&t, i);
                        double term;
                        if (op == HG_OP_MSE)
                            term = (pi - ti) * (pi - ti);
                        else if (op == HG_OP_CROSS_ENTROPY)
                            term = ti * ref_clamped_log(pi);
                        else
                            term = ti * ref_clamped_log(pi) + (1.0 - ti) * ref_clamped_log(1.0 - pi);
                        sum += term;
                        abs_sum += fabsl((long double)term);
                    }
                    const int64_t divisor = op == HG_OP_CROSS_ENTROPY ? rows : n;
                    double ref;
                    if (divisor == 0)
                        ref = NAN;
                    else
                        ref = (double)((op == HG_OP_MSE ? sum : -sum) / divisor);
                    const double atol = divisor ? 16.0 * DBL_EPSILON * (double)(abs_sum / divisor) : 0.0;

                    call c = {.op = op, .dtype = dt, .dims = {rows, cols}, .operand = {&p, &t, &out},
                              .num_operands = 3};
                    const int ok = run(&c) == HG_OK;
                    const double got = tb_get(&out, 0);
                    CHECK(ok && close_enough(dt, got, ref, 1.0, atol), "%s %s %lldx%lld%s: got %.17g want %.17g",
                          op_names_at(op), dtype_name(dt), (long long)rows, (long long)cols,
                          variant ? " with NaN" : "", got, ref);
                    tb_free(&p);
                    tb_free(&t);
                    tb_free(&out);
                }
            }
        }
    }
    /* The clamp keeps perfect and perfectly wrong predictions finite. */
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        tbuf p = tb_new(dt, 2), t = tb_new(dt, 2), out = tb_new(dt, 1);
        tb_set(&p, 0, 0.0);
        tb_set(&p, 1, 1.0);
        tb_set(&t, 0, 1.0);
        tb_set(&t, 1, 0.0);
        call c = {.op = HG_OP_BINARY_CROSS_ENTROPY, .dtype = dt, .dims = {1, 2},
                  .operand = {&p, &t, &out}, .num_operands = 3};
        CHECK(run(&c) == HG_OK && tb_get(&out, 0) == 100.0, "bce %s fully wrong = 100, got %g",
              dtype_name(dt), tb_get(&out, 0));
        c.op = HG_OP_CROSS_ENTROPY;
        CHECK(run(&c) == HG_OK && tb_get(&out, 0) == 100.0, "ce %s p=0 t=1 = 100, got %g",
              dtype_name(dt), tb_get(&out, 0));
        tb_free(&p);
        tb_free(&t);
        tb_free(&out);
    }
}

/* ---- gemm / matvec ---------------------------------------------------------- */

static void test_gemm(void)
{
    static const int64_t mnk[][3] = {
        {1, 1, 1}, {7, 5, 3}, {5, 7, 33}, {33, 17, 65}, {64, 33, 129}, {2, 1000, 7},
        {37, 1, 1000}, {1, 37, 4097}, {0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {0, 0, 0},
    };
    static const double ab[][2] = {{1.0, 0.0}, {0.5, 2.0}, {-1.5, 1.0}, {2.0, -0.5}};
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        const double u = eps_of(dt);
        for (size_t sz = 0; sz < sizeof mnk / sizeof mnk[0]; ++sz) {
            const int64_t m = mnk[sz][0], n = mnk[sz][1], k = mnk[sz][2];
            tbuf a = tb_new(dt, m * k), b = tb_new(dt, k * n), c0 = tb_new(dt, m * n);
            tb_fill_uniform(&a, -1.0, 1.0);
            tb_fill_uniform(&b, -1.0, 1.0);
            tb_fill_uniform(&c0, -1.0, 1.0);
            for (uint32_t flags = 0; flags < 4; ++flags) {
                const int ta = (flags & HG_ARG_TRANS_A) != 0, tb = (flags & HG_ARG_TRANS_B) != 0;
                for (size_t s = 0; s < sizeof ab / sizeof ab[0]; ++s) {
                    const double alpha = ab[s][0], beta = ab[s][1];
                    tbuf c = tb_clone(&c0);
                    if (beta == 0.0)
                        tb_fill_value(&c, NAN); /* must not be read */
                    call cl = {.op = HG_OP_GEMM, .dtype = dt, .flags = flags, .dims = {m, n, k},
                               .scalar = {alpha, beta}, .operand = {&a, &b, &c}, .num_operands = 3};
                    int ok = run(&cl) == HG_OK;
                    for (int64_t i = 0; ok && i < m; ++i) {
                        for (int64_t j = 0; ok && j < n; ++j) {
                            long double dot = 0.0L, mag = 0.0L;
                            for (int64_t p = 0; p < k; ++p) {
                                const double x = tb_get(&a, ta ? p * m + i : i * k + p);
                                const double y = tb_get(&b, tb ? j * k + p : p * n + j);
                                dot += (long double)x * y;
                                mag += fabsl((long double)x * y);
                            }
                            const double cij = beta == 0.0 ? 0.0 : tb_get(&c0, i * n + j);
                            const double ref = (double)(alpha * dot + beta * (long double)cij);
                            /* The classic bound for k-term dot products in T. */
                            const double tol =
                                (double)(k + 3) * u * (fabs(alpha) * (double)mag + fabs(beta * cij));
                            const double got = tb_get(&c, i * n + j);
                            ok = fabs(got - ref) <= tol + 1e-300;
                            if (!ok)
                                fprintf(stderr, "  C[%lld][%lld] = %.17g, want %.17g (tol %.3g)\n",
                                        (long long)i, (long long)j, got, ref, tol);
                        }
                    }
                    CHECK(ok, "gemm %s m=%lld n=%lld k=%lld trans_a=%d trans_b=%d alpha=%g beta=%g",
                          dtype_name(dt), (long long)m, (long long)n, (long long)k, ta, tb, alpha,
                          beta);
                    tb_free(&c);
                }
            }
            tb_free(&a);
            tb_free(&b);
            tb_free(&c0);
        }
    }
    /* A and B may be the same memory: C = A A^T and A^T A. */
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        const int64_t m = 9, k = 13;
        tbuf a = tb_new(dt, m * k), c = tb_new(dt, m * m), g = tb_new(dt, k * k);
        tb_fill_uniform(&a, -1.0, 1.0);
        call c1 = {.op = HG_OP_GEMM, .dtype = dt, .flags = HG_ARG_TRANS_B, .dims = {m, m, k},
                   .scalar = {1.0, 0.0}, .operand = {&a, &a, &c}, .num_operands = 3};
        call c2 = {.op = HG_OP_GEMM, .dtype = dt, .flags = HG_ARG_TRANS_A, .dims = {k, k, m},
                   .scalar = {1.0, 0.0}, .operand = {&a, &a, &g}, .num_operands = 3};
        int ok = run(&c1) == HG_OK && run(&c2) == HG_OK;
        for (int64_t i = 0; ok && i < m; ++i)
            for (int64_t j = 0; ok && j < m; ++j) {
                long double s = 0.0L;
                for (int64_t p = 0; p < k; ++p)
                    s += (long double)tb_get(&a, i * k + p) * tb_get(&a, j * k + p);
                ok = fabs(tb_get(&c, i * m + j) - (double)s) <= 20.0 * eps_of(dt) * k;
            }
        for (int64_t i = 0; ok && i < k; ++i)
            for (int64_t j = 0; ok && j < k; ++j) {
                long double s = 0.0L;
                for (int64_t p = 0; p < m; ++p)
                    s += (long double)tb_get(&a, p * k + i) * tb_get(&a, p * k + j);
                ok = fabs(tb_get(&g, i * k + j) - (double)s) <= 20.0 * eps_of(dt) * m;
            }
        CHECK(ok, "gemm %s with A and B the same buffer", dtype_name(dt));
        tb_free(&a);
        tb_free(&c);
        tb_free(&g);
    }
}

static void test_matvec(void)
{
    static const int64_t mn[][2] = {
        {0, 0}, {0, 3}, {3, 0}, {1, 1}, {7, 33}, {33, 7}, {4097, 3}, {3, 4097}, {1000, 1000},
    };
    for (int d = 0; d < 2; ++d) {
        const uint32_t dt = dtypes[d];
        for (size_t s = 0; s < sizeof mn / sizeof mn[0]; ++s) {
            const int64_t m = mn[s][0], n = mn[s][1];
            tbuf a = tb_new(dt, m * n), x = tb_new(dt, n), y = tb_new(dt, m);
            tb_fill_uniform(&a, -1.0, 1.0);
            tb_fill_uniform(&x, -1.0, 1.0);
            tb_fill_value(&y, NAN); /* y is output only */
            call c = {.op = HG_OP_MATVEC, .dtype = dt, .dims = {m, n}, .operand = {&a, &x, &y},
                      .num_operands = 3};
            int ok = run(&c) == HG_OK;
            for (int64_t i = 0; ok && i < m; ++i) {
                long double dot = 0.0L, mag = 0.0L;
                for (int64_t j = 0; j < n; ++j) {
                    dot += (long double)tb_get(&a, i * n + j) * tb_get(&x, j);
                    mag += fabsl((long double)tb_get(&a, i * n + j) * tb_get(&x, j));
                }
                const double tol = (double)(n + 2) * eps_of(dt) * (double)mag;
                ok = fabs(tb_get(&y, i) - (double)dot) <= tol;
                if (!ok)
                    fprintf(stderr, "  y[%lld] = %.17g, want %.17g\n", (long long)i, tb_get(&y, i),
                            (double)dot);
            }
            CHECK(ok, "matvec %s m=%lld n=%lld", dtype_name(dt), (long long)m, (long long)n);
            tb_free(&a);
            tb_free(&x);
            tb_free(&y);
        }
    }
}

int main(void)
{
    for (g_isa = 0; g_isa < HG_CPU_ISA_COUNT; g_isa++) {
        if (!hg_cpu_isa_supported(g_isa)) {
            printf("isa %s: not supported here, skipped\n", hg_cpu_isa_name(g_isa));
            continue;
        }
        const int before = g_failed;
        test_lookup();
        test_fill_copy();
        test_binary();
        test_scalar();
        test_unary();
        test_unary_exact();
        test_reduce();
        test_reduce_edges();
        test_rowwise();
        test_losses();
        test_gemm();
        test_matvec();
        printf("isa %s: %s\n", hg_cpu_isa_name(g_isa), g_failed == before ? "ok" : "FAILED");
    }
    return test_report();
}
