/**
 * The hand-over of a connection to another protocol (a WebSocket) after
 * `101 Switching Protocols`: what the new protocol gets from the HTTP
 * connection, and what the connection asks of it when the handler's task
 * ends. The protocol lives above src/http (src/ws/); this interface is how
 * the connection talks to it without importing it.
 */
import type { Conn } from "../net/conn.js";
import type { Operation } from "../runtime/types.js";

/**
 * The protocol that took a connection over. The handler's task goes on as
 * the protocol's task; the connection calls these when it ends.
 */
export interface UpgradeSession {
  /** The handler returned (`error` undefined) or threw: end the protocol politely (a WebSocket closes with 1000 or 1011). */
  finish(threw: boolean, error: unknown): Operation<void>;
  /** Whether an error the handler threw is worth reporting to `onError` (not when the peer is simply gone). */
  reportable(error: unknown): boolean;
  /** The task ends without the handler finishing (cancelled): say goodbye without waiting (a WebSocket sends close 1001). */
  abandon(): void;
  /** The server is shutting down: tell the peer (a WebSocket sends close 1001 and lets the handler see the end). */
  serverStopping(): void;
}

/** What the new protocol takes over: the socket, and the bytes that arrived after the request's head in the same read. */
export interface Handover {
  readonly conn: Conn;
  /** Bytes read past the HTTP request (a client may send its first frames at once), or null. Ours to keep. */
  readonly rest: Uint8Array | null;
  /** Whether the server is shutting down already. */
  readonly draining: boolean;
  /** The server's parser kind: the new protocol's byte work follows it (Wasm or its TypeScript twin). */
  readonly kind: "wasm" | "ts";
  /**
   * The upgrade was made in the connection's own task, whose end ends the
   * session (`finish`, or `abandon` when cancelled): the protocol need not
   * also be owned by that task. False when another task upgraded (a child
   * of the handler): that task should own it.
   */
  readonly byConnection: boolean;
}
