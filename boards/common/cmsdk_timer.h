/*
 * Driver for the Arm CMSDK APB timer (DDI0479 section 4.4): a 32-bit down-counter clocked by
 * PCLK. We run it free (RELOAD = 0xFFFFFFFF, no interrupt) and present it as an up-counter, so
 * an interval is simply `end - start` in uint32_t arithmetic, which also handles one wrap.
 */
#ifndef TINYML_CMSDK_TIMER_H
#define TINYML_CMSDK_TIMER_H

#include <stdint.h>

void cmsdk_timer_init(uint32_t base);

/* Free-running up-count (ticks of the timer's PCLK). Inline so a reading costs one load. */
static inline uint32_t cmsdk_timer_read(uint32_t base)
{
  return 0xFFFFFFFFu - *(volatile uint32_t *)(base + 0x04u);
}

#endif
