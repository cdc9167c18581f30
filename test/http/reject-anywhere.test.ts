// A rejected request gets its status line (with Connection: close) before the
// connection closes, wherever it stands on the connection: first, pipelined
// behind good requests in the same write, or sent after their answers came
// back, or while the handler of the good one still runs. (A parse error after a good pipelined request once closed the
// connection after the good answer, leaving the bad one unanswered.)
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../../src/index.js";
import { COMBOS, raw, serverPool } from "./http-helpers.js";
import { exchange, parseResponses } from "./http-wire.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

const LIMITS = { maxRequestLine: 200, maxHeaders: 10, maxHeaderSize: 2048, maxStreamedBodySize: 1000 };

/** Malformed requests and the status each must get (RFC 9110/9112). */
const MALFORMED: { name: string; status: number; bytes: string }[] = [
  { name: "Content-Length and Transfer-Encoding", status: 400, bytes: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" },
  { name: "control byte in a header value", status: 400, bytes: "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n" },
  { name: "unknown method", status: 501, bytes: "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n" },
  { name: "unsupported version", status: 505, bytes: "GET / HTTP/2.0\r\nHost: a\r\n\r\n" },
  { name: "malformed version", status: 400, bytes: "GET / HTTP/1.x\r\nHost: a\r\n\r\n" },
  { name: "target over maxRequestLine", status: 414, bytes: `GET /${"t".repeat(300)} HTTP/1.1\r\nHost: a\r\n\r\n` },
  { name: "more header lines than maxHeaders", status: 431, bytes: `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 20 }, (_, i) => `X-${i}: v\r\n`).join("")}\r\n` },
  { name: "header section over maxHeaderSize", status: 431, bytes: `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${"b".repeat(3000)}\r\n\r\n` },
  { name: "bad chunk size", status: 400, bytes: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n" },
  { name: "Content-Length over maxStreamedBodySize", status: 413, bytes: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" },
  { name: "chunked body over maxStreamedBodySize", status: 413, bytes: `POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${"1f4\r\n" + "c".repeat(500) + "\r\n"}${"1f4\r\n" + "c".repeat(500) + "\r\n"}${"1f4\r\n" + "c".repeat(500) + "\r\n"}0\r\n\r\n` },
  { name: "bare LF", status: 400, bytes: "GET / HTTP/1.1\nHost: a\n\n" },
  { name: "space before colon", status: 400, bytes: "GET / HTTP/1.1\r\nHost : a\r\n\r\n" },
  { name: "transfer coding not supported", status: 501, bytes: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" },
  { name: "malformed Content-Length", status: 400, bytes: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n" },
];

/** Well-formed requests to put before the bad one. */
const GOOD = [
  "GET /g HTTP/1.1\r\nHost: a\r\n\r\n",
  "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
  "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
];

type Position = "first" | "pipelined" | "later" | "during";
const POSITIONS: Position[] = ["first", "pipelined", "later", "during"];
/** How long handlers take in the "during" position; the bad request is sent halfway. */
const SLOW_MS = 60;

describe.each(COMBOS)("rejections anywhere on a connection, $parser parser, $backend backend", (combo) => {
  it("answers the good requests, then exactly one error status with Connection: close, then closes", async () => {
    let handled = 0;
    let slow = false;
    const s = await start(combo, function* (req) {
      const body = yield* req.text();
      if (slow) yield* sleep(SLOW_MS);
      handled++;
      return { body: `ok ${req.method} ${body.length}` };
    }, LIMITS);

    const check = async (bad: number, position: Position, goods: number[]) => {
      const m = MALFORMED[bad]!;
      const before = position === "first" ? [] : goods.map((g) => GOOD[g]!);
      const good = before.join("");
      handled = 0;
      slow = position === "during";
      let ex;
      if (position === "during") {
        const r = await raw(s.port, [good, m.bytes], { gapMs: SLOW_MS / 2, idleMs: 2000 });
        const { responses, used } = parseResponses(Buffer.from(r.text, "latin1"));
        ex = { responses, leftover: r.text.length - used, closed: r.closed };
      } else {
        ex =
          position === "first" ? await exchange(s.port, m.bytes)
          : position === "pipelined" ? await exchange(s.port, good + m.bytes)
          : await exchange(s.port, good, [{ after: before.length, bytes: m.bytes }]);
      }
      const where = `${m.name}, ${position}, after ${before.length} good`;
      expect(ex.responses.map((r) => r.status), where).toEqual([...before.map(() => 200), m.status]);
      for (const r of ex.responses.slice(0, -1)) expect(r.body.toString(), where).toMatch(/^ok /);
      expect(ex.responses.at(-1)!.headers.get("connection"), where).toBe("close");
      expect(ex.leftover, where).toBe(0);
      expect(ex.closed, where).toBe(true);
      expect(handled, where).toBe(before.length);
    };

    // Every malformation at every position once, then random mixes of good requests before it.
    const examples: [number, Position, number[]][] = [];
    for (let b = 0; b < MALFORMED.length; b++) for (const p of POSITIONS) examples.push([b, p, [b % GOOD.length]]);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: MALFORMED.length - 1 }),
        fc.constantFrom(...POSITIONS),
        fc.array(fc.integer({ min: 0, max: GOOD.length - 1 }), { minLength: 1, maxLength: 3 }),
        check,
      ),
      { seed: 9112, numRuns: 30, examples },
    );
  });
});
