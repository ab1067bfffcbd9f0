/*
 * tp_synthetic.h -- the fixed synthetic training task of a TrainPlan export (header-only, C and C++).
 *
 * Every export trains on the same deterministic data so that the host test, the firmware on QEMU
 * and the studio's own reference (a Python script reproduces this bit-exactly) see identical
 * samples without shipping a data set.
 *
 * Sample of class `label` (0 <= label < TP_CLASSES), element j (0 <= j < TP_SAMPLE_ELEMENTS):
 *
 *     uint32_t u = (uint32_t)j * 2654435761u ^ (uint32_t)(label + 1) * 0x9E3779B9u;
 *     u ^= u >> 15;
 *     u *= 0x2C1B3C6Du;
 *     u ^= u >> 12;
 *     u *= 0x297A2D39u;
 *     u ^= u >> 15;
 *     x = (float)(u >> 16) / 32768.0f - 1.0f;
 *
 * All arithmetic is uint32 and wraps modulo 2^32; `*` binds tighter than `^`, so the first line is
 * (j * 2654435761) XOR ((label + 1) * 0x9E3779B9). u >> 16 is 0..65535, so x is one of the 65536
 * values k/32768 - 1 in [-1, 1); the float conversion, the division by 2^15 and the subtraction
 * are exact in IEEE-754 binary32, hence bit-identical on every platform.
 *
 * The sample depends on (label, j) only: all samples of one class are the same image, laid out
 * exactly as the model input (C*H*W floats, row-major, NCHW with the batch first).
 *
 * Batch element b (0 <= b < TP_BATCH) of training step s (s = 0, 1, 2, ...) has
 *     label = (s * TP_BATCH + b) % TP_CLASSES
 * computed in uint32 arithmetic. tp_synthetic_batch() fills samples[b * TP_SAMPLE_ELEMENTS + j]
 * and labels[b].
 */
#ifndef TP_SYNTHETIC_H
#define TP_SYNTHETIC_H

#include <stdint.h>

#include "trainplan_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element j of the sample of class `label`. */
static inline float tp_synthetic_value(int32_t label, uint32_t j)
{
    uint32_t u = j * 2654435761u ^ (uint32_t)(label + 1) * 0x9E3779B9u;
    u ^= u >> 15;
    u *= 0x2C1B3C6Du;
    u ^= u >> 12;
    u *= 0x297A2D39u;
    u ^= u >> 15;
    return (float)(u >> 16) / 32768.0f - 1.0f;
}

/* Label of batch element b of training step `step`. */
static inline int32_t tp_synthetic_label(uint32_t step, uint32_t b)
{
    return (int32_t)((step * (uint32_t)TP_BATCH + b) % (uint32_t)TP_CLASSES);
}

/* One sample of class `label`: TP_SAMPLE_ELEMENTS floats. */
static inline void tp_synthetic_sample(int32_t label, float* sample)
{
    uint32_t j;
    for (j = 0; j < (uint32_t)TP_SAMPLE_ELEMENTS; ++j) {
        sample[j] = tp_synthetic_value(label, j);
    }
}

/* The batch of training step `step`: samples has TP_BATCH * TP_SAMPLE_ELEMENTS floats,
 * labels TP_BATCH entries. */
static inline void tp_synthetic_batch(uint32_t step, float* samples, int32_t* labels)
{
    uint32_t b;
    for (b = 0; b < (uint32_t)TP_BATCH; ++b) {
        labels[b] = tp_synthetic_label(step, b);
        tp_synthetic_sample(labels[b], samples + (uint32_t)b * (uint32_t)TP_SAMPLE_ELEMENTS);
    }
}

#ifdef __cplusplus
}
#endif

#endif /* TP_SYNTHETIC_H */
