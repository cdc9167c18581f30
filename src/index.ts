/**
 * tasklet: green threads for Node.js. Tasks are generator functions driven by
 * tasklet's own scheduler, whose core runs in WebAssembly or in TypeScript.
 *
 * This file is the public API and nothing else.
 *
 * @example
 * import { run, spawn, sleep } from "tasklet";
 * await run(function* () {
 *   const child = spawn(function* () { yield* sleep(10); return "hi"; });
 *   console.log(yield* child);
 * });
 */
export { run, spawn, current } from "./runtime/run.js";
export { Task } from "./runtime/task.js";
export { sleep, yieldNow } from "./ops/sleep.js";
export { call } from "./ops/call.js";
export { withTimeout, all, race } from "./ops/combinators.js";
export { select, type SelectCase, type SelectResult } from "./sync/select.js";
export { Channel, type TryRecvResult, type RecvOp, type SendOp } from "./sync/channel.js";
export { Queue } from "./sync/queue.js";
// streams
export { STREAM, type Stream, type Streamable } from "./runtime/stream.js";
export { each, type StreamSource } from "./ops/each.js";
export { toAsyncIterable, fromAsyncIterable, type Producer } from "./ops/iterables.js";
export type { ConnStreamOptions } from "./net/conn.js";
export { Event } from "./sync/event.js";
export { Semaphore } from "./sync/semaphore.js";
export { Lock } from "./sync/lock.js";
export { Pool } from "./sync/pool.js";
export { TaskletError, TimeoutError, CancelledError, ChannelClosedError, QueueShutDownError, DeadlockError, type StuckTask } from "./runtime/errors.js";
export { defaultBackend } from "./core/backend.js";
export type {
  Operation,
  OperationResult,
  Instruction,
  Body,
  BackendName,
  ClockKind,
  RunOptions,
  SpawnOptions,
  TaskStateName,
} from "./runtime/types.js";

// Async context, task-locals and AbortSignals
/**
 * A value per task, inherited by the children a task spawns (see also
 * `run(body, { asyncContext: true })` for `AsyncLocalStorage`).
 *
 * @example
 * import { run, spawn, TaskLocal } from "tasklet";
 * const user = new TaskLocal<string>("anonymous");
 * await run(function* () {
 *   user.set("ada");
 *   yield* spawn(function* () { console.log(user.get()); }); // "ada"
 * });
 */
export { TaskLocal } from "./runtime/task-local.js";
/**
 * Cancel a tasklet operation when a foreign `AbortSignal` aborts; throws the signal's reason.
 *
 * @example
 * import { run, abortable, sleep } from "tasklet";
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 10);
 * await run(function* () {
 *   try { yield* abortable(controller.signal, sleep(60_000)); } catch (e) { console.log((e as Error).name); } // "AbortError"
 * });
 */
export { abortable } from "./ops/abortable.js";
/**
 * What `call` takes: a Promise, or a function returning one, called with an `AbortSignal` when it declares a parameter.
 *
 * @example
 * import type { CallTarget } from "tasklet";
 * const target: CallTarget<Response> = (signal) => fetch("http://127.0.0.1:3000/", { signal });
 */
export type { CallTarget } from "./ops/call.js";

// Green sockets
export { listen, Listener, type ListenOptions } from "./net/listener.js";
export { connect, type ConnectOptions } from "./net/connect.js";
/**
 * A connected socket with blocking-looking reads and writes; and two of its
 * limits: `READ_HIGH_WATER`, the bytes buffered with no task reading before
 * the socket stops reading, and `CLOSE_LINGER_MS`, how long `close()` lets
 * queued bytes drain.
 *
 * @example
 * const conn = yield* connect({ port: 7000 });
 * yield* conn.write("ping\n");
 * const line = yield* conn.readUntil("\n", READ_HIGH_WATER);
 */
export { Conn, READ_HIGH_WATER, CLOSE_LINGER_MS } from "./net/conn.js";
export {
  serveTcp,
  startTcpServer,
  TcpServer,
  type ConnHandler,
  type ServeTcpOptions,
  type StartTcpServerOptions,
  type CloseOptions,
} from "./net/serve-tcp.js";
/**
 * Socket errors: `NetError` with a `code` from the `NetErrorCode` table and a
 * message naming the address and the operation.
 *
 * @example
 * try {
 *   yield* connect({ port: 1 });
 * } catch (e) {
 *   if (e instanceof NetError && e.code === NetErrorCode.ECONNREFUSED) console.log("nobody listens");
 * }
 */
export { NetError, NetErrorCode, type NetErrorCodeName } from "./net/errors.js";
/**
 * TLS: the `tls` option of `serve`, `serveTcp` and `listen` (node:tls's
 * server options, `sni`, `onClientError`), the `tls` option of `connect`
 * (node:tls's client options, or `true`), and `TlsError`, the NetError of
 * a failed handshake.
 *
 * @example
 * const server = yield* serveTcp({ port: 0, tls: { key, cert } }, function* (conn) {
 *   yield* conn.write(`you speak ${conn.tls?.getProtocol()}\n`);
 * });
 * const conn = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert } });
 */
export { TlsError } from "./net/errors.js";
export type { TlsServerOptions, TlsClientOptions } from "./net/tls.js";

// HTTP parser
/**
 * The HTTP/1.1 request parser (Wasm core with SIMD, or the pure-TS twin):
 * `createParser(kind, limits)` makes one shared parser, `parser.createConnection()`
 * the small state of one socket, `parser.execute(conn, bytes, sink)` reports
 * heads (lazy views), body bytes, message ends and errors.
 *
 * @example
 * import { createParser } from "tasklet";
 * const parser = createParser("wasm");
 * const conn = parser.createConnection();
 * parser.execute(conn, bytes, {
 *   onHead: (head) => console.log(head.method, head.target, head.headers.get("host")),
 *   onBody: (chunk) => {},
 *   onEnd: () => {},
 *   onError: (err) => console.log(err.status, err.message),
 * });
 */
export { createParser, HttpParser, ParserConnection, RequestHead, HeaderList, DEFAULT_LIMITS, type ParserKind, type ParserLimits, type ParserSink, type BodyFraming, type ParsedRequest } from "./http/parser/parser.js";
/**
 * Parse one complete request; throws {@link HttpParseError} when it is malformed.
 *
 * @example
 * import { parseRequest } from "tasklet";
 * const { head, body } = parseRequest(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
 * head.method; // "GET"
 */
export { parseRequest } from "./http/parser/parser.js";
/**
 * A rejected request: `code` (see `ParseError`), `status` (400, 413, 414, 431, 501, 505), `offset`.
 *
 * @example
 * import { parseRequest, HttpParseError } from "tasklet";
 * try { parseRequest(bytes); } catch (e) { if (e instanceof HttpParseError) console.log(e.status, e.codeName); }
 */
export { HttpParseError } from "./http/parser/parse-error.js";
/**
 * The parser's numbers: error codes, head flags, method ids, and the status for each error.
 *
 * @example
 * import { ParseError, ERROR_STATUS } from "tasklet";
 * ERROR_STATUS[ParseError.TOO_MANY_HEADERS]; // 431
 */
export { ParseError, HeadFlag, Method, METHODS } from "./http/parser/constants.js";
export { ERROR_STATUS } from "./http/parser/parse-error.js";

// HTTP server
export { serve, Server, type ServeOptions, type ServerCloseOptions } from "./http/server.js";
export type { Handler } from "./http/server-config.js";
export { HttpRequest, type RequestHeaders } from "./http/request.js";
export { HttpResponse, type ResponseBody, type HttpResponseInit } from "./http/response.js";
export { HttpError } from "./http/http-error.js";

// Diagnostics: diagnostics_channel events, task dumps
export { dumpTasks, printTasks, type TaskDump } from "./runtime/dump.js";
export type { TaskSpawnMessage, TaskEndMessage, TaskOutcome } from "./runtime/diagnostics.js";
export type { HttpRequestStartMessage, HttpRequestEndMessage, HttpErrorMessage, HttpErrorPhase } from "./http/diagnostics.js";

// Package hygiene: types the public API names in its signatures
/** What {@link Conn.write} takes: bytes, a string (sent as UTF-8), or a list of them. */
export type { WriteData } from "./net/conn-write.js";
/** One of the {@link ParseError} codes: the type of {@link HttpParseError.code}. */
export type { ParseErrorCode } from "./http/parser/constants.js";

// Static files and compression
export { serveFiles, type ServeFilesOptions } from "./http/files.js";
export { compress, type CompressOptions, type CompressEncoding } from "./http/compress.js";

// fetch-style handlers
/**
 * A Web-standard handler for {@link serve}: `(request: Request) => Response |
 * Promise<Response>`. Any function that is not a generator function is one.
 *
 * @example
 * const handler: FetchHandler = async (request) => Response.json({ path: new URL(request.url).pathname });
 * const server = serve({ port: 0 }, handler);
 * await server.ready;
 */
export type { FetchHandler, FetchApp } from "./http/fetch.js";

// WebSocket (RFC 6455), server side
export { upgrade } from "./ws/upgrade.js";
export { WsConn, type WsMessage, type WsData } from "./ws/ws-conn.js";
export type { UpgradeOptions, PerMessageDeflateOptions, HeartbeatOptions } from "./ws/ws-options.js";
export { WsHandshakeError, WsClosedError } from "./ws/errors.js";
export { CloseCode } from "./ws/frames.js";

// Work off the loop: worker threads, the loop-stall detector
export { offload, WorkerPool, OffloadError, type WorkerPoolOptions, type OffloadOptions } from "./offload/worker-pool.js";
export { detectStalls, StallDetector, type StallOptions, type TaskStallMessage, type LoopDelay } from "./runtime/stall.js";

// Overload: SEDA stages (admission control of serve() is in its options)
export { stage, Stage, OverloadedError, StageClosedError, type StageOptions, type StageStats } from "./sync/stage.js";
export type { ServerStats } from "./http/admission.js";

// Multi-core serving: `workers` of serve/serveTcp, on node:cluster's model
export { workerId, WorkerStartError, type WorkerExitInfo, type WorkerInfo } from "./net/workers.js";

// HTTP parser, response mode (for clients)
/**
 * The HTTP/1.1 parser in response mode, on the same cores as
 * {@link createParser}: `createResponseParser(kind, limits)` makes one shared
 * parser, `parser.createConnection()` the state of one client socket,
 * `conn.expect(method)` says which request was sent (responses are matched
 * in order), `parser.execute(conn, bytes, sink)` reports heads, body bytes
 * (views of `bytes`), ends and errors, and `parser.finish(conn, sink)` ends
 * a body that runs until the server closes.
 *
 * @example
 * import { createResponseParser } from "tasklet";
 * const parser = createResponseParser("wasm");
 * const conn = parser.createConnection();
 * conn.expect("GET");
 * const sink = {
 *   onHead: (head: ResponseHead) => console.log(head.status, head.reason, head.framing, head.headers.get("content-type")),
 *   onBody: (chunk: Uint8Array) => console.log(chunk.length, "bytes"),
 *   onEnd: () => console.log("complete; still waiting for", conn.pending),
 *   onError: (err: HttpParseError) => console.log(err.codeName, err.message),
 * };
 * parser.execute(conn, new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello"), sink);
 * parser.finish(conn, sink); // the server closed: the body ("close" framing) is complete
 */
export { createResponseParser, ResponseParser, ResponseConnection, ResponseHead, DEFAULT_RESPONSE_LIMITS, type ResponseLimits, type ResponseSink, type ResponseFraming } from "./http/parser/parser.js";

// HTTP client: request and httpFetch over green sockets, keep-alive pools
export { HttpClient, request, defaultClient, type RequestOptions, type HttpClientOptions } from "./client/client.js";
export { httpFetch, type HttpFetchInit } from "./client/fetch.js";
export { ClientResponse } from "./client/response.js";
export { ClientHeaders } from "./client/headers.js";
export { HttpClientError, HttpClientErrorCode, type HttpClientErrorCodeName } from "./client/errors.js";
/** A request body: a string, bytes, or chunks from an iterable, a Stream, an AsyncIterable or a Node Readable. */
export type { RequestBody } from "./client/request-body.js";
/** Header fields given to a request: an object, `[name, value]` pairs, or a Headers. */
export type { HeadersInit as RequestHeadersInit } from "./client/request-head.js";
