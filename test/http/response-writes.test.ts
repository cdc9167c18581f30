// A body written with `res.write` in pieces of any size (text or bytes, empty
// ones too), then `res.end` with or without a last piece, chunked or with a
// Content-Length the handler set, reaches node's HTTP client byte for byte
// and framed as announced.
import { request } from "node:http";
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import type { Server } from "../../src/index.js";
import { COMBOS, startServer } from "./http-helpers.js";

/** What the handler writes for one request. */
interface Plan {
  pieces: (string | Uint8Array)[];
  last: string | Uint8Array | undefined;
  /** Set Content-Length to the whole body's size (else the body is chunked). */
  withLength: boolean;
}

const bytesOf = (p: string | Uint8Array): Buffer => (typeof p === "string" ? Buffer.from(p, "utf8") : Buffer.from(p));

const pieceArb: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "z", "é", "€", "\n"), maxLength: 50 }),
  fc.uint8Array({ maxLength: 300 }),
  fc.integer({ min: 0, max: 40_000 }).map((n) => new Uint8Array(n).map((_, i) => (i * 13 + n) & 0xff)),
);
const planArb: fc.Arbitrary<Plan> = fc.record({
  pieces: fc.array(pieceArb, { maxLength: 8 }),
  last: fc.option(pieceArb, { nil: undefined }),
  withLength: fc.boolean(),
});

function get(port: number, path: string): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: "127.0.0.1", path, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe.each(COMBOS)("response written in pieces, $parser parser, $backend backend", (combo) => {
  const plans = new Map<string, Plan>();
  let server: Server;
  let next = 0;
  beforeAll(async () => {
    server = await startServer(combo, function* (req, res) {
      const plan = plans.get(req.path)!;
      if (plan.withLength) {
        const total = [...plan.pieces, ...(plan.last === undefined ? [] : [plan.last])].reduce((n, p) => n + bytesOf(p).length, 0);
        res.setHeader("content-length", total);
      }
      for (const p of plan.pieces) yield* res.write(p);
      yield* res.end(plan.last);
    });
  });
  afterAll(async () => {
    await server.close({ timeout: 100 });
  });

  fcTest.prop([planArb], { numRuns: 25 })("reaches the client whole, framed as announced", async (plan) => {
    const path = `/${next++}`;
    plans.set(path, plan);
    const { headers, body } = await get(server.port, path);
    plans.delete(path);
    const want = Buffer.concat([...plan.pieces, ...(plan.last === undefined ? [] : [plan.last])].map(bytesOf));
    expect(body.equals(want)).toBe(true);
    if (plan.withLength) {
      expect(headers["content-length"]).toBe(String(want.length));
      expect(headers["transfer-encoding"]).toBeUndefined();
    } else if (plan.pieces.length > 0) {
      expect(headers["transfer-encoding"]).toBe("chunked");
    }
  });
});
