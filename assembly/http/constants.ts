// Generated from constants/http-parser.mjs by scripts/gen-constants.mjs; do not edit.
// Numbers shared by the HTTP/1.1 parser's cores (request and response mode): the Wasm core (assembly/http/), its binding, the TypeScript twin and the drivers (src/http/parser/).

/** Why a request was rejected. 0 is "no error". Status codes and messages live in parse-error.ts. */
export namespace ParseError {
  /** No error. */
  @inline export const OK: i32 = 0;
  /** A byte that is not a token character in the method (RFC 9110 §9.1). */
  @inline export const INVALID_METHOD: i32 = 1;
  /** A well-formed method this parser does not know (the server answers 501, RFC 9110 §9.1). */
  @inline export const UNKNOWN_METHOD: i32 = 2;
  /** A control, space or non-ASCII byte in the request-target (RFC 9112 §3.2). */
  @inline export const INVALID_TARGET: i32 = 3;
  /** The version is not `HTTP/DIGIT.DIGIT` followed by CRLF (RFC 9112 §2.3). */
  @inline export const INVALID_VERSION: i32 = 4;
  /** A well-formed version other than HTTP/1.0 and HTTP/1.1, or none at all (505, RFC 9110 §15.6.6). */
  @inline export const UNSUPPORTED_VERSION: i32 = 5;
  /** The request-line is not `method SP request-target SP HTTP-version` (RFC 9112 §3). */
  @inline export const INVALID_REQUEST_LINE: i32 = 6;
  /** A bare CR or a bare LF where a line must end in CRLF (RFC 9112 §2.2). */
  @inline export const INVALID_LINE_ENDING: i32 = 7;
  /** A header name that is empty or holds a non-token byte (RFC 9110 §5.1). */
  @inline export const INVALID_HEADER_NAME: i32 = 8;
  /** Whitespace between a header name and its colon (RFC 9112 §5.1: MUST reject with 400). */
  @inline export const SPACE_BEFORE_COLON: i32 = 9;
  /** A line that starts with whitespace: obs-fold, or whitespace before the first header (RFC 9112 §5.2, §2.2). */
  @inline export const OBS_FOLD: i32 = 10;
  /** A control byte (other than HTAB) in a header value (RFC 9110 §5.5). */
  @inline export const INVALID_HEADER_VALUE: i32 = 11;
  /** Content-Length that is not 1*DIGIT, or too large for a safe integer (RFC 9112 §6.3). */
  @inline export const INVALID_CONTENT_LENGTH: i32 = 12;
  /** More than one Content-Length field line (RFC 9112 §6.3 item 5). */
  @inline export const DUPLICATE_CONTENT_LENGTH: i32 = 13;
  /** Both Transfer-Encoding and Content-Length (RFC 9112 §6.1: a request smuggling signal). */
  @inline export const TE_WITH_CONTENT_LENGTH: i32 = 14;
  /** Transfer-Encoding whose final coding is not chunked, chunked twice, or malformed (400, RFC 9112 §6.3 item 4). */
  @inline export const INVALID_TRANSFER_ENCODING: i32 = 15;
  /** A transfer coding other than chunked, which this parser does not decode (501, RFC 9112 §6.1). */
  @inline export const UNSUPPORTED_TRANSFER_CODING: i32 = 16;
  /** A chunk size that is empty, not hex, or too large (RFC 9112 §7.1). */
  @inline export const INVALID_CHUNK_SIZE: i32 = 17;
  /** A malformed chunk extension (RFC 9112 §7.1.1). */
  @inline export const INVALID_CHUNK_EXTENSION: i32 = 18;
  /** Chunk data not followed by CRLF (RFC 9112 §7.1). */
  @inline export const MISSING_CHUNK_CRLF: i32 = 19;
  /** An HTTP/1.1 request without Host (RFC 9112 §3.2: MUST respond 400). */
  @inline export const MISSING_HOST: i32 = 20;
  /** More than one Host field line (RFC 9112 §3.2: MUST respond 400). */
  @inline export const DUPLICATE_HOST: i32 = 21;
  /** The request-line is longer than `maxRequestLine` (414). */
  @inline export const REQUEST_LINE_TOO_LONG: i32 = 22;
  /** The head (request- or status-line and fields) or a trailer section is longer than `maxHeaderSize` (431). */
  @inline export const HEADERS_TOO_LARGE: i32 = 23;
  /** More field lines than `maxHeaders` (431). */
  @inline export const TOO_MANY_HEADERS: i32 = 24;
  /** A chunk's extensions are longer than `maxChunkExtension` (413, as Node does). */
  @inline export const CHUNK_EXTENSION_TOO_LONG: i32 = 25;
  /** The body is longer than `maxBodySize` (413). */
  @inline export const BODY_TOO_LARGE: i32 = 26;
  /** Bytes after a message that closes the connection (`Connection: close`, or HTTP/1.0). */
  @inline export const DATA_AFTER_CLOSE: i32 = 27;
  /** Response mode: the status-line is not `HTTP-version SP status-code SP reason-phrase` (RFC 9112 §4), or its reason holds a control byte. */
  @inline export const INVALID_STATUS_LINE: i32 = 28;
  /** Response mode: the status-code is not three digits from 100 to 999 (RFC 9110 §15). */
  @inline export const INVALID_STATUS: i32 = 29;
  /** Response mode: a response arrived when no request was waiting for one (`ResponseConnection.expect`). */
  @inline export const UNEXPECTED_RESPONSE: i32 = 30;
  /** Response mode: the peer closed the connection in the middle of a response (RFC 9112 §8). */
  @inline export const INCOMPLETE_MESSAGE: i32 = 31;
  /** Response mode: the status-line is longer than `maxStatusLine`. */
  @inline export const STATUS_LINE_TOO_LONG: i32 = 32;
}

/** Where a connection's parse stands between two calls (the only per-connection state besides leftover bytes). */
export namespace ParserState {
  /** Expecting a request-line (RFC 9112 §3), skipping CR/LF before it (§2.2). A partial head is kept and parsed again from its start, so this is the only head state. */
  @inline export const HEAD: i32 = 0;
  /** In a Content-Length body (RFC 9112 §6.2); `remaining` bytes to go. */
  @inline export const BODY_LENGTH: i32 = 1;
  /** Expecting a chunk-size line with its extensions (RFC 9112 §7.1, §7.1.1). */
  @inline export const CHUNK_SIZE: i32 = 2;
  /** In chunk data; `remaining` bytes to go. Split from CHUNK_DATA_END so data runs are reported without looking at the CRLF. */
  @inline export const CHUNK_DATA: i32 = 3;
  /** Expecting the CRLF that ends chunk data (RFC 9112 §7.1; anything else is MISSING_CHUNK_CRLF). */
  @inline export const CHUNK_DATA_END: i32 = 4;
  /** In the trailer section after the last chunk (RFC 9112 §7.1.2), parsed with the field-line rules of a head. */
  @inline export const TRAILERS: i32 = 5;
  /** A message that closes the connection has ended (RFC 9112 §9.6); any further byte is DATA_AFTER_CLOSE. */
  @inline export const CLOSED: i32 = 6;
  /** CONNECT or Upgrade accepted: the bytes that follow belong to another protocol. */
  @inline export const UPGRADED: i32 = 7;
  /** A parse error happened; the connection must be closed. */
  @inline export const ERROR: i32 = 8;
  /** Response mode: a body delimited by the peer closing the connection (RFC 9112 §6.3 items 4 and 8); every byte is body until `finish`. */
  @inline export const BODY_UNTIL_CLOSE: i32 = 9;
}

/** Bits of a request head's `flags`. */
export namespace HeadFlag {
  /** The connection stays open after this message (HTTP/1.1 default, HTTP/1.0 with keep-alive). */
  @inline export const KEEP_ALIVE: i32 = 1;
  /** The body is chunked (Transfer-Encoding ends in chunked). */
  @inline export const CHUNKED: i32 = 2;
  /** The body length is given by Content-Length. */
  @inline export const CONTENT_LENGTH: i32 = 4;
  /** `Expect: 100-continue`. */
  @inline export const EXPECT_CONTINUE: i32 = 8;
  /** An Expect value other than 100-continue (the server answers 417). */
  @inline export const EXPECT_OTHER: i32 = 16;
  /** The connection is handed over after this message (CONNECT, `Connection: upgrade` + `Upgrade`, or the h2 preface). */
  @inline export const UPGRADE: i32 = 32;
  /** The method is CONNECT. */
  @inline export const CONNECT: i32 = 64;
  /** A `close` token in Connection. */
  @inline export const CONNECTION_CLOSE: i32 = 128;
  /** A `keep-alive` token in Connection. */
  @inline export const CONNECTION_KEEP_ALIVE: i32 = 256;
  /** An `upgrade` token in Connection. */
  @inline export const CONNECTION_UPGRADE: i32 = 512;
  /** An Upgrade field line is present. */
  @inline export const HAS_UPGRADE: i32 = 1024;
  /** A Transfer-Encoding field line is present. */
  @inline export const HAS_TRANSFER_ENCODING: i32 = 2048;
  /** A Host field line is present. */
  @inline export const HAS_HOST: i32 = 4096;
  /** Transfer-Encoding names a coding other than chunked (rejected with 501 in a request). */
  @inline export const OTHER_CODING: i32 = 8192;
  /** Response mode: the body runs until the peer closes the connection (no framing field, or Transfer-Encoding not ending in chunked). */
  @inline export const UNTIL_CLOSE: i32 = 16384;
  /** Response mode: no body whatever the fields say (a response to HEAD, a 1xx, 204 or 304; RFC 9112 §6.3 items 1 and 2). */
  @inline export const NO_BODY: i32 = 32768;
  /** Response mode: an interim 1xx response other than 101; the final response follows. */
  @inline export const INFORMATIONAL: i32 = 65536;
}

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
export namespace EventKind {
  /** A complete request head (or response head, in response mode). */
  @inline export const HEAD: i32 = 1;
  /** A run of body bytes (de-chunked). */
  @inline export const BODY: i32 = 2;
  /** The end of a message, with its trailer fields. */
  @inline export const END: i32 = 3;
  /** A parse error; parsing stops. */
  @inline export const ERROR: i32 = 4;
  /** The connection is handed to another protocol from this offset on. */
  @inline export const UPGRADE: i32 = 5;
}

/** Words of a HEAD record of the event table, from the record's first word. */
export namespace HeadRecord {
  /** EventKind.HEAD. */
  @inline export const KIND: i32 = 0;
  /** Offset of the head's first byte. */
  @inline export const START: i32 = 1;
  /** Offset after its blank line. */
  @inline export const END: i32 = 2;
  /** Method id (index in METHODS); in response mode, the status code. */
  @inline export const METHOD: i32 = 3;
  /** Offset of the request-target; in response mode, of the reason phrase. */
  @inline export const TARGET_START: i32 = 4;
  /** Offset after the request-target; in response mode, after the reason phrase. */
  @inline export const TARGET_END: i32 = 5;
  /** 10 * major + minor. */
  @inline export const VERSION: i32 = 6;
  /** HeadFlag bits. */
  @inline export const FLAGS: i32 = 7;
  /** Content-Length, low 32 bits (-1 when absent). */
  @inline export const CL_LOW: i32 = 8;
  /** Content-Length, high bits (-1 when absent). */
  @inline export const CL_HIGH: i32 = 9;
  /** Index of its first record in the header table. */
  @inline export const FIRST_HEADER: i32 = 10;
  /** Number of its header records. */
  @inline export const HEADER_COUNT: i32 = 11;
}

/** Sizes of the tables a core writes. */
export namespace Layout {
  /** Words in a HEAD record. */
  @inline export const HEAD_WORDS: i32 = 12;
  /** Words in every other record. */
  @inline export const SMALL_WORDS: i32 = 3;
  /** Words per header in the header table: nameStart nameEnd valueStart valueEnd. */
  @inline export const HEADER_WORDS: i32 = 4;
  /** Capacity of the event table, in words. */
  @inline export const EVENT_CAPACITY: i32 = 4096;
  /** The core stops early (and is called again) when fewer event words than this are free. */
  @inline export const EVENT_RESERVE: i32 = 64;
  /** Rows of the header table, at least; with more than 255 maxHeaders, 4 * maxHeaders + 4 (a call stops early when a head might not fit). */
  @inline export const MIN_HEADER_ROWS: i32 = 1024;
  /** Bytes the Wasm core's input region holds once configured; the binding doubles it as needed. */
  @inline export const INITIAL_INPUT: i32 = 4096;
  /** Response mode: expected requests handed to one run, at most (a run stops early, and is called again, when it needs more). */
  @inline export const EXPECT_CAPACITY: i32 = 64;
}

/** The Wasm core's CONTROL block: a connection's numbers, copied in before a parse call and out after it (byte offsets). */
export namespace Control {
  /** Bytes of the block. */
  @inline export const BYTES: i32 = 128;
  /** i32: the ParserState. */
  @inline export const STATE: i32 = 0;
  /** i32: HeadFlag bits of the message in progress. */
  @inline export const FLAGS: i32 = 4;
  /** f64: body or chunk bytes still to come. */
  @inline export const REMAINING: i32 = 8;
  /** f64: body bytes of the message so far. */
  @inline export const BODY_SO_FAR: i32 = 16;
  /** i32: 1 when the core stopped early because its tables were full. */
  @inline export const MORE: i32 = 24;
  /** i32: words of the event table the call wrote. */
  @inline export const EVENT_WORDS: i32 = 28;
  /** i32, response mode: entries of EXPECT given to this run. */
  @inline export const EXPECT_COUNT: i32 = 32;
  /** i32, response mode: 1 when more requests wait than EXPECT holds. */
  @inline export const EXPECT_MORE: i32 = 36;
  /** u8[EXPECT_CAPACITY], response mode: the method id of each request whose response has not ended, oldest first. */
  @inline export const EXPECT: i32 = 64;
}

/** Method ids the parser and the server compare against (indexes in METHODS). */
export namespace Method {
  /** GET */
  @inline export const GET: i32 = 1;
  /** HEAD: the response has no body. */
  @inline export const HEAD: i32 = 2;
  /** POST */
  @inline export const POST: i32 = 3;
  /** CONNECT: a tunnel; no body. */
  @inline export const CONNECT: i32 = 6;
  /** PRI: the HTTP/2 connection preface. */
  @inline export const PRI: i32 = 35;
}

/** Methods the parser accepts, by id from 1 (0 is "unknown"): the HTTP methods of llhttp's table, most common first. Any other token is UNKNOWN_METHOD (501). */
export const METHODS = "GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH COPY LOCK MKCOL MOVE PROPFIND PROPPATCH SEARCH UNLOCK BIND REBIND UNBIND ACL REPORT MKACTIVITY CHECKOUT MERGE M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PURGE MKCALENDAR LINK UNLINK SOURCE PRI QUERY";
/** Ids in METHODS, 0 ("none") included. */
@inline export const METHOD_COUNT: i32 = 37;

/** Hash of every name and value above: the module exports it as `layoutHash()`. */
@inline export const LAYOUT_HASH: i32 = 2129302389;
