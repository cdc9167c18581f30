/**
 * The per-connection task of the HTTP server: read, parse, run the handler,
 * keep the connection alive between requests and pipelined requests in
 * order, enforce the timeouts, and answer what the handler does not (parse
 * errors, timeouts, handler failures). Its output half is output.ts.
 */
import { TimeoutError } from "../runtime/errors.js";
import { withDeadline } from "../runtime/op.js";
import type { Conn, ConnWatcher } from "../net/conn.js";
import { peekCurrent } from "../runtime/current.js";
import type { Task } from "../runtime/task.js";
import { NetError } from "../net/errors.js";
import type { Instruction, Operation } from "../runtime/types.js";
import type { ConnList, ConnListNode } from "./conn-list.js";
import { RequestTrace, httpErrorChannel, publishHttpError, tracingRequests } from "./diagnostics.js";
import { HttpError } from "./http-error.js";
import { detachBodyStreams } from "./body-streams.js";
import { OutputBuffer } from "./output.js";
import type { HttpParseError } from "./parser/parse-error.js";
import { HeadFlag, Method } from "./parser/constants.js";
import type { Admission } from "./admission.js";
import type { HeaderList, ParserSink, RequestHead } from "./parser/parser.js";
import { type BodyReader, NO_CHUNKS, HttpRequest } from "./request.js";
import { HttpResponse, type ResponseConnection, type HttpResponseInit } from "./response.js";
import { CONTINUE_HEAD, TIMEOUT_ANSWER, queueClosingAnswer } from "./response-head.js";
import type { HttpServerConfig } from "./server-config.js";
import type { Handover, UpgradeSession } from "./upgrade-session.js";

/** Most bytes parsed in one go from what the socket has buffered. */
const PARSE_MAX = 64 * 1024;

/** Why the connection task stops waiting for the next request. */
const enum Wait {
  /** Some bytes of a request arrived. */
  Data,
  /** The client closed its side, or the socket closed. */
  Eof,
}

/**
 * One HTTP connection: read, parse (the server's parser, shared by every
 * connection; this object is also the connection's parser state and its
 * output buffer, see OutputBuffer: one object per connection), run the
 * handler as plain sequential code, write. Requests are handled one at a
 * time in arrival order, so pipelined responses leave in request order; the
 * responses to requests that are already parsed are gathered and written
 * together.
 *
 * A task serves the connection only while there is work: from the first
 * byte of a request until every response is written and nothing more has
 * arrived. Between requests the task ends and the connection waits in one
 * of the server's idle lists with no task, no generator frame and no read
 * buffer (`Conn._watch` tells it when bytes arrive); so 10,000 idle
 * keep-alive connections cost little more than their sockets.
 */
export class HttpConnection extends OutputBuffer implements ParserSink, ConnWatcher, ConnListNode, BodyReader, ResponseConnection {
  private readonly cfg: HttpServerConfig<HttpConnection>;
  _lprev: ConnListNode | null = null;
  _lnext: ConnListNode | null = null;
  _list: ConnList | null = null;
  _deadline = 0;
  /** Requests parsed and not yet handled, oldest first, linked through `HttpRequest._next` (no array to keep while idle). */
  private pendingHead: HttpRequest | null = null;
  private pendingTail: HttpRequest | null = null;
  /** The request whose body the parser is reading. */
  private receiving: HttpRequest | null = null;
  /** The connection closes after the current response. */
  mustClose = false;
  /** The server is shutting down: finish the current request with `Connection: close`. */
  draining = false;
  /** Requests answered so far. */
  served = 0;
  /** Clock time when the first byte of the current request arrived (for headersTimeout, requestTimeout). */
  private requestStart = -1;
  /** @internal Socket reads parsed so far (lets tests check that a body really arrived in pieces). */
  _reads = 0;
  /** The response to the upgrade request being handled (set only for one), until the handler ends. */
  private upgradeRes: HttpResponse | null = null;
  /** Bytes that arrived after an upgrade request's head, in the read that ended it. */
  private upgradeRest: Uint8Array | null = null;
  /** The task that runs the upgrade request's handler (this connection's task). */
  private upgradeTask: Task | null = null;
  /** The protocol that took the connection over (after `101 Switching Protocols`). */
  session: UpgradeSession | null = null;
  /** The request being handled holds a slot of the server's admission control. */
  private holdsSlot = false;
  /** @internal Clock time when the connection's task was started, or its last request was handled (admission control's maxQueueDelay). */
  _startedAt = 0;

  constructor(conn: Conn, cfg: HttpServerConfig<HttpConnection>) {
    super(conn);
    this.cfg = cfg;
  }

  /** The label of the connection's task (its name is made from it only when read: nothing per connection). */
  override toString(): string {
    return `http ${this.conn.address}`;
  }

  /** @internal Largest body a buffered read may gather (the server's `maxBodySize`). */
  get maxBodySize(): number {
    return this.cfg.maxBodySize;
  }

  // ------------------------------------------------------------ parser sink

  onHead(head: RequestHead): void {
    // The head is a view into the parser's buffer, which the next execute()
    // overwrites: keep its bytes (strings stay lazy), so an HttpRequest stays
    // valid for as long as anyone holds it, as with node:http. The chunk
    // being parsed came from conn.read() and is ours alone, so a head inside
    // it is kept by pointing there, with no copy.
    const req = new HttpRequest(this.cfg.parser.retainInChunk(head), this);
    if (this.pendingTail === null) this.pendingHead = req;
    else this.pendingTail._next = req;
    this.pendingTail = req;
    this.pendingCount++;
    this.receiving = req;
  }

  onBody(chunk: Uint8Array): void {
    // A view of the chunk this connection passed to execute(), which came
    // from conn.read() and is never reused: the request may keep it.
    const req = this.receiving!;
    if (req._lastRead !== this._reads) {
      req._lastRead = this._reads;
      req._bodyReads++;
    }
    if (req._chunks === NO_CHUNKS) req._chunks = [chunk];
    else req._chunks.push(chunk);
  }

  onEnd(trailers: HeaderList | null): void {
    const req = this.receiving!;
    req._ended = true;
    if (trailers !== null) req._trailers = [...trailers.entries()];
    this.receiving = null;
    this.requestStart = -1;
  }

  onError(_error: HttpParseError): void {
    // Nothing to do: the parser has set `this.error` (this is its
    // ParserConnection). Every request before it is answered, then it is,
    // then the connection closes.
  }

  // ------------------------------------------------------------ the task

  /** @internal Bytes, the end of stream or an error arrived while idle (from the socket's callback). */
  _connReadable(): void {
    this.cfg.owner._connWake(this);
  }

  /**
   * The body of the connection's task: serve requests until the connection
   * is idle (then hand it back to the server and end), the client leaves, an
   * error closes the connection, or the server drains.
   */
  *serve(): Generator<Instruction, void, any> {
    let keep = false;
    try {
      for (;;) {
        if (this.pendingCount === 0) {
          if (this.error !== null) return yield* this.answerParseError(this.error);
          if (this.outBytes !== 0) yield* this.flush(); // (a generator object saved when there is nothing to write)
          if (this.mustClose) return;
          // Shutting down: serve what was already received, then close.
          if (this.draining && this.conn.bufferedLength === 0) return;
          // Bytes already here (the ones that woke this task): parse them, no wait.
          const have = this.conn.bufferedLength;
          if (have > 0) {
            this.received(this.conn.takeBuffered(have < PARSE_MAX ? have : PARSE_MAX));
            continue;
          }
          // Between requests with nothing buffered: idle without a task.
          if (this.idle && this.receiving === null && this.cfg.owner._connIdle(this)) {
            keep = true;
            return;
          }
          let chunk: Uint8Array | null;
          try {
            chunk = yield* this.readOp(true);
          } catch (e) {
            return yield* this.readFailed(e);
          }
          if (chunk === null) return;
          this.received(chunk);
          continue;
        }
        // The oldest parsed request. Handled in this frame, not a generator
        // of its own: one object fewer per request, and one level fewer for
        // every step of the handler to pass through.
        const req = this.pendingHead!;
        this.pendingHead = req._next;
        if (this.pendingHead === null) this.pendingTail = null;
        req._next = null;
        this.pendingCount--;
        const gate = this.cfg.admission;
        if (gate !== null && !(this.error !== null && this.receiving === req)) {
          // Admission control: run now, wait in the server's queue, or answer 503 at once.
          const late = gate.maxDelay !== Infinity && this.cfg.now() - this._startedAt > gate.maxDelay;
          if (late || !gate.tryEnter()) {
            if (late || !gate.canQueue()) {
              if (!(yield* this.shed(req, gate))) return yield* this.flushQuietly();
              continue;
            }
            yield* gate.enter();
          }
          this.holdsSlot = true;
        }
        const res = this.respondTo(req);
        if (res === null) return yield* this.flushQuietly(); // answered without the handler; closing
        const trace: RequestTrace | null = tracingRequests() ? new RequestTrace(req, res, this.conn.address, this.bytesQueued()) : null;
        let failed = false;
        try {
          const ret = (yield* this.cfg.handler(req, res)) as HttpResponseInit | void | undefined;
          if (this.session !== null) {
            // Upgraded: the handler's end is the protocol's (its trace spans the whole session).
            if (trace !== null) trace.end(this.bytesQueued());
            return yield* this.session.finish(false, undefined);
          }
          if (!res._finished) {
            if (ret !== undefined && ret !== null && typeof ret === "object") {
              const rest = res.sendInit(ret); // a streamed body: the operation that sends it
              if (rest !== null) yield* rest;
            } else res.finish();
          }
        } catch (e) {
          failed = true;
          const session = this.session;
          if (session !== null) {
            if (session.reportable(e)) this.reportHandlerError(e, req);
            if (trace !== null) trace.end(this.bytesQueued());
            return yield* session.finish(true, e);
          }
          if (!this.handlerFailed(e, req, res)) {
            if (trace !== null) trace.end(this.bytesQueued());
            return yield* this.flushQuietly();
          }
        }
        if (trace !== null) trace.end(this.bytesQueued());
        if (this.holdsSlot) this.leaveSlot();
        // A request pipelined behind this one waited for its own connection, not for the server: its delay counts from here.
        if (gate !== null && gate.maxDelay !== Infinity) this._startedAt = this.cfg.now();
        // The next request starts after this one's body: read and drop what the handler left.
        if (!req._ended && !(yield* this.discardBody(req))) return yield* this.flushQuietly();
        if (this.mustClose || (failed && !res._finished)) return yield* this.flushQuietly();
      }
    } catch (e) {
      // Handler errors were answered above; what gets here is a bug
      // of ours, reported without taking the server down.
      if (!(e instanceof NetError)) {
        if (httpErrorChannel.hasSubscribers) publishHttpError(e, null, "connection", this.conn.address);
        console.error(`tasklet http: the connection from ${this.conn.address} failed:`, e);
      }
    } finally {
      // Cancelled while upgraded: the protocol says goodbye before the socket closes.
      if (this.session !== null) this.session.abandon();
      if (this.holdsSlot) this.leaveSlot();
      this.upgradeRes = null;
      this.upgradeTask = null;
      this.dropSpare();
      if (!keep) this.cfg.owner._connDone(this);
    }
  }

  /**
   * The response for `req`, or null when it was answered without running
   * the handler (a malformed body, an unsupported Expect or Upgrade): the
   * answer is queued and the connection closes after it.
   */
  private respondTo(req: HttpRequest): HttpResponse | null {
    if (this.error !== null && this.receiving === req) {
      // Its body is already known to be malformed: answer the error, do not run the handler.
      this.queueParseError(this.error, req);
      return null;
    }
    this.served++;
    if (this.served >= this.cfg.maxRequestsPerConnection) this.mustClose = true;
    const res = new HttpResponse(req, this);
    if (req._head.expectOther) {
      res.sendError(417, "only Expect: 100-continue is supported");
      return null;
    }
    if (req._head.upgrade) {
      const head = req._head;
      if ((head.flags & HeadFlag.CONNECT) !== 0 || head.methodId === Method.PRI) {
        res.sendError(501, "CONNECT and HTTP/2 prior knowledge are not supported by this server");
        return null;
      }
      // An upgrade the handler may accept (src/ws `upgrade`). The parser reads
      // no HTTP after it, so a handler that answers normally closes the connection.
      this.mustClose = true;
      this.upgradeRes = res;
      this.upgradeTask = peekCurrent();
    }
    return res;
  }

  /**
   * @internal Switch protocols: `req` is the upgrade request whose handler
   * runs now. Writes `head` (a complete `101 Switching Protocols` head,
   * after any response still gathered for an earlier pipelined request),
   * then hands the socket, with the bytes read past the request, to
   * `start`, which makes the protocol's session. From here the HTTP
   * timeouts no longer apply; the handler's task goes on as the protocol's,
   * and the session is told when it ends.
   */
  *_upgrade<S extends UpgradeSession>(req: HttpRequest, head: string, start: (h: Handover) => S): Generator<Instruction, S, any> {
    if (this.session !== null) throw new Error("upgrade(req): this request was upgraded already");
    const res = this.upgradeRes;
    if (res === null || res._req !== req) throw new Error("upgrade(req): req must be the upgrade request whose handler is running now");
    if (res._headSent) throw new Error("upgrade(req): a response to this request has been sent already");
    // The response object is spent: what the handler sent through it now would corrupt the new protocol.
    res.status = 101; // what diagnostics report for this request
    res._headSent = true;
    res._finished = true;
    this.queueLatin1(head);
    yield* this.flush();
    const rest = this.upgradeRest;
    this.upgradeRest = null;
    // Called from the connection's own task, the session is ended by this connection (see serve); from another task, it is that task's to own.
    const byConnection = peekCurrent() === this.upgradeTask;
    const session = start({ conn: this.conn, rest, draining: this.draining, kind: this.cfg.parser.kind, byConnection });
    this.session = session;
    // A protocol session is not a request: it does not keep an admission slot for its lifetime.
    if (this.holdsSlot) this.leaveSlot();
    this.upgradeRes = null; // spent: not kept for the WebSocket's lifetime
    this.upgradeTask = null;
    return session;
  }

  private leaveSlot(): void {
    this.holdsSlot = false;
    this.cfg.admission!.leave();
  }

  /**
   * Answer `req` with 503 and Retry-After without running its handler.
   * A body already received, or one whose Content-Length is at most
   * `maxShedBody`, is read and dropped so the connection stays usable; a
   * larger one, a chunked one not yet received whole, or one the client
   * holds back for `100 Continue`, closes the connection after the answer.
   * Returns whether the connection goes on.
   */
  private *shed(req: HttpRequest, gate: Admission): Generator<Instruction, boolean, any> {
    gate.shed++;
    this.served++;
    if (httpErrorChannel.hasSubscribers) publishHttpError(gate.error(), req, "overload", this.conn.address);
    const head = req._head;
    const bodyLeft = !req._ended;
    if (bodyLeft && (head.expectContinue || (head.flags & HeadFlag.CHUNKED) !== 0 || head.contentLength > gate.maxShedBody)) this.mustClose = true;
    if (this.mustClose || !this.keepAliveFor(req)) {
      this.mustClose = true;
      this.queueLatin1(gate.closing);
      return false;
    }
    this.queueLatin1(head.versionCode === 11 ? gate.kept11 : gate.kept10);
    if (bodyLeft) {
      // The answer goes out first: the client may be waiting for it before it sends the rest.
      yield* this.flushQuietly();
      if (!(yield* this.discardBody(req))) return false;
    }
    return true;
  }

  /** Whether the connection may stay open after responding to `req`. */
  keepAliveFor(req: HttpRequest): boolean {
    // A parse error closes the connection after *its* answer, not after the
    // answers to the good requests parsed before it: those stay keep-alive, so
    // the serve loop goes on to answer the error.
    if (!req._head.keepAlive || (this.error !== null && this.receiving === req) || this.served >= this.cfg.maxRequestsPerConnection) return false;
    // While the server drains, only requests already received keep the connection open.
    return !this.draining || this.pendingCount > 0 || this.conn.bufferedLength > 0;
  }

  /** Wait for more of `req`'s body; throws on a parse error, a timeout or a client that left. */
  *receiveBody(req: HttpRequest): Generator<Instruction, void, any> {
    if (!req._reading) {
      req._reading = true;
      if (req._head.expectContinue && !req._ended && req._chunks.length === 0) {
        this.queueLatin1(CONTINUE_HEAD);
        yield* this.flush();
      }
    }
    if (this.error !== null && this.receiving === req) {
      throw new HttpError(this.error.status, this.error.message);
    }
    const got = yield* this.fill(false);
    if (got === Wait.Eof && !req._ended) throw new HttpError(400, "the client closed the connection before sending the whole body");
    if (this.error !== null && this.receiving === req) {
      throw new HttpError(this.error.status, this.error.message);
    }
  }

  /**
   * Read one chunk from the socket and parse it. `betweenRequests` picks the
   * deadline: keepAliveTimeout while no byte of the next request has
   * arrived (then the connection just closes), headersTimeout/requestTimeout
   * once one has (then the client gets a 408).
   */
  private *fill(betweenRequests: boolean): Generator<Instruction, Wait, any> {
    let chunk: Uint8Array | null;
    try {
      chunk = yield* this.readOp(betweenRequests);
    } catch (e) {
      yield* this.readFailed(e);
      return Wait.Eof;
    }
    if (chunk === null) return Wait.Eof;
    this.received(chunk);
    return Wait.Data;
  }

  /**
   * The next socket read, with its deadline: keepAliveTimeout while no byte
   * of the next request has arrived (then the connection just closes),
   * headersTimeout/requestTimeout once one has (then the client gets a 408).
   * A plain operation, not a generator: no extra frame while it waits.
   */
  private readOp(betweenRequests: boolean): Operation<Uint8Array | null> {
    const cfg = this.cfg;
    const now = cfg.now();
    let deadline: number;
    let onTimeout: () => unknown;
    if (betweenRequests && this.idle) {
      deadline = now + (this.served === 0 ? cfg.headersTimeout : cfg.keepAliveTimeout);
      onTimeout = idleTimeout;
    } else {
      if (this.requestStart < 0) this.requestStart = Math.floor(now);
      const headDone = this.receiving !== null;
      deadline = this.requestStart + (headDone ? cfg.requestTimeout : Math.min(cfg.headersTimeout, cfg.requestTimeout));
      onTimeout = requestTimeout;
    }
    if (cfg.idleTimeout > 0) deadline = Math.min(deadline, now + cfg.idleTimeout);
    const read = this.conn.read();
    return deadline === Infinity ? read : withDeadline(read, Math.ceil(deadline), onTimeout);
  }

  /**
   * Bytes arrived: parse them. A request that arrives whole in one read
   * never needs its start time, so the clock is read only when one is left
   * incomplete (slightly late by the parse, which only errs in the client's
   * favour).
   */
  private received(chunk: Uint8Array): void {
    this._reads++;
    const used = this.cfg.parser.execute(this, chunk, this);
    // After an upgrade request the rest of the read belongs to the next protocol (the chunk is ours alone: no copy).
    if (this.upgraded && used < chunk.length) this.upgradeRest = chunk.subarray(used);
    if (this.idle && this.receiving === null) this.requestStart = -1;
    else if (this.requestStart < 0) this.requestStart = Math.floor(this.cfg.now());
  }

  /** A read failed: answer a timeout with 408; anything else but a network error is a bug. */
  private *readFailed(e: unknown): Generator<Instruction, void, any> {
    if (e === IDLE_TIMEOUT) return; // idle keep-alive connection: close without a word
    if (e === REQUEST_TIMEOUT) {
      if (httpErrorChannel.hasSubscribers) publishHttpError(e, this.receiving, "timeout", this.conn.address);
      return yield* this.answerTimeout();
    }
    if (e instanceof NetError) return; // reset, closed by shutdown: nothing to answer
    throw e;
  }

  /** Read and drop the rest of a body the handler did not read. False if the connection must close. */
  private *discardBody(req: HttpRequest): Generator<Instruction, boolean, any> {
    if (req._head.expectContinue && !req._reading) {
      // The client waits for our go-ahead before sending the body; it was not given.
      this.mustClose = true;
      return false;
    }
    req._reading = true;
    // A body stream may have a read in flight: stop it before reading on.
    const stop = detachBodyStreams(req);
    if (stop !== null) yield* stop;
    while (!req._ended) {
      req._chunks = NO_CHUNKS;
      if (this.error !== null && this.receiving === req) return false;
      const got = yield* this.fill(false);
      if (got === Wait.Eof) return false;
    }
    req._chunks = NO_CHUNKS;
    return true;
  }

  /** A handler threw. Returns whether the connection can go on. */
  private handlerFailed(e: unknown, req: HttpRequest, res: HttpResponse): boolean {
    if (res._headSent) {
      // Part of the response is out: the client cannot tell it from a whole one.
      if (!(e instanceof NetError)) this.reportHandlerError(e, req);
      this.mustClose = true;
      return false;
    }
    if (e instanceof HttpError) {
      if (e.headers !== undefined) for (const name of Object.keys(e.headers)) res.setHeader(name, e.headers[name]!);
      if (e.status === 413 || e.status >= 500 || (this.error !== null && this.receiving === req)) this.mustClose = true;
      res._answerInstead(e.status, `${e.message}\n`, true);
      return !this.mustClose;
    }
    if (e instanceof NetError) return false; // the client went away
    this.reportHandlerError(e, req);
    res._answerInstead(500, INTERNAL_ERROR_TEXT, false);
    return true;
  }

  private reportHandlerError(e: unknown, req: HttpRequest): void {
    if (httpErrorChannel.hasSubscribers) publishHttpError(e, req, "handler", this.conn.address);
    this.cfg.onError(e, req);
  }

  private *answerParseError(err: HttpParseError): Generator<Instruction, void, any> {
    this.queueParseError(err);
    yield* this.flushQuietly();
  }

  private queueParseError(err: HttpParseError, req: HttpRequest | null = null): void {
    if (httpErrorChannel.hasSubscribers) publishHttpError(err, req, "parse", this.conn.address);
    this.mustClose = true;
    queueClosingAnswer(this, err.status, err.message);
  }

  private *answerTimeout(): Generator<Instruction, void, any> {
    this.mustClose = true;
    this.queueLatin1(TIMEOUT_ANSWER);
    yield* this.flushQuietly();
  }

  /** Flush before closing; a client that is gone is not an error. */
  private *flushQuietly(): Generator<Instruction, void, any> {
    if (this.outBytes === 0) return;
    try {
      yield* this.flush();
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
    }
  }
}

/** The body of the 500 that answers a handler's failure (the error itself goes to `onError`, not to the client). */
const INTERNAL_ERROR_TEXT = "Internal Server Error\n";

const IDLE_TIMEOUT = new TimeoutError("keep-alive connection idle for too long", 0);
const REQUEST_TIMEOUT = new TimeoutError("request not received in time", 0);
const idleTimeout = (): unknown => IDLE_TIMEOUT;
const requestTimeout = (): unknown => REQUEST_TIMEOUT;

