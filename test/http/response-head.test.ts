// Response heads as bytes (src/http/response-head.ts): any status, fields,
// body and framing choice serialise to what the wire format says, a
// remembered whole response is byte for byte the one it stands for, and
// decimal lengths are written right.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { BIG_CHUNK } from "../../src/http/output.js";
import { TIMEOUT_ANSWER, digits, headEntry, putDecimal, queueCachedWhole, queueClosingAnswer, queueWhole } from "../../src/http/response-head.js";
import { STATUS_TEXT, statusHasNoBody } from "../../src/http/status.js";
import { FakeSocket, TestOutput, drain } from "./fake-output.js";
import { parseResponses } from "./http-wire.js";

const DATE_LINE = /Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n/;

const statusArb = fc.oneof(fc.constantFrom(200, 201, 204, 304, 404, 500, 101, 299), fc.integer({ min: 100, max: 999 }));
const fieldArb = fc.record({
  name: fc.constantFrom("Content-Type", "X-Id", "Cache-Control", "Connection", "Set-Cookie"),
  value: fc.string({ unit: fc.constantFrom("a", "b", "1", " ", "/", ";"), maxLength: 12 }),
});
const bodyArb = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("a", "é", "€", "\u{1F600}"), maxLength: 40 }),
  fc.uint8Array({ maxLength: 64 }),
  fc.integer({ min: BIG_CHUNK - 2, max: BIG_CHUNK + 2 }).map((n) => new Uint8Array(n).fill(7)),
);
const connLineArb = fc.constantFrom("", "Connection: close\r\n", "Connection: keep-alive\r\n");

/** The triples a Response keeps: name as given, lower-cased, value. */
function triples(fields: { name: string; value: string }[]): string[] | null {
  return fields.length === 0 ? null : fields.flatMap((f) => [f.name, f.name.toLowerCase(), f.value]);
}

/** The bytes the wire format asks for. */
function expected(status: number, fields: { name: string; value: string }[], body: string | Uint8Array, connLine: string, isHead: boolean, given: string | null): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const noBody = statusHasNoBody(status);
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "unknown"}\r\n`;
  for (const f of fields) if (f.name !== "Connection") head += `${f.name}: ${f.value}\r\n`;
  if (given === null && !noBody) head += `Content-Length: ${bytes.length}\r\n`;
  head += `${connLine}\r\n`;
  return Buffer.concat([Buffer.from(head, "latin1"), noBody || isHead ? Buffer.alloc(0) : bytes]);
}

describe("response head", () => {
  test.prop([statusArb, fc.array(fieldArb, { maxLength: 4 }), bodyArb, connLineArb, fc.boolean(), fc.boolean()], { numRuns: 300 })(
    "a whole response is the status line, the fields, Date, Content-Length, Connection and the body",
    (status, fields, body, connLine, isHead, giveLength) => {
      const out = new TestOutput(new FakeSocket());
      const length = typeof body === "string" ? Buffer.byteLength(body) : body.length;
      const given = giveLength ? String(length) : null;
      const e = headEntry(status, undefined, triples(fields), false);
      queueWhole(out, e, body, connLine, isHead, statusHasNoBody(status), given);
      const got = drain(out).toString("latin1");
      expect(got).toMatch(DATE_LINE);
      expect(got.replace(DATE_LINE, "")).toBe(expected(status, fields, body, connLine, isHead, given).toString("latin1"));

      // The same again may come from the whole response remembered: the same bytes either way.
      if (queueCachedWhole(out, e, body, connLine, isHead)) expect(drain(out).toString("latin1")).toBe(got);
      else queueWhole(out, e, body, connLine, isHead, statusHasNoBody(status), given);
      // A different body never does.
      expect(queueCachedWhole(out, e, `${String(body)}!`, connLine, isHead)).toBe(false);
    },
  );

  test.prop([statusArb.filter((s) => !statusHasNoBody(s)), fc.string({ minLength: 1, maxLength: 20 })])(
    "a Content-Length that does not match the body throws, and nothing is queued",
    (status, body) => {
      const out = new TestOutput(new FakeSocket());
      const e = headEntry(status, "Reason", null, true);
      expect(() => queueWhole(out, e, body, "", false, false, String(Buffer.byteLength(body) + 1))).toThrow(/does not match the body/);
      expect(out.queued).toBe(0);
    },
  );

  test.prop([statusArb, fc.option(fc.string({ unit: fc.constantFrom("O", "k", " "), maxLength: 10 }), { nil: undefined })])(
    "the head entry is the status line, with the given reason phrase, and no Date when the handler set one",
    (status, text) => {
      const e = headEntry(status, text, ["Date", "date", "x"], true);
      expect(Buffer.from(e.bytes).toString("latin1")).toBe(`HTTP/1.1 ${status} ${text ?? STATUS_TEXT[status] ?? "unknown"}\r\nDate: x\r\n`);
      expect(headEntry(status, text, ["Date", "date", "x"], true)).toBe(e); // found in the cache
    },
  );

  test.prop([fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }))])("decimals", (n) => {
    const buf = new Uint8Array(20);
    const end = putDecimal(buf, 2, n);
    expect(end).toBe(2 + digits(n));
    expect(Buffer.from(buf.subarray(2, end)).toString("latin1")).toBe(String(n));
  });

  test.prop([fc.constantFrom(400, 413, 414, 431, 501, 505), fc.string({ maxLength: 30 })])(
    "the server's own answers are whole responses that close the connection",
    (status, message) => {
      const out = new TestOutput(new FakeSocket());
      queueClosingAnswer(out, status, message);
      out.queueLatin1(TIMEOUT_ANSWER);
      const { responses, used } = parseResponses(drain(out));
      expect(used).toBeGreaterThan(0);
      expect(responses.map((r) => [r.status, r.headers.get("connection"), r.body.toString("utf8")])).toEqual([
        [status, "close", `${message}\n`],
        [408, "close", ""],
      ]);
    },
  );
});
