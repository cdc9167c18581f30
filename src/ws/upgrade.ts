/**
 * `upgrade(req)`: turn an HTTP request into a WebSocket, inside its handler.
 * Checks the handshake (handshake.ts), has the HTTP connection write the
 * `101` and hand its socket over, and makes the WsConn, owned by the
 * handler's task.
 */
import type { HttpRequest } from "../http/request.js";
import { currentTask } from "../runtime/current.js";
import type { Instruction } from "../runtime/types.js";
import { checkHandshake } from "./handshake.js";
import { type UpgradeOptions, resolveUpgrade } from "./ws-options.js";
import { WsConn } from "./ws-conn.js";

/**
 * Accept a WebSocket (RFC 6455) on `req`, an HTTP request with
 * `Upgrade: websocket`, from inside its handler: checks the handshake,
 * answers `101 Switching Protocols` and returns the {@link WsConn}. The
 * handler's task goes on as the WebSocket's: when it ends the WebSocket is
 * closed (1000 if the handler returns, 1011 if it throws, 1001 if it is
 * cancelled or the server stops), then the connection. (Called from
 * another task, a child of the handler, the WebSocket belongs to that task
 * instead and is closed, with 1001, when it ends.) A handshake that
 * fails the checks throws {@link WsHandshakeError} (400, 403, or 426 with
 * `Sec-WebSocket-Version: 13`), which the server answers with if the
 * handler lets it go.
 *
 * The frame codec follows the server's `parser` option (Wasm by default,
 * the TypeScript twin with `parser: "ts"`).
 *
 * @example
 * serve({ port: 8080 }, function* (req) {
 *   if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return { status: 426, body: "WebSocket only\n" };
 *   const ws = yield* upgrade(req, { maxMessageSize: 1 << 16, protocols: ["chat"] });
 *   for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
 * });
 */
export function* upgrade(req: HttpRequest, options?: UpgradeOptions): Generator<Instruction, WsConn, any> {
  const cfg = resolveUpgrade(options);
  const accepted = checkHandshake(req, cfg);
  const me = currentTask("upgrade()");
  return yield* req._conn._upgrade(req, accepted.head, (h) => new WsConn(h, cfg, accepted, me));
}
