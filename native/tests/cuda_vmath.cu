/*
 * cuda_vmath.cu -- the float32 functions that the CUDA backend takes from
 * cpu_vmath.h, checked on the GPU over all 2^32 inputs against a double
 * reference computed there, and GELU's throughput next to a device copy.
 *
 *   nvcc -O3 -std=c++17 -arch=sm_90 -I../include -o cuda_vmath cuda_vmath.cu
 *   ./cuda_vmath [--no-timing]
 *
 * Exit status 0 when every function is within its documented bound
 * (cpu_vmath.h: gelu 3.5, gelu_tanh 1.5, exp(x - m) 1.5 ULP) with the
 * right special values. The timing rows also time GELU variants that were
 * candidates for the GPU (the CPU's IEEE division inside the rational, one
 * division instead of two, and PyTorch's erff formula), each with its
 * own exhaustive error, so the choice of the kernel rests on numbers from
 * the same card and run. scripts/gpu-check.sh builds and runs this.
 */
#include <cuda_runtime.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cpu/cpu_vmath.h"
#include "../src/cuda/cu_map_kernel.cuh"
#include "cuda_measure.cuh"

/* ---- GELU and its candidate variants ---- */

/* The product's kernel, as the CUDA backend calls it. */
struct every_input {
    __device__ bool covers(float) const { return true; }
};

struct gelu_product : every_input {
    __device__ float operator()(float x) const { return hg_vgeluf_fma(x); }
};

/* The shared front half of the variants: t, the exact exponential factor
   (1 + et) 2^n and the rational's p and q, as hg_vgeluf computes them. */
struct gelu_parts {
    float t, et, scale, p, q;
};

__device__ __forceinline__ gelu_parts gelu_front(float x) {
    gelu_parts g;
    const float a = fabsf(x);
    g.t = a < HG_VM_GELU_TMAX ? a : HG_VM_GELU_TMAX;
    const hg_vm_pair sq = hg_vm_square_fma(g.t);
    const hg_vm_reduced red = hg_vm_exp_reduce_fma(-0.5f * sq.hi, HG_VM_SHIFTER + (127 + 64));
    g.et = hg_vm_expm1_poly_fma(fmaf(-0.5f, sq.lo, red.r));
    g.scale = red.scale_hi;
    const float t = g.t;
    float p = fmaf(HG_VM_GELU_P4, t, HG_VM_GELU_P3);
    p = fmaf(p, t, HG_VM_GELU_P2);
    p = fmaf(p, t, HG_VM_GELU_P1);
    g.p = fmaf(p, t, HG_VM_GELU_P0);
    float q = fmaf(HG_VM_GELU_Q5, t, HG_VM_GELU_Q4);
    q = fmaf(q, t, HG_VM_GELU_Q3);
    q = fmaf(q, t, HG_VM_GELU_Q2);
    q = fmaf(q, t, HG_VM_GELU_Q1);
    g.q = fmaf(q, t, 1.0f);
    return g;
}

__device__ __forceinline__ float gelu_back(float x, const gelu_parts &g, float tr) {
    const float c = (fmaf(tr, g.et, tr) * g.scale) * 0x1p-64f;
    return (x < 0.0f ? x * 0.0f : x) - c;
}

/* t / D = t q / (D q) with D q = 2 q + t (sqrt(2 pi) q + p): one division. */
struct gelu_one_division : every_input {
    __device__ float operator()(float x) const {
        const gelu_parts g = gelu_front(x);
        const float dq = fmaf(g.t, fmaf(HG_VM_SQRT_2PI, g.q, g.p), 2.0f * g.q);
        return gelu_back(x, g, (g.t * g.q) / dq);
    }
};

/* p / q as an IEEE division, as the CPU build computes it (the product uses
   the approximate division there: HG_VM_DAMPED_DIV). */
struct gelu_ieee_rational : every_input {
    __device__ float operator()(float x) const {
        const gelu_parts g = gelu_front(x);
        const float d = fmaf(HG_VM_SQRT_2PI, g.t, fmaf(g.t, g.p / g.q, 2.0f));
        return gelu_back(x, g, g.t / d);
    }
};

/* PyTorch's formula, for its speed (its error in the negative tail is large). */
struct gelu_erff : every_input {
    __device__ float operator()(float x) const { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
};

struct gelu_tanh_product : every_input {
    __device__ float operator()(float x) const { return hg_vgelu_tanhf_fma(x); }
};

/* exp(x - m) for a fixed m: softmax's exponential, whose contract is x <= m
   (m is the row's max) or NaN. */
struct exp_diff_product {
    float m;
    __device__ float operator()(float x) const { return hg_vexpf_diff_fma(x, m); }
    __device__ bool covers(float x) const { return !(x > m); }
};

/* ---- double references ---- */

struct ref_gelu {
    __device__ double operator()(float x) const { return 0.5 * (double)x * erfc(-(double)x * 0.70710678118654752440); }
};
struct ref_gelu_tanh {
    __device__ double operator()(float x) const {
        const double d = x;
        const double u = 0.79788456080286535588 * (d + 0.044715 * d * d * d);
        if (!(u < 0.0)) return d / (1.0 + exp(-2.0 * u));
        if (u > -350.0) {
            const double e = exp(2.0 * u);
            return d * e / (1.0 + e);
        }
        return (d * exp(2.0 * u + 700.0)) * exp(-700.0);
    }
};
struct ref_exp_diff {
    float m;
    __device__ double operator()(float x) const { return exp((double)x - (double)m); }
};

/* ---- the exhaustive check ---- */

struct check_result {
    unsigned long long worst;  /* (ulp error as float bits) << 32 | input bits */
    unsigned long long specials; /* results whose NaN-ness, infinity or sign is wrong */
};

/* Error of r in float32 ULP of the exact value ref (denormal spacing 2^-149 below 2^-126). */
__device__ __forceinline__ double ulp_error(float r, double ref) {
    int e;
    frexp(ref, &e); /* |ref| = f 2^e, f in [0.5, 1) */
    const int exponent = e - 1 < -126 ? -126 : e - 1;
    return fabs((double)r - ref) / ldexp(1.0, exponent - 23);
}

template <class F, class R>
__global__ void k_check(F f, R ref, uint64_t begin, uint64_t end, check_result *out) {
    unsigned long long worst = 0, specials = 0;
    for (uint64_t i = begin + (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < end;
         i += (uint64_t)gridDim.x * blockDim.x) {
        const uint32_t bits = (uint32_t)i;
        float x;
        memcpy(&x, &bits, 4);
        if (!f.covers(x)) continue;
        const float r = f(x);
        const double want = ref(x);
        if (isnan(want) || isnan(r) || isinf(want) || isinf(r)) {
            const bool same = (isnan(want) && isnan(r)) || (double)r == want;
            specials += same ? 0 : 1;
            continue;
        }
        if (want == 0.0 && r != 0.0f) {
            specials += 1;
            continue;
        }
        const float err = (float)ulp_error(r, want);
        uint32_t eb;
        memcpy(&eb, &err, 4);
        const unsigned long long packed = ((unsigned long long)eb << 32) | bits;
        worst = packed > worst ? packed : worst;
    }
    atomicMax(&out->worst, worst);
    if (specials) atomicAdd(&out->specials, specials);
}

template <class F, class R>
static check_result check_all(F f, R ref) {
    check_result *d, h;
    CHECK(cudaMalloc(&d, sizeof *d));
    CHECK(cudaMemset(d, 0, sizeof *d));
    k_check<<<132 * 16, 256>>>(f, ref, 0, (uint64_t)1 << 32, d);
    CHECK(cudaGetLastError());
    CHECK(cudaMemcpy(&h, d, sizeof h, cudaMemcpyDeviceToHost));
    CHECK(cudaFree(d));
    return h;
}

static float worst_ulp(const check_result &c, float *input) {
    const uint32_t eb = (uint32_t)(c.worst >> 32), xb = (uint32_t)c.worst;
    float err;
    memcpy(&err, &eb, 4);
    memcpy(input, &xb, 4);
    return err;
}

/* ---- throughput ---- */

/* A one-argument function as the map kernel's f(x, y). */
template <class F>
struct unary_map {
    F f;
    __device__ float operator()(float x, float) const { return f(x); }
};

static int failures = 0;

template <class F, class R>
static void report_accuracy(const char *name, F f, R ref, double bound) {
    const check_result c = check_all(f, ref);
    float x;
    const float err = worst_ulp(c, &x);
    const bool ok = (bound <= 0 || err <= bound) && c.specials == 0;
    if (bound > 0 && !ok) failures++;
    printf("| %-26s | %8.3f | %-16a | %8llu | %-9s |\n", name, err, x, c.specials,
           bound <= 0 ? "(no bound)" : ok ? "ok" : "EXCEEDED");
}

int main(int argc, char **argv) {
    const bool timing = !(argc > 1 && strcmp(argv[1], "--no-timing") == 0);
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s (sm_%d%d)\n\n", prop.name, prop.major, prop.minor);

    printf("Exhaustive float32 check on the device (all 2^32 inputs, double reference):\n");
    printf("| %-26s | %-8s | %-16s | %-8s | %-9s |\n", "function", "max ULP", "at x", "specials", "bound");
    printf("|----------------------------|----------|------------------|----------|-----------|\n");
    report_accuracy("gelu (product)", gelu_product(), ref_gelu(), 3.5);
    report_accuracy("gelu_tanh (product)", gelu_tanh_product(), ref_gelu_tanh(), 1.5);
    report_accuracy("exp(x - 0)", exp_diff_product{0.0f}, ref_exp_diff{0.0f}, 1.5);
    report_accuracy("exp(x - 37.25)", exp_diff_product{37.25f}, ref_exp_diff{37.25f}, 1.5);
    report_accuracy("exp(x - 1e30)", exp_diff_product{1e30f}, ref_exp_diff{1e30f}, 1.5);
    report_accuracy("gelu, one division", gelu_one_division(), ref_gelu(), 0);
    report_accuracy("gelu, IEEE p/q (CPU)", gelu_ieee_rational(), ref_gelu(), 0);
    report_accuracy("gelu, erff (PyTorch)", gelu_erff(), ref_gelu(), 0);

    if (timing) {
        const int64_t n = (int64_t)1 << 28; /* 256M floats: 1 GiB each way, far past the L2 */
        float *in, *out;
        CHECK(cudaMalloc(&in, n * sizeof(float)));
        CHECK(cudaMalloc(&out, n * sizeof(float)));
        fill_spread<<<132 * 8, 256>>>(in, n, 0u);
        CHECK(cudaDeviceSynchronize());
        const unsigned blocks = (unsigned)((n / 4 + 1023) / 1024); /* the CUDA backend's shape: one tile per block */
        const double bytes = 2.0 * n * sizeof(float);
        const float copy = time_ms([&] { CHECK(cudaMemcpyAsync(out, in, n * sizeof(float), cudaMemcpyDeviceToDevice)); });
        printf("\nThroughput at 256M float32 elements (bytes read + written; median of 15):\n");
        printf("| %-26s | %8s | %8s | %9s |\n", "kernel", "ms", "GB/s", "% of copy");
        printf("|----------------------------|----------|----------|-----------|\n");
        printf("| %-26s | %8.3f | %8.0f | %8.0f%% |\n", "device copy", copy, bytes / copy * 1e-6, 100.0);
#define ROW(name, F)                                                                                      \
    do {                                                                                                  \
        const float ms = time_ms([&] {                                                                    \
            cu_k_map<float, 1, true, unary_map<F>, 256, 4><<<blocks, 256>>>(in, nullptr, out, n, unary_map<F>{F()}); \
        });                                                                                               \
        printf("| %-26s | %8.3f | %8.0f | %8.0f%% |\n", name, ms, bytes / ms * 1e-6, 100.0 * copy / ms);  \
    } while (0)
        ROW("gelu (product)", gelu_product);
        ROW("gelu, one division", gelu_one_division);
        ROW("gelu, IEEE p/q (CPU)", gelu_ieee_rational);
        ROW("gelu, erff (PyTorch)", gelu_erff);
        ROW("gelu_tanh (product)", gelu_tanh_product);
#undef ROW
        CHECK(cudaFree(in));
        CHECK(cudaFree(out));
    }
    printf("\n%s\n", failures ? "cuda_vmath: FAILED" : "cuda_vmath: PASSED");
    return failures ? 1 : 0;
}
