// The output buffer (src/http/output.ts) on its own, with stand-in sockets:
// any sequence of responses on two connections at once, each body written in
// pieces of any size, chunked or with a Content-Length, flushed or gathered
// at any point, gives on each socket a byte stream that reads back to the
// same responses. The stand-in sockets either copy what they are given (as
// the kernel does when it takes a write whole) or keep it and send it later
// (a peer that reads slowly): the shared gathering buffer must never be
// reused while a socket still holds it.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { BIG_CHUNK, FLUSH_AT, SPARE_BYTES } from "../../src/http/output.js";
import type { Instruction } from "../../src/runtime/types.js";
import { FakeSocket, TestOutput } from "./fake-output.js";
import { parseResponses } from "./http-wire.js";

/** One step of the test, for connection `conn`; what it does depends on that connection's state. */
interface Step {
  conn: 0 | 1;
  /** Picks the action (see `apply`). */
  op: number;
  /** Size of a body piece. */
  size: number;
  chunked: boolean;
}

const sizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 2, arbitrary: fc.integer({ min: BIG_CHUNK - 4, max: BIG_CHUNK + 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: SPARE_BYTES * 3 }) },
);
const stepArb: fc.Arbitrary<Step> = fc.record({
  conn: fc.constantFrom(0 as const, 1 as const),
  op: fc.integer({ min: 0, max: 9 }),
  size: sizeArb,
  chunked: fc.boolean(),
});

/** A response being written on one connection. */
interface Open {
  chunked: boolean;
  /** The Content-Length promised, or the bytes so far when chunked. */
  length: number;
  body: number[];
}

/** Body bytes that differ from piece to piece, so a piece lost, doubled or overwritten shows. */
function piece(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (seed * 31 + i * 7) & 0xff;
  return b;
}

function run(steps: Step[]): void {
  const outs = [new TestOutput(new FakeSocket()), new TestOutput(new FakeSocket())];
  const expected: number[][][] = [[], []];
  const open: (Open | null)[] = [null, null];
  let seed = 1;

  const startResponse = (c: number, chunked: boolean, length: number): void => {
    const head = chunked ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" : `HTTP/1.1 200 OK\r\nContent-Length: ${length}\r\n\r\n`;
    outs[c]!.queueLatin1(head);
    open[c] = { chunked, length, body: [] };
  };
  const addPiece = (c: number, size: number): void => {
    const o = open[c]!;
    const n = o.chunked ? size : Math.min(size, o.length - o.body.length);
    const b = piece(n, seed++);
    if (o.chunked) {
      if (n > 0) outs[c]!.queueChunk(b);
    } else outs[c]!.queueBytes(b);
    o.body.push(...b);
  };
  const endResponse = (c: number): void => {
    const o = open[c]!;
    if (o.chunked) outs[c]!.queueLastChunk();
    else if (o.body.length < o.length) addPiece(c, o.length - o.body.length);
    expected[c]!.push(o.body);
    open[c] = null;
  };

  for (const s of steps) {
    const c = s.conn;
    const out = outs[c]!;
    switch (s.op) {
      case 0:
      case 1:
      case 2:
        // Body bytes (a response is started first if none is open).
        if (open[c] === null) startResponse(c, s.chunked, s.size);
        else addPiece(c, s.size);
        break;
      case 3:
        if (open[c] !== null) endResponse(c);
        else startResponse(c, s.chunked, s.size);
        break;
      case 4:
        out.flushNow();
        break;
      case 5:
        // The end of a response: written at once unless requests wait and little has gathered.
        out.setPending(s.size % 2);
        expect(out.writeIfDone()).toBeNull();
        break;
      case 6:
        out.socket.keep = !out.socket.keep;
        break;
      case 7:
        out.socket.send();
        break;
      default:
        // Text of the connection's own (an error message after a response).
        if (open[c] === null) {
          const text = `e${"é".repeat(s.size % 5)}`;
          const len = Buffer.byteLength(text);
          out.queueLatin1(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${len}\r\n\r\n`);
          out.queueText(text);
          expected[c]!.push([...Buffer.from(text)]);
        }
    }
  }
  for (let c = 0; c < 2; c++) {
    if (open[c] !== null) endResponse(c);
    outs[c]!.flushNow();
    expect(outs[c]!.queued).toBe(0);
    outs[c]!.socket.send();
    const stream = Buffer.concat(outs[c]!.socket.sent);
    const { responses, used } = parseResponses(stream);
    expect(used).toBe(stream.length);
    expect(responses.map((r) => [...r.body])).toEqual(expected[c]);
  }
}

describe("output buffer", () => {
  test.prop([fc.array(stepArb, { maxLength: 60 })], { numRuns: 300 })(
    "any writes on two connections, chunked or with Content-Length, read back as the same responses",
    (steps) => run(steps),
  );

  it("gathers a finished response while requests wait, and writes once FLUSH_AT bytes have gathered", () => {
    const out = new TestOutput(new FakeSocket());
    out.setPending(1);
    out.queueLatin1("HTTP/1.1 204 No Content\r\n\r\n");
    expect(out.writeIfDone()).toBeNull();
    expect(out.socket.writes).toBe(0);
    out.queueBytes(new Uint8Array(FLUSH_AT));
    expect(out.writeIfDone()).toBeNull();
    expect(out.socket.writes).toBe(1);
    out.setPending(0);
    out.queueLatin1("x");
    out.writeIfDone();
    expect(out.socket.writes).toBe(2);
  });

  it("copies small pieces into one buffer and keeps a big one as it is", () => {
    const out = new TestOutput(new FakeSocket());
    const big = new Uint8Array(BIG_CHUNK);
    out.queueLatin1("head");
    out.queueBytes(big);
    out.queueLatin1("tail");
    let got: readonly Uint8Array[] = [];
    out.socket.write = (data) => {
      got = Array.isArray(data) ? data : [data as Uint8Array];
      return { *[Symbol.iterator](): Generator<Instruction, void, any> {} };
    };
    out.flushNow();
    expect(got.map((b) => b.length)).toEqual([4, BIG_CHUNK, 4]);
    expect(got[1]).toBe(big);
  });
});
