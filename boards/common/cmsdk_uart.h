/*
 * Driver for the Arm CMSDK APB UART (Cortex-M System Design Kit, DDI0479), the UART of every
 * MPS2/MPS3 FPGA image (AN385/AN386/AN500/AN505/AN547) and of QEMU's models of them.
 *
 * Polled only: the runtime's serial loop is the only thing the CPU does between inferences, so
 * interrupts would add code (and nondeterministic timing around an inference) for no gain.
 */
#ifndef TINYML_CMSDK_UART_H
#define TINYML_CMSDK_UART_H

#include <stdint.h>

void cmsdk_uart_init(uint32_t base, uint32_t pclk_hz, uint32_t baud);
/* Returns the received byte (0..255), or -1 when none is waiting. Never blocks. */
int cmsdk_uart_getc(uint32_t base);
/* Waits (a bounded number of polls) for room in the 1-byte TX buffer, then sends c. Returns 0 if
 * the byte had to be dropped because the transmitter stayed busy. */
int cmsdk_uart_putc(uint32_t base, uint8_t c);

#endif
