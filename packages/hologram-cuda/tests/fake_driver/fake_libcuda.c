/*
 * fake_libcuda.c -- a stand-in for the NVIDIA driver's libcuda.so.1, so that
 * the CUDA backend's probe can be tested on machines without one.
 *
 * It exports only what the CUDA runtime asks first: cuDriverGetVersion (the
 * CUDA version the "driver" supports: $FAKE_CUDA_DRIVER_VERSION, e.g. 12040
 * for 12.4) and cuInit, which fails with CUDA_ERROR_NO_DEVICE (100), as a
 * driver on a machine without a GPU does.
 */
#include <stdlib.h>

typedef int CUresult;

CUresult cuDriverGetVersion(int *version) {
    const char *env = getenv("FAKE_CUDA_DRIVER_VERSION");
    *version = env ? atoi(env) : 13000;
    return 0;
}

CUresult cuInit(unsigned flags) {
    (void)flags;
    return 100; /* CUDA_ERROR_NO_DEVICE */
}
