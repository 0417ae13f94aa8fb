/*
 * test_support.h -- what every C test program shares: pass/fail counting,
 * CHECK, a reproducible random source and the closing "N passed, N failed"
 * line CI reads. Each test is one translation unit, so the statics here are
 * that program's own.
 *
 * A test may define TEST_LABEL() before including this, to prefix failure
 * messages with its current context (the ISA under test, say).
 */
#ifndef HOLOGRAM_TEST_SUPPORT_H
#define HOLOGRAM_TEST_SUPPORT_H

#include <stdint.h>
#include <stdio.h>

#ifndef TEST_LABEL
#define TEST_LABEL() "-"
#endif

static int g_passed;
static int g_failed;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (cond) {                                                           \
            ++g_passed;                                                       \
        } else {                                                              \
            ++g_failed;                                                       \
            fprintf(stderr, "FAIL [%s] %s:%d: ", TEST_LABEL(), __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

/* xorshift64* with a fixed seed: failures reproduce run after run. */
static uint64_t g_rng = 0x9E3779B97F4A7C15u;

static inline double uniform(double lo, double hi)
{
    g_rng ^= g_rng >> 12;
    g_rng ^= g_rng << 25;
    g_rng ^= g_rng >> 27;
    const uint64_t r = g_rng * 0x2545F4914F6CDD1Du;
    return lo + (hi - lo) * ((double)(r >> 11) / 9007199254740992.0);
}

/* The closing line and the exit status. */
static inline int test_report(void)
{
    printf("%d passed, %d failed\n", g_passed, g_failed);
    return g_failed == 0 ? 0 : 1;
}

#endif /* HOLOGRAM_TEST_SUPPORT_H */
