/**
 * ClientConnection: one socket of the client's pool, the parser state of
 * its responses, and the exchanges in flight on it, oldest first. The
 * parser's sink is the connection itself: it routes each event to the
 * oldest exchange not yet complete, so pipelined responses that arrive in
 * one read land in their own queues. Whoever needs bytes reads (a task, or
 * plain code pulling a fetch body), one at a time; the others wait in
 * `turn` and look at their queues again. A response whose end was parsed
 * gives its connection back to the pool at once, before its user has read
 * the queued chunks, so the socket is never held by a slow reader.
 */
import { HttpParseError } from "../http/parser/parse-error.js";
import type { HeaderList, ResponseConnection, ResponseHead, ResponseParser, ResponseSink } from "../http/parser/parser.js";
import type { Conn } from "../net/conn.js";
import { NetError } from "../net/errors.js";
import { currentTask } from "../runtime/current.js";
import { TimeoutError } from "../runtime/errors.js";
import { WaitList } from "../runtime/suspend.js";
import type { Instruction } from "../runtime/types.js";
import { Waiter, deliver } from "../runtime/waiter.js";
import { HttpClientError } from "./errors.js";
import type { Exchange, ExchangeHost } from "./exchange.js";
import { ClientHeaders } from "./headers.js";

/** What a connection tells its pool. */
export interface ConnHome {
  /** A response ended and the connection may carry another (its load dropped). */
  released(cc: ClientConnection): void;
  /** The connection is closed: forget it. */
  removed(cc: ClientConnection): void;
}

/** A plain-code reader waiting for its turn. */
class TurnWaiter extends Waiter {
  constructor(private readonly resolve: () => void) {
    super();
  }
  fire(): void {
    this.resolve();
  }
}

export class ClientConnection implements ResponseSink, ExchangeHost {
  /** Exchanges in flight, oldest first: the first gets the parser's events. */
  readonly exchanges: Exchange[] = [];
  /** Exchanges assigned (in flight, or handed to a task about to write one). */
  load = 0;
  /** Responses completed on this connection. */
  served = 0;
  /** Someone is reading the socket now. */
  private busy = false;
  /** Readers waiting for the one reading now. */
  private readonly turn: WaitList;
  /** The last response said the connection closes (or a protocol error): close after this read. */
  private closing = false;
  closed = false;
  /** When it last went idle (performance.now()). */
  idleSince = 0;
  /** A streamed request body is being written: no request may be pipelined behind it. */
  writing = false;
  /** The inactivity limit of the current exchange's reads, for the TimeoutError's message. */
  timeout = 0;

  constructor(
    readonly conn: Conn,
    private readonly parser: ResponseParser,
    private readonly pconn: ResponseConnection,
    private readonly home: ConnHome,
    readonly origin: string,
  ) {
    this.turn = new WaitList(() => `turn to read a response from ${origin}`);
    this.turn.external = true;
  }

  /** Start `ex`: its response is the next one after those in flight. */
  begin(ex: Exchange, timeout: number): void {
    this.exchanges.push(ex);
    this.pconn.expect(ex.method);
    this.timeout = timeout;
    this.conn.readTimeout = timeout;
  }

  // ------------------------------------------------------------ the sink

  onHead(head: ResponseHead): void {
    const ex = this.exchanges[0];
    if (ex === undefined) return this.protocol("a response arrived for no request");
    if (head.informational) return; // 100 Continue, 103 Early Hints: the final head follows
    if (head.status === 101) return this.protocol("the server switched protocols (101), which this client does not ask for");
    ex.head = head.retain();
    ex.received = true;
  }

  onBody(chunk: Uint8Array): void {
    const ex = this.exchanges[0];
    if (ex !== undefined) ex.chunks.push(chunk);
  }

  onEnd(trailers: HeaderList | null): void {
    const ex = this.exchanges.shift();
    if (ex === undefined) return;
    ex.trailers = trailers !== null && trailers.length > 0 ? new ClientHeaders(trailers, true) : null;
    ex.ended = true;
    ex.received = true;
    this.served++;
    this.load--;
    if (this.closing || ex.head === null || !ex.head.keepAlive) this.closing = true;
    else if (!this.closed) this.home.released(this);
  }

  onError(err: HttpParseError): void {
    this.closing = true;
    this.failAll(err);
  }

  private protocol(what: string): void {
    this.closing = true;
    const ex = this.exchanges[0];
    this.failAll(new HttpClientError("PROTOCOL", ex?.url ?? this.origin, what));
  }

  /** End every exchange in flight with `e`. */
  private failAll(e: unknown): void {
    for (const ex of this.exchanges.splice(0)) {
      if (ex.error === null) ex.error = e;
      ex.received = ex.received || ex.head !== null;
    }
  }

  // ------------------------------------------------------------ reading

  /** Parse a read's bytes, or the end of stream (null). */
  private feed(chunk: Uint8Array | null): void {
    if (chunk === null) {
      this.parser.finish(this.pconn, this);
      this.closing = true;
      const ex = this.exchanges[0];
      if (ex !== undefined) {
        this.failAll(new HttpClientError("NO_RESPONSE", ex.url, ex.head === null ? "the server closed the connection before answering" : "the server closed the connection in the middle of the response"));
      }
    } else {
      this.parser.execute(this.pconn, chunk, this);
    }
    if (this.closing) this.close(null);
  }

  /** A read failed: translate the error and end every exchange with it. */
  private readFailed(e: unknown): void {
    const ex = this.exchanges[0];
    let err = e;
    if (e instanceof NetError && e.code === "ETIMEDOUT") {
      err = new TimeoutError(`request to ${ex?.url ?? this.origin}: no response bytes for ${this.timeout} ms`, this.timeout);
    }
    this.failAll(err);
    this.close(null);
  }

  private wakeTurn(): void {
    const list = this.turn;
    for (let n = list.shift(); n !== null; n = list.shift()) deliver(n, undefined);
  }

  /** Has `ex` something to take (a chunk, its end, an error)? */
  private static ready(ex: Exchange): boolean {
    return ex.qi < ex.chunks.length || ex.ended || ex.error !== null;
  }

  *fill(ex: Exchange): Generator<Instruction, void, unknown> {
    while (!ClientConnection.ready(ex)) {
      if (this.closed) {
        ex.error = new HttpClientError("NO_RESPONSE", ex.url, "the connection was closed before the response ended");
        return;
      }
      if (this.busy) {
        this.turn.push(currentTask("response read"));
        yield this.turn;
        continue;
      }
      this.busy = true;
      let chunk: Uint8Array | null = null;
      let failed: unknown = null;
      try {
        chunk = yield* this.conn.read();
      } catch (e) {
        failed = e;
      } finally {
        this.busy = false;
        this.wakeTurn(); // also when cancelled: the next reader goes on
      }
      if (failed !== null) this.readFailed(failed);
      else this.feed(chunk);
      this.wakeTurn();
    }
  }

  async fillOutside(ex: Exchange): Promise<void> {
    while (!ClientConnection.ready(ex)) {
      if (this.closed) {
        ex.error = new HttpClientError("NO_RESPONSE", ex.url, "the connection was closed before the response ended");
        return;
      }
      if (this.busy) {
        await new Promise<void>((resolve) => this.turn.push(new TurnWaiter(resolve)));
        continue;
      }
      this.busy = true;
      let chunk: Uint8Array | null = null;
      let failed: unknown = null;
      try {
        const r = await this.conn[Symbol.asyncIterator]().next();
        chunk = r.done === true ? null : r.value;
      } catch (e) {
        failed = e;
      } finally {
        this.busy = false;
      }
      if (failed !== null) this.readFailed(failed);
      else this.feed(chunk);
      this.wakeTurn();
    }
  }

  abandon(ex: Exchange, reason: unknown): void {
    if (ex.ended) return;
    this.close(reason);
  }

  // ------------------------------------------------------------ idle and closing

  /** Idle in the pool: no reference keeps the process alive; the server's close (or stray bytes) closes it. */
  park(now: number): void {
    this.idleSince = now;
    this.conn.readTimeout = 0;
    unrefSocket(this.conn, false);
    if (!this.conn._watch(this)) this.close(null);
  }

  /** Taken from the pool for an exchange. */
  unpark(): void {
    this.conn._unwatch();
    unrefSocket(this.conn, true);
  }

  /** The watch: an idle connection became readable (the server closed it, or sent bytes nobody asked for). */
  _connReadable(): void {
    if (this.load === 0) this.close(null);
  }

  /** Close the socket; exchanges in flight end with `reason` (or a NO_RESPONSE error). */
  close(reason: unknown): void {
    if (this.closed) return;
    this.closed = true;
    const ex = this.exchanges[0];
    if (ex !== undefined) {
      this.failAll(reason ?? new HttpClientError("NO_RESPONSE", ex.url, "the connection was closed before the response ended"));
    }
    this.conn.close();
    this.home.removed(this);
    this.wakeTurn();
  }
}

/** Ref or unref the socket (a TLS connection's own TLSSocket too). */
function unrefSocket(conn: Conn, ref: boolean): void {
  const s = conn.tls ?? conn.socket;
  if (ref) s.ref();
  else s.unref();
}
