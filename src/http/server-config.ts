/**
 * What an HTTP server gives each of its connections: the handler, the parser,
 * the limits and timeouts, and itself as the owner that keeps the connection
 * lists. Below both connection.ts (which reads it) and server.ts (which
 * makes it), so that neither imports the other's types.
 */
import type { Operation } from "../runtime/types.js";
import type { Admission } from "./admission.js";
import type { HttpParser } from "./parser/parser.js";
import type { HttpRequest } from "./request.js";
import type { HttpResponse, HttpResponseInit } from "./response.js";

/**
 * Handles one request. A generator function: read the request, then either
 * call `res.end(body)` (or `res.write` then `res.end`), or return
 * `{ status, headers, body }`. Throwing `HttpError(status)` answers with
 * that status; any other error answers 500 and is passed to `onError`.
 */
export type Handler = (req: HttpRequest, res: HttpResponse) => Operation<HttpResponseInit | void | undefined>;

/** What a connection (`Connection`, an HttpConnection) asks of its server. Not part of the public API. */
export interface ConnOwner<Connection> {
  /** Its task ends between requests: keep the connection open and idle. False if it is readable already (the task reads on). */
  _connIdle(c: Connection): boolean;
  /** Bytes (or the end of stream) arrived on an idle connection: start its task. */
  _connWake(c: Connection): void;
  /** Its task ends for good: close the connection and forget it. */
  _connDone(c: Connection): void;
}

/** @internal What every connection of a server shares. */
export interface HttpServerConfig<Connection> {
  parser: HttpParser;
  /** The server, which keeps the connections' lists. */
  owner: ConnOwner<Connection>;
  handler: Handler;
  now: () => number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  idleTimeout: number;
  maxRequestsPerConnection: number;
  /** Largest body a buffered read (`req.body()`, `text()`, `json()`) gathers. */
  maxBodySize: number;
  onError: (error: unknown, req: HttpRequest) => void;
  /** Admission control (`maxConcurrentRequests`), or null when requests are not limited. */
  admission: Admission | null;
}
