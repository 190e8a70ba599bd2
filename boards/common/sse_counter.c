#include "sse_counter.h"

#define CNTCR(b) (*(volatile uint32_t *)((b) + 0x00u))
#define CNTCR_EN 0x1u

void sse_counter_init(uint32_t control_base)
{
  /* EN=1, SCEN=0: the count advances by exactly one per counter clock. */
  CNTCR(control_base) = CNTCR_EN;
}
