/**
 * What a frame core offers the driver (decoder.ts), mirroring
 * src/http/parser/parser-core.ts. Two cores implement it: the Wasm one
 * (wasm-core.ts, the only file that knows Wasm memory) and the TypeScript
 * twin (ts-core.ts). Both run the same algorithm and write the same record
 * table (RecordKind in constants.ts), so the driver cannot tell them apart.
 * A core holds no connection: a decoder's numbers travel in a DecoderIO.
 */

/** A decoder's numbers, carried from one run to the next (see Control in constants.ts). */
export interface DecoderIO {
  /** A DecoderState. */
  state: number;
  /** Message bits: the fragmented message in progress, the current frame, the options. */
  message: number;
  /** The current frame's masking key, little-endian (0 when unmasked). */
  mask: number;
  /** Payload bytes of the current frame already unmasked, mod 4. */
  phase: number;
  /** The Utf8State of the text message in progress. */
  utf8: number;
  /** Payload bytes of the current frame still to come. */
  remaining: number;
  /** maxFrameSize. */
  maxFrame: number;
  /** Set by the core when it stopped early because its record table was full. */
  more: boolean;
}

/** What both cores provide to the driver. */
export interface FrameCore {
  /** The records of the last run, 4 words each. */
  readonly records: Int32Array;
  /** Words of `records` written by the last run. */
  recordWords: number;
  /** The bytes the records point into; valid until the next `load` on this core. */
  readonly source: Uint8Array;
  /** Make `pending[0, pendingLength)` followed by `chunk` the run buffer; returns its length. */
  load(pending: Uint8Array | null, pendingLength: number, chunk: Uint8Array): number;
  /** Decode buffer bytes [from, end); returns the offset up to which bytes were consumed. */
  run(from: number, end: number, io: DecoderIO): number;
  /** Whole-buffer kernel: dst[at + i] = src[i] ^ key[i & 3]. */
  mask(src: Uint8Array, key: Uint8Array, dst: Uint8Array, at: number): void;
  /** Whole-buffer kernel: is `bytes` UTF-8? */
  isUtf8(bytes: Uint8Array): boolean;
}
