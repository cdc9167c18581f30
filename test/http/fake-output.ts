// An output buffer (src/http/output.ts) on a stand-in socket, for tests of
// what is queued and written without a real connection.
import { expect } from "vitest";
import { OutputBuffer } from "../../src/http/output.js";
import type { Conn } from "../../src/net/conn.js";
import type { Instruction, Operation } from "../../src/runtime/types.js";

/** A socket that records what is written; `keep` makes it hold buffers (unsent) until `send()`. */
export class FakeSocket {
  /** Bytes sent, in order. */
  readonly sent: Buffer[] = [];
  /** Views written but not sent yet (only while `keep`). */
  private held: Uint8Array[] = [];
  keep = false;
  writes = 0;

  get _retainedLength(): number {
    let n = 0;
    for (const h of this.held) n += h.length;
    return n;
  }

  private take(data: Uint8Array | string | readonly (Uint8Array | string)[]): void {
    this.writes++;
    const parts = Array.isArray(data) ? data : [data];
    for (const p of parts as (Uint8Array | string)[]) {
      const b = typeof p === "string" ? Buffer.from(p, "latin1") : p;
      // Once it holds something, later writes queue behind it, as in a socket.
      if (this.keep || this.held.length > 0) this.held.push(b);
      else this.sent.push(Buffer.from(b)); // a copy, as the kernel makes
    }
  }

  /** The peer reads: what was held goes out now, with whatever its memory holds now. */
  send(): void {
    for (const h of this.held) this.sent.push(Buffer.from(h));
    this.held = [];
  }

  write(data: Uint8Array | readonly Uint8Array[]): Operation<void> {
    this.take(data);
    return { *[Symbol.iterator](): Generator<Instruction, void, any> {} };
  }

  _write(data: Uint8Array | readonly Uint8Array[]): boolean {
    this.take(data);
    return true;
  }

  _writeFrom(buf: Uint8Array, n: number): boolean {
    this.take(buf.subarray(0, n));
    return true;
  }

  _parkWriter(): never {
    throw new Error("the stand-in socket never fills up");
  }
}

/** An output buffer whose count of waiting requests the test sets. */
export class TestOutput extends OutputBuffer {
  constructor(readonly socket: FakeSocket) {
    super(socket as unknown as Conn);
  }
  setPending(n: number): void {
    this.pendingCount = n;
  }
  /** Drive `flush()` (a stand-in socket never parks it). */
  flushNow(): void {
    const g = this.flush();
    expect(g.next().done).toBe(true);
  }
  get queued(): number {
    return this.outBytes;
  }
}

/** Everything `out` has queued, written and sent. */
export function drain(out: TestOutput): Buffer {
  out.flushNow();
  out.socket.send();
  const all = Buffer.concat(out.socket.sent);
  out.socket.sent.length = 0;
  return all;
}
