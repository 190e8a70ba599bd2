/*
 * Driver for the Arm SSE-300 system counter (the "System Counter" of the SSE-123/SSE-300 TRMs):
 * a 64-bit up-counter clocked by the subsystem's main clock. The SSE-300 (Corstone-300, MPS3
 * AN547) has no full-speed CMSDK timer (its only CMSDK timer runs from the 32 kHz S32KCLK), so
 * the counter is the finest timebase it has. We read its low 32 bits: intervals are
 * `end - start` in uint32_t arithmetic, exactly as with the CMSDK timer.
 */
#ifndef TINYML_SSE_COUNTER_H
#define TINYML_SSE_COUNTER_H

#include <stdint.h>

/* control: CNTControlBase (secure only). Enables counting with scaling disabled (1 per clock). */
void sse_counter_init(uint32_t control_base);

/* CNTCV[31:0] from the control frame (offset 0x8). */
static inline uint32_t sse_counter_read(uint32_t control_base)
{
  return *(volatile uint32_t *)(control_base + 0x08u);
}

#endif
