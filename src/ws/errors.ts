// The errors of the WebSocket layer: a refused handshake, and an operation on a closed WebSocket.
import { HttpError } from "../http/http-error.js";
import { TaskletError } from "../runtime/errors.js";

/**
 * `upgrade(req)` refused the handshake: `status` says why (400 a malformed
 * request, 403 an Origin the `origin` option refuses, 426 a
 * `Sec-WebSocket-Version` other than 13), the message in words. It is an
 * {@link HttpError}: left uncaught, the handler answers with that status
 * (and, for 426, `Sec-WebSocket-Version: 13`), then the connection closes.
 *
 * @example
 * try {
 *   const ws = yield* upgrade(req);
 * } catch (e) {
 *   if (e instanceof WsHandshakeError) console.log(e.status, e.message); // 426 "... version 8 ..."
 *   throw e;
 * }
 */
export class WsHandshakeError extends HttpError {
  override name = "WsHandshakeError";
}

/**
 * An operation on a WebSocket that is closed or closing: `send` after a
 * close frame went out, or after the connection ended. `code` is the
 * WebSocket's close code (`ws.closeCode`: the peer's, ours, or 1006 when the
 * connection ended without a close frame).
 *
 * @example
 * try {
 *   yield* ws.send("late");
 * } catch (e) {
 *   if (e instanceof WsClosedError) console.log(`closed with ${e.code}`);
 * }
 */
export class WsClosedError extends TaskletError {
  override name = "WsClosedError";
  /** The close code of the WebSocket. */
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}
