/*
 * Reset code and vector table for nano33 (nRF52840 behind the Arduino bootloader).
 *
 * This is boards/common/startup_cortexm.c plus what running as an application behind a
 * bootloader needs. The Arduino bootloader lives in the first 64 KiB of flash; after a reset it
 * jumps to the application at 0x10000 (this vector table: initial SP, then Reset_Handler), in
 * whatever state it left the core: interrupts possibly enabled and pending (it runs a USB stack),
 * SysTick possibly running, VTOR still pointing at its own table, SP on its own stack. So
 * before anything else Reset_Handler masks interrupts and loads our stack pointer, then points
 * VTOR here, disables and clears every device interrupt and stops SysTick. The runtime is polled and enables no interrupt; PRIMASK stays
 * set, which masks every configurable exception but leaves HardFault (and NMI) working, so a
 * fault still ends in Fault_Handler.
 *
 * Then, as on every board: FPU on, .data copied, .bss zeroed, main().
 */
#include <stdint.h>
#include "tinyml_board.h"
#include "nrf52840_regs.h"

/* nRF52840 device interrupts: 0 (POWER_CLOCK) to 47 (SPIM3). */
#define TINYML_NUM_IRQS 48

/* Provided by the linker script (boards/common/sections.ld). */
extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __stack_top;

int main(void);
void Reset_Handler(void);
void tinyml_reset_continue(void);
void Fault_Handler(void);

typedef void (*vector_t)(void);
extern const vector_t tinyml_vectors[16 + TINYML_NUM_IRQS];

/* Out of line and not turned into memcpy/memset calls: it runs before .data and .bss exist. */
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

/* Entered from the bootloader's jump (or a reset): it may have left the core on its own stack,
 * or even on the process stack, so the first thing is our own main stack. No C before that. */
__attribute__((naked, noreturn)) void Reset_Handler(void)
{
  __asm volatile(
      "cpsid i\n\t"
      "ldr r0, =__stack_top\n\t"
      "msr msp, r0\n\t"
      "movs r0, #0\n\t"
      "msr control, r0\n\t" /* thread mode on MSP, privileged, no FP context */
      "isb\n\t"
      "b tinyml_reset_continue\n\t");
}

__attribute__((noreturn, used)) void tinyml_reset_continue(void)
{
  SCB_VTOR = (uint32_t)(uintptr_t)tinyml_vectors;
  SYST_CSR = 0;
  for (uint32_t n = 0; n < (TINYML_NUM_IRQS + 31u) / 32u; ++n) {
    NVIC_ICER(n) = 0xFFFFFFFFu;
    NVIC_ICPR(n) = 0xFFFFFFFFu;
  }
  SCB_ICSR = SCB_ICSR_PENDSTCLR | SCB_ICSR_PENDSVCLR;
  __asm volatile("dsb\n\tisb" ::: "memory");
#if defined(__ARM_FP)
  /* CP10 and CP11 full access: with -mfloat-abi=hard any function may touch FP registers. */
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
  nano33_uart_flush();
  /* System reset (AIRCR.SYSRESETREQ with the 0x05FA key): the bootloader runs, finds no reason
   * to stay (GPREGRET is untouched) and starts this firmware again. */
  __asm volatile("dsb" ::: "memory");
  SCB_AIRCR = (0x05FAu << 16) | (1u << 2);
  __asm volatile("dsb" ::: "memory");
  for (;;) {
  }
}

__attribute__((section(".vectors"), used)) const vector_t tinyml_vectors[16 + TINYML_NUM_IRQS] = {
  [0] = (vector_t)(uintptr_t)&__stack_top,
  [1] = Reset_Handler,
  [2] = Fault_Handler,  /* NMI */
  [3] = Fault_Handler,  /* HardFault */
  [4] = Fault_Handler,  /* MemManage */
  [5] = Fault_Handler,  /* BusFault */
  [6] = Fault_Handler,  /* UsageFault */
  [11] = Fault_Handler, /* SVCall */
  [12] = Fault_Handler, /* DebugMonitor */
  [14] = Fault_Handler, /* PendSV */
  [15] = Fault_Handler, /* SysTick */
  [16 ... 16 + TINYML_NUM_IRQS - 1] = Fault_Handler,
};
