/**
 * connect(): open a TCP connection from inside a task, with an optional
 * timeout that is the park's own deadline.
 */
import { currentTask } from "../runtime/current.js";
import { own, parkFor } from "../runtime/kernel.js";
import { TIMED_OUT } from "../runtime/suspend.js";
import type { Operation } from "../runtime/types.js";
import { Conn } from "./conn.js";
import { socketReadPaths } from "./conn-read.js";
import { NetError, NetErrorCode, formatAddress, toNetError, toTlsError } from "./errors.js";
import { IoWait } from "./io-wait.js";
import { connSocket } from "./node/index.js";
import { type TlsClientOptions, checkClientTls, tlsClientSocket } from "./tls.js";
import { resolveConnect } from "../config/options.js";

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Port to connect to. */
  port: number;
  /** Host. Default `"127.0.0.1"`. */
  host?: string;
  /**
   * Give up after this many ms of the run's clock with `NetError`
   * `ETIMEDOUT` (the half-open socket is destroyed). Default: no limit of our
   * own (the kernel's applies).
   */
  timeout?: number;
  /** Disable Nagle's algorithm. Default true. */
  noDelay?: boolean;
  /**
   * Speak TLS: node:tls's client options ({@link TlsClientOptions}: `ca`,
   * `servername`, `ALPNProtocols`, a client `cert` and `key`...), or `true`
   * for the defaults (the system's CAs; the host as the server name unless
   * it is an IP address). connect() returns once the handshake is done;
   * a certificate it does not trust, or a handshake the server breaks off,
   * throws {@link TlsError} (the socket is closed). `timeout` covers the
   * TCP connection and the handshake together. `conn.tls` is node's
   * TLSSocket (`alpnProtocol`, `getPeerCertificate()`...).
   *
   * @example
   * const conn = yield* connect({ port: 8443, host: "localhost", tls: { ca } });
   * console.log(conn.tls?.getProtocol()); // "TLSv1.3"
   */
  tls?: TlsClientOptions | true;
}

/**
 * Open a TCP connection. Waits until it is established; throws `NetError`
 * `ECONNREFUSED`, `ETIMEDOUT`, `ENOTFOUND`... naming the address. Cancelling
 * the task while it waits destroys the half-open socket.
 *
 * The connection is owned by the task that connected: it is closed when
 * that task ends, if it was not closed before (see `conn.transfer` to give
 * it to another task).
 *
 * The timeout uses the task's own park deadline (the scheduler core's timer,
 * no `setTimeout`); `withTimeout(ms, connect(...))` works too.
 *
 * @example
 * const conn = yield* connect({ port: 7000, timeout: 2000 });
 */
export function connect(options: ConnectOptions): Operation<Conn> {
  const { port, host, timeout, noDelay, tls } = resolveConnect("connect()", options);
  const tlsOptions = checkClientTls("connect()", tls);
  if (tlsOptions !== undefined) return connectTls(port, host, timeout, noDelay, tlsOptions);
  return {
    *[Symbol.iterator]() {
      const me = currentTask("connect");
      const addr = formatAddress(host, port);
      const { socket, shared } = socketReadPaths.connect({ port, host, allowHalfOpen: true, noDelay });
      const conn = new Conn(socket, false, shared, host, port);
      const wait = new IoWait(`connect to ${addr}`, () => socket.destroy());
      const onConnect = (): void => wait.resolve(conn);
      const onError = (e: Error): void => wait.reject(toNetError(e, "connect", addr));
      socket.once("connect", onConnect);
      socket.once("error", onError);
      parkFor(me, timeout); // the park itself times out: no timer of our own
      let v: unknown;
      try {
        v = yield wait.park("connect");
      } finally {
        socket.removeListener("connect", onConnect);
        socket.removeListener("error", onError);
      }
      if (v === TIMED_OUT) {
        // abandon() has destroyed the socket.
        throw new NetError(NetErrorCode.ETIMEDOUT, "connect", addr, `no connection after ${timeout} ms`);
      }
      const c = v as Conn;
      if (!c.closed) c._owner = own(me, c);
      return c;
    },
  };
}

/**
 * connect({ tls }): a TLS socket of node's, given to a Conn once its
 * handshake is done, through the fence's stand-in (src/net/node/
 * duplex-socket.ts), so that no direct path touches the encrypting handle.
 * A failure before the TCP connection is a NetError of `connect`; one after
 * it, during the handshake, a TlsError.
 */
function connectTls(port: number, host: string, timeout: number, noDelay: boolean, options: Readonly<TlsClientOptions>): Operation<Conn> {
  return {
    *[Symbol.iterator]() {
      const me = currentTask("connect");
      const addr = formatAddress(host, port);
      const socket = tlsClientSocket(host, port, noDelay, options);
      let tcp = false;
      const wait = new IoWait(`connect to ${addr} (TLS)`, () => socket.destroy());
      const onConnect = (): void => {
        tcp = true;
      };
      // The Conn is made at once: from here on its listeners hear the socket's errors and keep its bytes.
      const onSecure = (): void => wait.resolve(new Conn(connSocket(socket), false, false, host, port));
      const onError = (e: Error): void => {
        socket.destroy();
        wait.reject(tcp ? toTlsError(e, addr) : toNetError(e, "connect", addr));
      };
      socket.once("connect", onConnect);
      socket.once("secureConnect", onSecure);
      socket.on("error", onError);
      parkFor(me, timeout);
      let v: unknown;
      try {
        v = yield wait.park("connect");
      } finally {
        socket.removeListener("connect", onConnect);
        socket.removeListener("secureConnect", onSecure);
        socket.removeListener("error", onError);
      }
      if (v === TIMED_OUT) {
        throw new NetError(NetErrorCode.ETIMEDOUT, "connect", addr, `no TLS connection after ${timeout} ms${tcp ? " (the handshake did not finish)" : ""}`);
      }
      const c = v as Conn;
      if (!c.closed) c._owner = own(me, c);
      return c;
    },
  };
}
