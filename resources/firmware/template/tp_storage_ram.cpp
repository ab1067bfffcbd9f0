// tp_storage_ram.cpp -- RAM-backed paging hooks for the host test and QEMU (see tp_storage_ram.h).
#include "tp_storage_ram.h"

#include <string.h>

// Placement of the buffer. The Cortex-M build (CMakeLists.txt) defines TP_USE_STORAGE_SECTION=1,
// which puts it in ".tp_storage"; the linker scripts map that section to a separate region (NOLOAD,
// outside the SRAM counted for the model). Defining TP_STORAGE_SECTION overrides both.
#ifndef TP_STORAGE_SECTION
#if defined(TP_USE_STORAGE_SECTION) && TP_USE_STORAGE_SECTION
#define TP_STORAGE_SECTION __attribute__((section(".tp_storage")))
#else
#define TP_STORAGE_SECTION
#endif
#endif

namespace {

constexpr uint32_t kCapacity = (TP_STORAGE_BYTES) > 0 ? (uint32_t)(TP_STORAGE_BYTES) : 1u;

alignas(8) TP_STORAGE_SECTION uint8_t g_buffer[kCapacity];
uint64_t g_written = 0;
uint64_t g_read = 0;

bool in_range(uint32_t offset, uint32_t bytes) {
    return offset <= kCapacity && bytes <= kCapacity - offset;
}

int ram_write(void* ctx, uint32_t offset, const void* src, uint32_t bytes) {
    (void)ctx;
    if (!in_range(offset, bytes)) return 1;
    if (bytes == 0) return 0;
    if (src == nullptr) return 2;
    memcpy(g_buffer + offset, src, bytes);
    g_written += bytes;
    return 0;
}

int ram_read(void* ctx, uint32_t offset, void* dst, uint32_t bytes) {
    (void)ctx;
    if (!in_range(offset, bytes)) return 1;
    if (bytes == 0) return 0;
    if (dst == nullptr) return 2;
    memcpy(dst, g_buffer + offset, bytes);
    g_read += bytes;
    return 0;
}

}  // namespace

extern "C" tp_storage tp_ram_storage(void) {
    tp_storage s;
    s.write = ram_write;
    s.read = ram_read;
    s.ctx = nullptr;
    return s;
}

extern "C" void tp_ram_storage_fill(uint8_t value) { memset(g_buffer, value, kCapacity); }

extern "C" uint32_t tp_ram_storage_capacity(void) { return kCapacity; }

extern "C" uint64_t tp_ram_storage_bytes_written(void) { return g_written; }

extern "C" uint64_t tp_ram_storage_bytes_read(void) { return g_read; }

extern "C" void tp_ram_storage_reset_counters(void) {
    g_written = 0;
    g_read = 0;
}
