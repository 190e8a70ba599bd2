#include "cmsdk_uart.h"

/* Register offsets and bits (DDI0479C, section 4.3). */
#define UART_DATA(b) (*(volatile uint32_t *)((b) + 0x00u))
#define UART_STATE(b) (*(volatile uint32_t *)((b) + 0x04u))
#define UART_CTRL(b) (*(volatile uint32_t *)((b) + 0x08u))
#define UART_INTSTATUS(b) (*(volatile uint32_t *)((b) + 0x0Cu))
#define UART_BAUDDIV(b) (*(volatile uint32_t *)((b) + 0x10u))

#define STATE_TXFULL 0x1u
#define STATE_RXFULL 0x2u
#define STATE_OVERRUNS 0xCu
#define CTRL_TX_EN 0x1u
#define CTRL_RX_EN 0x2u

/* Bound on the wait for TX room. On hardware a byte leaves within one byte time (87 us at
 * 115200 baud); at 25 MHz and ~10 cycles per poll that is ~220 polls, so 1<<20 polls (~0.4 s)
 * is ample. It exists only so that a stuck transmitter can never hang the firmware. */
#define TX_POLL_LIMIT (1u << 20)

void cmsdk_uart_init(uint32_t base, uint32_t pclk_hz, uint32_t baud)
{
  UART_CTRL(base) = 0;
  /* The hardware requires BAUDDIV >= 16. QEMU ignores the rate but checks that bound. */
  uint32_t div = pclk_hz / baud;
  UART_BAUDDIV(base) = div < 16u ? 16u : div;
  UART_STATE(base) = STATE_OVERRUNS;   /* write-1-to-clear */
  UART_INTSTATUS(base) = 0xFu;         /* write-1-to-clear */
  UART_CTRL(base) = CTRL_TX_EN | CTRL_RX_EN;
}

int cmsdk_uart_getc(uint32_t base)
{
  uint32_t st = UART_STATE(base);
  if (st & STATE_OVERRUNS) {
    /* A lost byte shows up as a bad CRC at the protocol level; just clear the sticky flag. */
    UART_STATE(base) = STATE_OVERRUNS;
  }
  if (!(st & STATE_RXFULL)) {
    return -1;
  }
  return (int)(UART_DATA(base) & 0xFFu);
}

int cmsdk_uart_putc(uint32_t base, uint8_t c)
{
  uint32_t n = 0;
  while (UART_STATE(base) & STATE_TXFULL) {
    if (++n >= TX_POLL_LIMIT) {
      return 0;
    }
  }
  UART_DATA(base) = c;
  return 1;
}
