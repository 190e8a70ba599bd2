/*
 * Board support for qemu-m55: Arm MPS3 with the AN547 FPGA image (Corstone-300: SSE-300 with a
 * Cortex-M55), as emulated by QEMU -M mps3-an547.
 *
 * The core boots in the Secure state (the secure VTOR resets to 0x00000000, the ITCM) and tinyml
 * stays there, so we use Secure aliases (bit 28 set): ITCM at 0x10000000, the FPGA SRAM at
 * 0x11000000, peripherals at 0x5xxxxxxx. Out of reset every PPC and MPC marks its blocks Secure,
 * so no security controller has to be programmed.
 *
 * UART0 (CMSDK APB UART) at 0x59303000, clocked at 25 MHz, is the serial link.
 * The SSE-300 has no full-speed CMSDK timer (its CMSDK timer runs from the 32 kHz S32KCLK), so
 * the timebase is the SSE-300 system counter, CNTControlBase at 0x58100000, clocked by the
 * 32 MHz main clock.
 * Addresses: Arm AN547 / SSE-300 TRM and QEMU's model of them (hw/arm/mps2-tz.c, armsse.c).
 */
#include "tinyml_board.h"
#include "board_config.h"
#include "cmsdk_uart.h"
#include "sse_counter.h"

#define UART0_BASE 0x59303000u
#define UART_CLOCK_HZ 25000000u
#define SYSCOUNTER_CONTROL_BASE 0x58100000u

void board_init(void)
{
  cmsdk_uart_init(UART0_BASE, UART_CLOCK_HZ, TINYML_UART_BAUD);
  sse_counter_init(SYSCOUNTER_CONTROL_BASE);
}

int board_uart_getc(void)
{
  return cmsdk_uart_getc(UART0_BASE);
}

void board_uart_putc(uint8_t c)
{
  (void)cmsdk_uart_putc(UART0_BASE, c);
}

uint32_t board_timer_read(void)
{
  return sse_counter_read(SYSCOUNTER_CONTROL_BASE);
}
