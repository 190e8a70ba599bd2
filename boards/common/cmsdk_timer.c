#include "cmsdk_timer.h"

#define TIMER_CTRL(b) (*(volatile uint32_t *)((b) + 0x00u))
#define TIMER_VALUE(b) (*(volatile uint32_t *)((b) + 0x04u))
#define TIMER_RELOAD(b) (*(volatile uint32_t *)((b) + 0x08u))
#define TIMER_INTCLEAR(b) (*(volatile uint32_t *)((b) + 0x0Cu))

#define CTRL_EN 0x1u

void cmsdk_timer_init(uint32_t base)
{
  TIMER_CTRL(base) = 0;
  TIMER_RELOAD(base) = 0xFFFFFFFFu;
  TIMER_VALUE(base) = 0xFFFFFFFFu;
  TIMER_INTCLEAR(base) = 1u;
  /* Enabled, internal clock, interrupt disabled: nothing but the counter changes. */
  TIMER_CTRL(base) = CTRL_EN;
}
