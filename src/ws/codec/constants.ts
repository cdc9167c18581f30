// Generated from constants/ws-codec.mjs by scripts/gen-constants.mjs; do not edit.
// Numbers shared by the WebSocket frame codec's cores: the Wasm core (assembly/ws/), its binding, the TypeScript twin and the driver (src/ws/codec/).

/** Why a frame was refused. 0 is "no error". Close codes and messages live in frame-error.ts. */
export const FrameError = {
  /** No error. */
  OK: 0,
  /** RSV2 or RSV3 set: no negotiated extension defines them (RFC 6455 §5.2). 1002. */
  RSV_BITS: 1,
  /** RSV1 set without permessage-deflate, on a continuation or on a control frame (RFC 7692 §6). 1002. */
  UNEXPECTED_RSV1: 2,
  /** Opcode 3-7 or 11-15 (RFC 6455 §5.2). 1002. */
  RESERVED_OPCODE: 3,
  /** A control frame without FIN (RFC 6455 §5.5). 1002. */
  CONTROL_FRAGMENTED: 4,
  /** A control frame with more than 125 bytes of payload (RFC 6455 §5.5). 1002. */
  CONTROL_TOO_LONG: 5,
  /** A continuation frame outside a fragmented message (RFC 6455 §5.4). 1002. */
  NO_MESSAGE_TO_CONTINUE: 6,
  /** A text or binary frame inside a fragmented message (RFC 6455 §5.4). 1002. */
  MESSAGE_INTERRUPTED: 7,
  /** An unmasked frame from a client (RFC 6455 §5.1). 1002. */
  UNMASKED: 8,
  /** A 64-bit payload length with its most significant bit set (RFC 6455 §5.2). 1002. */
  LENGTH_TOP_BIT: 9,
  /** A payload length above maxFrameSize. 1009. */
  FRAME_TOO_LARGE: 10,
  /** A text message whose bytes are not UTF-8 (RFC 6455 §8.1). 1007. */
  INVALID_UTF8: 11,
} as const;
export type FrameErrorCode = (typeof FrameError)[keyof typeof FrameError];

/** Where a connection's decode stands between two calls. */
export const DecoderState = {
  /** Expecting a frame header; a partial one is kept by the driver and parsed again from its first byte. */
  HEADER: 0,
  /** In a frame's payload; `remaining` bytes to go. */
  PAYLOAD: 1,
  /** A protocol error happened; the decoder refuses further input. */
  ERROR: 2,
} as const;

/**
 * Kinds of records in the table a core writes for one run. Every record is 4 words:
 *
 * ```
 * START : kind bits lengthLow lengthHigh   bits: opcode (0x0f), RSV1 (0x40), FIN (0x80) of the header's first byte
 * DATA  : kind start end 0                 unmasked payload bytes [start, end) of the run's buffer
 * END   : kind 0 0 0                       the frame's payload is complete
 * ERROR : kind code offset detail          a FrameError at byte `offset`; detail is the opcode or 7-bit length
 * ```
 */
export const RecordKind = {
  /** A frame header. */
  START: 1,
  /** A run of unmasked payload bytes. */
  DATA: 2,
  /** The end of a frame. */
  END: 3,
  /** A protocol error; the run stops. */
  ERROR: 4,
} as const;

/** Bits of the first header byte, as the START record's `bits` word carries them. */
export const FrameBits = {
  /** The opcode. */
  OPCODE: 15,
  /** Reserved bit 3. */
  RSV3: 16,
  /** Reserved bit 2. */
  RSV2: 32,
  /** Reserved bit 1 (permessage-deflate: a compressed message). */
  RSV1: 64,
  /** The last frame of a message. */
  FIN: 128,
} as const;

/** Bits of the `message` word: the fragmented message in progress (0 when none) and what the current frame's payload gets. */
export const Message = {
  /** Opcode of the fragmented message in progress (1 or 2), 0 when none. */
  OPCODE: 15,
  /** The fragmented message is uncompressed text: its continuations are UTF-8 checked. */
  VALIDATE: 256,
  /** The current frame's payload is UTF-8 checked. */
  FRAME_VALIDATE: 512,
  /** The current frame ends a text message: its UTF-8 must be complete at its end. */
  FRAME_FIN: 1024,
  /** Option: every frame must be masked. */
  REQUIRE_MASK: 65536,
  /** Option: RSV1 may be set on the first frame of a data message. */
  ALLOW_RSV1: 131072,
} as const;

/** States of the UTF-8 automaton: what the next byte must be. Carried across reads and fragments of one text message. */
export const Utf8State = {
  /** Between code points. */
  ACCEPT: 0,
  /** One continuation byte (80-BF) to go. */
  TAIL1: 1,
  /** Two continuation bytes to go. */
  TAIL2: 2,
  /** Three continuation bytes to go. */
  TAIL3: 3,
  /** After E0: A0-BF (no overlong), then one more. */
  AFTER_E0: 4,
  /** After ED: 80-9F (no surrogate), then one more. */
  AFTER_ED: 5,
  /** After F0: 90-BF (no overlong), then two more. */
  AFTER_F0: 6,
  /** After F4: 80-8F (at most U+10FFFF), then two more. */
  AFTER_F4: 7,
  /** Not UTF-8; sticky. */
  REJECT: 8,
} as const;

/** Sizes of the record table and the input region. */
export const Layout = {
  /** Words per record. */
  RECORD_WORDS: 4,
  /** Capacity of the record table, in words. */
  RECORD_CAPACITY: 4096,
  /** A run stops before a header (and is called again) when fewer words than this are free: one frame writes at most START, DATA, END or ERROR. */
  RECORD_RESERVE: 16,
  /** Bytes of the longest frame header: 2 + 8 (length) + 4 (mask key). */
  MAX_HEADER: 14,
  /** Bytes the Wasm core's input region holds at first; the binding doubles it as needed. */
  INITIAL_INPUT: 65536,
} as const;

/** The Wasm core's CONTROL block: a decoder's numbers, copied in before a run and out after it (byte offsets). */
export const Control = {
  /** Bytes of the block. */
  BYTES: 64,
  /** i32: the DecoderState. */
  STATE: 0,
  /** i32: Message bits. */
  MESSAGE: 4,
  /** i32: the current frame's masking key, its four bytes read little-endian (0 when unmasked). */
  MASK: 8,
  /** i32: payload bytes of the current frame already unmasked, mod 4. */
  PHASE: 12,
  /** i32: the Utf8State of the text message in progress. */
  UTF8: 16,
  /** i32: 1 when the run stopped early because the record table was full. */
  MORE: 20,
  /** i32: words of the record table the run wrote. */
  RECORD_WORDS: 24,
  /** f64: payload bytes of the current frame still to come. */
  REMAINING: 32,
  /** f64: the decoder's maxFrameSize. */
  MAX_FRAME: 40,
} as const;

/** Hash of every name and value above; the built module's `layoutHash()` must return it. */
export const LAYOUT_HASH = 786151329;
