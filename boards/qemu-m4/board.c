/*
 * Board support for qemu-m4: Arm MPS2 with the AN386 FPGA image (Cortex-M4F), as emulated by QEMU -M mps2-an386.
 *
 * UART0 (CMSDK APB UART) at 0x40004000 is the serial link (QEMU: the first -serial device).
 * TIMER0 (CMSDK APB timer) at 0x40000000, clocked by the 25000000 Hz APB clock, is the timebase.
 * Addresses: Arm application note for the FPGA image and QEMU's model of it (hw/arm/mps2.c).
 */
#include "tinyml_board.h"
#include "board_config.h"
#include "cmsdk_timer.h"
#include "cmsdk_uart.h"

#define UART0_BASE 0x40004000u
#define TIMER0_BASE 0x40000000u
#define APB_CLOCK_HZ 25000000u

void board_init(void)
{
  cmsdk_uart_init(UART0_BASE, APB_CLOCK_HZ, TINYML_UART_BAUD);
  cmsdk_timer_init(TIMER0_BASE);
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
  return cmsdk_timer_read(TIMER0_BASE);
}
