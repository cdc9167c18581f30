// The error a handler throws to answer with a status of its choice.
import { TaskletError } from "../runtime/errors.js";
import { STATUS_TEXT } from "./status.js";

/**
 * Throw from a handler to answer with a given status: the server sends
 * `status` with `message` as a plain-text body (if nothing was sent yet) and
 * keeps serving. Any other error becomes a 500.
 *
 * @example
 * if (!user) throw new HttpError(404, `no user ${id}`);
 */
export class HttpError extends TaskletError {
  override name = "HttpError";
  /** The HTTP status to answer with. */
  readonly status: number;
  /** Header fields sent with the answer (e.g. `Sec-WebSocket-Version` with a 426), or undefined. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(status: number, message?: string, headers?: Readonly<Record<string, string>>) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(`HttpError status must be a 4xx or 5xx code, got ${String(status)}`);
    }
    super(message ?? STATUS_TEXT[status] ?? `HTTP ${status}`);
    this.status = status;
    this.headers = headers;
  }
}
