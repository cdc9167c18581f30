// A request body that arrives over several socket reads must reach the
// handler byte for byte (the Wasm parser once handed out views of its input
// buffer, which the next read overwrote). Writes are paced so that each
// piece is a read of its own on the server.
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { COMBOS, serverPool } from "./http-helpers.js";
import { pattern } from "../support/helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Write `parts` with a pause after each, then collect the reply until the server closes. */
function paced(port: number, parts: Buffer[], gapMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    sock.on("data", (d) => got.push(d));
    sock.on("error", reject);
    sock.on("close", () => resolve(Buffer.concat(got).toString("latin1")));
    sock.on("connect", async () => {
      for (const p of parts) {
        sock.write(p);
        await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

describe.each(COMBOS)("uploads split across reads, $parser parser, $backend backend", (combo) => {
  it("a Content-Length body sent one byte per read arrives intact", async () => {
    const s = await start(combo, function* (req) {
      const b = yield* req.body();
      return { body: `${sha(b)} ${b.length}` };
    });
    const body = Buffer.from("hello, world");
    const head = Buffer.from(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    const parts = [head, ...[...body].map((c) => Buffer.from([c]))];
    const reply = await paced(s.port, parts, 5);
    expect(reply.split("\r\n\r\n")[1]).toBe(`${sha(body)} ${body.length}`);
  });

  it("a chunked body whose bytes straddle reads arrives intact", async () => {
    const s = await start(combo, function* (req) {
      const b = yield* req.body();
      return { body: `${sha(b)} ${b.length}` };
    });
    const body = Buffer.from(pattern(7, 3000));
    const wire = Buffer.concat([
      Buffer.from("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
      Buffer.from("7d0\r\n"), body.subarray(0, 2000), Buffer.from("\r\n3e8\r\n"), body.subarray(2000), Buffer.from("\r\n0\r\n\r\n"),
    ]);
    const parts: Buffer[] = [];
    for (let at = 0; at < wire.length; at += 333) parts.push(wire.subarray(at, at + 333));
    const reply = await paced(s.port, parts, 5);
    expect(reply.split("\r\n\r\n")[1]).toBe(`${sha(body)} ${body.length}`);
  });
});
