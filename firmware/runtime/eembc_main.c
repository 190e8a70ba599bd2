/*
 * eembc_main.c - an alternative on-target runtime that speaks the EEMBC / MLPerf Tiny DUT
 * protocol instead of tinyml's framed binary protocol (main.c), so that a tinyml model can be
 * measured by the EEMBC EnergyRunner, or by any host that drives the MLPerf Tiny reference DUT,
 * in performance and accuracy mode. A firmware project holds one of the two (writeFirmwareProject
 * option `protocol: 'eembc'`).
 *
 * The link is text at TINYML_UART_BAUD (115200 on every board). The host sends commands ending
 * in '%'; words are separated by spaces. Every command is answered by zero or more lines and
 * then "m-ready". Lines start with "m-" (messages) or "e-" (errors) and end in "\r\n":
 *
 *   name%            m-name-dut-[tinyml]
 *   profile%         m-profile-[ULPMark for tinyML Firmware V0.0.1]  m-model-[<model>]
 *   help%            a command summary
 *   timestamp%       m-lap-us-<microseconds since boot>
 *   db load N%       m-[Expecting N bytes]: empties the input buffer and expects N bytes
 *   db HEX%          appends the bytes (two hex digits each); m-load-done once N are in
 *   db print%        m-buffer-xx-xx-... (8 bytes a line)
 *   infer N W%       W warm-up inferences, then N timed ones: m-warmup-start-W, m-warmup-done,
 *                    m-infer-start-N, m-lap-us-T0, m-lap-us-T1, m-infer-done, m-results-[...]
 *                    (N defaults to 1 and W to 10, as in the reference DUT)
 *   results%         m-results-[v0,v1,...]: the outputs of the last inference
 *
 * At boot: m-timestamp-mode-performance, m-lap-us-<t>, m-init-done, m-ready.
 *
 * Inputs: the loaded bytes are the raw bytes of the model's inputs, in order (an int8 input takes
 * its quantized values, as the MLPerf Tiny reference DUTs do for KWS). They are copied into the
 * input tensors before every inference, because the generated model reuses the input's arena
 * bytes for later layers; the copy (a few hundred cycles for a KWS input) is inside the timed
 * interval, as the reference DUT's work between its two timestamps is.
 *
 * Results: every output element, outputs in order, dequantized (scale * (q - zero_point)) for
 * quantized tensors, printed in fixed point with enough decimals (at least 3, as the reference
 * DUT prints) that the quantized value can be recovered exactly: 10^-decimals <= scale / 2.
 * Unquantized integers are printed as integers, float32 with 6 decimals.
 *
 * Time: m-lap-us is microseconds in tinyml's latency convention: the board's latency units
 * (instructions under QEMU, cycles on hardware) at the board's clock, i.e. units / clock_MHz.
 * The 32-bit board timer is extended to 64 bits in software (it must be read at least once per
 * wrap, every 171 s at 25 MHz, which every command and every inference does).
 *
 * Energy mode (9600 baud, timestamps on a GPIO) is not implemented.
 */
#include <stdint.h>
#include <string.h>

#include "board_config.h"
#include "model.h"
#include "tinyml_board.h"
#include "tinyml_model.h"

#define EE_FW_VERSION "ULPMark for tinyML Firmware V0.0.1"
#define EE_DEVICE_NAME "dut"
#define EE_VENDOR_NAME "tinyml"
#define EE_TERMINATOR '%'

/* Longest command, in characters. The reference DUT takes 80 (so hosts send "db" lines of at most
 * 38 bytes); a longer buffer lets a host send fewer, longer lines. */
#ifndef TINYML_EEMBC_CMD_MAX
#define TINYML_EEMBC_CMD_MAX 1024u
#endif

#define EE_STR2(x) #x
#define EE_STR(x) EE_STR2(x)
/* What "profile%" names as the model: -DTINYML_EEMBC_MODEL=kws01 (the MLPerf Tiny names are
 * kws01, vww01, ic01, ad01), else the model's own name. */
#ifdef TINYML_EEMBC_MODEL
#define EE_MODEL_VERSION EE_STR(TINYML_EEMBC_MODEL)
#else
#define EE_MODEL_VERSION TINYML_MODEL_NAME
#endif

/* The input buffer holds every input's bytes, in order. */
#if TINYML_NUM_INPUTS == 1
#define EE_DB_BYTES (TINYML_INPUT0_BYTES)
#elif TINYML_NUM_INPUTS == 2
#define EE_DB_BYTES (TINYML_INPUT0_BYTES + TINYML_INPUT1_BYTES)
#elif TINYML_NUM_INPUTS == 3
#define EE_DB_BYTES (TINYML_INPUT0_BYTES + TINYML_INPUT1_BYTES + TINYML_INPUT2_BYTES)
#elif TINYML_NUM_INPUTS == 4
#define EE_DB_BYTES (TINYML_INPUT0_BYTES + TINYML_INPUT1_BYTES + TINYML_INPUT2_BYTES + TINYML_INPUT3_BYTES)
#else
#error "the EEMBC runtime supports models with 1 to 4 inputs"
#endif

static char cmd_buf[TINYML_EEMBC_CMD_MAX + 1u];
static uint32_t cmd_len;
static int cmd_overflow;

static uint8_t db_buf[EE_DB_BYTES];
static uint32_t db_size; /* bytes announced by "db load" (0: none) */
static uint32_t db_pos;  /* bytes received so far */

static int have_results;

/* ---------------------------------------------------------------------------------------------
 * Output (no printf: it would pull in most of newlib).
 */
static void put_str(const char *s)
{
  while (*s) {
    board_uart_putc((uint8_t)*s++);
  }
}

static void put_u64(uint64_t v)
{
  char digits[20];
  int n = 0;
  do {
    digits[n++] = (char)('0' + (int)(v % 10u));
    v /= 10u;
  } while (v != 0u);
  while (n > 0) {
    board_uart_putc((uint8_t)digits[--n]);
  }
}

static void put_i64(int64_t v)
{
  if (v < 0) {
    board_uart_putc('-');
    put_u64((uint64_t)(-(v + 1)) + 1u);
  } else {
    put_u64((uint64_t)v);
  }
}

static void put_hex2(uint8_t b)
{
  static const char hex[] = "0123456789abcdef";
  board_uart_putc((uint8_t)hex[b >> 4]);
  board_uart_putc((uint8_t)hex[b & 0xFu]);
}

static void put_line(const char *s)
{
  put_str(s);
  put_str("\r\n");
}

/* e-[<a><n><b>]: an error line with a number in it. */
static void put_error_num(const char *a, uint64_t n, const char *b)
{
  put_str("e-[");
  put_str(a);
  put_u64(n);
  put_str(b);
  put_line("]");
}

/* Fixed point with `decimals` digits after the point, rounded half away from zero. Values too big
 * for that many decimals in 64 bits get fewer; beyond 1e15, "inf" / "-inf". */
static void put_fixed(float v, uint32_t decimals)
{
  if (v != v) {
    put_str("nan");
    return;
  }
  int neg = v < 0.0f;
  float a = neg ? -v : v;
  if (a >= 1e15f) {
    put_str(neg ? "-inf" : "inf");
    return;
  }
  uint64_t pow10 = 1u;
  for (uint32_t i = 0; i < decimals; ++i) {
    pow10 *= 10u;
  }
  while (decimals > 0u && (double)a * (double)pow10 >= 9e18) {
    --decimals;
    pow10 /= 10u;
  }
  uint64_t q = (uint64_t)((double)a * (double)pow10 + 0.5);
  uint64_t ip = q / pow10;
  uint64_t fp = q % pow10;
  if (neg && q != 0u) {
    board_uart_putc('-');
  }
  put_u64(ip);
  if (decimals > 0u) {
    char digits[20];
    for (uint32_t i = 0; i < decimals; ++i) {
      digits[decimals - 1u - i] = (char)('0' + (int)(fp % 10u));
      fp /= 10u;
    }
    board_uart_putc('.');
    for (uint32_t i = 0; i < decimals; ++i) {
      board_uart_putc((uint8_t)digits[i]);
    }
  }
}

/* Decimals that make a dequantized value (a multiple of `scale`) recoverable: 10^-d <= scale/2,
 * at least 3 (the reference DUT's precision), at most 9. */
static uint32_t decimals_for_scale(float scale)
{
  uint32_t d = 3u;
  float step = 0.001f;
  while (d < 9u && step > scale * 0.5f) {
    ++d;
    step *= 0.1f;
  }
  return d;
}

static int64_t element_at(const tinyml_tensor_info_t *t, const void *p, uint32_t i, float *as_float)
{
  switch (t->dtype) {
  case TINYML_DTYPE_INT8:
    return ((const int8_t *)p)[i];
  case TINYML_DTYPE_UINT8:
  case TINYML_DTYPE_BOOL:
    return ((const uint8_t *)p)[i];
  case TINYML_DTYPE_INT16:
    return ((const int16_t *)p)[i];
  case TINYML_DTYPE_INT32:
    return ((const int32_t *)p)[i];
  case TINYML_DTYPE_INT64:
    return ((const int64_t *)p)[i];
  case TINYML_DTYPE_FLOAT32:
  default:
    *as_float = ((const float *)p)[i];
    return 0;
  }
}

static uint32_t dtype_bytes(tinyml_dtype_t d)
{
  switch (d) {
  case TINYML_DTYPE_INT16:
    return 2u;
  case TINYML_DTYPE_INT32:
  case TINYML_DTYPE_FLOAT32:
    return 4u;
  case TINYML_DTYPE_INT64:
    return 8u;
  default:
    return 1u;
  }
}

static void print_results(void)
{
  const tinyml_model_info_t *m = &tinyml_model_info;
  put_str("m-results-[");
  int first = 1;
  for (uint32_t k = 0; k < m->num_outputs; ++k) {
    const tinyml_tensor_info_t *t = &m->outputs[k];
    const void *p = tinyml_output((int)k);
    uint32_t n = t->bytes / dtype_bytes(t->dtype);
    uint32_t decimals = decimals_for_scale(t->scale);
    for (uint32_t i = 0; i < n; ++i) {
      if (!first) {
        board_uart_putc(',');
      }
      first = 0;
      float f = 0.0f;
      int64_t q = element_at(t, p, i, &f);
      if (t->dtype == TINYML_DTYPE_FLOAT32) {
        put_fixed(f, 6u);
      } else if (t->scale > 0.0f) {
        put_fixed(t->scale * (float)(q - t->zero_point), decimals);
      } else {
        put_i64(q);
      }
    }
  }
  put_line("]");
}

/* ---------------------------------------------------------------------------------------------
 * Time.
 */
static uint32_t timer_last;
static uint64_t timer_high;

/* The board timer extended to 64 bits; call at least once per wrap of the 32-bit counter. */
static uint64_t timer_now(void)
{
  uint32_t t = board_timer_read();
  if (t < timer_last) {
    timer_high += (uint64_t)1u << 32;
  }
  timer_last = t;
  return timer_high | t;
}

/* Ticks -> microseconds in latency units at the core clock (units / clock_MHz). */
static uint64_t ticks_to_us(uint64_t ticks)
{
  const uint64_t num = TINYML_TICKS_PER_UNIT_NUM;
  const uint64_t den = TINYML_TICKS_PER_UNIT_DEN;
  const uint64_t clk = TINYML_CLOCK_HZ;
  uint64_t units = (ticks / num) * den + ((ticks % num) * den) / num;
  return (units / clk) * 1000000u + ((units % clk) * 1000000u) / clk;
}

static void timestamp(void)
{
  put_str("m-lap-us-");
  put_u64(ticks_to_us(timer_now()));
  put_str("\r\n");
}

/* ---------------------------------------------------------------------------------------------
 * Commands.
 */
static int is_space(char c)
{
  return c == ' ' || c == '\r' || c == '\n' || c == '\t';
}

/* Splits `s` in place into at most `max` words; returns the count. */
static uint32_t split_words(char *s, char **words, uint32_t max)
{
  uint32_t n = 0;
  while (*s) {
    while (*s && is_space(*s)) {
      *s++ = '\0';
    }
    if (!*s) {
      break;
    }
    if (n == max) {
      return max + 1u; /* too many */
    }
    words[n++] = s;
    while (*s && !is_space(*s)) {
      ++s;
    }
  }
  return n;
}

/* Parses a decimal number (no sign); returns 0 on anything else or overflow past 2^31. */
static int parse_uint(const char *s, uint32_t *out)
{
  uint32_t v = 0;
  if (!*s) {
    return 0;
  }
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') {
      return 0;
    }
    v = v * 10u + (uint32_t)(*s - '0');
    if (v > 0x7FFFFFFFu) {
      return 0;
    }
  }
  *out = v;
  return 1;
}

static int hex_value(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

static void cmd_db(char **w, uint32_t n)
{
  if (n < 2u) {
    put_line("e-[Command 'db' requires a subcommand]");
    return;
  }
  if (strcmp(w[1], "load") == 0) {
    uint32_t size;
    if (n < 3u || !parse_uint(w[2], &size)) {
      put_line("e-[Command 'db load' requires the # of bytes]");
      return;
    }
    if (size == 0u) {
      put_line("e-[Command 'db load' must be >0 bytes]");
      return;
    }
    if (size > EE_DB_BYTES) {
      put_error_num("Supplied buffer size ", size, " exceeds the model's input bytes");
      return;
    }
    db_size = size;
    db_pos = 0;
    put_str("m-[Expecting ");
    put_u64(size);
    put_line(" bytes]");
    return;
  }
  if (strcmp(w[1], "print") == 0) {
    for (uint32_t i = 0; i < db_pos; ++i) {
      if (i % 8u == 0u) {
        put_str("m-buffer-");
      }
      put_hex2(db_buf[i]);
      put_str((i + 1u) % 8u == 0u || i + 1u == db_pos ? "\r\n" : "-");
    }
    return;
  }
  /* db HEX... */
  if (db_size == 0u) {
    put_line("e-[No 'db load N' before the data]");
    return;
  }
  const char *hex = w[1];
  uint32_t digits = (uint32_t)strlen(hex);
  if (digits & 1u) {
    put_line("e-[Insufficient number of hex digits]");
    return;
  }
  for (uint32_t i = 0; i < digits; i += 2u) {
    int hi = hex_value(hex[i]);
    int lo = hex_value(hex[i + 1u]);
    if (hi < 0 || lo < 0) {
      put_str("e-[Invalid hex digit '");
      board_uart_putc((uint8_t)hex[i]);
      board_uart_putc((uint8_t)hex[i + 1u]);
      put_line("']");
      return;
    }
  }
  for (uint32_t i = 0; i < digits && db_pos < db_size; i += 2u) {
    db_buf[db_pos++] = (uint8_t)((hex_value(hex[i]) << 4) | hex_value(hex[i + 1u]));
  }
  if (db_pos == db_size) {
    put_line("m-load-done");
  }
}

/* Copies the loaded bytes into the input tensors. */
static void load_inputs(void)
{
  const tinyml_model_info_t *m = &tinyml_model_info;
  uint32_t off = 0;
  for (uint32_t k = 0; k < m->num_inputs; ++k) {
    memcpy(tinyml_input((int)k), &db_buf[off], m->inputs[k].bytes);
    off += m->inputs[k].bytes;
  }
}

static int run_one(void)
{
  load_inputs();
  int rc = tinyml_invoke();
  (void)timer_now(); /* keep the 64-bit extension in step */
  if (rc != 0) {
    put_error_num("tinyml_invoke() failed with code ", (uint64_t)(uint32_t)rc, "");
  }
  return rc;
}

static void cmd_infer(char **w, uint32_t n)
{
  uint32_t count = 1u;
  uint32_t warmup = 10u;
  if (n >= 2u && (!parse_uint(w[1], &count) || count == 0u)) {
    put_line("e-[Inference iterations must be >0]");
    return;
  }
  if (n >= 3u && !parse_uint(w[2], &warmup)) {
    put_line("e-[Inference warmup must be >=0]");
    return;
  }
  if (db_size != EE_DB_BYTES || db_pos != db_size) {
    put_str("e-[Input db has ");
    put_u64(db_pos);
    put_str(" bytes, expected ");
    put_u64(EE_DB_BYTES);
    put_line("]");
    return;
  }
  put_str("m-warmup-start-");
  put_u64(warmup);
  put_str("\r\n");
  for (uint32_t i = 0; i < warmup; ++i) {
    if (run_one() != 0) {
      return;
    }
  }
  put_line("m-warmup-done");
  put_str("m-infer-start-");
  put_u64(count);
  put_str("\r\n");
  timestamp();
  for (uint32_t i = 0; i < count; ++i) {
    if (run_one() != 0) {
      have_results = 0;
      return;
    }
  }
  timestamp();
  put_line("m-infer-done");
  have_results = 1;
  print_results();
}

static void dispatch(char *line)
{
  char *w[4];
  uint32_t n = split_words(line, w, 3u);
  if (n == 0u) {
    /* an empty command: just the ready line */
  } else if (n > 3u) {
    put_line("e-[Too many arguments]");
  } else if (strcmp(w[0], "name") == 0) {
    put_line("m-name-" EE_DEVICE_NAME "-[" EE_VENDOR_NAME "]");
  } else if (strcmp(w[0], "profile") == 0) {
    put_line("m-profile-[" EE_FW_VERSION "]");
    put_line("m-model-[" EE_MODEL_VERSION "]");
  } else if (strcmp(w[0], "timestamp") == 0) {
    timestamp();
  } else if (strcmp(w[0], "db") == 0) {
    cmd_db(w, n);
  } else if (strcmp(w[0], "infer") == 0) {
    cmd_infer(w, n);
  } else if (strcmp(w[0], "results") == 0) {
    if (have_results) {
      print_results();
    } else {
      put_line("e-[No results yet: run 'infer' first]");
    }
  } else if (strcmp(w[0], "help") == 0) {
    put_line(EE_FW_VERSION);
    put_line("");
    put_line("help         : Print this information");
    put_line("name         : Print the name of the device");
    put_line("timestamp    : Generate a timestamp");
    put_line("db SUBCMD    : Manipulate a generic byte buffer");
    put_line("  load N     : Allocate N bytes and set load counter");
    put_line("  db HH[HH]* : Load 8-bit hex byte(s) until N bytes");
    put_line("  print      : Print the loaded bytes as hex");
    put_line("infer N [W=10]: Load input, execute N inferences after W warmup loops");
    put_line("results      : Return the result vector");
  } else {
    put_str("e-[Unknown command: ");
    put_str(w[0]);
    put_line("]");
  }
  put_line("m-ready");
}

#ifdef TINYML_PROFILE
/* Built with the per-layer hook (PROFILE=1): this runtime has no per-layer report; the hook is a
 * no-op so that such a build still links. */
void tinyml_layer_hook(uint32_t layer)
{
  (void)layer;
}
#endif

void tinyml_board_fault(void)
{
  put_line("e-[CPU fault; resetting]");
}

int main(void)
{
  board_init();
  tinyml_init();
  put_line("m-timestamp-mode-performance");
  timestamp();
  put_line("m-init-done");
  put_line("m-ready");
  for (;;) {
    int c = board_uart_getc();
    if (c < 0) {
      (void)timer_now(); /* idle: keep the 64-bit time in step */
      continue;
    }
    if (c == EE_TERMINATOR) {
      if (cmd_overflow) {
        put_error_num("Command longer than ", TINYML_EEMBC_CMD_MAX, " characters; ignored");
        put_line("m-ready");
      } else {
        cmd_buf[cmd_len] = '\0';
        dispatch(cmd_buf);
      }
      cmd_len = 0;
      cmd_overflow = 0;
    } else if (cmd_len < TINYML_EEMBC_CMD_MAX) {
      cmd_buf[cmd_len++] = (char)c;
    } else {
      cmd_overflow = 1;
    }
  }
}
