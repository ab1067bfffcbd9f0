/*
 * startup_cortex_m.c -- minimal startup for the TrainPlan firmware on Cortex-M4 / Cortex-M7
 * (QEMU mps2-an386 / mps2-an500, or any board with a linker script that defines the same symbols).
 *
 * Reset_Handler: enables the FPU (CPACR CP10/CP11 full access, DSB, ISB) before any floating-point
 * instruction can run, copies .data from flash, zeroes .bss, runs the static constructors
 * (__libc_init_array) and calls exit(main()). Linked with -nostartfiles, so _init/_fini and
 * __dso_handle are provided here.
 *
 * Faults and unexpected interrupts print the exception number, the stacked PC/LR and the fault
 * status registers through semihosting (SYS_WRITE0) and stop with SYS_EXIT(RunTimeErrorUnknown),
 * which makes QEMU exit with status 1. Without a debugger attached a real board would lock up on
 * the BKPT instruction instead -- replace fault_report() with your own reporting there.
 *
 * Symbols expected from the linker script (see mps2_common.ld):
 *   __data_start__, __data_end__, __data_load__   .data in RAM and its image in flash
 *   __bss_start__, __bss_end__                     .bss
 *   __heap_start__, __heap_end__                   small heap for newlib's stdio (_sbrk below)
 *   __stack_top__                                  initial main stack pointer
 *   __tp_rom_start__, __tp_rom_size__              the FLASH region (made read-only by the MPU)
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

extern uint32_t __data_start__;
extern uint32_t __data_end__;
extern uint32_t __data_load__;
extern uint32_t __bss_start__;
extern uint32_t __bss_end__;
extern char __heap_start__;
extern char __heap_end__;
extern uint32_t __stack_top__;

int main(void);
void __libc_init_array(void);

void Reset_Handler(void);
void Fault_Handler(void);
void reset_continue(void) __attribute__((noreturn, used));
void fault_report(const uint32_t* frame, uint32_t exc_return) __attribute__((noreturn, used));

/* ---- reset ----------------------------------------------------------------------------------- */

__attribute__((naked, noreturn)) void Reset_Handler(void)
{
    /* Nothing in here may touch the FPU: it is off until CPACR is written. */
    __asm__ volatile(
#if defined(__ARM_FP)
        "ldr r0, =0xE000ED88\n" /* SCB->CPACR */
        "ldr r1, [r0]\n"
        "orr r1, r1, #(0xF << 20)\n" /* CP10, CP11: full access */
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
#endif
        "b reset_continue\n"
        ".ltorg\n");
}

/* QEMU models the MPS2 "flash" (ZBT SSRAM1) as RAM, so a stray write through a null or const
 * pointer would silently overwrite the vector table, the code or the frozen weights. The MPU makes
 * the FLASH region read-only (privileged and unprivileged, executable; the rest of the map stays
 * the default one through PRIVDEFENA), so such a write faults like it would on a real part. The
 * region comes from the linker script (__tp_rom_start__, __tp_rom_size__) and is skipped when it is
 * not a naturally aligned power of two of at least 32 bytes, or when the core has no MPU.
 * Build with -DTP_MPU_PROTECT_FLASH=0 to leave the MPU alone. */
#ifndef TP_MPU_PROTECT_FLASH
#define TP_MPU_PROTECT_FLASH 1
#endif
extern char __tp_rom_start__;
extern char __tp_rom_size__;

static void protect_flash(void)
{
#if TP_MPU_PROTECT_FLASH
    volatile uint32_t* const mpu_type = (volatile uint32_t*)0xE000ED90u;
    volatile uint32_t* const mpu_ctrl = (volatile uint32_t*)0xE000ED94u;
    volatile uint32_t* const mpu_rnr = (volatile uint32_t*)0xE000ED98u;
    volatile uint32_t* const mpu_rbar = (volatile uint32_t*)0xE000ED9Cu;
    volatile uint32_t* const mpu_rasr = (volatile uint32_t*)0xE000EDA0u;
    volatile uint32_t* const shcsr = (volatile uint32_t*)0xE000ED24u;
    const uint32_t base = (uint32_t)(uintptr_t)&__tp_rom_start__;
    const uint32_t size = (uint32_t)(uintptr_t)&__tp_rom_size__;
    if (((*mpu_type >> 8) & 0xFFu) == 0 || size < 32u || (size & (size - 1u)) != 0 ||
        (base & (size - 1u)) != 0) {
        return;
    }
    uint32_t log2 = 0;
    while ((1u << log2) < size) {
        ++log2;
    }
    *mpu_rnr = 0;
    *mpu_rbar = base;
    /* AP=0b110 read-only, TEX=0 C=1 B=0 (normal, write-through), SIZE=log2-1, ENABLE */
    *mpu_rasr = (6u << 24) | (1u << 17) | ((log2 - 1u) << 1) | 1u;
    *mpu_ctrl = (1u << 2) | 1u; /* PRIVDEFENA | ENABLE */
    /* Report MemManage, BusFault and UsageFault as themselves rather than as HardFault. */
    *shcsr |= (1u << 16) | (1u << 17) | (1u << 18);
    __asm__ volatile("dsb\n isb" ::: "memory");
#endif
}

void reset_continue(void)
{
    protect_flash();
    uint32_t* src = &__data_load__;
    uint32_t* dst = &__data_start__;
    while (dst < &__data_end__) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0;
    }
    __libc_init_array();
    exit(main());
}

/* -nostartfiles: no crti/crtn/crtbegin, so provide what newlib and g++ expect from them. */
void _init(void) {}
void _fini(void) {}
void* __dso_handle __attribute__((weak)) = 0;

/* Heap for newlib's stdio buffers only (the TrainPlan model itself never allocates), bounded by
 * the .heap section of the linker script; overrides librdimon's weak _sbrk, which only checks
 * against the stack pointer. */
void* _sbrk(ptrdiff_t incr)
{
    static char* brk = 0;
    if (brk == 0) {
        brk = &__heap_start__;
    }
    if (incr < 0 ? (&__heap_start__ - brk) > incr : (&__heap_end__ - brk) < incr) {
        errno = ENOMEM;
        return (void*)-1;
    }
    char* prev = brk;
    brk += incr;
    return prev;
}

/* ---- faults ---------------------------------------------------------------------------------- */

static int semihost(int op, const void* arg)
{
    register int r0 __asm__("r0") = op;
    register const void* r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

static char* put_str(char* p, const char* s)
{
    while (*s) {
        *p++ = *s++;
    }
    return p;
}

static char* put_hex(char* p, uint32_t v)
{
    static const char digits[] = "0123456789abcdef";
    p = put_str(p, "0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        *p++ = digits[(v >> shift) & 0xFu];
    }
    return p;
}

/* Saves the frame pointer (MSP or PSP, per EXC_RETURN bit 2) and reports. */
__attribute__((naked, noreturn)) void Fault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "b fault_report\n");
}

void fault_report(const uint32_t* frame, uint32_t exc_return)
{
    volatile const uint32_t* const scb = (volatile const uint32_t*)0xE000ED00u;
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    char msg[256];
    char* p = msg;
    p = put_str(p, "\nFAULT exception ");
    p = put_hex(p, ipsr & 0x1FFu);
    p = put_str(p, " pc ");
    p = put_hex(p, frame[6]);
    p = put_str(p, " lr ");
    p = put_hex(p, frame[5]);
    p = put_str(p, " exc_return ");
    p = put_hex(p, exc_return);
    p = put_str(p, "\n  cfsr ");
    p = put_hex(p, scb[0x28 / 4]);
    p = put_str(p, " hfsr ");
    p = put_hex(p, scb[0x2C / 4]);
    p = put_str(p, " mmfar ");
    p = put_hex(p, scb[0x34 / 4]);
    p = put_str(p, " bfar ");
    p = put_hex(p, scb[0x38 / 4]);
    p = put_str(p, "\nresult FAIL cpu fault\n");
    *p = '\0';
    semihost(0x04, msg);                         /* SYS_WRITE0 */
    semihost(0x18, (const void*)0x20023u);       /* SYS_EXIT, ADP_Stopped_RunTimeErrorUnknown */
    for (;;) {
    }
}

/* ---- vector table ---------------------------------------------------------------------------- */

/* 16 system exceptions + 32 external interrupts (the QEMU MPS2 AN385/AN386/AN500 NVIC has 32). */
#define TP_VECTOR_COUNT (16 + 32)

typedef void (*tp_vector)(void);

__attribute__((section(".isr_vector"), used)) const tp_vector tp_vector_table[TP_VECTOR_COUNT] = {
    (tp_vector)(uintptr_t)&__stack_top__, /* initial MSP */
    Reset_Handler,                        /* 1 reset */
    Fault_Handler,                        /* 2 NMI */
    Fault_Handler,                        /* 3 HardFault */
    Fault_Handler,                        /* 4 MemManage */
    Fault_Handler,                        /* 5 BusFault */
    Fault_Handler,                        /* 6 UsageFault */
    0, 0, 0, 0,                           /* 7-10 reserved */
    Fault_Handler,                        /* 11 SVCall */
    Fault_Handler,                        /* 12 DebugMonitor */
    0,                                    /* 13 reserved */
    Fault_Handler,                        /* 14 PendSV */
    Fault_Handler,                        /* 15 SysTick */
    [16 ... TP_VECTOR_COUNT - 1] = Fault_Handler,
};
