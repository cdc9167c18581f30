/**
 * The stand-in socket of `Conn.from(duplex)` for any Duplex that is not a
 * plain node:net Socket (a TLSSocket, a PassThrough pair, a library's
 * stream): the few members a Conn uses of its socket (src/net/conn-*.ts),
 * forwarded to the Duplex through its public API. It lives in the fence
 * because of its `_handle`, null: the Conn's writes then take the public
 * path (`write`), never the direct ones of direct-write.ts (a TLSSocket's
 * handle is not a TCP handle they were tested on). Its reads arrive as
 * 'data' events, re-emitted here so that the Conn's listeners see this
 * object as `this`.
 */
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";

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
