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
import { NetError, NetErrorCode, formatAddress, toNetError } from "./errors.js";
import { IoWait } from "./io-wait.js";
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
  const { port, host, timeout, noDelay } = resolveConnect("connect()", options);
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
