/*
 * Board support for qemu-m33: Arm MPS2 with the AN505 FPGA image (Cortex-M33, TrustZone), as emulated by QEMU -M mps2-an505.
 *
 * UART0 (CMSDK APB UART) at 0x50200000 is the serial link (QEMU: the first -serial device).
 * TIMER0 (the IoTKit's CMSDK APB timer 0) at 0x50000000, clocked by the 20000000 Hz APB clock, is the timebase.
 * The core boots in the Secure state and tinyml stays there, so we use the Secure aliases of
 * everything (bit 28 set): SSRAM1 at 0x10000000, SSRAM2/3 at 0x38000000, peripherals at
 * 0x5xxxxxxx. Out of reset the IoTKit's PPCs and MPCs mark every block Secure, which is exactly
 * what Secure-only firmware needs, so no security controller has to be programmed.
 * Addresses: Arm application note for the FPGA image and QEMU's model of it (hw/arm/mps2.c).
 */
#include "tinyml_board.h"
#include "board_config.h"
#include "cmsdk_timer.h"
#include "cmsdk_uart.h"

#define UART0_BASE 0x50200000u
#define TIMER0_BASE 0x50000000u
#define APB_CLOCK_HZ 20000000u

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
