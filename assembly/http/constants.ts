// Numbers shared with the TypeScript side (src/http/parser-constants.ts).
// Every name here exists there with the same value; test/http-parser-constants.test.ts
// reads both files and fails when they drift. Doc lines live on the TS side.

// ParseError: why a request was rejected.
export namespace ParseError {
  @inline export const OK: i32 = 0;
  @inline export const INVALID_METHOD: i32 = 1;
  @inline export const UNKNOWN_METHOD: i32 = 2;
  @inline export const INVALID_TARGET: i32 = 3;
  @inline export const INVALID_VERSION: i32 = 4;
  @inline export const UNSUPPORTED_VERSION: i32 = 5;
  @inline export const INVALID_REQUEST_LINE: i32 = 6;
  @inline export const INVALID_LINE_ENDING: i32 = 7;
  @inline export const INVALID_HEADER_NAME: i32 = 8;
  @inline export const SPACE_BEFORE_COLON: i32 = 9;
  @inline export const OBS_FOLD: i32 = 10;
  @inline export const INVALID_HEADER_VALUE: i32 = 11;
  @inline export const INVALID_CONTENT_LENGTH: i32 = 12;
  @inline export const DUPLICATE_CONTENT_LENGTH: i32 = 13;
  @inline export const TE_WITH_CONTENT_LENGTH: i32 = 14;
  @inline export const INVALID_TRANSFER_ENCODING: i32 = 15;
  @inline export const UNSUPPORTED_TRANSFER_CODING: i32 = 16;
  @inline export const INVALID_CHUNK_SIZE: i32 = 17;
  @inline export const INVALID_CHUNK_EXTENSION: i32 = 18;
  @inline export const MISSING_CHUNK_CRLF: i32 = 19;
  @inline export const MISSING_HOST: i32 = 20;
  @inline export const DUPLICATE_HOST: i32 = 21;
  @inline export const REQUEST_LINE_TOO_LONG: i32 = 22;
  @inline export const HEADERS_TOO_LARGE: i32 = 23;
  @inline export const TOO_MANY_HEADERS: i32 = 24;
  @inline export const CHUNK_EXTENSION_TOO_LONG: i32 = 25;
  @inline export const BODY_TOO_LARGE: i32 = 26;
  @inline export const DATA_AFTER_CLOSE: i32 = 27;
}

// ParserState: where a connection's parse stands between two calls.
export namespace ParserState {
  @inline export const HEAD: i32 = 0;
  @inline export const BODY_LENGTH: i32 = 1;
  @inline export const CHUNK_SIZE: i32 = 2;
  @inline export const CHUNK_DATA: i32 = 3;
  @inline export const CHUNK_DATA_END: i32 = 4;
  @inline export const TRAILERS: i32 = 5;
  @inline export const CLOSED: i32 = 6;
  @inline export const UPGRADED: i32 = 7;
  @inline export const ERROR: i32 = 8;
}

// HeadFlag: bits of a request head's flags.
export namespace HeadFlag {
  @inline export const KEEP_ALIVE: i32 = 1;
  @inline export const CHUNKED: i32 = 2;
  @inline export const CONTENT_LENGTH: i32 = 4;
  @inline export const EXPECT_CONTINUE: i32 = 8;
  @inline export const EXPECT_OTHER: i32 = 16;
  @inline export const UPGRADE: i32 = 32;
  @inline export const CONNECT: i32 = 64;
  @inline export const CONNECTION_CLOSE: i32 = 128;
  @inline export const CONNECTION_KEEP_ALIVE: i32 = 256;
  @inline export const CONNECTION_UPGRADE: i32 = 512;
  @inline export const HAS_UPGRADE: i32 = 1024;
  @inline export const HAS_TRANSFER_ENCODING: i32 = 2048;
  @inline export const HAS_HOST: i32 = 4096;
  @inline export const OTHER_CODING: i32 = 8192;
}

// EventKind: records of the event table.
export namespace EventKind {
  @inline export const HEAD: i32 = 1;
  @inline export const BODY: i32 = 2;
  @inline export const END: i32 = 3;
  @inline export const ERROR: i32 = 4;
  @inline export const UPGRADE: i32 = 5;
}

// Layout: sizes of the tables.
export namespace Layout {
  @inline export const HEAD_WORDS: i32 = 12;
  @inline export const SMALL_WORDS: i32 = 3;
  @inline export const HEADER_WORDS: i32 = 4;
  @inline export const EVENT_CAPACITY: i32 = 4096;
  @inline export const EVENT_RESERVE: i32 = 64;
}

// Method ids the parser itself needs; the full table is METHODS below.
export namespace Method {
  @inline export const GET: i32 = 1;
  @inline export const HEAD: i32 = 2;
  @inline export const POST: i32 = 3;
  @inline export const CONNECT: i32 = 6;
  @inline export const PRI: i32 = 35;
}

// The accepted methods in id order (id 1 first), separated by single spaces.
export const METHODS = "GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH COPY LOCK MKCOL MOVE PROPFIND PROPPATCH SEARCH UNLOCK BIND REBIND UNBIND ACL REPORT MKACTIVITY CHECKOUT MERGE M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PURGE MKCALENDAR LINK UNLINK SOURCE PRI QUERY";
