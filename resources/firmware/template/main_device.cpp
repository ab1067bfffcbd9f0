// main_device.cpp -- firmware main of a TrainPlan export (Cortex-M, semihosting output).
//
// Fills the arena with 0xA5, tp_init() with the RAM storage hooks (tp_storage_ram.cpp), runs
// TP_STEPS_DEFAULT training steps of the synthetic task (tp_synthetic.h) and prints, through
// semihosting (newlib librdimon; QEMU: -semihosting-config enable=on,target=native):
//
//   step <k> loss <x>            one line per step, k from 0
//   arena_bytes <n>              TP_ARENA_BYTES
//   arena_used_bytes <n>         1 + the highest arena byte that differs from the fill
//   input_bytes <n>              the sample + label buffers of this main (.bss, outside the arena)
//   loss_first <x> / loss_last <x>
//   loss_last_bits <hex>         the bits of the last loss (compare with the host build)
//   params_fnv1a <hex>           FNV-1a 32 of the bits of all parameters after training (n/a
//                                when a tensor is larger than the input buffer used to read it)
//   instructions_per_step <n>    QEMU MPS2 with -icount shift=0 only (see below), else n/a
//   result PASS | result FAIL <reason>
//
// and leaves with exit(0) on PASS, exit(1) on FAIL; librdimon turns exit() into the semihosting
// SYS_EXIT(_EXTENDED) call, so QEMU ends with that status.
//
// Instruction count: with `-icount shift=0` QEMU advances its virtual clock by exactly 1 ns per
// executed instruction. The MPS2 FPGAIO COUNTER (0x40028018 on the QEMU AN385/AN386/AN500
// machines) counts the 25 MHz board clock in virtual time, i.e. one tick per 40 instructions. A
// calibration loop of known length checks that the counter really follows the instruction count
// before anything is printed (without -icount the virtual clock follows the host's clock and the
// result is "n/a"). Build with -DTP_QEMU_MPS2=0 for a board that has no such counter; with
// -DTP_USE_DWT_CYCCNT=1 the DWT cycle counter of a real Cortex-M3/M4/M7 gives cycles_per_step.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tp_storage_ram.h"
#include "tp_synthetic.h"
#include "trainplan_model.h"

#ifndef TP_QEMU_MPS2
#define TP_QEMU_MPS2 1
#endif
#ifndef TP_USE_DWT_CYCCNT
#define TP_USE_DWT_CYCCNT 0
#endif

extern "C" void initialise_monitor_handles(void);

namespace {

// Input of one training step. Outside the arena: the application owns its input buffer.
float g_samples[TP_BATCH * TP_SAMPLE_ELEMENTS];
int32_t g_labels[TP_BATCH];

// Decimal of a 64-bit unsigned (newlib-nano's printf has no %llu).
void print_u64(uint64_t v) {
    char buf[24];
    int i = (int)sizeof(buf) - 1;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0 && i > 0);
    fputs(buf + i, stdout);
}

// A float as printf("%.6f") would print it for |x| < 1.8e13, without the float printf support
// of newlib (which costs flash); larger magnitudes print in whole units.
void print_fixed6(float x) {
    if (isnan(x)) {
        fputs("nan", stdout);
        return;
    }
    if (isinf(x)) {
        fputs(x < 0 ? "-inf" : "inf", stdout);
        return;
    }
    double d = (double)x;
    if (d < 0) {
        fputc('-', stdout);
        d = -d;
    }
    if (d >= 1.8e13) {
        print_u64((uint64_t)d);
        return;
    }
    const uint64_t scaled = (uint64_t)(d * 1e6 + 0.5);
    print_u64(scaled / 1000000u);
    char frac[8];
    uint32_t f = (uint32_t)(scaled % 1000000u);
    for (int i = 5; i >= 0; --i) {
        frac[i] = (char)('0' + (int)(f % 10u));
        f /= 10u;
    }
    frac[6] = '\0';
    fputc('.', stdout);
    fputs(frac, stdout);
}

void print_kv_u64(const char* key, uint64_t v) {
    fputs(key, stdout);
    fputc(' ', stdout);
    print_u64(v);
    fputc('\n', stdout);
}

void print_kv_float(const char* key, float v) {
    fputs(key, stdout);
    fputc(' ', stdout);
    print_fixed6(v);
    fputc('\n', stdout);
}

uint32_t fnv1a(uint32_t h, const void* data, uint32_t bytes) {
    const uint8_t* p = (const uint8_t*)data;
    for (uint32_t i = 0; i < bytes; ++i) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

// ---- step timing -----------------------------------------------------------------------------
#if TP_USE_DWT_CYCCNT
volatile uint32_t* const kDemcr = (volatile uint32_t*)0xE000EDFCu;
volatile uint32_t* const kDwtCtrl = (volatile uint32_t*)0xE0001000u;
volatile uint32_t* const kDwtCyccnt = (volatile uint32_t*)0xE0001004u;
const char* const kCountName = "cycles_per_step";
const uint32_t kUnitsPerTick = 1;
bool counter_start() {
    *kDemcr |= 1u << 24;  // TRCENA
    *kDwtCyccnt = 0;
    *kDwtCtrl |= 1u;      // CYCCNTENA
    return true;
}
uint32_t counter_now() { return *kDwtCyccnt; }
#elif TP_QEMU_MPS2
volatile uint32_t* const kFpgaioCounter = (volatile uint32_t*)0x40028018u;  // 25 MHz
const char* const kCountName = "instructions_per_step";
const uint32_t kUnitsPerTick = 40;  // 1 ns per instruction (-icount shift=0) / 25 MHz
uint32_t counter_now() { return *kFpgaioCounter; }

// Runs 2*n + O(1) instructions.
__attribute__((noinline)) void spin(uint32_t n) {
    __asm__ volatile(
        "1: subs %0, %0, #1\n"
        "   bne 1b\n"
        : "+r"(n)
        :
        : "cc");
}

// True when the counter advances by one tick per 40 instructions, i.e. QEMU runs with
// -icount shift=0: two loops of 1 M and 2 M instructions must take 25000 and 50000 ticks.
bool counter_start() {
    const uint32_t t0 = counter_now();
    spin(500000u);
    const uint32_t t1 = counter_now();
    spin(1000000u);
    const uint32_t t2 = counter_now();
    const int32_t d1 = (int32_t)(t1 - t0) - 25000;
    const int32_t d2 = (int32_t)(t2 - t1) - 50000;
    return d1 >= -2 && d1 <= 2 && d2 >= -2 && d2 <= 2;
}
#else
const char* const kCountName = "instructions_per_step";
const uint32_t kUnitsPerTick = 0;
bool counter_start() { return false; }
uint32_t counter_now() { return 0; }
#endif

}  // namespace

int main(void) {
    initialise_monitor_handles();

    printf("model %s\n", TP_MODEL_NAME);
    print_kv_u64("steps", (uint64_t)TP_STEPS_DEFAULT);

    const bool counting = counter_start();

    uint8_t* const arena = tp_arena();
    const uint32_t arena_bytes = (uint32_t)TP_ARENA_BYTES;
    memset(arena, 0xA5, arena_bytes);
    const tp_storage storage = tp_ram_storage();
    tp_init(&storage);
    tp_set_learning_rate(TP_LEARNING_RATE_DEFAULT);

    const char* failure = nullptr;
    float loss_first = NAN;
    float loss_last = NAN;
    bool finite = true;
    uint64_t ticks = 0;
    uint32_t steps_done = 0;
    for (uint32_t s = 0; s < (uint32_t)TP_STEPS_DEFAULT; ++s) {
        tp_synthetic_batch(s, g_samples, g_labels);
        float loss = NAN;
        const uint32_t t0 = counter_now();
        const int rc = tp_train_step(g_samples, g_labels, &loss);
        ticks += (uint32_t)(counter_now() - t0);
        if (rc != 0) {
            failure = "tp_train_step returned an error";
            printf("step %lu error %d\n", (unsigned long)s, rc);
            break;
        }
        ++steps_done;
        fputs("step ", stdout);
        print_u64(s);
        fputs(" loss ", stdout);
        print_fixed6(loss);
        fputc('\n', stdout);
        if (!isfinite(loss)) finite = false;
        if (s == 0) loss_first = loss;
        loss_last = loss;
    }

    uint32_t used = 0;
    for (uint32_t i = arena_bytes; i > 0; --i) {
        if (arena[i - 1] != 0xA5) {
            used = i;
            break;
        }
    }

    // FNV-1a of the parameter bits, for comparison with the host build (trainplan_host_test prints
    // the same line). Each tensor is read into g_samples (free after training), so the hash is
    // n/a when a tensor has more elements than one input batch.
    uint32_t hash = 2166136261u;
    bool hashed = true;
    for (uint32_t p = 0; p < tp_param_count(); ++p) {
        const uint32_t n = tp_param_elements(p);
        if (n > (uint32_t)(TP_BATCH * TP_SAMPLE_ELEMENTS)) {
            hashed = false;
            break;
        }
        tp_param_read(p, g_samples);
        hash = fnv1a(hash, g_samples, n * (uint32_t)sizeof(float));
    }
    uint32_t last_bits = 0;
    memcpy(&last_bits, &loss_last, sizeof(last_bits));

    print_kv_u64("arena_bytes", (uint64_t)TP_ARENA_BYTES);
    print_kv_u64("arena_used_bytes", used);
    print_kv_u64("input_bytes", (uint64_t)(sizeof(g_samples) + sizeof(g_labels)));
    print_kv_u64("storage_bytes", (uint64_t)TP_STORAGE_BYTES);
    print_kv_float("loss_first", loss_first);
    print_kv_float("loss_last", loss_last);
    printf("loss_last_bits %08lx\n", (unsigned long)last_bits);
    if (hashed) {
        printf("params_fnv1a %08lx\n", (unsigned long)hash);
    } else {
        printf("params_fnv1a n/a\n");
    }
    if (counting && steps_done > 0) {
        print_kv_u64(kCountName, ticks * kUnitsPerTick / steps_done);
    } else {
        printf("%s n/a\n", kCountName);
    }

    if (!failure && used > arena_bytes) failure = "arena overflow";
    if (!failure && !finite) failure = "non-finite loss";
    if (!failure && !(loss_last < loss_first)) failure = "loss did not fall";
    if (failure) {
        printf("result FAIL %s\n", failure);
        exit(1);
    }
    printf("result PASS\n");
    exit(0);
}
