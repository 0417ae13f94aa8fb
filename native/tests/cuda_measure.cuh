/*
 * cuda_measure.cuh -- what the GPU measurement programs (cuda_vmath.cu,
 * cuda_map_shapes.cu) share: a CUDA call check that exits with the error's
 * name, test data, and the median of timed runs with device events.
 */
#ifndef HOLOGRAM_CUDA_MEASURE_CUH
#define HOLOGRAM_CUDA_MEASURE_CUH

#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                                                  \
    do {                                                                                             \
        cudaError_t err_ = (call);                                                                   \
        if (err_ != cudaSuccess) {                                                                   \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(err_)); \
            exit(2);                                                                                 \
        }                                                                                            \
    } while (0)

/* x[i] spread over [-8, 8) by a multiplicative hash of i ^ seed: no pattern
   a cache could help with, and the same data for the same seed. */
__global__ void fill_spread(float *x, int64_t n, uint32_t seed) {
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
        const uint32_t h = ((uint32_t)i ^ seed) * 2654435761u;
        x[i] = (float)(h >> 8) * 0x1p-20f - 8.0f;
    }
}

/* Median of 15 timed runs of launch() on the default stream, after 3 warm-ups, in ms. */
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

#endif /* HOLOGRAM_CUDA_MEASURE_CUH */
