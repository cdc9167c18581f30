// Generated from constants/ws-codec.mjs by scripts/gen-constants.mjs; do not edit.
// Numbers shared by the WebSocket frame codec's cores: the Wasm core (assembly/ws/), its binding, the TypeScript twin and the driver (src/ws/codec/).

/** Why a frame was refused. 0 is "no error". Close codes and messages live in frame-error.ts. */
export namespace FrameError {
  /** No error. */
  @inline export const OK: i32 = 0;
  /** RSV2 or RSV3 set: no negotiated extension defines them (RFC 6455 §5.2). 1002. */
  @inline export const RSV_BITS: i32 = 1;
  /** RSV1 set without permessage-deflate, on a continuation or on a control frame (RFC 7692 §6). 1002. */
  @inline export const UNEXPECTED_RSV1: i32 = 2;
  /** Opcode 3-7 or 11-15 (RFC 6455 §5.2). 1002. */
  @inline export const RESERVED_OPCODE: i32 = 3;
  /** A control frame without FIN (RFC 6455 §5.5). 1002. */
  @inline export const CONTROL_FRAGMENTED: i32 = 4;
  /** A control frame with more than 125 bytes of payload (RFC 6455 §5.5). 1002. */
  @inline export const CONTROL_TOO_LONG: i32 = 5;
  /** A continuation frame outside a fragmented message (RFC 6455 §5.4). 1002. */
  @inline export const NO_MESSAGE_TO_CONTINUE: i32 = 6;
  /** A text or binary frame inside a fragmented message (RFC 6455 §5.4). 1002. */
  @inline export const MESSAGE_INTERRUPTED: i32 = 7;
  /** An unmasked frame from a client (RFC 6455 §5.1). 1002. */
  @inline export const UNMASKED: i32 = 8;
  /** A 64-bit payload length with its most significant bit set (RFC 6455 §5.2). 1002. */
  @inline export const LENGTH_TOP_BIT: i32 = 9;
  /** A payload length above maxFrameSize. 1009. */
  @inline export const FRAME_TOO_LARGE: i32 = 10;
  /** A text message whose bytes are not UTF-8 (RFC 6455 §8.1). 1007. */
  @inline export const INVALID_UTF8: i32 = 11;
}

/** Where a connection's decode stands between two calls. */
export namespace DecoderState {
  /** Expecting a frame header; a partial one is kept by the driver and parsed again from its first byte. */
  @inline export const HEADER: i32 = 0;
  /** In a frame's payload; `remaining` bytes to go. */
  @inline export const PAYLOAD: i32 = 1;
  /** A protocol error happened; the decoder refuses further input. */
  @inline export const ERROR: i32 = 2;
}

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
export namespace RecordKind {
  /** A frame header. */
  @inline export const START: i32 = 1;
  /** A run of unmasked payload bytes. */
  @inline export const DATA: i32 = 2;
  /** The end of a frame. */
  @inline export const END: i32 = 3;
  /** A protocol error; the run stops. */
  @inline export const ERROR: i32 = 4;
}

/** Bits of the first header byte, as the START record's `bits` word carries them. */
export namespace FrameBits {
  /** The opcode. */
  @inline export const OPCODE: i32 = 15;
  /** Reserved bit 3. */
  @inline export const RSV3: i32 = 16;
  /** Reserved bit 2. */
  @inline export const RSV2: i32 = 32;
  /** Reserved bit 1 (permessage-deflate: a compressed message). */
  @inline export const RSV1: i32 = 64;
  /** The last frame of a message. */
  @inline export const FIN: i32 = 128;
}

/** Bits of the `message` word: the fragmented message in progress (0 when none) and what the current frame's payload gets. */
export namespace Message {
  /** Opcode of the fragmented message in progress (1 or 2), 0 when none. */
  @inline export const OPCODE: i32 = 15;
  /** The fragmented message is uncompressed text: its continuations are UTF-8 checked. */
  @inline export const VALIDATE: i32 = 256;
  /** The current frame's payload is UTF-8 checked. */
  @inline export const FRAME_VALIDATE: i32 = 512;
  /** The current frame ends a text message: its UTF-8 must be complete at its end. */
  @inline export const FRAME_FIN: i32 = 1024;
  /** Option: every frame must be masked. */
  @inline export const REQUIRE_MASK: i32 = 65536;
  /** Option: RSV1 may be set on the first frame of a data message. */
  @inline export const ALLOW_RSV1: i32 = 131072;
}

/** States of the UTF-8 automaton: what the next byte must be. Carried across reads and fragments of one text message. */
export namespace Utf8State {
  /** Between code points. */
  @inline export const ACCEPT: i32 = 0;
  /** One continuation byte (80-BF) to go. */
  @inline export const TAIL1: i32 = 1;
  /** Two continuation bytes to go. */
  @inline export const TAIL2: i32 = 2;
  /** Three continuation bytes to go. */
  @inline export const TAIL3: i32 = 3;
  /** After E0: A0-BF (no overlong), then one more. */
  @inline export const AFTER_E0: i32 = 4;
  /** After ED: 80-9F (no surrogate), then one more. */
  @inline export const AFTER_ED: i32 = 5;
  /** After F0: 90-BF (no overlong), then two more. */
  @inline export const AFTER_F0: i32 = 6;
  /** After F4: 80-8F (at most U+10FFFF), then two more. */
  @inline export const AFTER_F4: i32 = 7;
  /** Not UTF-8; sticky. */
  @inline export const REJECT: i32 = 8;
}

/** Sizes of the record table and the input region. */
export namespace Layout {
  /** Words per record. */
  @inline export const RECORD_WORDS: i32 = 4;
  /** Capacity of the record table, in words. */
  @inline export const RECORD_CAPACITY: i32 = 4096;
  /** A run stops before a header (and is called again) when fewer words than this are free: one frame writes at most START, DATA, END or ERROR. */
  @inline export const RECORD_RESERVE: i32 = 16;
  /** Bytes of the longest frame header: 2 + 8 (length) + 4 (mask key). */
  @inline export const MAX_HEADER: i32 = 14;
  /** Bytes the Wasm core's input region holds at first; the binding doubles it as needed. */
  @inline export const INITIAL_INPUT: i32 = 65536;
}

/** The Wasm core's CONTROL block: a decoder's numbers, copied in before a run and out after it (byte offsets). */
export namespace Control {
  /** Bytes of the block. */
  @inline export const BYTES: i32 = 64;
  /** i32: the DecoderState. */
  @inline export const STATE: i32 = 0;
  /** i32: Message bits. */
  @inline export const MESSAGE: i32 = 4;
  /** i32: the current frame's masking key, its four bytes read little-endian (0 when unmasked). */
  @inline export const MASK: i32 = 8;
  /** i32: payload bytes of the current frame already unmasked, mod 4. */
  @inline export const PHASE: i32 = 12;
  /** i32: the Utf8State of the text message in progress. */
  @inline export const UTF8: i32 = 16;
  /** i32: 1 when the run stopped early because the record table was full. */
  @inline export const MORE: i32 = 20;
  /** i32: words of the record table the run wrote. */
  @inline export const RECORD_WORDS: i32 = 24;
  /** f64: payload bytes of the current frame still to come. */
  @inline export const REMAINING: i32 = 32;
  /** f64: the decoder's maxFrameSize. */
  @inline export const MAX_FRAME: i32 = 40;
}

/** Hash of every name and value above: the module exports it as `layoutHash()`. */
@inline export const LAYOUT_HASH: i32 = 786151329;
