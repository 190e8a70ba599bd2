/*
 * Minimal bare-metal runtime for the optimized-kernel tests on QEMU (mps2-an386, Cortex-M4):
 * vector table, reset handler (FPU on, .data/.bss set up), and ARM semihosting for output
 * (hex text through SYS_WRITE0) and exit. No newlib stdio: the test program prints with
 * tgt_write_hex.
 */
#include <stdint.h>

extern uint32_t __data_start__, __data_end__, __data_load__, __bss_start__, __bss_end__, __stack_top__;
int main(void);

static int semihost(int op, const void *arg) {
  register int r0 __asm__("r0") = op;
  register const void *r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void tgt_exit(int code) {
  /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, exit code}. */
  const uint32_t args[2] = {0x20026u, (uint32_t)code};
  semihost(0x20, args);
  for (;;) {
  }
}

void tgt_write_hex(const void *data, uint32_t n) {
  static const char hex[] = "0123456789abcdef";
  char buf[257];
  const uint8_t *p = (const uint8_t *)data;
  while (n > 0) {
    uint32_t k = n > 128 ? 128 : n;
    for (uint32_t i = 0; i < k; ++i) {
      buf[2 * i] = hex[p[i] >> 4];
      buf[2 * i + 1] = hex[p[i] & 15];
    }
    buf[2 * k] = 0;
    semihost(0x04, buf);
    p += k;
    n -= k;
  }
}

void Reset_Handler(void) {
  /* CP10/CP11 full access: the compiler may keep values in FPU registers. */
  *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
  for (uint32_t *s = &__data_load__, *d = &__data_start__; d < &__data_end__;) *d++ = *s++;
  for (uint32_t *d = &__bss_start__; d < &__bss_end__;) *d++ = 0;
  tgt_exit(main());
}

static void Fault_Handler(void) {
  semihost(0x04, "\nFAULT\n");
  tgt_exit(3);
}

__attribute__((section(".vectors"), used)) static const void *const vectors[16] = {
    &__stack_top__, (const void *)Reset_Handler, (const void *)Fault_Handler, (const void *)Fault_Handler,
    (const void *)Fault_Handler, (const void *)Fault_Handler, (const void *)Fault_Handler,
};

/* What GCC may call for struct copies and large memset/memcpy (kept from being turned back into
 * calls to themselves). */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memcpy(void *dst, const void *src, __SIZE_TYPE__ n) {
  uint8_t *d = (uint8_t *)dst;
  const uint8_t *s = (const uint8_t *)src;
  while (n--) *d++ = *s++;
  return dst;
}

__attribute__((optimize("no-tree-loop-distribute-patterns"))) void *memset(void *dst, int v, __SIZE_TYPE__ n) {
  uint8_t *d = (uint8_t *)dst;
  while (n--) *d++ = (uint8_t)v;
  return dst;
}
