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
 * Every shape runs the backend's own kernel (cu_map_kernel.cuh, which takes
 * the block size and unroll as parameters), and its output is compared with
 * the shipped shape's bit for bit. scripts/gpu-check.sh builds and runs this.
 */
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>

#include "../src/cuda/cu_map_kernel.cuh"
#include "cuda_measure.cuh"

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

__global__ void k_count_diff(const uint32_t *x, const uint32_t *y, int64_t n, unsigned long long *count) {
    unsigned long long c = 0;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
        c += x[i] != y[i];
    if (c) atomicAdd(count, c);
}

struct buffers {
    float *a, *b, *out, *ref;
    int64_t n;
    unsigned long long *diff;
};

/* The CUDA backend's map kernel itself (cu_map_kernel.cuh) in shape U: U float4 per thread and tile. */
template <class F, int U>
static void launch(const buffers &m, float *out, unsigned blocks) {
    cu_k_map<float, F::inputs, true, F, BLOCK, U><<<blocks, BLOCK>>>(m.a, m.b, out, m.n, F());
}

/* One tile per block, as the backend launches it. */
static unsigned tiles(int64_t n, int unroll) { return (unsigned)((n / 4 + unroll * BLOCK - 1) / (unroll * BLOCK)); }

static int mismatches = 0;

template <class F, int U>
static void row(const char *op, const char *shape, const buffers &m, unsigned blocks, float copy_ms) {
    CHECK(cudaMemset(m.out, 0xff, m.n * sizeof(float)));
    const float ms = time_ms([&] { launch<F, U>(m, m.out, blocks); });
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
    launch<F, 4>(m, m.ref, tiles(m.n, 4)); /* the reference output: the shipped shape */
    CHECK(cudaDeviceSynchronize());
    row<F, 4>(op, "tiles, unroll 4 *", m, tiles(m.n, 4), copy_ms);
    row<F, 2>(op, "tiles, unroll 2", m, tiles(m.n, 2), copy_ms);
    row<F, 8>(op, "tiles, unroll 8", m, tiles(m.n, 8), copy_ms);
    int per_sm = 0;
    CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, cu_k_map<float, F::inputs, true, F, BLOCK, 4>,
                                                        BLOCK, 0));
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
        fill_spread<<<1024, 256>>>(m.a, n, 1u);
        fill_spread<<<1024, 256>>>(m.b, n, 2u);
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
