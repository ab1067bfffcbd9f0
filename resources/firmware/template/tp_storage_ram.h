/*
 * tp_storage_ram.h -- a RAM-backed implementation of the paging hooks (tp_storage).
 *
 * The generated schedule pages tensors to secondary storage through the two hooks of
 * tp_storage (see trainplan_model.h). This implementation keeps the pages in a static buffer of
 * TP_STORAGE_BYTES (at least 1 byte) so the export runs on the host and in QEMU unchanged. On a
 * real board replace it with hooks that write your external flash / SD card (see README.md).
 *
 * On the Cortex-M build the buffer is placed in the linker section ".tp_storage", which the
 * linker scripts in cortex_m/ map to a separate memory region standing in for external storage,
 * so it is not counted in the SRAM (.data + .bss) figure. Define TP_STORAGE_SECTION yourself to
 * place it elsewhere (e.g. -DTP_STORAGE_SECTION='__attribute__((section(".ext_ram")))').
 */
#ifndef TP_STORAGE_RAM_H
#define TP_STORAGE_RAM_H

#include <stdint.h>

#include "trainplan_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hooks backed by the static buffer; ctx is unused (null). Out-of-range or null accesses return
 * a nonzero error and copy nothing. */
tp_storage tp_ram_storage(void);

/* Diagnostics: fill the whole buffer with `value` (the host test does this between runs so that
 * a read of a page that was never written shows up as a difference) and the traffic so far. */
void tp_ram_storage_fill(uint8_t value);
uint32_t tp_ram_storage_capacity(void);
uint64_t tp_ram_storage_bytes_written(void);
uint64_t tp_ram_storage_bytes_read(void);
void tp_ram_storage_reset_counters(void);

#ifdef __cplusplus
}
#endif

#endif /* TP_STORAGE_RAM_H */
