/*
 * cuda_map_shapes.cu -- launch shapes of the elementwise map kernel, timed on
 * the GPU at 64M and 256M float32 elements next to a device copy.
 *
 *   nvcc -O3 -std=c++17 -arch=native -I../include -o cuda_map_shapes cuda_map_shapes.cu
 *   ./cuda_map_shapes
 *
 * The CUDA backend's map (cu_map.cuh) gives every block one tile of
 * 4 x 256 float4 per operand, all loads of a tile issued before the first
 * store. On an H200 that reached PyTorch's speed for add at 64M but stayed
 * 4% behind for relu and 8% for GELU, while the same GELU alone ran at 96%
 * of the copy at 256M. This times the candidates side by side, so that one
 * run on a GPU says which shape to ship:
 *   tiles, unroll U   one tile of U x 256 float4 per block (U = 4 ships);
 *   resident x K      as many blocks as fit on the GPU at once, times K,
 *                     each looping over tiles (no partial last wave).
 * Every variant's output is compared with the reference kernel's, bit for
 * bit. scripts/gpu-check.sh builds and runs this.
 */
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../src/cpu/cpu_vmath.h"

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        cudaError_t err_ = (call);                                                                   \
        if (err_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
            exit(2);                                                                                 \
        }                                                                                            \
    } while (0)

enum { BLOCK = 256 };

struct op_relu {
    static const int inputs = 1;
    __device__ float operator()(float x, float) const { return x < 0.0f ? 0.0f : x; }
};
struct op_add {
    static const int inputs = 2;
    __device__ float operator()(float x, float y) const { return x + y; }
};
struct op_gelu {
    static const int inputs = 1;
    __device__ float operator()(float x, float) const { return hg_vgeluf_fma(x); }
};

/* The shipped kernel's vector loop with U float4 per thread and tile; the grid
   loops over tiles, so any grid size is correct. */
template <class F, int U>
__global__ void __launch_bounds__(BLOCK) k_map(const float4 *a, const float4 *b, float4 *out, int64_t nv, F f) {
    const int64_t tile = (int64_t)U * BLOCK;
    for (int64_t base = (int64_t)blockIdx.x * tile; base < nv; base += (int64_t)gridDim.x * tile) {
        float4 va[U], vb[U];
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int64_t i = base + u * BLOCK + threadIdx.x;
            va[u] = vb[u] = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
            if (i < nv) {
                va[u] = a[i];
                if (F::inputs == 2) vb[u] = b[i];
            }
        }
#pragma unroll
        for (int u = 0; u < U; ++u) {
            const int64_t i = base + u * BLOCK + threadIdx.x;
            if (i < nv)
                out[i] = make_float4(f(va[u].x, vb[u].x), f(va[u].y, vb[u].y), f(va[u].z, vb[u].z),
                                     f(va[u].w, vb[u].w));
        }
    }
}

__global__ void k_fill(float *x, int64_t n, uint32_t seed) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const uint32_t h = ((uint32_t)i ^ seed) * 2654435761u;
        x[i] = (float)(h >> 8) * 0x1p-20f - 8.0f; /* spread over [-8, 8) */
    }
}

__global__ void k_count_diff(const uint32_t *x, const uint32_t *y, int64_t n, unsigned long long *count) {
    unsigned long long c = 0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        c += x[i] != y[i];
    if (c) atomicAdd(count, c);
}

/* Median of 15 timed runs after 3 warm-ups, in ms. */
template <class L>
static float time_ms(L launch) {
    cudaEvent_t e0, e1;
    CHECK(cudaEventCreate(&e0));
    CHECK(cudaEventCreate(&e1));
    float t[15];
    for (int i = 0; i < 3; ++i) launch();
    for (int i = 0; i < 15; ++i) {
        CHECK(cudaEventRecord(e0));
        launch();
        CHECK(cudaEventRecord(e1));
        CHECK(cudaEventSynchronize(e1));
        CHECK(cudaEventElapsedTime(&t[i], e0, e1));
    }
    CHECK(cudaGetLastError());
    for (int i = 1; i < 15; ++i)
        for (int j = i; j > 0 && t[j] < t[j - 1]; --j) {
            const float s = t[j];
            t[j] = t[j - 1];
            t[j - 1] = s;
        }
    CHECK(cudaEventDestroy(e0));
    CHECK(cudaEventDestroy(e1));
    return t[7];
}

struct buffers {
    float *a, *b, *out, *ref;
    int64_t n;
    unsigned long long *diff;
};

static int mismatches = 0;

template <class F, int U>
static void row(const char *op, const char *shape, const buffers &m, unsigned blocks, float copy_ms) {
    const int64_t nv = m.n / 4;
    const float4 *a = reinterpret_cast<const float4 *>(m.a), *b = reinterpret_cast<const float4 *>(m.b);
    float4 *out = reinterpret_cast<float4 *>(m.out);
    CHECK(cudaMemset(m.out, 0xff, m.n * sizeof(float)));
    const float ms = time_ms([&] { k_map<F, U><<<blocks, BLOCK>>>(a, b, out, nv, F()); });
    CHECK(cudaMemset(m.diff, 0, sizeof *m.diff));
    k_count_diff<<<1024, 256>>>(reinterpret_cast<const uint32_t *>(m.out), reinterpret_cast<const uint32_t *>(m.ref),
                                m.n, m.diff);
    unsigned long long diff = 0;
    CHECK(cudaMemcpy(&diff, m.diff, sizeof diff, cudaMemcpyDeviceToHost));
    mismatches += diff != 0;
    const double bytes = (F::inputs + 1.0) * m.n * sizeof(float);
    const double copy_rate = 2.0 * m.n * sizeof(float) / copy_ms;
    printf("| %-5s | %4lldM | %-18s | %8u | %8.1f | %6.0f | %8.0f%% | %s\n", op, (long long)(m.n >> 20), shape, blocks,
           ms * 1000.0, bytes / ms * 1e-6, 100.0 * (bytes / ms) / copy_rate, diff ? "MISMATCH" : "");
}

template <class F>
static void op_rows(const char *op, buffers &m, int sms, float copy_ms) {
    const int64_t nv = m.n / 4;
    /* The reference output: the shipped shape. */
    k_map<F, 4><<<(unsigned)((nv + 4 * BLOCK - 1) / (4 * BLOCK)), BLOCK>>>(
        reinterpret_cast<const float4 *>(m.a), reinterpret_cast<const float4 *>(m.b),
        reinterpret_cast<float4 *>(m.ref), nv, F());
    CHECK(cudaDeviceSynchronize());
    row<F, 4>(op, "tiles, unroll 4 *", m, (unsigned)((nv + 4 * BLOCK - 1) / (4 * BLOCK)), copy_ms);
    row<F, 2>(op, "tiles, unroll 2", m, (unsigned)((nv + 2 * BLOCK - 1) / (2 * BLOCK)), copy_ms);
    row<F, 8>(op, "tiles, unroll 8", m, (unsigned)((nv + 8 * BLOCK - 1) / (8 * BLOCK)), copy_ms);
    int per_sm = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, k_map<F, 4>, BLOCK, 0));
    for (int k = 1; k <= 4; k *= 2) {
        char name[32];
        snprintf(name, sizeof name, "resident x %d", k);
        row<F, 4>(op, name, m, (unsigned)(sms * per_sm * k), copy_ms);
    }
}

int main() {
    cudaDeviceProp prop;
    CHECK(cudaGetDeviceProperties(&prop, 0));
    printf("device: %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
    printf("GB/s counts every input read once and the output written once; * = the shipped shape\n\n");
    printf("| op    | size  | shape              | blocks   | us       | GB/s   | %% of copy |\n");
    printf("|-------|-------|--------------------|----------|----------|--------|-----------|\n");
    for (int64_t n : {(int64_t)1 << 26, (int64_t)1 << 28}) {
        buffers m;
        m.n = n;
        CHECK(cudaMalloc(&m.a, n * sizeof(float)));
        CHECK(cudaMalloc(&m.b, n * sizeof(float)));
        CHECK(cudaMalloc(&m.out, n * sizeof(float)));
        CHECK(cudaMalloc(&m.ref, n * sizeof(float)));
        CHECK(cudaMalloc(&m.diff, sizeof *m.diff));
        k_fill<<<1024, 256>>>(m.a, n, 1u);
        k_fill<<<1024, 256>>>(m.b, n, 2u);
        CHECK(cudaDeviceSynchronize());
        const float copy_ms =
            time_ms([&] { CHECK(cudaMemcpyAsync(m.out, m.a, n * sizeof(float), cudaMemcpyDeviceToDevice)); });
        printf("| copy  | %4lldM | cudaMemcpyAsync    |        - | %8.1f | %6.0f |      100%% |\n",
               (long long)(n >> 20), copy_ms * 1000.0, 2.0 * n * sizeof(float) / copy_ms * 1e-6);
        op_rows<op_add>("add", m, prop.multiProcessorCount, copy_ms);
        op_rows<op_relu>("relu", m, prop.multiProcessorCount, copy_ms);
        op_rows<op_gelu>("gelu", m, prop.multiProcessorCount, copy_ms);
        CHECK(cudaFree(m.a));
        CHECK(cudaFree(m.b));
        CHECK(cudaFree(m.out));
        CHECK(cudaFree(m.ref));
        CHECK(cudaFree(m.diff));
    }
    printf("\n%s\n", mismatches ? "cuda_map_shapes: FAILED (a shape's output differs)" : "cuda_map_shapes: PASSED");
    return mismatches ? 1 : 0;
}
