/*
 * Minimal reset code and vector table shared by every Cortex-M board (ARMv7-M and ARMv8-M).
 *
 * We link with -nostartfiles, so there is no crt0: this file is the whole C runtime start-up.
 * It enables the FPU (and MVE on Cortex-M55) before any compiled code can use it, copies .data
 * from flash to RAM, zeroes .bss and calls main(). There is no heap, no C++ static constructors
 * and no semihosting: nothing runs before main() but this.
 *
 * The vector table has the 16 architectural entries plus TINYML_NUM_IRQS device entries. The
 * runtime enables no interrupts, so every handler is the same fault handler; it exists so a
 * stray exception ends in a defined place (a reset, see tinyml_board.h) rather than at a garbage
 * address.
 */
#include <stdint.h>
#include "tinyml_board.h"

#ifndef TINYML_NUM_IRQS
#define TINYML_NUM_IRQS 96
#endif

/* Provided by the linker script (boards/common/sections.ld). */
extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __stack_top;

int main(void);
void Reset_Handler(void);
void Fault_Handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define SCB_AIRCR (*(volatile uint32_t *)0xE000ED0Cu)

/* Kept out of line and unvectorized: it must not be inlined into Reset_Handler above the point
 * where the FPU/MVE is enabled, and on Cortex-M55 GCC would otherwise vectorize the copy loops
 * with MVE instructions. */
__attribute__((noinline, optimize("no-tree-loop-distribute-patterns", "no-tree-vectorize")))
static void init_memory(void)
{
  const uint32_t *src = &__data_load__;
  for (uint32_t *dst = &__data_start__; dst < &__data_end__;) {
    *dst++ = *src++;
  }
  for (uint32_t *dst = &__bss_start__; dst < &__bss_end__;) {
    *dst++ = 0;
  }
}

void Reset_Handler(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
  /* CP10 and CP11 full access: the FPU (and MVE, which shares them) is off out of reset, and
   * with -mfloat-abi=hard any function may touch FP registers. */
  SCB_CPACR |= (0xFu << 20);
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
  init_memory();
  (void)main();
  for (;;) {
  }
}

void Fault_Handler(void)
{
  tinyml_board_fault();
  /* Request a system reset (AIRCR.SYSRESETREQ with the 0x05FA key). A host that was waiting for
   * a reply times out, retries and finds a freshly booted board. */
  __asm volatile("dsb" ::: "memory");
  SCB_AIRCR = (0x05FAu << 16) | (1u << 2);
  __asm volatile("dsb" ::: "memory");
  for (;;) {
  }
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) const vector_t tinyml_vectors[16 + TINYML_NUM_IRQS] = {
  [0] = (vector_t)(uintptr_t)&__stack_top,
  [1] = Reset_Handler,
  [2] = Fault_Handler,  /* NMI */
  [3] = Fault_Handler,  /* HardFault */
  [4] = Fault_Handler,  /* MemManage */
  [5] = Fault_Handler,  /* BusFault */
  [6] = Fault_Handler,  /* UsageFault */
  [7] = Fault_Handler,  /* SecureFault (ARMv8-M Mainline) */
  [11] = Fault_Handler, /* SVCall */
  [12] = Fault_Handler, /* DebugMonitor */
  [14] = Fault_Handler, /* PendSV */
  [15] = Fault_Handler, /* SysTick */
  [16 ... 16 + TINYML_NUM_IRQS - 1] = Fault_Handler,
};
