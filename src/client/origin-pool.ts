/**
 * OriginPool: the keep-alive connections of one origin (scheme, host,
 * port, and the TLS options and parser kind they were made with). An idle
 * connection waits on a watch, not in a task, with its socket unref'd; one
 * timer per pool closes those idle longer than `idleTimeout`. At most
 * `maxSockets` connections exist at once; a request beyond them waits in
 * line and is handed the next connection that frees up (or, with
 * `pipelining` above 1, a busy one with room).
 */
import { type ResponseParser } from "../http/parser/parser.js";
import { connect } from "../net/connect.js";
import type { TlsClientOptions } from "../net/tls.js";
import { currentTask } from "../runtime/current.js";
import { WaitList } from "../runtime/suspend.js";
import type { Instruction } from "../runtime/types.js";
import { deliver, deliverThrow } from "../runtime/waiter.js";
import { ClientConnection, type ConnHome } from "./connection.js";
import { HttpClientError } from "./errors.js";

/** What every pool of a client shares. */
export interface PoolSettings {
  readonly maxSockets: number;
  readonly idleTimeout: number;
  readonly pipelining: number;
  readonly connectTimeout: number;
}

/** Handed to a waiter: a connection may be opened now. */
const MAY_CONNECT = Symbol("may connect");

export class OriginPool implements ConnHome {
  /** Idle connections, the most recently used last (taken first: its socket is the least likely to be stale). */
  private readonly idle: ClientConnection[] = [];
  /** Every open (or opening) connection. */
  readonly all = new Set<ClientConnection>();
  /** Connections open or opening. */
  private count = 0;
  /** Requests waiting for a connection. */
  private readonly waiters: WaitList;
  private waiting = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Connections opened, over the pool's life (tests count reuse with it). */
  opened = 0;
  closed = false;

  constructor(
    readonly origin: string,
    readonly host: string,
    readonly port: number,
    private readonly tls: TlsClientOptions | undefined,
    private readonly parser: ResponseParser,
    private readonly settings: PoolSettings,
  ) {
    this.waiters = new WaitList(() => `a connection to ${origin} (${this.count} open, maxSockets ${settings.maxSockets})`);
    this.waiters.external = true;
  }

  /** A connection for one more exchange (its load counted); `fresh` asks for a new one (a retry after a stale socket). */
  *acquire(fresh: boolean): Generator<Instruction, ClientConnection, unknown> {
    for (;;) {
      if (this.closed) throw new HttpClientError("CLIENT_CLOSED", this.origin, "the HTTP client is closed");
      if (!fresh) {
        const cc = this.idle.pop();
        if (cc !== undefined) {
          cc.unpark();
          cc.load++;
          return cc;
        }
      }
      if (this.count < this.settings.maxSockets) return yield* this.open();
      if (this.settings.pipelining > 1) {
        for (const cc of this.all) {
          if (!cc.closed && cc.load > 0 && cc.load < this.settings.pipelining && !cc.writing && cc.served > 0) {
            cc.load++;
            return cc;
          }
        }
      }
      this.waiting++;
      this.waiters.push(currentTask("request"));
      let v: unknown;
      try {
        v = yield this.waiters;
      } finally {
        this.waiting--;
      }
      if (v instanceof ClientConnection) return v; // handed over with its load counted
    }
  }

  private *open(): Generator<Instruction, ClientConnection, unknown> {
    this.count++;
    let ok = false;
    try {
      const t = this.settings.connectTimeout;
      const conn = yield* connect({ host: this.host, port: this.port, ...(this.tls === undefined ? {} : { tls: this.tls }), ...(t === Infinity ? {} : { timeout: t }) });
      conn.transfer(null); // the pool closes it, not the task that happened to open it
      const cc = new ClientConnection(conn, this.parser, this.parser.createConnection(), this, this.origin);
      this.all.add(cc);
      this.opened++;
      cc.load = 1;
      ok = true;
      if (this.closed) {
        cc.close(null);
        throw new HttpClientError("CLIENT_CLOSED", this.origin, "the HTTP client is closed");
      }
      return cc;
    } finally {
      if (!ok) {
        this.count--;
        this.nextMayConnect();
      }
    }
  }

  /** A slot for a connection is free: let the first waiter open one. */
  private nextMayConnect(): void {
    if (this.waiting === 0) return;
    const n = this.waiters.shift();
    if (n !== null) deliver(n, MAY_CONNECT);
  }

  released(cc: ClientConnection): void {
    if (this.closed) {
      if (cc.load === 0) cc.close(null);
      return;
    }
    if (this.waiting > 0 && (cc.load === 0 || (this.settings.pipelining > 1 && cc.load < this.settings.pipelining))) {
      const n = this.waiters.shift();
      if (n !== null) {
        cc.load++;
        deliver(n, cc);
        return;
      }
    }
    if (cc.load > 0) return;
    cc.park(performance.now());
    if (!cc.closed) {
      this.idle.push(cc);
      if (this.timer === null) this.arm(this.settings.idleTimeout);
    }
  }

  removed(cc: ClientConnection): void {
    if (!this.all.delete(cc)) return;
    this.count--;
    const i = this.idle.indexOf(cc);
    if (i >= 0) this.idle.splice(i, 1);
    this.nextMayConnect();
  }

  private arm(ms: number): void {
    if (ms === Infinity) return;
    this.timer = setTimeout(() => this.sweep(), Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  /** Close the connections idle for idleTimeout; come back for the next one due. */
  private sweep(): void {
    this.timer = null;
    const now = performance.now(), limit = this.settings.idleTimeout;
    let next = Infinity;
    for (const cc of this.idle.slice()) {
      const due = cc.idleSince + limit;
      if (due <= now + 1) cc.close(null);
      else if (due < next) next = due;
    }
    if (next !== Infinity) this.arm(next - now);
  }

  /** Idle connections now (tests and stats). */
  get idleCount(): number {
    return this.idle.length;
  }

  /** Close every connection; requests waiting for one fail. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const cc of [...this.all]) cc.close(new HttpClientError("CLIENT_CLOSED", this.origin, "the HTTP client was closed"));
    for (let n = this.waiters.shift(); n !== null; n = this.waiters.shift()) {
      deliverThrow(n, new HttpClientError("CLIENT_CLOSED", this.origin, "the HTTP client was closed"));
    }
  }
}
