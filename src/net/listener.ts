/**
 * listen() and the Listener: a bound socket whose accept() parks until a
 * connection arrives. Connections that arrive while no task accepts wait in
 * order, unread; each gets its Conn when node:net hands it over.
 */
import net from "node:net";
import { currentTask } from "../runtime/current.js";
import { type Ownership, own, release, setOwner } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { type ListenConfig, resolveListen } from "../config/options.js";
import { WaitList } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { deliver, deliverThrow } from "../runtime/waiter.js";
import { Conn } from "./conn.js";
import { socketReadPaths } from "./conn-read.js";
import { NetError, NetErrorCode, formatAddress, toNetError } from "./errors.js";
import { IoWait } from "./io-wait.js";
import { type PeerAddress, connSocket, readPeerAddress } from "./node/index.js";
import { type TlsAcceptor, type TlsServerOptions, tlsAcceptor } from "./tls.js";

/** Options of {@link listen}. */
export interface ListenOptions {
  /** Port; 0 (the default) picks a free one, see `listener.port`. */
  port?: number;
  /** Address to bind. Default `"127.0.0.1"`. */
  host?: string;
  /**
   * Path of a Unix domain socket to listen on instead of a TCP port (as
   * node:http's `listen({ path })`); not with `port` or `host`. The socket
   * file is removed when the listener closes; one left behind by a crashed
   * process makes listen fail with `EADDRINUSE`.
   */
  path?: string;
  /**
   * Kernel queue of connections not yet accepted. Default: the system's
   * limit (`net.core.somaxconn` on Linux, as Go does), else 511 (Node's
   * default). A burst of connections larger than the queue loses SYNs, and
   * each lost one costs its client a second (the SYN retransmission timer).
   */
  backlog?: number;
  /** Disable Nagle's algorithm on accepted sockets. Default true: small request/response exchanges are not delayed. */
  noDelay?: boolean;
  /**
   * Speak TLS: node:tls's server options (`key` and `cert` at least), see
   * {@link TlsServerOptions}. `accept()` then gives connections whose
   * handshake is done (`conn.tls` is node's TLSSocket: `alpnProtocol`,
   * `servername`, `getPeerCertificate()`); a handshake that fails or takes
   * longer than `handshakeTimeout` closes its socket (`tls.onClientError`
   * hears of it) and nobody accepts it.
   *
   * @example
   * const listener = yield* listen({ port: 8443, tls: { key, cert } });
   */
  tls?: TlsServerOptions;
  /**
   * With `tls`: the time a client has, from its TCP connection, to finish
   * the TLS handshake, in ms (a client that connects and says nothing is
   * cut then). 0: no limit. Default 10 s.
   */
  handshakeTimeout?: number;
  /**
   * Set SO_REUSEPORT: other sockets (of this process or others) may listen
   * on the same host and port, and the kernel spreads new connections over
   * them. Needs Node 22.12+ (23.1+ on the 23 line) and Linux, FreeBSD,
   * Solaris or AIX; elsewhere it throws, naming what is missing. Default false.
   */
  reusePort?: boolean;
}

/**
 * A listening TCP (or Unix domain) socket. `accept()` waits for the next connection;
 * connections that arrive while no task accepts wait in order (they read
 * nothing until accepted). node:net cannot stop accepting, so that queue is
 * not bounded by `backlog`: accept promptly (serveTcp does). Made by
 * {@link listen}.
 *
 * @example
 * const listener = yield* listen({ port: 0 });
 * console.log(`listening on ${listener.port}`);
 * const conn = yield* listener.accept();
 */
export class Listener {
  /** The node:net server. */
  readonly server: net.Server;
  /** The bound address (the socket path for a Unix domain socket). */
  readonly host: string;
  /** The socket path of a Unix domain socket listener, else undefined. */
  readonly path: string | undefined;
  private boundPort = 0;
  private readonly noDelay: boolean;
  /** Accepted connections no task has taken yet. */
  private queue: Conn[] = [];
  private qhead = 0;
  /** @internal Tasks parked in accept(). */
  readonly accepters: WaitList;
  /** An accept error no task was waiting for (e.g. EMFILE), given to the next accept(). */
  private pendingError: NetError | null = null;
  private isClosed = false;
  /** The hold of the task that owns it (see `transfer`). */
  private owner: Ownership | null = null;
  /** @internal Made by listen(): an accepted connection is owned by the task that accepts it (a server's listener: by none). */
  ownAccepted = false;
  /** With `tls`: the handshakes of accepted sockets (src/net/tls.ts); null for plain TCP. */
  private readonly tls: TlsAcceptor | null;

  /** @internal Use {@link listen}. */
  constructor(server: net.Server, host: string, noDelay: boolean, path?: string, tls: TlsAcceptor | null = null) {
    this.server = server;
    this.tls = tls;
    if (tls !== null) tls._attach((s, h, p) => this.secured(s, h, p));
    this.host = path ?? host;
    this.path = path;
    this.noDelay = noDelay;
    this.accepters = new WaitList(() => `accept on ${this.address}`);
    this.accepters.external = true;
    server.on("connection", (socket: net.Socket) => this.onConnection(socket));
  }

  /** The bound port (useful with `port: 0`); 0 for a Unix domain socket. */
  get port(): number {
    return this.boundPort;
  }

  /** `host:port`, or the socket path. */
  get address(): string {
    return this.path ?? formatAddress(this.host, this.boundPort);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Connections accepted by the kernel that no task has taken yet (with `tls`: whose handshake is done). */
  get pending(): number {
    return this.queue.length - this.qhead;
  }

  /** With `tls`: accepted sockets whose handshake is under way (0 for plain TCP). */
  get handshaking(): number {
    return this.tls?.handshaking ?? 0;
  }

  /**
   * Wait for the next connection. Throws `NetError` `ECLOSED` once the
   * listener is closed. The connection is owned by the task that accepted
   * it: closed when that task ends (after its children, so a handler spawned
   * as its child can use it meanwhile), unless closed before or given to
   * another task with `conn.transfer`. Cancelling a parked accept takes nothing: the next
   * connection goes to the next accept.
   *
   * @example
   * for (;;) {
   *   const conn = yield* listener.accept();
   *   spawn(() => handle(conn));
   * }
   */
  accept(): Operation<Conn> {
    return new AcceptOp(this);
  }

  /**
   * Stop listening. Tasks parked in `accept` get `NetError` `ECLOSED`;
   * connections that were waiting to be accepted are closed. Connections
   * already accepted are not touched. Idempotent.
   *
   * @example
   * listener.close();
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.owner !== null) {
      release(this.owner);
      this.owner = null;
    }
    this.server.close();
    this.tls?.closeAll();
    for (let i = this.qhead; i < this.queue.length; i++) this.queue[i]!.close();
    this.queue = [];
    this.qhead = 0;
    const list = this.accepters;
    for (let n = list.shift(); n !== null; n = list.shift()) deliverThrow(n, this.closedError());
  }

  /**
   * Give the listener to another task: it is closed when `owner` ends
   * instead of when the task that called `listen()` does. Without an
   * argument, the task calling takes it; `null`: no task owns it, close it
   * yourself. If `owner` has ended already, the listener is closed at once.
   * Does nothing on a closed listener.
   *
   * @example
   * listener.transfer(worker); // closed when `worker` ends, not when this task does
   */
  transfer(owner?: Task | null): void {
    const to = owner === undefined ? currentTask("listener.transfer") : owner;
    if (this.isClosed) return;
    this.owner = setOwner(this.owner, this, to);
  }

  toString(): string {
    return `Listener(${this.address})`;
  }

  /** @internal The task `t` that listen() ran in owns it. */
  _ownBy(t: Task): void {
    this.owner = own(t, this);
  }

  /** @internal */
  _bound(port: number): void {
    this.boundPort = port;
  }

  /** @internal */
  _take(): Conn | null {
    if (this.qhead === this.queue.length) {
      const e = this.pendingError;
      if (e !== null) {
        this.pendingError = null;
        throw e;
      }
      if (this.isClosed) throw this.closedError();
      return null;
    }
    // A connection came through: an accept error reported before it is stale.
    this.pendingError = null;
    const c = this.queue[this.qhead]!;
    this.queue[this.qhead++] = undefined as unknown as Conn;
    if (this.qhead === this.queue.length) {
      this.queue.length = 0;
      this.qhead = 0;
    }
    return c;
  }

  /** @internal An accept failed after listening (EMFILE...): one accepter hears of it. */
  _acceptFailed(e: unknown): void {
    const err = toNetError(e, "accept", this.address);
    const n = this.accepters.shift();
    if (n !== null) deliverThrow(n, err);
    else this.pendingError = err;
  }

  private onConnection(socket: net.Socket): void {
    if (this.isClosed) {
      socket.destroy();
      return;
    }
    if (this.tls !== null) {
      if (this.path === undefined) {
        if (this.noDelay) socket.setNoDelay(true);
        readPeer(socket);
        this.tls.handshake(socket, peerHost, peerPort);
      } else this.tls.handshake(socket, this.path, undefined);
      return;
    }
    let conn: Conn;
    if (this.path !== undefined) {
      // A Unix socket's peer has no address: errors name the socket path.
      conn = new Conn(socket, true, socketReadPaths.adopt(socket), this.path, undefined);
    } else {
      if (this.noDelay) socket.setNoDelay(true);
      readPeer(socket);
      conn = new Conn(socket, true, socketReadPaths.adopt(socket), peerHost, peerPort);
    }
    this.arrived(conn);
  }

  /** A TLS socket's handshake is done: its Conn drives it through the fence's stand-in (no direct path touches a TLS handle). */
  private secured(s: net.Socket, host: string | undefined, port: number | undefined): void {
    if (this.isClosed) {
      s.destroy();
      return;
    }
    this.arrived(new Conn(connSocket(s), false, false, host, port));
  }

  private arrived(conn: Conn): void {
    const n = this.accepters.shift();
    if (n !== null) deliver(n, conn);
    else this.queue.push(conn);
  }

  private closedError(): NetError {
    return new NetError(NetErrorCode.ECLOSED, "accept", this.address, "the listener is closed");
  }
}

/** An accepted connection, now owned by the task that accepted it. */
function owned(c: Conn): Conn {
  if (!c.closed) c._owner = own(currentTask("accept"), c);
  return c;
}

class AcceptOp extends Op<Conn> {
  constructor(private readonly listener: Listener) {
    super();
  }
  protected begin(): IteratorResult<Instruction, Conn> {
    const l = this.listener;
    const c = l._take();
    if (c !== null) return this.ok(l.ownAccepted ? owned(c) : c);
    const me: Task = currentTask("accept");
    l.accepters.push(me);
    return this.wait(l.accepters);
  }
  protected override resumed(v: unknown): Conn {
    return this.listener.ownAccepted ? owned(v as Conn) : (v as Conn);
  }
  protected clone(): Op<Conn> {
    return new AcceptOp(this.listener);
  }
}

/**
 * Listen for TCP connections (gevent's `socket.bind` + `listen`), or on a
 * Unix domain socket with `path`. Waits until the socket is bound; throws
 * `NetError` (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`) naming the address if
 * it cannot be. Unknown options and wrong types are a TypeError.
 *
 * The listener is owned by the task that called `listen()`: it is closed
 * when that task ends (returns, throws or is cancelled) if it was not
 * closed before, so a forgotten `close()` neither leaks the port nor keeps
 * the process alive (`listener.transfer` gives it to another task). So are
 * the connections its `accept()` returns, each by the task that accepted it.
 *
 * @example
 * const listener = yield* listen({ port: 8000 });
 * const conn = yield* listener.accept();
 */
export function listen(options?: ListenOptions): Operation<Listener> {
  const cfg = resolveListen("listen()", options);
  const op = listenResolved(cfg, tlsAcceptor("listen()", cfg.tls, cfg.handshakeTimeout));
  return {
    *[Symbol.iterator]() {
      const me = currentTask("listen");
      const listener = yield* op;
      listener.ownAccepted = true;
      listener._ownBy(me);
      return listener;
    },
  };
}

/** @internal listen() with its options resolved (by listen, or by a server's own resolution), and its TLS acceptor if it speaks TLS. */
export function listenResolved(cfg: ListenConfig, tls: TlsAcceptor | null = null): Operation<Listener> {
  const { port, host, path, backlog } = cfg;
  return {
    *[Symbol.iterator]() {
      const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
      const listener = new Listener(server, host, cfg.noDelay, path, tls);
      const addr = path ?? formatAddress(host, port);
      let listening = false;
      const wait = new IoWait(`listen on ${addr}`, () => server.close());
      server.on("error", (e) => {
        if (listening) listener._acceptFailed(e);
        else wait.reject(toNetError(e, "listen", addr));
      });
      server.once("listening", () => {
        listening = true;
        const a = server.address();
        listener._bound(typeof a === "object" && a !== null ? a.port : 0);
        wait.resolve(listener);
      });
      if (path !== undefined) server.listen({ path, backlog });
      else if (cfg.reusePort) server.listen({ port, host, backlog, reusePort: true } as net.ListenOptions);
      else server.listen({ port, host, backlog });
      return (yield wait.park("listen")) as Listener;
    },
  };
}

/** What `readPeer` found: the peer of the socket being accepted. */
let peerHost: string | undefined;
let peerPort: number | undefined;
const peerOut: PeerAddress = {};

/**
 * Read an accepted socket's peer address now, while the kernel still knows
 * it (a peer that resets the connection before its first use takes it
 * along, and errors would then say `?:?`). One scratch object serves every
 * accept; the host string is shared with the previous connection's when
 * they match (most connections come from few hosts).
 */
function readPeer(socket: net.Socket): void {
  readPeerAddress(socket, peerOut);
  const host = peerOut.address;
  if (host !== peerHost) peerHost = host; // equal: keep the string the previous connection holds
  peerPort = peerOut.port;
}
