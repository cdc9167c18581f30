import { execFile } from "node:child_process";
import { promisify } from "node:util";
import http from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError, call, serve, sleep } from "../../src/index.js";
import { COMBOS, hasCurl, raw, serverPool, statuses } from "./http-helpers.js";
import { BACKENDS } from "../support/helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);


describe.each(COMBOS)("HTTP server, $parser parser, $backend backend", (combo) => {
  it("answers fetch with status, body, Date and Content-Length", async () => {
    const s = await start(combo, function* (req, res) {
      res.setHeader("content-type", "text/plain");
      yield* res.end(`hello ${req.method} ${req.path} ${req.query.get("x")}`);
    });
    const r = await fetch(`http://127.0.0.1:${s.port}/greet?x=42`);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe("hello GET /greet 42");
    expect(r.headers.get("content-length")).toBe("19");
    expect(new Date(r.headers.get("date")!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(r.headers.get("content-type")).toBe("text/plain");
  });

  it("keeps a node:http client's connection alive across requests", async () => {
    const ports = new Set<string | undefined>();
    const s = await start(combo, function* (req) {
      ports.add(req.remoteAddress);
      return { body: `n=${req.query.get("n")}` };
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (n: number) =>
      new Promise<string>((resolve, reject) => {
        http.get({ host: "127.0.0.1", port: s.port, path: `/?n=${n}`, agent }, (res) => {
          let b = "";
          res.setEncoding("utf8");
          res.on("data", (d) => (b += d));
          res.on("end", () => resolve(b));
        }).on("error", reject);
      });
    const bodies = [];
    for (let i = 0; i < 5; i++) bodies.push(await get(i));
    agent.destroy();
    expect(bodies).toEqual(["n=0", "n=1", "n=2", "n=3", "n=4"]);
    expect(ports.size).toBe(1); // one connection served all five
  });

  it("answers pipelined requests in order, in one exchange", async () => {
    const s = await start(combo, function* (req) {
      if (req.path === "/slow") yield* sleep(30);
      return { body: req.path };
    });
    const r = await raw(s.port, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(statuses(r.text)).toEqual([200, 200, 200]);
    const bodies = [...r.text.matchAll(/\r\n\r\n(\/[a-z]+)/g)].map((m) => m[1]); // lower case: stops at the next "HTTP/1.1"
    expect(bodies).toEqual(["/slow", "/b", "/c"]);
    expect(r.closed).toBe(false);
  });

  it("reads Content-Length and chunked request bodies, text and JSON", async () => {
    const s = await start(combo, function* (req) {
      if (req.path === "/json") {
        const v = yield* req.json<{ a: number }>();
        return { body: { doubled: v.a * 2 } };
      }
      return { body: `${req.framing}:${yield* req.text()}` };
    });
    const a = await fetch(`http://127.0.0.1:${s.port}/text`, { method: "POST", body: "plain body" });
    expect(await a.text()).toBe("length:plain body");
    const b = await fetch(`http://127.0.0.1:${s.port}/json`, { method: "POST", body: JSON.stringify({ a: 21 }) });
    expect(b.headers.get("content-type")).toBe("application/json");
    expect(await b.json()).toEqual({ doubled: 42 });
    const c = await raw(s.port, "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n");
    expect(c.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(c.text.endsWith("chunked:hello world")).toBe(true);
  });

  it("rejects a malformed JSON body with 400", async () => {
    const s = await start(combo, function* (req) {
      return { body: yield* req.json() };
    });
    const r = await fetch(`http://127.0.0.1:${s.port}/`, { method: "POST", body: "{not json" });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/request body is not valid JSON/);
  });

  it("streams a chunked response with res.write", async () => {
    const s = await start(combo, function* (_req, res) {
      for (let i = 0; i < 5; i++) {
        yield* res.write(`part ${i}\n`);
        yield* sleep(2);
      }
      yield* res.end();
    });
    const r = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    expect(await r.text()).toBe("part 0\npart 1\npart 2\npart 3\npart 4\n");
  });

  it("HEAD gets the headers of a GET and no body", async () => {
    const s = await start(combo, function* () {
      return { body: "twelve bytes" };
    });
    const r = await raw(s.port, "HEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
    const [head1, rest] = r.text.split("\r\n\r\n", 2);
    expect(head1).toMatch(/Content-Length: 12/);
    expect(rest!.startsWith("HTTP/1.1 200 OK")).toBe(true); // no body bytes between the two responses
    expect(r.text.endsWith("twelve bytes")).toBe(true);
  });

  it("Connection: close gets its response, then the connection closes and nothing after it is handled", async () => {
    let handled = 0;
    const s = await start(combo, function* (req) {
      handled++;
      return { body: req.path };
    });
    const r = await raw(s.port, "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 1000 });
    expect(statuses(r.text)).toEqual([200]);
    expect(r.text).toMatch(/Connection: close/);
    expect(r.closed).toBe(true);
    expect(handled).toBe(1);
  });

  it("HTTP/1.0 closes by default and stays open with Connection: keep-alive", async () => {
    const s = await start(combo, function* () {
      return { body: "x" };
    });
    const closeByDefault = await raw(s.port, "GET / HTTP/1.0\r\n\r\n", { idleMs: 1000 });
    expect(closeByDefault.closed).toBe(true);
    expect(closeByDefault.text).toMatch(/Connection: close/);
    const kept = await raw(s.port, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    expect(kept.closed).toBe(false);
    expect(kept.text).toMatch(/Connection: keep-alive/);
  });

  it("answers Expect: 100-continue when the handler reads the body, and 417 to other expectations", async () => {
    const s = await start(combo, function* (req) {
      return { body: `got ${(yield* req.body()).length}` };
    });
    const body = "x".repeat(100);
    const r = await raw(s.port, [`POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`, body], { gapMs: 100 });
    expect(r.text.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")).toBe(true);
    expect(r.text.endsWith("got 100")).toBe(true);
    const other = await raw(s.port, "POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\nContent-Length: 0\r\n\r\n", { idleMs: 1000 });
    expect(statuses(other.text)).toEqual([417]);
    expect(other.closed).toBe(true);
  });

  it("a handler that throws gets a 500 and the server keeps serving; HttpError picks the status", async () => {
    const errors: unknown[] = [];
    const s = await start(
      combo,
      function* (req) {
        if (req.path === "/boom") throw new Error("handler bug");
        if (req.path === "/missing") throw new HttpError(404, "no such thing");
        return { body: "fine" };
      },
      { onError: (e) => errors.push(e) },
    );
    const r = await raw(s.port, "GET /boom HTTP/1.1\r\nHost: a\r\n\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\nGET /ok HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(statuses(r.text)).toEqual([500, 404, 200]);
    expect(r.text).toMatch(/no such thing/);
    expect(errors.map((e) => (e as Error).message)).toEqual(["handler bug"]);
    expect((await fetch(`http://127.0.0.1:${s.port}/ok`)).status).toBe(200);
  });

  it("an error answer drops the fields the handler set for the body it never sent", async () => {
    const s = await start(
      combo,
      function* (req, res) {
        res.setHeader("content-length", "5");
        res.setHeader("content-encoding", "gzip");
        res.setHeader("www-authenticate", "Basic");
        res.setHeader("x-trace", "t1");
        if (req.path === "/auth") throw new HttpError(401, "who are you");
        throw new Error("handler bug");
      },
      { onError: () => {} },
    );
    const r = await raw(s.port, "GET /auth HTTP/1.1\r\nHost: a\r\n\r\nGET /boom HTTP/1.1\r\nHost: a\r\n\r\nGET /auth HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(statuses(r.text)).toEqual([401, 500, 401]);
    const [first, second] = r.text.split(/(?=HTTP\/1\.1 )/);
    // The 401 keeps what a 401 may need, and says how long its own body is.
    expect(first).toMatch(/WWW-Authenticate: Basic/i);
    expect(first).not.toMatch(/Content-Encoding/i);
    expect(first).toMatch(new RegExp(`Content-Length: ${"who are you\n".length}\r\n`, "i"));
    expect(first).toMatch(/who are you/);
    // The 500 carries nothing of the handler's.
    expect(second).not.toMatch(/x-trace|www-authenticate|content-encoding/i);
    expect(second).toMatch(/Internal Server Error/);
  });

  it("a handler that throws after part of the response was sent gets its connection closed", async () => {
    const s = await start(
      combo,
      function* (_req, res) {
        yield* res.write("partial");
        throw new Error("failed midway");
      },
      { onError: () => {} },
    );
    const r = await raw(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 1000 });
    expect(r.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.text).toMatch(/partial/);
    expect(r.text).not.toMatch(/0\r\n\r\n$/); // the chunked body was never terminated
    expect(r.closed).toBe(true);
  });

  it("honours maxRequestsPerConnection with Connection: close on the last response", async () => {
    const s = await start(combo, function* () {
      return { body: "x" };
    }, { maxRequestsPerConnection: 2 });
    const r = await raw(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", { idleMs: 1000 });
    expect(statuses(r.text)).toEqual([200, 200]);
    expect(r.text.match(/Connection: close/g)).toHaveLength(1);
    expect(r.closed).toBe(true);
  });

  it("a handler that waits before reading its request sees its own head, not another connection's", async () => {
    const s = await start(combo, function* (req) {
      yield* sleep(Number(req.query.get("wait")));
      // By now other connections have parsed requests through the same parser.
      return { body: `${req.path}|${req.query.get("id")}|${req.headers.get("x-id")}` };
    });
    const ids = Array.from({ length: 30 }, (_, i) => i);
    const bodies = await Promise.all(
      ids.map((i) => fetch(`http://127.0.0.1:${s.port}/item${i}?id=${i}&wait=${(i * 7) % 20}`, { headers: { "x-id": `h${i}` } }).then((r) => r.text())),
    );
    expect(bodies).toEqual(ids.map((i) => `/item${i}|${i}|h${i}`));
  });

  it("pipelined requests parsed in one read keep their own heads while other connections parse", async () => {
    const s = await start(combo, function* (req) {
      yield* sleep(5);
      const fields = [...req.headers.entries()].map(([k, v]) => `${k}=${v}`).join(",");
      return { body: `${req.method} ${req.target} ${fields};` };
    });
    const batch = (c: number) =>
      Array.from({ length: 6 }, (_, i) => `GET /c${c}/r${i} HTTP/1.1\r\nHost: a\r\n${"X-N: v\r\n".repeat(i)}X-Last: ${c}-${i}\r\n\r\n`).join("");
    const want = (c: number) =>
      Array.from({ length: 6 }, (_, i) => `GET /c${c}/r${i} Host=a,${"X-N=v,".repeat(i)}X-Last=${c}-${i};`).join("");
    const results = await Promise.all([0, 1, 2, 3].map((c) => raw(s.port, batch(c), { idleMs: 500 })));
    for (const [c, r] of results.entries()) {
      expect(statuses(r.text)).toEqual([200, 200, 200, 200, 200, 200]);
      const bodies = [...r.text.matchAll(/\r\n\r\n(GET [^;]*;)/g)].map((m) => m[1]).join("");
      expect(bodies).toBe(want(c));
    }
  });

  it("responses of many connections written in one tick each reach their own client, whole and in order", async () => {
    // Small responses are gathered across connections for the end of the
    // scheduler's tick (src/net/outbox.ts), larger ones leave at once: a mix
    // of both, over 48 connections that all send at the same moment.
    const s = await start(combo, function* (req) {
      const n = Number(req.query.get("n"));
      return { body: `${req.query.get("c")}/${n}:`.padEnd(n % 3 === 2 ? 6000 : 40 + n * 9, "abcdefghijklmnopqrstuvwxyz"[n % 26]!) };
    });
    const conns = Array.from({ length: 48 }, (_, c) => c);
    // One request at a time on each connection (20 ms apart), so that each response is written on its own.
    const reqs = (c: number) => Array.from({ length: 5 }, (_, n) => `GET /?c=${c}&n=${n} HTTP/1.1\r\nHost: a\r\n\r\n`);
    const results = await Promise.all(conns.map((c) => raw(s.port, reqs(c), { idleMs: 400, gapMs: 20 })));
    for (const [c, r] of results.entries()) {
      expect(statuses(r.text)).toEqual([200, 200, 200, 200, 200]);
      const bodies = r.text.split(/HTTP\/1\.1 200 OK\r\n[^]*?\r\n\r\n/).slice(1);
      expect(bodies.map((b) => b.slice(0, b.indexOf(":")))).toEqual([0, 1, 2, 3, 4].map((n) => `${c}/${n}`));
      for (const [n, b] of bodies.entries()) {
        const want = `${c}/${n}:`.padEnd(n % 3 === 2 ? 6000 : 40 + n * 9, "abcdefghijklmnopqrstuvwxyz"[n % 26]!);
        expect(b).toBe(want);
      }
    }
  });

  it("a response still queued in a socket (a client that does not read) is never overwritten by other connections' responses", async () => {
    // Small writes are gathered in one buffer shared by all connections and
    // reused once the kernel has taken a write whole. Here one client stops
    // reading, so its socket keeps bytes of that buffer queued while other
    // connections answer: every byte it finally reads must be its own.
    const CHUNK = 4096;
    const piece = (i: number) => `${i}:`.padEnd(CHUNK, String.fromCharCode(97 + (i % 26)));
    let stuck = false;
    let pieces = 0;
    const s = await start(combo, function* (req, res) {
      if (req.path !== "/big") return { body: `small ${req.query.get("n")}` };
      // Write until the socket holds bytes it could not pass on (the peer
      // is not reading), then a few more, which park the handler.
      let extra = 16;
      for (let i = 0; extra > 0 && i < 16_384; i++) {
        yield* res.write(piece(i));
        pieces = i + 1;
        if ((res as unknown as { _conn: { conn: { writableLength: number } } })._conn.conn.writableLength > 0) {
          stuck = true;
          extra--;
        }
      }
      yield* res.end();
    });
    const big = connect(s.port, "127.0.0.1");
    const got: Buffer[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      big.on("data", (d) => {
        got.push(d);
        if (d.toString("latin1").endsWith("\r\n0\r\n\r\n")) resolve();
      });
      big.on("error", reject);
    });
    big.pause();
    big.write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n");
    for (let t = 0; !stuck && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
    expect(stuck).toBe(true);
    // Meanwhile other connections are answered, several responses per write.
    const others = await Promise.all(
      Array.from({ length: 10 }, (_, c) =>
        raw(s.port, Array.from({ length: 4 }, (_, i) => `GET /?n=${c}-${i} HTTP/1.1\r\nHost: a\r\n\r\n`).join(""), { idleMs: 200 }),
      ),
    );
    for (const [c, r] of others.entries()) {
      expect([...r.text.matchAll(/small ([\d-]+)/g)].map((m) => m[1])).toEqual([0, 1, 2, 3].map((i) => `${c}-${i}`));
    }
    big.resume();
    await ended;
    big.destroy();
    const text = Buffer.concat(got).toString("latin1");
    let p = text.indexOf("\r\n\r\n") + 4;
    const body: string[] = [];
    for (;;) {
      const eol = text.indexOf("\r\n", p);
      const n = parseInt(text.slice(p, eol), 16);
      if (n === 0) break;
      body.push(text.slice(eol + 2, eol + 2 + n));
      p = eol + 2 + n + 2;
    }
    expect(body.length).toBe(pieces);
    for (let i = 0; i < body.length; i++) if (body[i] !== piece(i)) expect.fail(`piece ${i} of ${pieces} was overwritten: ${JSON.stringify(body[i]!.slice(0, 40))}`);
  });

  it.runIf(hasCurl)("serves curl, including a POST and a HEAD", async () => {
    const s = await start(combo, function* (req) {
      return { body: req.method === "POST" ? `posted ${(yield* req.text()).length}` : "hi from tasklet" };
    });
    const url = `http://127.0.0.1:${s.port}/`;
    // Asynchronously: the server runs on this process's event loop.
    const curl = async (...args: string[]) => (await promisify(execFile)("curl", args, { encoding: "utf8" })).stdout;
    expect(await curl("-s", url)).toBe("hi from tasklet");
    expect(await curl("-s", "--data-binary", "abcdef", url)).toBe("posted 6");
    const head = await curl("-sI", url);
    expect(head).toMatch(/HTTP\/1\.1 200 OK/);
    expect(head).toMatch(/Content-Length: 15/i);
  });
});

describe.each(BACKENDS)("serve() inside a task, %s backend", (backend) => {
  it("yield* serve() returns once listening; the server stops with its parent's scope", async () => {
    const { run } = await import("../../src/index.js");
    const out = await run(function* () {
      const server = yield* serve({ port: 0 }, function* () {
        return { body: "inner" };
      });
      const text = yield* call(() => fetch(`http://127.0.0.1:${server.port}/`).then((r) => r.text()));
      return { text, port: server.port };
    }, { backend });
    expect(out.text).toBe("inner");
    // The run ended, so the server was cancelled and the port is free.
    await expect(fetch(`http://127.0.0.1:${out.port}/`)).rejects.toThrow();
  });
});

describe("response header validation", () => {
  it("refuses header names that are not tokens and values with CR, LF or NUL", async () => {
    const combo = COMBOS[0]!;
    const errors: string[] = [];
    const s = await start(combo, function* (req, res) {
      for (const [name, value] of [
        ["bad name", "x"],
        ["x-ok", "evil\r\nSet-Cookie: a=b"],
        ["x-ok", "nul\0"],
        ["x-ok", "snowman \u2603"],
      ] as const) {
        try {
          res.setHeader(name, value);
        } catch (e) {
          errors.push((e as Error).message);
        }
      }
      res.setHeader("x-fine", "yes");
      return { body: req.path };
    });
    const r = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(r.headers.get("x-fine")).toBe("yes");
    expect(r.headers.get("set-cookie")).toBeNull();
    expect(errors).toEqual([
      'invalid header name "bad name"',
      "header x-ok: value contains CR, LF, NUL or a non-latin1 character",
      "header x-ok: value contains CR, LF, NUL or a non-latin1 character",
      "header x-ok: value contains CR, LF, NUL or a non-latin1 character",
    ]);
  });
});

describe("serve() errors", () => {
  it("rejects `ready` with NetError EADDRINUSE when the port is taken, and refuses bad options", async () => {
    const { NetError } = await import("../../src/index.js");
    const first = await start(COMBOS[0]!, function* () {
      return { body: "first" };
    });
    const second = serve({ port: first.port }, function* () {
      return { body: "second" };
    });
    const err = await second.ready.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetError);
    expect((err as InstanceType<typeof NetError>).code).toBe("EADDRINUSE");
    expect((err as Error).message).toMatch(new RegExp(`127\\.0\\.0\\.1:${first.port}`));
    expect(() => serve({ headersTimeout: -1 }, function* () {})).toThrow(/headersTimeout must be a number of ms >= 0/);
    expect(() => serve({ maxRequestsPerConnection: 0 }, function* () {})).toThrow(/maxRequestsPerConnection must be a whole number >= 1/);
    expect(() => serve({ maxHeaders: -5 }, function* () {})).toThrow(/maxHeaders/);
    expect(() => serve({}, "nope" as never)).toThrow(/handler must be a generator function/);
    // the first server is unaffected
    expect(await (await fetch(`http://127.0.0.1:${first.port}/`)).text()).toBe("first");
  });
});

describe("response headers", () => {
  it("set, replace and read headers case-insensitively, keeping the name's case on the wire", async () => {
    const combo = COMBOS[0]!;
    const seen: (string | undefined)[] = [];
    const s = await start(combo, function* (_req, res) {
      res.setHeader("X-Trace-Id", "one");
      res.setHeader("x-trace-id", "two"); // replaces, case-insensitively
      res.setHeader("Set-Cookie", ["a=1", "b=2"]);
      seen.push(res.getHeader("X-TRACE-ID"), res.getHeader("set-cookie"));
      res.removeHeader("SET-COOKIE");
      seen.push(res.getHeader("set-cookie"));
      res.setHeader("Content-Length", 2);
      yield* res.end("ok");
    });
    const r = await raw(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(r.text).toMatch(/\r\nx-trace-id: two\r\n/);
    expect(r.text).not.toMatch(/X-Trace-Id: one/);
    expect(r.text).not.toMatch(/Set-Cookie/i);
    expect(r.text.match(/content-length/gi)).toHaveLength(1);
    expect(r.text.endsWith("\r\n\r\nok")).toBe(true);
    expect(seen).toEqual(["two", "a=1", undefined]);
  });

  it("frames every kind of body exactly, and a response never borrows another's head", async () => {
    const combo = COMBOS[0]!;
    const long = "x".repeat(300) + "é"; // longer than the short-text path, not ASCII
    const bodies: Record<string, string | Uint8Array> = {
      "/ascii": "Hello, World!",
      "/utf8": "héllo ☃ 😀",
      "/long": long,
      "/bytes": new Uint8Array(12345).fill(97),
      "/big": new Uint8Array(40_000).fill(98),
      "/empty": "",
    };
    const s = await start(combo, function* (req, res) {
      // Alternate status and fields between requests, as routes do.
      if (req.path === "/utf8") res.status = 201;
      res.setHeader("x-route", req.path);
      if (req.path === "/bytes") res.setHeader("content-type", "application/octet-stream");
      yield* res.end(bodies[req.path]!);
    });
    for (let round = 0; round < 2; round++) {
      for (const [path, body] of Object.entries(bodies)) {
        const r = await fetch(`http://127.0.0.1:${s.port}${path}`);
        const got = new Uint8Array(await r.arrayBuffer());
        const want = typeof body === "string" ? new TextEncoder().encode(body) : body;
        expect(r.status).toBe(path === "/utf8" ? 201 : 200);
        expect(r.headers.get("x-route")).toBe(path);
        expect(r.headers.get("content-type")).toBe(path === "/bytes" ? "application/octet-stream" : null);
        expect(r.headers.get("content-length")).toBe(String(want.length));
        expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
      }
    }
  });

  it("the same handler answer differs as it must for GET, HEAD and Connection: close", async () => {
    const combo = COMBOS[0]!;
    const s = await start(combo, function* (_req, res) {
      res.setHeader("content-type", "text/plain");
      yield* res.end("Hello, World!");
    });
    const get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    const r = await raw(s.port, get + get + "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" + get + "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    const parts = r.text.split(/(?=HTTP\/1\.1 )/);
    expect(parts).toHaveLength(5);
    for (const i of [0, 1, 3]) expect(parts[i]).toMatch(/Content-Length: 13\r\n\r\nHello, World!$/);
    expect(parts[2]).toMatch(/Content-Length: 13\r\n\r\n$/); // HEAD: no body
    expect(parts[4]).toMatch(/Connection: close\r\n\r\nHello, World!$/);
    for (const i of [0, 1, 2, 3]) expect(parts[i]).not.toMatch(/Connection/);
    expect(r.closed).toBe(true);
  });
});
