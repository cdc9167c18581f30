/**
 * Which socket a Conn drives for a Duplex (`connSocket`), and the stand-in
 * socket it drives when the Duplex is not a socket the direct paths may
 * touch: a TLSSocket (the green TLS connections of src/net/tls.ts are all
 * made this way), a PassThrough pair, a library's stream. The stand-in has
 * the few members a Conn uses of its socket (src/net/conn-*.ts), forwarded
 * to the Duplex through its public API. It lives in the fence because of
 * its `_handle`, null: the Conn's writes then take the public path
 * (`write`), never the direct ones of direct-write.ts. Its reads arrive as
 * 'data' events, re-emitted here so that the Conn's listeners see this
 * object as `this`.
 */
import { EventEmitter } from "node:events";
import net, { type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { plainHandleClasses } from "./binding.js";

/**
 * The feature check of every direct path for a Duplex handed to a Conn:
 * true when it is a node:net Socket over a libuv handle of the classes the
 * paths were tested on (`TCP`, `Pipe`), or a plain Socket whose handle node
 * has not made yet. A TLSSocket is a net.Socket too, but its handle is a
 * `TLSWrap` that encrypts underneath (and has `writeBuffer` and
 * `useUserBuffer` all the same), so it is the handle's class that decides,
 * not the socket's. Where the classes are unknown, only a plain
 * `net.Socket` qualifies.
 */
export function drivesHandle(duplex: Duplex): boolean {
  if (!(duplex instanceof net.Socket)) return false;
  const h = (duplex as unknown as { _handle: object | null | undefined })._handle;
  const classes = plainHandleClasses;
  if (h == null || classes === null) return duplex.constructor === net.Socket;
  for (const C of classes) if (h instanceof C) return true;
  return false;
}

/** The socket a Conn drives for `duplex`: the Duplex itself where {@link drivesHandle} says so, else a stand-in over it. */
export function connSocket(duplex: Duplex): Socket {
  return drivesHandle(duplex) ? (duplex as Socket) : (new DuplexSocket(duplex) as unknown as Socket);
}

/** Events of the Duplex that a Conn listens to, re-emitted by the stand-in. */
const FORWARDED = ["data", "end", "error", "close", "drain", "finish"] as const;

export class DuplexSocket extends EventEmitter {
  /** No libuv handle: the Conn writes through the Duplex. */
  readonly _handle = null;
  /** A Duplex handed over is connected already. */
  readonly connecting = false;

  constructor(readonly duplex: Duplex) {
    super();
    for (const ev of FORWARDED) duplex.on(ev, (...args: unknown[]) => this.emit(ev, ...args));
  }

  get remoteAddress(): string | undefined {
    return (this.duplex as { remoteAddress?: string }).remoteAddress;
  }
  get remotePort(): number | undefined {
    return (this.duplex as { remotePort?: number }).remotePort;
  }
  get writableLength(): number {
    return this.duplex.writableLength;
  }
  get writableHighWaterMark(): number {
    return this.duplex.writableHighWaterMark;
  }
  get writableNeedDrain(): boolean {
    return this.duplex.writableNeedDrain;
  }
  get writableEnded(): boolean {
    return this.duplex.writableEnded;
  }
  get destroyed(): boolean {
    return this.duplex.destroyed;
  }

  write(chunk: Uint8Array | string): boolean {
    return this.duplex.write(chunk);
  }
  end(): this {
    this.duplex.end();
    return this;
  }
  destroy(error?: Error): this {
    this.duplex.destroy(error);
    return this;
  }
  pause(): this {
    this.duplex.pause();
    return this;
  }
  resume(): this {
    this.duplex.resume();
    return this;
  }
  cork(): void {
    this.duplex.cork();
  }
  uncork(): void {
    this.duplex.uncork();
  }
}
