/*
 * main.c - the on-target half of tinyml.
 *
 * Boots the board, prepares the model (tinyml_init) and then serves the framed binary protocol of
 * PROTOCOL.md over the board's UART forever: the host sets inputs, runs inferences, reads outputs
 * and timings. Everything is static (no heap), every buffer is bounded, and every wait inside a
 * frame is bounded, so no sequence of bytes from the host can crash the firmware or wedge it in
 * the middle of a frame.
 *
 * Hardware specifics live in boards/<name>/ behind tinyml_board.h; board_config.h (generated from
 * the board's board.json) names the board and describes its timer.
 */
#include <stdint.h>
#include <string.h>

#include "board_config.h"
#include "tinyml_board.h"
#include "tinyml_model.h"
#include "tinyml_protocol.h"

#ifndef TINYML_BUILD_FLAGS
#define TINYML_BUILD_FLAGS "unknown"
#endif

/* How long a frame may stall between two bytes before the runtime drops it, counted in UART
 * polls. It must comfortably exceed any pause a host makes inside a frame (a host writes whole
 * frames at once, so pauses are scheduling hiccups: milliseconds) and stay well below the host's
 * request timeout (1.5 s per attempt in src/serial/client.ts), so that after garbage that looked
 * like a frame header the board is listening again before the host retries. A poll costs ~8-15
 * instructions (cycles on hardware): 2^22 polls is ~0.3-0.6 s at 64 MHz and about the same wall
 * time under QEMU, which executes very roughly 100 M guest instructions per second here. */
#ifndef TINYML_FRAME_TIMEOUT_POLLS
#define TINYML_FRAME_TIMEOUT_POLLS (1u << 20)
#endif

#ifndef TINYML_PROFILE_MAX_LAYERS
#define TINYML_PROFILE_MAX_LAYERS 512u
#endif

/* Field limits in the INFO reply. They bound its size: 36 fixed bytes + the strings (at most
 * 436 bytes) leave room for at least five tensor descriptions (at most 103 bytes each) in one
 * 1024-byte payload; the host pages through the rest with INFO's first_tensor argument. */
#define INFO_MAX_BOARD 32u
#define INFO_MAX_UNIT 16u
#define INFO_MAX_TIMER 48u
#define INFO_MAX_MODEL_NAME 64u
#define INFO_MAX_HASH 64u
#define INFO_MAX_FLAGS 200u
#define INFO_MAX_TENSOR_NAME 64u

#define ERROR_MAX_MESSAGE 96u

static uint8_t rx_buf[TINYML_MAX_PAYLOAD];
static uint8_t tx_buf[TINYML_MAX_PAYLOAD];
static uint32_t timer_overhead_ticks;

/* ---------------------------------------------------------------------------------------------
 * CRC-32 (IEEE 802.3: reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF), the same
 * CRC as zlib and Ethernet, so any host language has it. Half-byte table: 64 bytes of flash and
 * ~2 table lookups per byte, far faster than the UART.
 */
static const uint32_t crc_nibble_table[16] = {
  0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
  0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
  0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

/* Running CRC state: start with crc_begin(), feed bytes, finish with crc_end(). */
static uint32_t crc_begin(void)
{
  return 0xFFFFFFFFu;
}

static uint32_t crc_update(uint32_t crc, const uint8_t *p, uint32_t n)
{
  for (uint32_t i = 0; i < n; ++i) {
    crc ^= p[i];
    crc = (crc >> 4) ^ crc_nibble_table[crc & 0xFu];
    crc = (crc >> 4) ^ crc_nibble_table[crc & 0xFu];
  }
  return crc;
}

static uint32_t crc_end(uint32_t crc)
{
  return crc ^ 0xFFFFFFFFu;
}

/* ---------------------------------------------------------------------------------------------
 * Little-endian field access. The protocol is little-endian like every Cortex-M we target, but
 * payload fields are unaligned, so we always go byte by byte.
 */
static void put_u16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint16_t get_u16(const uint8_t *p)
{
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* A bounded string builder for error messages (no printf: it would pull in most of newlib). */
typedef struct {
  char *buf;
  uint32_t len;
  uint32_t cap;
} text_t;

static void text_str(text_t *t, const char *s)
{
  while (*s && t->len < t->cap) {
    t->buf[t->len++] = *s++;
  }
}

static void text_u32(text_t *t, uint32_t v)
{
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v && n < 10);
  while (n > 0 && t->len < t->cap) {
    t->buf[t->len++] = digits[--n];
  }
}

/* ---------------------------------------------------------------------------------------------
 * Sending frames. A frame is streamed straight to the UART while its CRC is computed, so a
 * reply needs no buffer beyond its payload (and GET_OUTPUT streams tensor bytes from the arena
 * without copying them).
 */
static uint32_t send_raw(uint32_t crc, const uint8_t *p, uint32_t n)
{
  for (uint32_t i = 0; i < n; ++i) {
    board_uart_putc(p[i]);
  }
  return crc_update(crc, p, n);
}

/* Sends a frame whose payload is a followed by b (either may be empty). */
static void send_frame2(uint8_t type, uint8_t seq, const uint8_t *a, uint32_t alen, const uint8_t *b,
                        uint32_t blen)
{
  uint8_t head[TINYML_HEADER_BYTES];
  uint8_t tail[TINYML_CRC_BYTES];
  head[0] = TINYML_SYNC0;
  head[1] = TINYML_SYNC1;
  head[2] = type;
  head[3] = seq;
  put_u16(&head[4], (uint16_t)(alen + blen));
  board_uart_putc(head[0]);
  board_uart_putc(head[1]);
  uint32_t crc = send_raw(crc_begin(), &head[2], 4);
  crc = send_raw(crc, a, alen);
  crc = send_raw(crc, b, blen);
  put_u32(tail, crc_end(crc));
  send_raw(0, tail, sizeof tail);
}

static void send_frame(uint8_t type, uint8_t seq, const uint8_t *payload, uint32_t len)
{
  send_frame2(type, seq, payload, len, 0, 0);
}

/* Error reply: code, the request type it answers, then a short ASCII message (no terminator). */
static void send_error_text(uint8_t seq, uint8_t req_type, uint8_t code, const text_t *msg)
{
  uint8_t head[2] = {code, req_type};
  send_frame2(TINYML_MSG_ERROR, seq, head, 2, (const uint8_t *)msg->buf, msg->len);
}

static void send_error(uint8_t seq, uint8_t req_type, uint8_t code, const char *msg)
{
  char buf[ERROR_MAX_MESSAGE];
  text_t t = {buf, 0, sizeof buf};
  text_str(&t, msg);
  send_error_text(seq, req_type, code, &t);
}

/* "<what> <value> out of range (<limit_what> <limit>)" style messages. */
static void send_error_num(uint8_t seq, uint8_t req_type, uint8_t code, const char *a, uint32_t x,
                           const char *b, uint32_t y, const char *c)
{
  char buf[ERROR_MAX_MESSAGE];
  text_t t = {buf, 0, sizeof buf};
  text_str(&t, a);
  text_u32(&t, x);
  text_str(&t, b);
  text_u32(&t, y);
  text_str(&t, c);
  send_error_text(seq, req_type, code, &t);
}

/* ---------------------------------------------------------------------------------------------
 * Requests.
 */
static uint32_t put_str(uint8_t *p, const char *s, uint32_t max)
{
  uint32_t n = 0;
  if (s) {
    while (s[n] && n < max) {
      ++n;
    }
  }
  p[0] = (uint8_t)n;
  if (n) {
    memcpy(&p[1], s, n);
  }
  return 1u + n;
}

static uint32_t str_len_max(const char *s, uint32_t max)
{
  uint32_t n = 0;
  if (s) {
    while (s[n] && n < max) {
      ++n;
    }
  }
  return n;
}

static const tinyml_tensor_info_t *tensor_by_global_index(uint32_t g)
{
  const tinyml_model_info_t *m = &tinyml_model_info;
  if (g < m->num_inputs) {
    return &m->inputs[g];
  }
  return &m->outputs[g - m->num_inputs];
}

static uint32_t tensor_entry_size(const tinyml_tensor_info_t *t)
{
  uint32_t rank = t->rank > TINYML_MAX_RANK ? TINYML_MAX_RANK : t->rank;
  return 2u + 4u * rank + 12u + 1u + str_len_max(t->name, INFO_MAX_TENSOR_NAME);
}

static void handle_info(uint8_t seq, const uint8_t *req, uint32_t len)
{
  const tinyml_model_info_t *m = &tinyml_model_info;
  uint32_t total = (uint32_t)m->num_inputs + m->num_outputs;
  uint32_t first = len >= 1u ? req[0] : 0u;
  if (len > 1u) {
    send_error_num(seq, TINYML_MSG_INFO, TINYML_ERR_BAD_LENGTH, "INFO payload is ", len,
                   " bytes, expected 0 or ", 1, "");
    return;
  }
  if (first > total || (first == total && total != 0)) {
    send_error_num(seq, TINYML_MSG_INFO, TINYML_ERR_BAD_INDEX, "first tensor ", first,
                   " out of range (model has ", total, " tensors)");
    return;
  }
  uint8_t *p = tx_buf;
  p[0] = TINYML_PROTOCOL_VERSION;
#ifdef TINYML_PROFILE
  p[1] = TINYML_INFO_FLAG_PROFILE;
#else
  p[1] = 0;
#endif
  put_u16(&p[2], (uint16_t)TINYML_MAX_PAYLOAD);
  put_u32(&p[4], TINYML_CLOCK_HZ);
  put_u32(&p[8], TINYML_TIMER_HZ);
  put_u32(&p[12], TINYML_TICKS_PER_UNIT_NUM);
  put_u32(&p[16], TINYML_TICKS_PER_UNIT_DEN);
  put_u32(&p[20], timer_overhead_ticks);
  put_u32(&p[24], m->arena_bytes);
  put_u32(&p[28], m->num_layers);
  p[32] = m->num_inputs;
  p[33] = m->num_outputs;
  p[34] = (uint8_t)first;
  /* p[35]: tensor count, filled in below. */
  uint32_t n = 36;
  n += put_str(&p[n], TINYML_BOARD_NAME, INFO_MAX_BOARD);
  n += put_str(&p[n], TINYML_LATENCY_UNIT, INFO_MAX_UNIT);
  n += put_str(&p[n], TINYML_TIMER_NAME, INFO_MAX_TIMER);
  n += put_str(&p[n], m->name, INFO_MAX_MODEL_NAME);
  n += put_str(&p[n], m->hash, INFO_MAX_HASH);
  n += put_str(&p[n], TINYML_BUILD_FLAGS, INFO_MAX_FLAGS);
  uint32_t count = 0;
  for (uint32_t g = first; g < total; ++g) {
    const tinyml_tensor_info_t *t = tensor_by_global_index(g);
    if (n + tensor_entry_size(t) > TINYML_MAX_PAYLOAD) {
      break;
    }
    uint32_t rank = t->rank > TINYML_MAX_RANK ? TINYML_MAX_RANK : t->rank;
    p[n++] = (uint8_t)t->dtype;
    p[n++] = (uint8_t)rank;
    for (uint32_t d = 0; d < rank; ++d) {
      put_u32(&p[n], (uint32_t)t->shape[d]);
      n += 4;
    }
    put_u32(&p[n], t->bytes);
    n += 4;
    uint32_t scale_bits;
    memcpy(&scale_bits, &t->scale, sizeof scale_bits);
    put_u32(&p[n], scale_bits);
    n += 4;
    put_u32(&p[n], (uint32_t)t->zero_point);
    n += 4;
    n += put_str(&p[n], t->name, INFO_MAX_TENSOR_NAME);
    ++count;
  }
  p[35] = (uint8_t)count;
  send_frame(TINYML_MSG_INFO | TINYML_MSG_REPLY, seq, p, n);
}

/* Checks a tensor index and byte range; answers the error itself and returns 0 when invalid. */
static int check_range(uint8_t seq, uint8_t req_type, uint32_t index, uint32_t count, uint32_t offset,
                       uint32_t n, const char *what, const tinyml_tensor_info_t *tensors)
{
  if (index >= count) {
    send_error_num(seq, req_type, TINYML_ERR_BAD_INDEX, what, index,
                   " does not exist (model has ", count, ")");
    return 0;
  }
  uint32_t size = tensors[index].bytes;
  if (offset > size || n > size - offset) {
    send_error_num(seq, req_type, TINYML_ERR_BAD_RANGE, "bytes up to ", offset + n,
                   " are past the tensor's end (bytes: ", size, ")");
    return 0;
  }
  return 1;
}

static void handle_set_input(uint8_t seq, const uint8_t *req, uint32_t len)
{
  const tinyml_model_info_t *m = &tinyml_model_info;
  if (len < 5u) {
    send_error_num(seq, TINYML_MSG_SET_INPUT, TINYML_ERR_BAD_LENGTH, "SET_INPUT payload is ", len,
                   " bytes, needs at least ", 5, "");
    return;
  }
  uint32_t index = req[0];
  uint32_t offset = get_u32(&req[1]);
  uint32_t n = len - 5u;
  if (!check_range(seq, TINYML_MSG_SET_INPUT, index, m->num_inputs, offset, n, "input ", m->inputs)) {
    return;
  }
  memcpy((uint8_t *)tinyml_input((int)index) + offset, &req[5], n);
  uint8_t ack[7];
  ack[0] = (uint8_t)index;
  put_u32(&ack[1], offset);
  put_u16(&ack[5], (uint16_t)n);
  send_frame(TINYML_MSG_SET_INPUT | TINYML_MSG_REPLY, seq, ack, sizeof ack);
}

static void handle_get_output(uint8_t seq, const uint8_t *req, uint32_t len)
{
  const tinyml_model_info_t *m = &tinyml_model_info;
  if (len != 7u) {
    send_error_num(seq, TINYML_MSG_GET_OUTPUT, TINYML_ERR_BAD_LENGTH, "GET_OUTPUT payload is ", len,
                   " bytes, expected ", 7, "");
    return;
  }
  uint32_t index = req[0];
  uint32_t offset = get_u32(&req[1]);
  uint32_t n = get_u16(&req[5]);
  if (n > TINYML_MAX_PAYLOAD - 5u) {
    send_error_num(seq, TINYML_MSG_GET_OUTPUT, TINYML_ERR_BAD_ARG, "chunk of ", n,
                   " bytes is larger than the maximum ", TINYML_MAX_PAYLOAD - 5u, "");
    return;
  }
  if (!check_range(seq, TINYML_MSG_GET_OUTPUT, index, m->num_outputs, offset, n, "output ",
                   m->outputs)) {
    return;
  }
  uint8_t head[5];
  head[0] = (uint8_t)index;
  put_u32(&head[1], offset);
  send_frame2(TINYML_MSG_GET_OUTPUT | TINYML_MSG_REPLY, seq, head, sizeof head,
              (const uint8_t *)tinyml_output((int)index) + offset, n);
}

static void send_invoke_failed(uint8_t seq, uint8_t req_type, int rc, uint32_t run)
{
  char buf[ERROR_MAX_MESSAGE];
  text_t t = {buf, 0, sizeof buf};
  text_str(&t, "tinyml_invoke() returned ");
  if (rc < 0) {
    text_str(&t, "-");
    text_u32(&t, (uint32_t)(-(rc + 1)) + 1u);
  } else {
    text_u32(&t, (uint32_t)rc);
  }
  text_str(&t, " on run ");
  text_u32(&t, run + 1u);
  if (rc == TINYML_INVOKE_ERR_OUTPUT_SHAPE) {
    text_str(&t, ": a TRANSPOSE_CONV output_shape input is wrong"); /* fits ERROR_MAX_MESSAGE */
  }
  send_error_text(seq, req_type, TINYML_ERR_INVOKE_FAILED, &t);
}

static void handle_invoke(uint8_t seq, const uint8_t *req, uint32_t len)
{
  if (len != 2u) {
    send_error_num(seq, TINYML_MSG_INVOKE, TINYML_ERR_BAD_LENGTH, "INVOKE payload is ", len,
                   " bytes, expected ", 2, "");
    return;
  }
  uint32_t count = get_u16(req);
  if (count == 0u || count > TINYML_MAX_INVOKE_COUNT) {
    send_error_num(seq, TINYML_MSG_INVOKE, TINYML_ERR_BAD_ARG, "count ", count,
                   " out of range (1..", TINYML_MAX_INVOKE_COUNT, ")");
    return;
  }
  for (uint32_t i = 0; i < count; ++i) {
    /* The interval includes the call and one timer read (timer_overhead_ticks, reported by
     * INFO, measures the latter): raw and reproducible, the host decides what to subtract. */
    uint32_t t0 = board_timer_read();
    int rc = tinyml_invoke();
    uint32_t t1 = board_timer_read();
    if (rc != 0) {
      send_invoke_failed(seq, TINYML_MSG_INVOKE, rc, i);
      return;
    }
    put_u32(&tx_buf[2u + 4u * i], t1 - t0);
  }
  put_u16(tx_buf, (uint16_t)count);
  send_frame(TINYML_MSG_INVOKE | TINYML_MSG_REPLY, seq, tx_buf, 2u + 4u * count);
}

#ifdef TINYML_PROFILE
/* Timer readings at each tinyml_layer_hook() call of the last PROFILE run: stamp[i] is taken
 * just before layer i, stamp[num_layers] after the last layer. */
static uint32_t prof_stamps[TINYML_PROFILE_MAX_LAYERS + 1u];
static uint32_t prof_total;
static uint32_t prof_layers;
static int prof_valid;

void tinyml_layer_hook(uint32_t layer)
{
  uint32_t t = board_timer_read();
  if (layer <= TINYML_PROFILE_MAX_LAYERS) {
    prof_stamps[layer] = t;
  }
}
#endif

static void handle_profile(uint8_t seq, const uint8_t *req, uint32_t len)
{
#ifndef TINYML_PROFILE
  (void)req;
  (void)len;
  send_error(seq, TINYML_MSG_PROFILE, TINYML_ERR_NOT_SUPPORTED,
             "not built with profiling (rebuild with PROFILE=1, i.e. -DTINYML_PROFILE)");
#else
  if (len != 0u && len != 2u) {
    send_error_num(seq, TINYML_MSG_PROFILE, TINYML_ERR_BAD_LENGTH, "PROFILE payload is ", len,
                   " bytes, expected 0 or ", 2, "");
    return;
  }
  uint32_t first = len == 2u ? get_u16(req) : 0u;
  uint32_t layers = tinyml_model_info.num_layers;
  if (first == 0u) {
    if (layers > TINYML_PROFILE_MAX_LAYERS) {
      send_error_num(seq, TINYML_MSG_PROFILE, TINYML_ERR_NOT_SUPPORTED, "model has ", layers,
                     " layers; profiling records at most ", TINYML_PROFILE_MAX_LAYERS,
                     " (rebuild with a larger -DTINYML_PROFILE_MAX_LAYERS)");
      return;
    }
    prof_valid = 0;
    uint32_t t0 = board_timer_read();
    int rc = tinyml_invoke();
    uint32_t t1 = board_timer_read();
    if (rc != 0) {
      send_invoke_failed(seq, TINYML_MSG_PROFILE, rc, 0);
      return;
    }
    prof_total = t1 - t0;
    prof_layers = layers;
    prof_valid = 1;
  } else if (!prof_valid) {
    send_error(seq, TINYML_MSG_PROFILE, TINYML_ERR_BAD_ARG,
               "no profile recorded yet (send PROFILE with first_layer 0 first)");
    return;
  } else if (first >= prof_layers) {
    send_error_num(seq, TINYML_MSG_PROFILE, TINYML_ERR_BAD_INDEX, "first layer ", first,
                   " out of range (model has ", prof_layers, " layers)");
    return;
  }
  uint32_t max = (TINYML_MAX_PAYLOAD - 12u) / 4u;
  uint32_t count = prof_layers - first;
  if (count > max) {
    count = max;
  }
  put_u32(&tx_buf[0], prof_total);
  put_u32(&tx_buf[4], prof_layers);
  put_u16(&tx_buf[8], (uint16_t)first);
  put_u16(&tx_buf[10], (uint16_t)count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t l = first + i;
    put_u32(&tx_buf[12u + 4u * i], prof_stamps[l + 1u] - prof_stamps[l]);
  }
  send_frame(TINYML_MSG_PROFILE | TINYML_MSG_REPLY, seq, tx_buf, 12u + 4u * count);
#endif
}

/* ---------------------------------------------------------------------------------------------
 * Receiving frames.
 */

/* Waits for one byte, at most TINYML_FRAME_TIMEOUT_POLLS polls. */
static int read_byte_bounded(uint8_t *out)
{
  for (uint32_t i = 0; i < TINYML_FRAME_TIMEOUT_POLLS; ++i) {
    int c = board_uart_getc();
    if (c >= 0) {
      *out = (uint8_t)c;
      return 1;
    }
  }
  return 0;
}

static int read_bytes_bounded(uint8_t *out, uint32_t n)
{
  for (uint32_t i = 0; i < n; ++i) {
    if (!read_byte_bounded(&out[i])) {
      return 0;
    }
  }
  return 1;
}

/* Blocks until SYNC0 SYNC1 has been seen. Between frames there is nothing else to do, so this
 * wait is unbounded; bytes that are not a sync sequence (noise, a half frame) are skipped. */
static void wait_for_sync(void)
{
  int prev = -1;
  for (;;) {
    int c = board_uart_getc();
    if (c < 0) {
      continue;
    }
    if (prev == (int)TINYML_SYNC0 && c == (int)TINYML_SYNC1) {
      return;
    }
    prev = c;
  }
}

static void serve_one_frame(void)
{
  uint8_t head[4];
  uint8_t crc_bytes[TINYML_CRC_BYTES];
  wait_for_sync();
  if (!read_bytes_bounded(head, sizeof head)) {
    send_error(0, 0, TINYML_ERR_TIMEOUT, "frame stalled in its header; dropped");
    return;
  }
  uint8_t type = head[0];
  uint8_t seq = head[1];
  uint32_t len = get_u16(&head[2]);
  if (len > TINYML_MAX_PAYLOAD) {
    /* Do not try to skip the claimed payload: the header is more likely garbage than a real
     * oversized frame. Answer and go back to scanning for sync right after this header. */
    send_error_num(seq, type, TINYML_ERR_BAD_LENGTH, "payload length ", len, " exceeds maximum ",
                   TINYML_MAX_PAYLOAD, "");
    return;
  }
  if (!read_bytes_bounded(rx_buf, len) || !read_bytes_bounded(crc_bytes, sizeof crc_bytes)) {
    send_error(seq, type, TINYML_ERR_TIMEOUT, "frame stalled before its end; dropped");
    return;
  }
  uint32_t crc = crc_update(crc_begin(), head, sizeof head);
  crc = crc_end(crc_update(crc, rx_buf, len));
  if (crc != get_u32(crc_bytes)) {
    send_error(seq, type, TINYML_ERR_BAD_CRC, "bad CRC; frame dropped");
    return;
  }
  switch (type) {
  case TINYML_MSG_INFO:
    handle_info(seq, rx_buf, len);
    break;
  case TINYML_MSG_SET_INPUT:
    handle_set_input(seq, rx_buf, len);
    break;
  case TINYML_MSG_INVOKE:
    handle_invoke(seq, rx_buf, len);
    break;
  case TINYML_MSG_GET_OUTPUT:
    handle_get_output(seq, rx_buf, len);
    break;
  case TINYML_MSG_PROFILE:
    handle_profile(seq, rx_buf, len);
    break;
  default:
    send_error_num(seq, type, TINYML_ERR_UNKNOWN_TYPE, "unknown request type ", type,
                   " (protocol version ", TINYML_PROTOCOL_VERSION, ")");
    break;
  }
}

void tinyml_board_fault(void)
{
  send_error(0, 0, TINYML_ERR_FAULT, "CPU fault; resetting");
}

int main(void)
{
  board_init();
  tinyml_init();
  /* Cost of one timer read, as seen by an interval measurement (two back-to-back reads). */
  uint32_t a = board_timer_read();
  uint32_t b = board_timer_read();
  timer_overhead_ticks = b - a;
  for (;;) {
    serve_one_frame();
  }
}
