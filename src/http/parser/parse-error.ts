import { TaskletError } from "../../runtime/errors.js";
import { ERROR_MESSAGE, ERROR_STATUS, ParseError, type ParseErrorCode } from "./constants.js";

const NAMES: string[] = [];
for (const [name, code] of Object.entries(ParseError)) NAMES[code] = name;

/**
 * A request the HTTP parser rejected. `code` is a {@link ParseError} number,
 * `status` the HTTP status to answer with (400, 413, 414, 431, 501 or 505),
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
