/**
 * What a parser core offers the driver (parser.ts), and what it is made with.
 * Two cores implement it: the Wasm one (wasm-core.ts, the only file that knows
 * Wasm memory) and its TypeScript twin (ts-core.ts). Both run the same
 * algorithm, state for state, and write the same event and header tables, so
 * the driver cannot tell them apart; parser.ts picks one by kind, in one place.
 */
import { HeadRecord, Layout } from "./constants.js";

/** Which core parses: `"wasm"` (default) or the pure-TypeScript `"ts"`. */
export type ParserKind = "wasm" | "ts";

/** Parser limits, each with its own error code. */
export interface ParserLimits {
  /** Longest request-line, without its CRLF (REQUEST_LINE_TOO_LONG, 414). Default 8 KiB. */
  maxRequestLine: number;
  /** Longest head: request-line plus fields, with the final CRLF; also bounds the trailer section (HEADERS_TOO_LARGE, 431). Default 16 KiB, like Node. */
  maxHeaderSize: number;
  /** Most field lines per head or trailer section (TOO_MANY_HEADERS, 431). Default 100. */
  maxHeaders: number;
  /** Longest chunk-extension text per chunk (CHUNK_EXTENSION_TOO_LONG, 413). Default 4 KiB. */
  maxChunkExtension: number;
  /** Largest body, Content-Length or de-chunked (BODY_TOO_LARGE, 413). Default 1 MiB. */
  maxBodySize: number;
  /** Reject HTTP/1.1 requests without Host (RFC 9112 §3.2). Default true. */
  requireHost: boolean;
}

/** The defaults of {@link ParserLimits}. */
export const DEFAULT_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxRequestLine: 8 * 1024,
  maxHeaderSize: 16 * 1024,
  maxHeaders: 100,
  maxChunkExtension: 4 * 1024,
  maxBodySize: 1024 * 1024,
  requireHost: true,
});

/** Limits of a response parser (response mode), each with its own error code. */
export interface ResponseLimits {
  /** Longest status-line, without its CRLF (STATUS_LINE_TOO_LONG). Default 8 KiB. */
  maxStatusLine: number;
  /** Longest head: status-line plus fields, with the final CRLF; also bounds the trailer section (HEADERS_TOO_LARGE). Default 16 KiB. */
  maxHeaderSize: number;
  /** Most field lines per head or trailer section (TOO_MANY_HEADERS). Default 100. */
  maxHeaders: number;
  /** Longest chunk-extension text per chunk (CHUNK_EXTENSION_TOO_LONG). Default 4 KiB. */
  maxChunkExtension: number;
  /** Largest body, whatever its framing (BODY_TOO_LARGE). Default Infinity: a client downloads large bodies. */
  maxBodySize: number;
}

/** The defaults of {@link ResponseLimits}. */
export const DEFAULT_RESPONSE_LIMITS: Readonly<ResponseLimits> = Object.freeze({
  maxStatusLine: 8 * 1024,
  maxHeaderSize: 16 * 1024,
  maxHeaders: 100,
  maxChunkExtension: 4 * 1024,
  maxBodySize: Infinity,
});

/** The per-connection numbers carried from one parse call to the next. */
export interface CoreIO {
  /** A ParserState (constants.ts). */
  state: number;
  /** @internal HeadFlag bits of the message in progress. */
  flags: number;
  /** @internal Body or chunk bytes still to come. */
  remaining: number;
  /** @internal Body bytes of the message so far (for maxBodySize on chunked bodies). */
  bodySoFar: number;
  /** @internal Set by the core when it stopped early because its tables were full. */
  more: boolean;
}

/** A response connection's numbers, plus the requests it waits on (response mode). */
export interface ResponseIO extends CoreIO {
  /** @internal Method ids (METHODS of constants.ts; 0 for another method) of the requests whose responses have not ended, oldest at `expectFrom`. */
  readonly expects: number[];
  /** @internal Index in `expects` of the oldest request not fully answered. */
  readonly expectFrom: number;
}

/** What both cores provide to the driver. */
export interface ParserCore {
  /** The event records of the last run (see EventKind). */
  readonly events: Int32Array;
  /** Words of `events` written by the last run. */
  eventWords: number;
  /** Header records: nameStart nameEnd valueStart valueEnd. */
  readonly headers: Int32Array;
  /** The bytes the offsets point into; valid until the next `load`. */
  readonly source: Buffer;
  /** Make `pending` followed by `chunk` the parse buffer; returns its length. */
  load(pending: Uint8Array | null, chunk: Uint8Array): number;
  /** Parse buffer bytes [from, end); returns the offset up to which bytes were consumed. */
  run(from: number, end: number, io: CoreIO): number;
  /**
   * The same in response mode: heads are status-lines, matched in order to
   * the requests of `io` (at most Layout.EXPECT_CAPACITY per call; a call
   * that needs more stops early with `io.more` set).
   */
  runResponse(from: number, end: number, io: ResponseIO): number;
}

/**
 * The twin writes and the driver reads event records at literal word offsets:
 * they are hot paths, where a named constant costs a load (the bundle makes
 * module constants `var`s). These fail to compile if the generated layout
 * (constants.ts) changes under them.
 */
export const HEAD_RECORD: {
  KIND: 0; START: 1; END: 2; METHOD: 3; TARGET_START: 4; TARGET_END: 5; VERSION: 6; FLAGS: 7; CL_LOW: 8; CL_HIGH: 9; FIRST_HEADER: 10; HEADER_COUNT: 11;
} = HeadRecord;
export const RECORD_WORDS: { HEAD_WORDS: 12; SMALL_WORDS: 3 } = Layout;
