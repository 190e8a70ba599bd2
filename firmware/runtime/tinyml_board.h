/*
 * tinyml_board.h - what the on-target runtime (main.c) needs from a board.
 *
 * Each boards/<name>/board.c implements these functions for its UART and timer; the runtime is
 * otherwise hardware independent. board_config.h (generated from boards/<name>/board.json when a
 * firmware project is written) supplies the board's constants: name, clock, timer description.
 */
#ifndef TINYML_BOARD_H
#define TINYML_BOARD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Clocks, UART (8N1 at TINYML_UART_BAUD) and the timer. Called first thing in main(). */
void board_init(void);

/* Next received byte (0..255), or -1 when none is waiting. Never blocks. */
int board_uart_getc(void);

/* Sends one byte, waiting (boundedly) for room in the transmitter. */
void board_uart_putc(uint8_t c);

/* Free-running 32-bit up-counter in timer ticks (see board.json "timer"). Intervals are
 * `end - start` in uint32_t arithmetic, which is exact across one wrap. */
uint32_t board_timer_read(void);

/* Called from the fault handler before the board resets itself. The runtime implements it (it
 * reports the fault over the UART); it must not rely on anything but the UART. */
void tinyml_board_fault(void);

#ifdef __cplusplus
}
#endif

#endif /* TINYML_BOARD_H */
