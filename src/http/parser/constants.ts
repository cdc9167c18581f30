// Generated from constants/http-parser.mjs by scripts/gen-constants.mjs; do not edit.
// Numbers shared by the HTTP/1.1 parser's cores (request and response mode): the Wasm core (assembly/http/), its binding, the TypeScript twin and the drivers (src/http/parser/).

/** Why a request was rejected. 0 is "no error". Status codes and messages live in parse-error.ts. */
export const ParseError = {
  /** No error. */
  OK: 0,
  /** A byte that is not a token character in the method (RFC 9110 §9.1). */
  INVALID_METHOD: 1,
  /** A well-formed method this parser does not know (the server answers 501, RFC 9110 §9.1). */
  UNKNOWN_METHOD: 2,
  /** A control, space or non-ASCII byte in the request-target (RFC 9112 §3.2). */
  INVALID_TARGET: 3,
  /** The version is not `HTTP/DIGIT.DIGIT` followed by CRLF (RFC 9112 §2.3). */
  INVALID_VERSION: 4,
  /** A well-formed version other than HTTP/1.0 and HTTP/1.1, or none at all (505, RFC 9110 §15.6.6). */
  UNSUPPORTED_VERSION: 5,
  /** The request-line is not `method SP request-target SP HTTP-version` (RFC 9112 §3). */
  INVALID_REQUEST_LINE: 6,
  /** A bare CR or a bare LF where a line must end in CRLF (RFC 9112 §2.2). */
  INVALID_LINE_ENDING: 7,
  /** A header name that is empty or holds a non-token byte (RFC 9110 §5.1). */
  INVALID_HEADER_NAME: 8,
  /** Whitespace between a header name and its colon (RFC 9112 §5.1: MUST reject with 400). */
  SPACE_BEFORE_COLON: 9,
  /** A line that starts with whitespace: obs-fold, or whitespace before the first header (RFC 9112 §5.2, §2.2). */
  OBS_FOLD: 10,
  /** A control byte (other than HTAB) in a header value (RFC 9110 §5.5). */
  INVALID_HEADER_VALUE: 11,
  /** Content-Length that is not 1*DIGIT, or too large for a safe integer (RFC 9112 §6.3). */
  INVALID_CONTENT_LENGTH: 12,
  /** More than one Content-Length field line (RFC 9112 §6.3 item 5). */
  DUPLICATE_CONTENT_LENGTH: 13,
  /** Both Transfer-Encoding and Content-Length (RFC 9112 §6.1: a request smuggling signal). */
  TE_WITH_CONTENT_LENGTH: 14,
  /** Transfer-Encoding whose final coding is not chunked, chunked twice, or malformed (400, RFC 9112 §6.3 item 4). */
  INVALID_TRANSFER_ENCODING: 15,
  /** A transfer coding other than chunked, which this parser does not decode (501, RFC 9112 §6.1). */
  UNSUPPORTED_TRANSFER_CODING: 16,
  /** A chunk size that is empty, not hex, or too large (RFC 9112 §7.1). */
  INVALID_CHUNK_SIZE: 17,
  /** A malformed chunk extension (RFC 9112 §7.1.1). */
  INVALID_CHUNK_EXTENSION: 18,
  /** Chunk data not followed by CRLF (RFC 9112 §7.1). */
  MISSING_CHUNK_CRLF: 19,
  /** An HTTP/1.1 request without Host (RFC 9112 §3.2: MUST respond 400). */
  MISSING_HOST: 20,
  /** More than one Host field line (RFC 9112 §3.2: MUST respond 400). */
  DUPLICATE_HOST: 21,
  /** The request-line is longer than `maxRequestLine` (414). */
  REQUEST_LINE_TOO_LONG: 22,
  /** The head (request- or status-line and fields) or a trailer section is longer than `maxHeaderSize` (431). */
  HEADERS_TOO_LARGE: 23,
  /** More field lines than `maxHeaders` (431). */
  TOO_MANY_HEADERS: 24,
  /** A chunk's extensions are longer than `maxChunkExtension` (413, as Node does). */
  CHUNK_EXTENSION_TOO_LONG: 25,
  /** The body is longer than `maxBodySize` (413). */
  BODY_TOO_LARGE: 26,
  /** Bytes after a message that closes the connection (`Connection: close`, or HTTP/1.0). */
  DATA_AFTER_CLOSE: 27,
  /** Response mode: the status-line is not `HTTP-version SP status-code SP reason-phrase` (RFC 9112 §4), or its reason holds a control byte. */
  INVALID_STATUS_LINE: 28,
  /** Response mode: the status-code is not three digits from 100 to 999 (RFC 9110 §15). */
  INVALID_STATUS: 29,
  /** Response mode: a response arrived when no request was waiting for one (`ResponseConnection.expect`). */
  UNEXPECTED_RESPONSE: 30,
  /** Response mode: the peer closed the connection in the middle of a response (RFC 9112 §8). */
  INCOMPLETE_MESSAGE: 31,
  /** Response mode: the status-line is longer than `maxStatusLine`. */
  STATUS_LINE_TOO_LONG: 32,
} as const;
export type ParseErrorCode = (typeof ParseError)[keyof typeof ParseError];

/** Where a connection's parse stands between two calls (the only per-connection state besides leftover bytes). */
export const ParserState = {
  /** Expecting a request-line (RFC 9112 §3), skipping CR/LF before it (§2.2). A partial head is kept and parsed again from its start, so this is the only head state. */
  HEAD: 0,
  /** In a Content-Length body (RFC 9112 §6.2); `remaining` bytes to go. */
  BODY_LENGTH: 1,
  /** Expecting a chunk-size line with its extensions (RFC 9112 §7.1, §7.1.1). */
  CHUNK_SIZE: 2,
  /** In chunk data; `remaining` bytes to go. Split from CHUNK_DATA_END so data runs are reported without looking at the CRLF. */
  CHUNK_DATA: 3,
  /** Expecting the CRLF that ends chunk data (RFC 9112 §7.1; anything else is MISSING_CHUNK_CRLF). */
  CHUNK_DATA_END: 4,
  /** In the trailer section after the last chunk (RFC 9112 §7.1.2), parsed with the field-line rules of a head. */
  TRAILERS: 5,
  /** A message that closes the connection has ended (RFC 9112 §9.6); any further byte is DATA_AFTER_CLOSE. */
  CLOSED: 6,
  /** CONNECT or Upgrade accepted: the bytes that follow belong to another protocol. */
  UPGRADED: 7,
  /** A parse error happened; the connection must be closed. */
  ERROR: 8,
  /** Response mode: a body delimited by the peer closing the connection (RFC 9112 §6.3 items 4 and 8); every byte is body until `finish`. */
  BODY_UNTIL_CLOSE: 9,
} as const;
export type ParserStateCode = (typeof ParserState)[keyof typeof ParserState];

/** Bits of a request head's `flags`. */
export const HeadFlag = {
  /** The connection stays open after this message (HTTP/1.1 default, HTTP/1.0 with keep-alive). */
  KEEP_ALIVE: 1,
  /** The body is chunked (Transfer-Encoding ends in chunked). */
  CHUNKED: 2,
  /** The body length is given by Content-Length. */
  CONTENT_LENGTH: 4,
  /** `Expect: 100-continue`. */
  EXPECT_CONTINUE: 8,
  /** An Expect value other than 100-continue (the server answers 417). */
  EXPECT_OTHER: 16,
  /** The connection is handed over after this message (CONNECT, `Connection: upgrade` + `Upgrade`, or the h2 preface). */
  UPGRADE: 32,
  /** The method is CONNECT. */
  CONNECT: 64,
  /** A `close` token in Connection. */
  CONNECTION_CLOSE: 128,
  /** A `keep-alive` token in Connection. */
  CONNECTION_KEEP_ALIVE: 256,
  /** An `upgrade` token in Connection. */
  CONNECTION_UPGRADE: 512,
  /** An Upgrade field line is present. */
  HAS_UPGRADE: 1024,
  /** A Transfer-Encoding field line is present. */
  HAS_TRANSFER_ENCODING: 2048,
  /** A Host field line is present. */
  HAS_HOST: 4096,
  /** Transfer-Encoding names a coding other than chunked (rejected with 501 in a request). */
  OTHER_CODING: 8192,
  /** Response mode: the body runs until the peer closes the connection (no framing field, or Transfer-Encoding not ending in chunked). */
  UNTIL_CLOSE: 16384,
  /** Response mode: no body whatever the fields say (a response to HEAD, a 1xx, 204 or 304; RFC 9112 §6.3 items 1 and 2). */
  NO_BODY: 32768,
  /** Response mode: an interim 1xx response other than 101; the final response follows. */
  INFORMATIONAL: 65536,
} as const;
export type HeadFlagBit = (typeof HeadFlag)[keyof typeof HeadFlag];

/**
 * Kinds of records in the event table a core writes for one parse call.
 *
 * ```
 * HEAD    : kind start end method targetStart targetEnd version flags clLow clHigh firstHeader headerCount   (12 words, HeadRecord)
 * BODY    : kind start end                                                                                  (3 words)
 * END     : kind firstTrailer trailerCount                                                                  (3 words)
 * ERROR   : kind code offset                                                                                (3 words)
 * UPGRADE : kind offset 0                                                                                   (3 words)
 * ```
 * Offsets are byte offsets into the parse buffer; `version` is 10 * major + minor;
 * in response mode a HEAD record's `method` is the status code and `targetStart`, `targetEnd` the reason phrase;
 * Content-Length is `clHigh * 2**32 + clLow` (-1 in both words when absent).
 */
export const EventKind = {
  /** A complete request head (or response head, in response mode). */
  HEAD: 1,
  /** A run of body bytes (de-chunked). */
  BODY: 2,
  /** The end of a message, with its trailer fields. */
  END: 3,
  /** A parse error; parsing stops. */
  ERROR: 4,
  /** The connection is handed to another protocol from this offset on. */
  UPGRADE: 5,
} as const;

/** Words of a HEAD record of the event table, from the record's first word. */
export const HeadRecord = {
  /** EventKind.HEAD. */
  KIND: 0,
  /** Offset of the head's first byte. */
  START: 1,
  /** Offset after its blank line. */
  END: 2,
  /** Method id (index in METHODS); in response mode, the status code. */
  METHOD: 3,
  /** Offset of the request-target; in response mode, of the reason phrase. */
  TARGET_START: 4,
  /** Offset after the request-target; in response mode, after the reason phrase. */
  TARGET_END: 5,
  /** 10 * major + minor. */
  VERSION: 6,
  /** HeadFlag bits. */
  FLAGS: 7,
  /** Content-Length, low 32 bits (-1 when absent). */
  CL_LOW: 8,
  /** Content-Length, high bits (-1 when absent). */
  CL_HIGH: 9,
  /** Index of its first record in the header table. */
  FIRST_HEADER: 10,
  /** Number of its header records. */
  HEADER_COUNT: 11,
} as const;

/** Sizes of the tables a core writes. */
export const Layout = {
  /** Words in a HEAD record. */
  HEAD_WORDS: 12,
  /** Words in every other record. */
  SMALL_WORDS: 3,
  /** Words per header in the header table: nameStart nameEnd valueStart valueEnd. */
  HEADER_WORDS: 4,
  /** Capacity of the event table, in words. */
  EVENT_CAPACITY: 4096,
  /** The core stops early (and is called again) when fewer event words than this are free. */
  EVENT_RESERVE: 64,
  /** Rows of the header table, at least; with more than 255 maxHeaders, 4 * maxHeaders + 4 (a call stops early when a head might not fit). */
  MIN_HEADER_ROWS: 1024,
  /** Bytes the Wasm core's input region holds once configured; the binding doubles it as needed. */
  INITIAL_INPUT: 4096,
  /** Response mode: expected requests handed to one run, at most (a run stops early, and is called again, when it needs more). */
  EXPECT_CAPACITY: 64,
} as const;

/** The Wasm core's CONTROL block: a connection's numbers, copied in before a parse call and out after it (byte offsets). */
export const Control = {
  /** Bytes of the block. */
  BYTES: 128,
  /** i32: the ParserState. */
  STATE: 0,
  /** i32: HeadFlag bits of the message in progress. */
  FLAGS: 4,
  /** f64: body or chunk bytes still to come. */
  REMAINING: 8,
  /** f64: body bytes of the message so far. */
  BODY_SO_FAR: 16,
  /** i32: 1 when the core stopped early because its tables were full. */
  MORE: 24,
  /** i32: words of the event table the call wrote. */
  EVENT_WORDS: 28,
  /** i32, response mode: entries of EXPECT given to this run. */
  EXPECT_COUNT: 32,
  /** i32, response mode: 1 when more requests wait than EXPECT holds. */
  EXPECT_MORE: 36,
  /** u8[EXPECT_CAPACITY], response mode: the method id of each request whose response has not ended, oldest first. */
  EXPECT: 64,
} as const;

/** Method ids the parser and the server compare against (indexes in METHODS). */
export const Method = {
  /** GET */
  GET: 1,
  /** HEAD: the response has no body. */
  HEAD: 2,
  /** POST */
  POST: 3,
  /** CONNECT: a tunnel; no body. */
  CONNECT: 6,
  /** PRI: the HTTP/2 connection preface. */
  PRI: 35,
} as const;

/** Methods the parser accepts, by id from 1 (0 is "unknown"): the HTTP methods of llhttp's table, most common first. Any other token is UNKNOWN_METHOD (501). */
export const METHODS = [
  "", "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "COPY", "LOCK",
  "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL",
  "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE",
  "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE", "PRI", "QUERY",
] as const;
/** Ids in METHODS, 0 ("none") included. */
export const METHOD_COUNT = 37;

/** Hash of every name and value above; the built module's `layoutHash()` must return it. */
export const LAYOUT_HASH = 2129302389;
