/**
 * boards/nano33/board.c on the host, against simulated peripherals: its register bases are
 * pointed at plain memory (the header lets -D override them) and a small C harness plays the
 * hardware: EasyDMA writes received bytes into the ring at RXD.PTR, the TIMER2 capture register
 * holds the PPI-counted byte count, ENDTX completes transmissions. It checks the configuration
 * written to the registers and the ring logic (order, wrap of the ring and of the 32-bit count,
 * overflow, line errors), which no emulator runs: QEMU has no nRF52840.
 *
 * Built with -no-pie so that static addresses fit the 32-bit pointer registers, as on target.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadBoard } from '../../src/build/board.js';
import { makeTempDir } from '../fixtures/stub-model/index.js';

const FAKE_REGS_H = `
#include <stdint.h>
extern uint32_t fake_clock[0x1000 / 4], fake_uarte[0x1000 / 4], fake_timer[0x1000 / 4], fake_nvmc[0x1000 / 4],
    fake_ppi[0x1000 / 4], fake_p1[0x1000 / 4], fake_scs[0x1000 / 4], fake_dwt[0x1000 / 4];
`;

const BOARD_CONFIG_H = `
#define TINYML_CLOCK_HZ 64000000u
#define TINYML_UART_BAUD 115200u
`;

const HARNESS = `
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "tinyml_board.h"
uint32_t fake_clock[0x1000 / 4], fake_uarte[0x1000 / 4], fake_timer[0x1000 / 4], fake_nvmc[0x1000 / 4],
    fake_ppi[0x1000 / 4], fake_p1[0x1000 / 4], fake_scs[0x1000 / 4], fake_dwt[0x1000 / 4];
void tinyml_board_fault(void) {}
#define R(block, off) block[(off) / 4]
static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL line %d: %s\\n", __LINE__, #cond); failures++; } } while (0)

static uint32_t received; /* bytes the simulated UART has received (the PPI counter) */
static void deliver(const uint8_t *p, uint32_t n)
{
  uint8_t *ring = (uint8_t *)(uintptr_t)R(fake_uarte, 0x534); /* RXD.PTR */
  uint32_t size = R(fake_uarte, 0x538);                      /* RXD.MAXCNT */
  for (uint32_t i = 0; i < n; ++i) {
    ring[received % size] = p[i]; /* ENDRX->STARTRX: every transfer restarts at PTR */
    received++;
  }
  R(fake_timer, 0x540) = received; /* what TASKS_CAPTURE[0] copies into CC[0] */
}
static int expect_bytes(const uint8_t *p, uint32_t n)
{
  for (uint32_t i = 0; i < n; ++i) {
    int c = board_uart_getc();
    if (c != p[i]) { printf("byte %u: got %d, expected %d\\n", (unsigned)i, c, p[i]); return 0; }
  }
  return board_uart_getc() == -1;
}

int main(void)
{
  uint8_t data[4096];
  for (int i = 0; i < 4096; ++i) data[i] = (uint8_t)(i * 7 + (i >> 8));
  R(fake_clock, 0x40C) = 0; /* HFXO not running: board_init must start it */
  R(fake_clock, 0x100) = 1; /* ... and it reports started at once */
  board_init();
  /* Clock, cache, cycle counter. */
  CHECK(R(fake_clock, 0x000) == 1);            /* TASKS_HFCLKSTART */
  CHECK(R(fake_nvmc, 0x540) == 1);             /* ICACHECNF.CACHEEN */
  CHECK(R(fake_scs, 0xDFC) & (1u << 24));      /* DEMCR.TRCENA */
  CHECK(R(fake_dwt, 0x000) & 1u);              /* DWT_CTRL.CYCCNTENA */
  /* Pins: P1.03 output driven high, P1.10 input with pull-up. */
  CHECK(R(fake_p1, 0x508) == (1u << 3));
  CHECK(R(fake_p1, 0x700 + 4 * 3) == 3u);
  CHECK(R(fake_p1, 0x700 + 4 * 10) == 0xCu);
  /* UARTE0. */
  CHECK(R(fake_uarte, 0x50C) == 0x23u);        /* PSEL.TXD: port 1 pin 3, connected */
  CHECK(R(fake_uarte, 0x514) == 0x2Au);        /* PSEL.RXD: port 1 pin 10 */
  CHECK(R(fake_uarte, 0x508) == 0xFFFFFFFFu);  /* PSEL.RTS disconnected */
  CHECK(R(fake_uarte, 0x510) == 0xFFFFFFFFu);  /* PSEL.CTS disconnected */
  CHECK(R(fake_uarte, 0x524) == 0x01D60000u);  /* BAUDRATE 115200 */
  CHECK(R(fake_uarte, 0x56C) == 0u);           /* CONFIG: 8N1, no flow control */
  CHECK(R(fake_uarte, 0x500) == 8u);           /* ENABLE */
  CHECK(R(fake_uarte, 0x200) == (1u << 5));    /* SHORTS ENDRX_STARTRX */
  CHECK(R(fake_uarte, 0x538) == 1024u);        /* RXD.MAXCNT: the ring */
  CHECK(R(fake_uarte, 0x000) == 1u);           /* TASKS_STARTRX */
  /* TIMER2 counting RXDRDY through PPI channel 0. */
  CHECK(R(fake_timer, 0x504) == 2u);           /* MODE LowPowerCounter */
  CHECK(R(fake_timer, 0x508) == 3u);           /* BITMODE 32 */
  CHECK(R(fake_timer, 0x000) == 1u);           /* TASKS_START */
  CHECK(R(fake_ppi, 0x510) == (uint32_t)(uintptr_t)&R(fake_uarte, 0x108)); /* CH[0].EEP = EVENTS_RXDRDY */
  CHECK(R(fake_ppi, 0x514) == (uint32_t)(uintptr_t)&R(fake_timer, 0x008)); /* CH[0].TEP = TASKS_COUNT */
  CHECK(R(fake_ppi, 0x504) == 1u);             /* CHENSET channel 0 */

  /* Nothing received. */
  CHECK(board_uart_getc() == -1);
  /* A short burst, in order. */
  deliver(data, 5);
  CHECK(expect_bytes(data, 5));
  /* Many bursts across the ring's wrap, drained between bursts. */
  for (int k = 0; k < 10; ++k) {
    deliver(data + 300 * k, 300);
    CHECK(expect_bytes(data + 300 * k, 300));
  }
  /* Exactly a ring's worth unread is still intact. */
  deliver(data, 1024);
  CHECK(expect_bytes(data, 1024));
  /* More than the ring while not reading: dropped as a whole; the link then works again. */
  deliver(data, 1100);
  CHECK(board_uart_getc() == -1);
  CHECK(board_uart_getc() == -1);
  deliver(data + 7, 9);
  CHECK(expect_bytes(data + 7, 9));
  /* The 32-bit byte count wraps: jump close to 2^32 (dropped as an overflow), then cross it. */
  received = 0xFFFFFFF0u - 3u;
  R(fake_timer, 0x540) = received;
  CHECK(board_uart_getc() == -1);
  deliver(data + 100, 40);
  CHECK(received < 100u);
  CHECK(expect_bytes(data + 100, 40));
  /* Line errors are cleared; a stopped receiver (RXTO) is restarted. */
  R(fake_uarte, 0x124) = 1; R(fake_uarte, 0x480) = 4;
  R(fake_uarte, 0x144) = 1; R(fake_uarte, 0x000) = 0;
  CHECK(board_uart_getc() == -1);
  CHECK(R(fake_uarte, 0x124) == 0u);
  CHECK(R(fake_uarte, 0x144) == 0u);
  CHECK(R(fake_uarte, 0x000) == 1u);

  /* Transmit: one byte per EasyDMA transfer from RAM, the previous one finished (ENDTX) first. */
  board_uart_putc(0xA5);
  CHECK(R(fake_uarte, 0x008) == 1u);           /* TASKS_STARTTX */
  CHECK(R(fake_uarte, 0x548) == 1u);           /* TXD.MAXCNT */
  CHECK(*(volatile uint8_t *)(uintptr_t)R(fake_uarte, 0x544) == 0xA5);
  R(fake_uarte, 0x008) = 0;
  R(fake_uarte, 0x120) = 1;                    /* ENDTX */
  board_uart_putc(0x5A);
  CHECK(R(fake_uarte, 0x120) == 0u);           /* consumed before the next transfer */
  CHECK(R(fake_uarte, 0x008) == 1u);
  CHECK(*(volatile uint8_t *)(uintptr_t)R(fake_uarte, 0x544) == 0x5A);
  /* A transmitter that never finishes cannot hang putc (bounded wait). */
  board_uart_putc(0x00);
  CHECK(*(volatile uint8_t *)(uintptr_t)R(fake_uarte, 0x544) == 0x00);

  /* The timer is the DWT cycle counter. */
  R(fake_dwt, 0x004) = 123456789u;
  CHECK(board_timer_read() == 123456789u);

  printf(failures ? "FAILED %d\\n" : "OK\\n", failures);
  return failures != 0;
}
`;

describe('nano33 board.c against simulated nRF52840 peripherals (host)', () => {
  const temp = makeTempDir('tinyml-nano33-sim-');
  afterAll(() => temp.cleanup());

  it('configures CLOCK, NVMC, DWT, GPIO, UARTE0, TIMER2 and PPI, and moves bytes through the ring', () => {
    const dir = loadBoard('nano33').dir;
    writeFileSync(join(temp.dir, 'fake_regs.h'), FAKE_REGS_H);
    writeFileSync(join(temp.dir, 'board_config.h'), BOARD_CONFIG_H);
    writeFileSync(join(temp.dir, 'harness.c'), HARNESS);
    const exe = join(temp.dir, 'sim');
    const bases = {
      NRF_CLOCK_BASE: 'fake_clock',
      NRF_UARTE0_BASE: 'fake_uarte',
      NRF_TIMER2_BASE: 'fake_timer',
      NRF_NVMC_BASE: 'fake_nvmc',
      NRF_PPI_BASE: 'fake_ppi',
      NRF_P1_BASE: 'fake_p1',
      CORE_SCS_BASE: 'fake_scs',
      CORE_DWT_BASE: 'fake_dwt',
    };
    const defines = Object.entries(bases).map(([k, v]) => `-D${k}=((uintptr_t)${v})`);
    execFileSync(
      'gcc',
      [
        '-std=gnu11', '-O2', '-Wall', '-Wextra', '-Werror', '-no-pie', '-fno-pie',
        '-include', join(temp.dir, 'fake_regs.h'), ...defines,
        '-I', temp.dir, '-I', dir, '-I', join(dir, '..', '..', 'firmware', 'runtime'),
        '-o', exe, join(dir, 'board.c'), join(temp.dir, 'harness.c'),
      ],
      { stdio: 'pipe' },
    );
    const out = execFileSync(exe, { encoding: 'utf8' });
    expect(out.trim()).toBe('OK');
  });
});
