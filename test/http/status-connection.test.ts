// The status line: every status Node knows gets Node's reason phrase, a
// handler may set its own (checked: no control characters; the status an
// integer 100..999). And `Connection`: a handler's `close` ends the
// connection after its response (a request pipelined behind it is not
// answered), while its `keep-alive` cannot keep open what the client ends.
import { STATUS_CODES, request } from "node:http";
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError } from "../../src/index.js";
import { COMBOS, raw, serverPool } from "./http-helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

/** GET with the node:http client (keep-alive agent given), resolving with status and reason. */
function get(port: number, path: string): Promise<{ status: number; message: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, message: res.statusMessage!, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** The status lines in a raw response stream. */
const statusLines = (text: string) => [...text.matchAll(/HTTP\/1\.1 \d{3} [^\r\n]*/g)].map((m) => m[0]);

describe.each(COMBOS)("status line, $parser parser, $backend backend", (combo) => {
  it("every status Node knows gets Node's reason phrase (node:http client); unknown ones get 'unknown'", async () => {
    const s = await start(combo, function* (req) {
      return { status: Number(req.path.slice(1)), body: "x" };
    });
    const codes = Object.keys(STATUS_CODES)
      .map(Number)
      .filter((c) => c >= 200);
    expect(codes).toContain(418);
    for (const code of [...codes, 299, 599, 999]) {
      const r = await get(s.port, `/${code}`);
      expect(r.status).toBe(code);
      expect(r.message, String(code)).toBe(STATUS_CODES[code] ?? "unknown");
    }
    // 1xx cannot be a final answer for a client library; the status line is all there is.
    const r = await raw(s.port, "GET /102 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(statusLines(r.text)).toEqual(["HTTP/1.1 102 Processing"]);
  });

  it("a handler's own reason phrase: res.statusText and statusText in the returned init", async () => {
    const s = await start(combo, function* (req, res) {
      if (req.path === "/prop") {
        res.status = 299;
        res.statusText = "Custom Thing";
        yield* res.end("a");
        return;
      }
      if (req.path === "/stream") {
        res.status = 203;
        res.statusText = "Streamed Thing";
        yield* res.write("b");
        yield* res.end();
        return;
      }
      if (req.path === "/throws") {
        res.status = 299;
        res.statusText = "Custom Thing";
        throw new HttpError(404);
      }
      return { status: 418, statusText: "Short And Stout", body: "c" };
    });
    expect(await get(s.port, "/prop")).toMatchObject({ status: 299, message: "Custom Thing", body: "a" });
    expect(await get(s.port, "/stream")).toMatchObject({ status: 203, message: "Streamed Thing", body: "b" });
    expect(await get(s.port, "/init")).toMatchObject({ status: 418, message: "Short And Stout", body: "c" });
    // The phrase was for the handler's status, not for the error answered instead.
    expect(await get(s.port, "/throws")).toMatchObject({ status: 404, message: "Not Found" });
    const r = await raw(s.port, "GET /prop HTTP/1.1\r\nHost: a\r\n\r\nGET /init HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(statusLines(r.text)).toEqual(["HTTP/1.1 299 Custom Thing", "HTTP/1.1 418 Short And Stout", "HTTP/1.1 418 Short And Stout"]);
  });

  fcTest.prop([fc.string({ unit: "binary", maxLength: 40 })], { seed: 777, numRuns: 60 })(
    "any reason phrase without control characters goes out as given; any other is a TypeError and a 500",
    async (text) => {
      const errors: unknown[] = [];
      const s = await start(
        combo,
        function* (_req, res) {
          res.status = 299;
          res.statusText = text;
          return { body: "ok" };
        },
        { onError: (e) => errors.push(e) },
      );
      const r = await raw(s.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      const valid = /^[\t\x20-\x7e\x80-\xff]*$/.test(text);
      if (valid) {
        expect(statusLines(r.text)).toEqual([`HTTP/1.1 299 ${text}`]);
        expect(errors).toHaveLength(0);
      } else {
        expect(statusLines(r.text)).toEqual(["HTTP/1.1 500 Internal Server Error"]);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(TypeError);
        expect((errors[0] as Error).message).toMatch(/^statusText .* contains /);
      }
      await closeAll();
    },
  );

  it("a bad status or reason phrase is a TypeError or RangeError naming it; the client gets 500", async () => {
    const errors: unknown[] = [];
    const cases: Record<string, [() => unknown, typeof TypeError | typeof RangeError, RegExp]> = {
      crlf: [() => ({ statusText: "OK\r\nSet-Cookie: x=1", body: "" }), TypeError, /control character 0x0d/],
      nul: [() => ({ statusText: "a\0b", body: "" }), TypeError, /control character 0x00/],
      wide: [() => ({ statusText: "snow ☃", body: "" }), TypeError, /beyond latin1/],
      notstring: [() => ({ statusText: 42, body: "" }), TypeError, /statusText must be a string/],
      big: [() => ({ status: 1000 }), RangeError, /from 100 to 999, got 1000/],
      small: [() => ({ status: 99 }), RangeError, /got 99/],
      fraction: [() => ({ status: 200.5 }), RangeError, /got 200\.5/],
      nan: [() => ({ status: Number.NaN }), RangeError, /got NaN/],
      string: [() => ({ status: "200" }), TypeError, /status must be a number, got string/],
    };
    const s = await start(
      combo,
      function* (req, res) {
        const name = req.path.slice(1);
        if (name.startsWith("prop-")) {
          const init = cases[name.slice(5)]![0]() as { status?: number; statusText?: string };
          if (init.statusText !== undefined) res.statusText = init.statusText;
          if (init.status !== undefined) res.status = init.status;
          yield* res.end("never");
          return;
        }
        return cases[name]![0]() as never;
      },
      { onError: (e) => errors.push(e) },
    );
    for (const [name, [, type, message]] of Object.entries(cases)) {
      for (const path of [name, `prop-${name}`]) {
        errors.length = 0;
        const r = await get(s.port, `/${path}`);
        expect(r.status, path).toBe(500);
        expect(r.body, path).toBe("Internal Server Error\n");
        expect(errors, path).toHaveLength(1);
        expect(errors[0], path).toBeInstanceOf(type);
        expect((errors[0] as Error).message, path).toMatch(message);
      }
    }
  });
});

describe.each(COMBOS)("Connection set by a handler, $parser parser, $backend backend", (combo) => {
  const PIPELINED = "GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n";

  it("Connection: close from the handler closes the connection after its response; the pipelined request is not answered", async () => {
    const ways: Record<string, (res: import("../../src/index.js").HttpResponse) => any> = {
      setHeader: function* (res) {
        res.setHeader("Connection", "close");
        yield* res.end("first");
      },
      init: () => ({ headers: { connection: "Close" }, body: "first" }),
      list: () => ({ headers: { Connection: "x-private, close" }, body: "first" }),
      streamed: function* (res) {
        res.setHeader("connection", "close");
        yield* res.write("fir");
        yield* res.end("st");
      },
      readable: () => ({ headers: { connection: "close" }, body: (async function* () { yield "first"; })() }),
    };
    for (const [way, respond] of Object.entries(ways)) {
      let seen = 0;
      const s = await start(combo, function* (req, res) {
        seen++;
        if (req.path === "/second") return { body: "second" };
        const r = respond(res);
        if (r !== null && typeof r === "object" && Symbol.iterator in r) return yield* r;
        return r;
      });
      const r = await raw(s.port, PIPELINED, { idleMs: 3000 });
      expect(r.closed, way).toBe(true);
      expect(statusLines(r.text), way).toEqual(["HTTP/1.1 200 OK"]);
      expect(r.text.match(/^connection:.*$/gim), way).toEqual(["Connection: close"]);
      expect(r.text, way).not.toMatch(/second/);
      expect(seen, way).toBe(1);
      await closeAll();
    }
  });

  it("a handler's keep-alive cannot keep open what an HTTP/1.0 client or a Connection: close request ends", async () => {
    const s = await start(combo, function* (_req, res) {
      res.setHeader("connection", "keep-alive");
      return { body: "hi" };
    });
    for (const first of ["GET /a HTTP/1.0\r\nHost: a\r\n\r\n", "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"]) {
      const r = await raw(s.port, `${first}GET /b HTTP/1.1\r\nHost: a\r\n\r\n`, { idleMs: 3000 });
      expect(r.closed, first).toBe(true);
      expect(statusLines(r.text), first).toEqual(["HTTP/1.1 200 OK"]);
      expect(r.text.match(/^connection:.*$/gim), first).toEqual(["Connection: close"]);
    }
    // Where the client keeps the connection, the handler's keep-alive changes nothing: both answered.
    const r = await raw(s.port, `${PIPELINED.replace("/second HTTP/1.1\r\nHost: a\r\n", "/second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n")}`, { idleMs: 3000 });
    expect(statusLines(r.text)).toEqual(["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"]);
    expect(r.closed).toBe(true);
  });
});
