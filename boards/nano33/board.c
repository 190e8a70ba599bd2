/*
 * Board support for nano33: Arduino Nano 33 BLE (Nordic nRF52840, Cortex-M4F at 64 MHz), bare
 * metal, started by the Arduino bootloader at 0x10000 (see startup_nrf52840.c and linker.ld).
 *
 *   clock   HFCLK from the 32 MHz crystal (HFXO); the core runs at 64 MHz either way, the
 *           crystal makes the UART baud rate accurate. Flash instruction cache on.
 *   link    UARTE0 with EasyDMA on the header's TX (P1.03) and RX (P1.10) pins, 8N1, no flow
 *           control, TINYML_UART_BAUD. The board's USB connector is not the link: bare-metal
 *           firmware has no USB stack, so the host needs a 3.3 V USB-serial adapter on TX/RX.
 *   timer   DWT cycle counter (CYCCNT): core cycles at 64 MHz.
 *
 * Reception. EasyDMA writes received bytes to RAM, but only reports how many at the end of a
 * transfer (ENDRX), which does not suit a byte-by-byte protocol. So the receiver runs forever
 * into one ring buffer (RXD.PTR fixed, MAXCNT = ring size, ENDRX->STARTRX shortcut: each
 * transfer restarts at the start of the ring, byte k always lands at k mod size), and TIMER2 in
 * counter mode counts the RXDRDY events through a PPI channel: the count is the producer index
 * of the ring. Nothing is interrupt driven; board_uart_getc() compares the count with what it
 * has consumed. A host that sends more than the ring holds while the firmware is not reading
 * loses data, which the protocol's CRC and timeouts detect.
 *
 * Transmission. EasyDMA reads only RAM, so each byte is copied to a one-byte RAM buffer and sent
 * as a one-byte transfer; board_uart_putc() waits for the previous transfer (ENDTX) first.
 */
#include "tinyml_board.h"
#include "board_config.h"
#include "nrf52840_regs.h"

/* The link pins: Arduino's D0/TX and D1/RX (variant ARDUINO_NANO33BLE: Serial1). */
#define UART_PORT 1u
#define UART_TX_PIN 3u
#define UART_RX_PIN 10u

/* PPI channel that routes UARTE0 RXDRDY to TIMER2 COUNT. */
#define RX_PPI_CHANNEL 0u

/* Receive ring, a power of two. 1 KiB is ~89 ms of data at 115200 baud. */
#define RX_RING_BYTES 1024u

/* RXDRDY means a byte was received, not that EasyDMA has written it to RAM yet; that takes a
 * few bus cycles. Bytes are read only after this many cycles have passed since they were
 * counted (2 us: far more than the DMA needs, far less than one byte time). */
#define RX_DMA_SETTLE_CYCLES 128u

/* Bounds on busy waits so a stuck peripheral can never hang the firmware. One byte at 115200
 * baud is ~5,600 cycles; a poll costs a few cycles. */
#define TX_POLL_LIMIT (1u << 20)
#define HFXO_POLL_LIMIT (1u << 20)

#if TINYML_UART_BAUD == 9600
#define UART_BAUD_REG UARTE_BAUDRATE_9600
#elif TINYML_UART_BAUD == 19200
#define UART_BAUD_REG UARTE_BAUDRATE_19200
#elif TINYML_UART_BAUD == 38400
#define UART_BAUD_REG UARTE_BAUDRATE_38400
#elif TINYML_UART_BAUD == 57600
#define UART_BAUD_REG UARTE_BAUDRATE_57600
#elif TINYML_UART_BAUD == 115200
#define UART_BAUD_REG UARTE_BAUDRATE_115200
#elif TINYML_UART_BAUD == 230400
#define UART_BAUD_REG UARTE_BAUDRATE_230400
#elif TINYML_UART_BAUD == 460800
#define UART_BAUD_REG UARTE_BAUDRATE_460800
#elif TINYML_UART_BAUD == 921600
#define UART_BAUD_REG UARTE_BAUDRATE_921600
#elif TINYML_UART_BAUD == 1000000
#define UART_BAUD_REG UARTE_BAUDRATE_1000000
#else
#error "nano33: uart.baud in board.json must be one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600, 1000000"
#endif

static volatile uint8_t rx_ring[RX_RING_BYTES] __attribute__((aligned(4)));
static uint32_t rx_read;  /* bytes consumed by board_uart_getc() */
static uint32_t rx_ready; /* bytes counted and known to be in RAM */

static volatile uint8_t tx_byte;
static uint32_t tx_busy; /* a transfer was started and its ENDTX not yet seen */

/* Waits `cycles` core cycles on the DWT counter (bounded by an iteration count as well, so it
 * ends even if the counter does not run). */
static void delay_cycles(uint32_t cycles)
{
  uint32_t start = DWT_CYCCNT;
  for (uint32_t i = 0; i < cycles; ++i) {
    if (DWT_CYCCNT - start >= cycles) {
      break;
    }
  }
}

static void clock_init(void)
{
  if ((CLOCK_HFCLKSTAT & (CLOCK_HFCLKSTAT_SRC_XTAL | CLOCK_HFCLKSTAT_STATE_RUNNING)) ==
      (CLOCK_HFCLKSTAT_SRC_XTAL | CLOCK_HFCLKSTAT_STATE_RUNNING)) {
    return; /* the bootloader (USB) left the crystal running */
  }
  CLOCK_EVENTS_HFCLKSTARTED = 0;
  CLOCK_TASKS_HFCLKSTART = 1;
  for (uint32_t i = 0; i < HFXO_POLL_LIMIT && CLOCK_EVENTS_HFCLKSTARTED == 0u; ++i) {
  }
  /* Without the crystal the core still runs from HFINT at 64 MHz; only the baud rate is less
   * accurate (HFINT is within about 1.5%, which 8N1 tolerates). */
  CLOCK_EVENTS_HFCLKSTARTED = 0;
}

static void cycle_counter_init(void)
{
  COREDEBUG_DEMCR |= COREDEBUG_DEMCR_TRCENA;
  DWT_CYCCNT = 0;
  DWT_CTRL |= DWT_CTRL_CYCCNTENA;
}

static void uart_init(void)
{
  /* Whatever ran before us (the bootloader) may have used these peripherals. */
  UARTE_TASKS_STOPRX = 1;
  UARTE_TASKS_STOPTX = 1;
  UARTE_ENABLE = 0;
  UARTE_INTENCLR = 0xFFFFFFFFu;
  UARTE_SHORTS = 0;
  PPI_CHENCLR = 1u << RX_PPI_CHANNEL;
  TIMER_TASKS_STOP = 1;
  TIMER_INTENCLR = 0xFFFFFFFFu;
  TIMER_SHORTS = 0;

  /* TX idles high: drive it high before connecting it to the UARTE. RX gets a pull-up so an
   * unconnected pin reads idle rather than noise. */
  P1_OUTSET = 1u << UART_TX_PIN;
  P1_PIN_CNF(UART_TX_PIN) = GPIO_PIN_CNF_DIR_OUTPUT | GPIO_PIN_CNF_INPUT_DISCONNECT;
  P1_PIN_CNF(UART_RX_PIN) = GPIO_PIN_CNF_PULL_UP;

  UARTE_PSEL_TXD = UARTE_PSEL(UART_PORT, UART_TX_PIN);
  UARTE_PSEL_RXD = UARTE_PSEL(UART_PORT, UART_RX_PIN);
  UARTE_PSEL_RTS = UARTE_PSEL_DISCONNECTED;
  UARTE_PSEL_CTS = UARTE_PSEL_DISCONNECTED;
  UARTE_BAUDRATE = UART_BAUD_REG;
  UARTE_CONFIG = 0; /* no flow control, no parity, one stop bit */

  /* Byte counter: TIMER2 counts RXDRDY events. */
  TIMER_MODE = TIMER_MODE_LOW_POWER_COUNTER;
  TIMER_BITMODE = TIMER_BITMODE_32BIT;
  TIMER_TASKS_CLEAR = 1;
  TIMER_TASKS_START = 1;
  PPI_CH_EEP(RX_PPI_CHANNEL) = (uint32_t)(uintptr_t)(NRF_UARTE0_BASE + UARTE_EVENTS_RXDRDY_OFFSET);
  PPI_CH_TEP(RX_PPI_CHANNEL) = (uint32_t)(uintptr_t)(NRF_TIMER2_BASE + TIMER_TASKS_COUNT_OFFSET);
  PPI_CHENSET = 1u << RX_PPI_CHANNEL;

  UARTE_EVENTS_RXDRDY = 0;
  UARTE_EVENTS_ENDRX = 0;
  UARTE_EVENTS_RXSTARTED = 0;
  UARTE_EVENTS_RXTO = 0;
  UARTE_EVENTS_ERROR = 0;
  UARTE_EVENTS_ENDTX = 0;
  UARTE_EVENTS_TXSTARTED = 0;
  UARTE_EVENTS_TXSTOPPED = 0;
  UARTE_ERRORSRC = UARTE_ERRORSRC; /* write-1-to-clear */
  UARTE_ENABLE = UARTE_ENABLE_ENABLED;

  rx_read = 0;
  rx_ready = 0;
  tx_busy = 0;
  UARTE_RXD_PTR = (uint32_t)(uintptr_t)rx_ring;
  UARTE_RXD_MAXCNT = RX_RING_BYTES;
  UARTE_SHORTS = UARTE_SHORTS_ENDRX_STARTRX;
  UARTE_TASKS_STARTRX = 1;
}

void board_init(void)
{
  cycle_counter_init();
  clock_init();
  NVMC_ICACHECNF = NVMC_ICACHECNF_CACHEEN;
  uart_init();
}

/* Bytes received so far (mod 2^32), from the PPI-driven counter. */
static uint32_t rx_count(void)
{
  TIMER_TASKS_CAPTURE0 = 1;
  return TIMER_CC0;
}

/* Keeps the receiver running after line errors (framing, break, overrun) and restarts it if it
 * ever stopped (RXTO). */
static void rx_service(void)
{
  if (UARTE_EVENTS_ERROR != 0u) {
    UARTE_EVENTS_ERROR = 0;
    UARTE_ERRORSRC = UARTE_ERRORSRC;
  }
  if (UARTE_EVENTS_RXTO != 0u) {
    UARTE_EVENTS_RXTO = 0;
    UARTE_TASKS_STARTRX = 1;
  }
}

int board_uart_getc(void)
{
  if (rx_read == rx_ready) {
    uint32_t counted = rx_count();
    if (counted == rx_ready) {
      rx_service();
      return -1;
    }
    delay_cycles(RX_DMA_SETTLE_CYCLES);
    if (counted - rx_read > RX_RING_BYTES) {
      /* The ring overflowed: the oldest unread bytes were overwritten. Drop everything; the
       * frame they belonged to fails its CRC or times out and the host retries. */
      rx_read = counted;
      rx_ready = counted;
      return -1;
    }
    rx_ready = counted;
  }
  uint8_t c = rx_ring[rx_read & (RX_RING_BYTES - 1u)];
  rx_read++;
  return c;
}

static void tx_wait(void)
{
  if (!tx_busy) {
    return;
  }
  for (uint32_t i = 0; i < TX_POLL_LIMIT && UARTE_EVENTS_ENDTX == 0u; ++i) {
  }
  UARTE_EVENTS_ENDTX = 0;
  tx_busy = 0;
}

void board_uart_putc(uint8_t c)
{
  tx_wait();
  tx_byte = c;
  UARTE_TXD_PTR = (uint32_t)(uintptr_t)&tx_byte;
  UARTE_TXD_MAXCNT = 1;
  UARTE_TASKS_STARTTX = 1;
  tx_busy = 1;
}

void nano33_uart_flush(void)
{
  tx_wait();
  /* ENDTX means EasyDMA has read the byte; let the last one or two leave the shift register. */
  delay_cycles((uint32_t)(3ull * 10u * TINYML_CLOCK_HZ / TINYML_UART_BAUD));
}

uint32_t board_timer_read(void)
{
  return DWT_CYCCNT;
}
