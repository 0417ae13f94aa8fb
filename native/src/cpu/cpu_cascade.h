/*
 * cpu_cascade.h -- pairwise combination of a stream of partial sums.
 *
 * Long rows are summed block by block (HG_CPU_SUM_BLOCK elements each). Adding
 * the block sums to one running total would bring back the O(n) error growth
 * of naive summation; instead the blocks are combined as the leaves of a
 * binary tree, which keeps the error O(log n) like NumPy's pairwise sum,
 * without recursion and with O(log n) state.
 *
 * The tree is a binary counter: level[l] holds the sum of 2^l consecutive
 * blocks and is occupied exactly when bit l of `count` is set. Pushing a
 * block carries through the occupied levels the way an increment does.
 */
#ifndef HOLOGRAM_CPU_CASCADE_H
#define HOLOGRAM_CPU_CASCADE_H

#include <stdint.h>

typedef struct hg_cascade {
    uint64_t count;   /* blocks pushed so far */
    double level[64]; /* only the levels flagged in count are initialised */
} hg_cascade;

static inline void hg_cascade_init(hg_cascade *c)
{
    c->count = 0;
}

static inline void hg_cascade_push(hg_cascade *c, double block_sum)
{
    uint64_t k = c->count++;
    unsigned l = 0;
    double s = block_sum;
    for (; k & 1u; k >>= 1, ++l)
        s = c->level[l] + s;
    c->level[l] = s;
}

static inline double hg_cascade_total(const hg_cascade *c)
{
    /* Smallest (most recent) subtrees first: they are the least in magnitude
       for data of one sign. */
    double s = 0.0;
    uint64_t k = c->count;
    for (unsigned l = 0; k != 0; k >>= 1, ++l)
        if (k & 1u)
            s += c->level[l];
    return s;
}

#endif /* HOLOGRAM_CPU_CASCADE_H */
