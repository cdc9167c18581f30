/**
 * The parser's errors: the HTTP status and the message of each ParseError
 * code, and the error a rejected request throws.
 */
import { TaskletError } from "../../runtime/errors.js";
import { ParseError, type ParseErrorCode } from "./constants.js";

type ParseErrorName = keyof typeof ParseError;
/** A value for every error, by name: the compiler sees that none is missing. */
type PerError<T> = { readonly [name in ParseErrorName]: T };

/** The HTTP status a server answers for each error (0 for OK). */
const STATUS: PerError<number> = {
  OK: 0,
  INVALID_METHOD: 400,
  UNKNOWN_METHOD: 501,
  INVALID_TARGET: 400,
  INVALID_VERSION: 400,
  UNSUPPORTED_VERSION: 505,
  INVALID_REQUEST_LINE: 400,
  INVALID_LINE_ENDING: 400,
  INVALID_HEADER_NAME: 400,
  SPACE_BEFORE_COLON: 400,
  OBS_FOLD: 400,
  INVALID_HEADER_VALUE: 400,
  INVALID_CONTENT_LENGTH: 400,
  DUPLICATE_CONTENT_LENGTH: 400,
  TE_WITH_CONTENT_LENGTH: 400,
  INVALID_TRANSFER_ENCODING: 400,
  UNSUPPORTED_TRANSFER_CODING: 501,
  INVALID_CHUNK_SIZE: 400,
  INVALID_CHUNK_EXTENSION: 400,
  MISSING_CHUNK_CRLF: 400,
  MISSING_HOST: 400,
  DUPLICATE_HOST: 400,
  REQUEST_LINE_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  TOO_MANY_HEADERS: 431,
  CHUNK_EXTENSION_TOO_LONG: 413,
  BODY_TOO_LARGE: 413,
  DATA_AFTER_CLOSE: 400,
  // Response mode: a proxy would answer 502 (Bad Gateway) for a malformed upstream response.
  INVALID_STATUS_LINE: 502,
  INVALID_STATUS: 502,
  UNEXPECTED_RESPONSE: 502,
  INCOMPLETE_MESSAGE: 502,
  STATUS_LINE_TOO_LONG: 502,
};

/** A short message per error; the thrown error adds where it happened. */
const MESSAGE: PerError<string> = {
  OK: "no error",
  INVALID_METHOD: "invalid character in method",
  UNKNOWN_METHOD: "method not implemented",
  INVALID_TARGET: "invalid character in request-target",
  INVALID_VERSION: "malformed HTTP version",
  UNSUPPORTED_VERSION: "HTTP version not supported (only HTTP/1.0 and HTTP/1.1)",
  INVALID_REQUEST_LINE: "malformed request-line",
  INVALID_LINE_ENDING: "bare CR or bare LF (lines must end in CRLF)",
  INVALID_HEADER_NAME: "invalid character in header name",
  SPACE_BEFORE_COLON: "whitespace between header name and colon",
  OBS_FOLD: "line starts with whitespace (obsolete line folding)",
  INVALID_HEADER_VALUE: "control character in header value",
  INVALID_CONTENT_LENGTH: "invalid Content-Length",
  DUPLICATE_CONTENT_LENGTH: "more than one Content-Length",
  TE_WITH_CONTENT_LENGTH: "both Transfer-Encoding and Content-Length",
  INVALID_TRANSFER_ENCODING: "Transfer-Encoding must end in chunked, once",
  UNSUPPORTED_TRANSFER_CODING: "unsupported transfer coding (only chunked)",
  INVALID_CHUNK_SIZE: "invalid chunk size",
  INVALID_CHUNK_EXTENSION: "invalid chunk extension",
  MISSING_CHUNK_CRLF: "chunk data not followed by CRLF",
  MISSING_HOST: "missing Host in an HTTP/1.1 request",
  DUPLICATE_HOST: "more than one Host",
  REQUEST_LINE_TOO_LONG: "request-line too long",
  HEADERS_TOO_LARGE: "head (or trailer section) too large",
  TOO_MANY_HEADERS: "too many header fields",
  CHUNK_EXTENSION_TOO_LONG: "chunk extensions too long",
  BODY_TOO_LARGE: "body too large",
  DATA_AFTER_CLOSE: "data after a message that closes the connection",
  INVALID_STATUS_LINE: "malformed status-line",
  INVALID_STATUS: "status code is not three digits from 100 to 999",
  UNEXPECTED_RESPONSE: "response received with no request waiting for one",
  INCOMPLETE_MESSAGE: "connection closed in the middle of a response",
  STATUS_LINE_TOO_LONG: "status-line too long",
};

/** `table`'s values indexed by error code. */
function byCode<T>(table: PerError<T>): T[] {
  const out: T[] = [];
  for (const [name, code] of Object.entries(ParseError)) out[code] = table[name as ParseErrorName];
  return out;
}

/**
 * The HTTP status a server answers for each error code (index = code).
 *
 * @example
 * ERROR_STATUS[ParseError.TOO_MANY_HEADERS]; // 431
 */
export const ERROR_STATUS: readonly number[] = byCode(STATUS);

/** A short message per error code (index = code); the thrown error adds where it happened. */
export const ERROR_MESSAGE: readonly string[] = byCode(MESSAGE);

/** The name of each error code (index = code). */
const NAMES: string[] = [];
for (const [name, code] of Object.entries(ParseError)) NAMES[code] = name;

/**
 * A request (or, in response mode, a response) the HTTP parser rejected.
 * `code` is a {@link ParseError} number, `status` the HTTP status to answer
 * with (400, 413, 414, 431, 501 or 505; 502 for the response-only codes),
 * `offset` the byte where parsing stopped, counted in the bytes handed to
 * the parse call that failed (bytes kept from an earlier call come first).
 *
 * @example
 * try { parseRequest(bytes); }
 * catch (e) { if (e instanceof HttpParseError) reply(e.status, e.message); }
 */
export class HttpParseError extends TaskletError {
  override name = "HttpParseError";
  /** The {@link ParseError} code. */
  readonly code: ParseErrorCode;
  /** The HTTP status a server should answer with before closing the connection. */
  readonly status: number;
  /** Byte offset of the offending byte in the parse buffer. */
  readonly offset: number;
  constructor(code: number, offset: number) {
    super(`${ERROR_MESSAGE[code] ?? "unknown parse error"} (${NAMES[code] ?? code} at byte ${offset})`);
    this.code = code as ParseErrorCode;
    this.status = ERROR_STATUS[code] ?? 400;
    this.offset = offset;
  }
  /** The name of the code, e.g. `"SPACE_BEFORE_COLON"`. */
  get codeName(): string {
    return NAMES[this.code] ?? String(this.code);
  }
}
