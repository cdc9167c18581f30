/**
 * permessage-deflate (RFC 7692) for one connection, through node:zlib: one
 * raw inflater and one raw deflater, kept between messages for context
 * takeover (reset after each message when the negotiation says so). zlib's
 * stream API is asynchronous, so a task waits for it as for any Promise.
 * The inflated size is checked as zlib produces output, and inflation
 * stops as soon as it passes the bound: a small compressed message that
 * inflates to gigabytes costs no more than the bound.
 */
import zlib from "node:zlib";
import { call } from "../ops/call.js";
import type { Instruction } from "../runtime/types.js";
import { Lock } from "../sync/lock.js";
import type { NegotiatedDeflate } from "./handshake.js";

/** The four bytes a sync flush ends with: removed by the sender, appended by the receiver (RFC 7692 §7.2.1-2). */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A compressed message's payload, in the pieces zlib made, and its size. */
export interface Deflated {
  readonly pieces: Buffer[];
  readonly size: number;
}

/** permessage-deflate state of one WebSocket. */
export class PerMessageDeflate {
  /** Messages smaller than this are sent uncompressed. */
  readonly threshold: number;
  /** Held by a sender from compressing to writing: with context takeover, frames must leave in the order they were compressed. */
  readonly sendLock = new Lock("permessage-deflate sender");
  private inflater: zlib.InflateRaw | null = null;
  private deflater: zlib.DeflateRaw | null = null;

  constructor(private readonly params: NegotiatedDeflate) {
    this.threshold = params.threshold;
  }

  /** Inflate a message's payload pieces; null when it inflates to more than `max` bytes. Throws on a malformed stream. */
  *inflate(parts: readonly Uint8Array[], max: number): Generator<Instruction, Buffer | null, any> {
    return yield* call(this.inflateNow(parts, max));
  }

  /** Compress a message's payload. */
  *deflate(bytes: Uint8Array): Generator<Instruction, Deflated, any> {
    return yield* call(this.deflateNow(bytes));
  }

  /** Let go of zlib's memory (the WebSocket is closed). */
  dispose(): void {
    this.inflater?.close();
    this.deflater?.close();
    this.inflater = this.deflater = null;
  }

  private inflateNow(parts: readonly Uint8Array[], max: number): Promise<Buffer | null> {
    const inf = (this.inflater ??= quiet(zlib.createInflateRaw({ windowBits: 15 })));
    return new Promise<Buffer | null>((resolve, reject) => {
      const out: Buffer[] = [];
      let size = 0;
      let settled = false;
      const done = (): void => {
        settled = true;
        inf.removeListener("data", onData);
        inf.removeListener("error", onError);
      };
      const drop = (): void => {
        // This inflater's state is lost (an error, or output cut off): the next message would need a fresh one.
        if (this.inflater === inf) this.inflater = null;
        inf.close();
      };
      const onData = (b: Buffer): void => {
        if (settled) return;
        size += b.length;
        if (size > max) {
          done();
          drop();
          resolve(null);
          return;
        }
        out.push(b);
      };
      const onError = (e: Error): void => {
        if (settled) return;
        done();
        drop();
        reject(e);
      };
      inf.on("data", onData);
      inf.on("error", onError);
      for (const p of parts) inf.write(p);
      inf.write(TAIL);
      inf.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (settled) return;
        done();
        if (this.params.clientNoContextTakeover) inf.reset();
        resolve(out.length === 1 ? out[0]! : Buffer.concat(out, size));
      });
    });
  }

  private deflateNow(bytes: Uint8Array): Promise<Deflated> {
    const def = (this.deflater ??= quiet(zlib.createDeflateRaw({ windowBits: this.params.serverWindowBits })));
    return new Promise<Deflated>((resolve, reject) => {
      const out: Buffer[] = [];
      let size = 0;
      const onData = (b: Buffer): void => {
        out.push(b);
        size += b.length;
      };
      const onError = (e: Error): void => {
        def.removeListener("data", onData);
        if (this.deflater === def) this.deflater = null;
        reject(e);
      };
      def.on("data", onData);
      def.once("error", onError);
      def.write(bytes);
      def.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        def.removeListener("data", onData);
        def.removeListener("error", onError);
        if (this.params.serverNoContextTakeover) def.reset();
        resolve(withoutTail(out, size));
      });
    });
  }
}

/** A zlib stream whose late errors (after its message was settled) are not unhandled. */
function quiet<S extends zlib.InflateRaw | zlib.DeflateRaw>(s: S): S {
  s.on("error", () => {});
  return s;
}

/** The sync flush's output less its 4-byte tail (RFC 7692 §7.2.1). */
function withoutTail(pieces: Buffer[], size: number): Deflated {
  let cut = TAIL.length;
  while (cut > 0 && pieces.length > 0) {
    const last = pieces[pieces.length - 1]!;
    if (last.length <= cut) {
      cut -= last.length;
      pieces.pop();
    } else {
      pieces[pieces.length - 1] = last.subarray(0, last.length - cut);
      cut = 0;
    }
  }
  return { pieces, size: size - TAIL.length };
}
