/*
 * tinyml_protocol.h - constants of the serial protocol between a host and the on-target runtime.
 * The byte layout of every frame is in PROTOCOL.md next to this file; src/serial/protocol.ts is
 * the host's copy of these numbers (test/serial checks that the two agree).
 */
#ifndef TINYML_PROTOCOL_H
#define TINYML_PROTOCOL_H

#define TINYML_PROTOCOL_VERSION 1

/* Frame: SYNC0 SYNC1 type seq len_lo len_hi payload[len] crc32_le[4]; the CRC covers
 * type..payload. 0xA5 0x5A never occurs in ASCII text (boot banners, logs), and its alternating
 * bit pattern is unlikely in line noise. */
#define TINYML_SYNC0 0xA5u
#define TINYML_SYNC1 0x5Au
#define TINYML_HEADER_BYTES 6u
#define TINYML_CRC_BYTES 4u

/* Largest payload in either direction. Bounds the firmware's buffers (2 x 1 KiB of RAM); tensors
 * bigger than one payload travel in chunks addressed by byte offset. */
#define TINYML_MAX_PAYLOAD 1024u

/* Requests; the reply to request T has type T | TINYML_MSG_REPLY. */
#define TINYML_MSG_INFO 0x01u
#define TINYML_MSG_SET_INPUT 0x02u
#define TINYML_MSG_INVOKE 0x03u
#define TINYML_MSG_GET_OUTPUT 0x04u
#define TINYML_MSG_PROFILE 0x05u
#define TINYML_MSG_REPLY 0x80u
/* Error reply, to any request: code u8, request type u8, ASCII message. */
#define TINYML_MSG_ERROR 0x7Fu

/* Error codes. */
#define TINYML_ERR_BAD_CRC 1u
#define TINYML_ERR_BAD_LENGTH 2u
#define TINYML_ERR_UNKNOWN_TYPE 3u
#define TINYML_ERR_BAD_INDEX 4u
#define TINYML_ERR_BAD_RANGE 5u
#define TINYML_ERR_BAD_ARG 6u
#define TINYML_ERR_INVOKE_FAILED 7u
#define TINYML_ERR_NOT_SUPPORTED 8u
#define TINYML_ERR_TIMEOUT 9u
#define TINYML_ERR_FAULT 10u

/* INFO flags. */
#define TINYML_INFO_FLAG_PROFILE 0x01u

/* Most timer readings one INVOKE returns: 2 + 4 * 255 <= TINYML_MAX_PAYLOAD. */
#define TINYML_MAX_INVOKE_COUNT 255u

#endif /* TINYML_PROTOCOL_H */
