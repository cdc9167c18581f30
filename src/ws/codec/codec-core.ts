/**
 * The WebSocket frame codec's interface (RFC 6455 §5): what the protocol
 * layer (src/ws/) gets from the byte-level work. Two implementations sit
 * behind it, a Wasm core and its TypeScript twin, chosen by kind in one
 * place, as with the HTTP parser. The decoder takes each socket read once,
 * parses frame headers, unmasks payloads and validates the UTF-8 of
 * uncompressed text messages (across fragments), and hands the payload out
 * as fresh copies: no view of Wasm memory or of the read buffer leaves it.
 */

/** Which codec does the byte work: `"wasm"` (default) or the TypeScript twin `"ts"`. */
export type WsCodecKind = "wasm" | "ts";

/** Frame opcodes (RFC 6455 §5.2). */
export const Opcode = {
  CONTINUATION: 0,
  TEXT: 1,
  BINARY: 2,
  CLOSE: 8,
  PING: 9,
  PONG: 10,
} as const;

/** What the decoder enforces, fixed when it is made. */
export interface DecoderOptions {
  /** Largest payload of one frame; a longer header is refused with 1009 before its payload arrives. */
  maxFrameSize: number;
  /** RSV1 may be set on the first frame of a data message (permessage-deflate was negotiated). */
  allowRsv1: boolean;
  /** Every frame must be masked (a server decoding a client's frames); an unmasked one is 1002. */
  requireMask: boolean;
}

/**
 * Receives a decoded stream of frames, in order. For each frame: one
 * `start`, then zero or more `data` calls carrying its unmasked payload
 * (fresh copies the sink may keep), then one `end`. Control frames may come
 * between the frames of a fragmented message (the decoder allows exactly
 * what §5.4 and §5.5 allow).
 */
export interface FrameSink {
  /**
   * A frame header. `rsv1` is the first frame's RSV1 (a compressed message);
   * `length` is the payload length in bytes (at most maxFrameSize).
   */
  start(fin: boolean, rsv1: boolean, opcode: number, length: number): void;
  /** Unmasked payload bytes of the current frame. */
  data(bytes: Uint8Array): void;
  /** The current frame's payload is complete. */
  end(): void;
}

/**
 * Bytes that break the protocol. `code` is the close code to send: 1002
 * (protocol error: reserved bits or opcodes, a fragmented or long control
 * frame, a continuation without a start, a new data message inside a
 * fragmented one, an unmasked client frame, a 64-bit length with the top
 * bit set), 1007 (a text message that is not UTF-8) or 1009 (a frame longer
 * than maxFrameSize). After an error the decoder refuses further input.
 */
export class WsProtocolError extends Error {
  override name = "WsProtocolError";
  constructor(
    readonly code: 1002 | 1007 | 1009,
    message: string,
  ) {
    super(message);
  }
}

/** A frame decoder for one connection. */
export interface FrameDecoder {
  /**
   * Decode `chunk` (which the caller may reuse as soon as this returns),
   * calling `sink` for every frame or part of a frame it completes. Bytes of
   * an incomplete header are kept for the next call. Throws WsProtocolError.
   */
  execute(chunk: Uint8Array, sink: FrameSink): void;
  /** True when no frame is in progress (no partial header, no payload owed). */
  readonly atFrameBoundary: boolean;
}
