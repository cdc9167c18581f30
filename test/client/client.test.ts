/**
 * The green HTTP client against real servers on 127.0.0.1: node:http,
 * tasklet's own serve, and raw sockets that send crafted bytes. Every
 * suite runs on both scheduler backends and both response parsers.
 */
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { fc, test as ftest } from "@fast-check/vitest";
import {
  HttpClient,
  HttpClientError,
  HttpParseError,
  NetError,
  TimeoutError,
  call,
  each,
  request,
  run,
  spawn,
  sleep,
  withTimeout,
  type ClientResponse,
} from "../../src/index.js";
import { COMBOS, startServer } from "../http/http-helpers.js";
import { type TestServer, eachHead, nodeServer, randomBytes, rawServer, readAll, sha256, writeSplit } from "./client-helpers.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function keep<T extends TestServer>(s: Promise<T>): Promise<T> {
  const x = await s;
  servers.push(x);
  return x;
}

/** An echo server: answers with what it received (method, url, the body's sha256 and length) and a body of `x-size` random bytes. */
async function echoServer(): Promise<TestServer> {
  return keep(
    nodeServer(async (req, res) => {
      const body = await readAll(req);
      const size = Number(req.headers["x-size"] ?? 0);
      const out = randomBytes(size + 7, size);
      res.setHeader("x-method", req.method!);
      res.setHeader("x-url", req.url!);
      res.setHeader("x-body-sha", sha256(body));
      res.setHeader("x-body-len", String(body.length));
      res.setHeader("x-te", String(req.headers["transfer-encoding"] ?? ""));
      res.setHeader("x-out-sha", sha256(out));
      if (req.headers["x-chunked"] !== "1") res.setHeader("content-length", out.length);
      res.writeHead(200);
      await writeSplit(res, out, size);
      res.end();
    }),
  );
}

describe.each(COMBOS)("HTTP client (parser $parser, backend $backend)", ({ parser, backend }) => {
  const go = <T>(body: () => Generator<any, T, any>): Promise<T> => run(body, { backend }) as unknown as Promise<T>;

  ftest.prop(
    [
      fc.integer({ min: 0, max: 3 * 1024 * 1024 }),
      fc.integer({ min: 0, max: 1 << 20 }),
      fc.constantFrom("bytes", "iterable", "readable", "async", "iterable+length"),
      fc.boolean(),
      fc.integer(),
    ],
    { numRuns: 6 },
  )("random bodies both ways arrive whole (sha256), chunked and with a length", async (outSize, inSize, kind, chunkedDown, seed) => {
    const srv = await echoServer();
    const up = randomBytes(seed, inSize);
    const pieces = (): Buffer[] => {
      const out: Buffer[] = [];
      for (let i = 0, n = 1000 + (Math.abs(seed) % 90_000); i < up.length; i += n) out.push(up.subarray(i, i + n));
      return out;
    };
    const chunkedUp = kind === "iterable" || kind === "readable" || kind === "async";
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const body =
        kind === "bytes" ? up
        : kind === "readable" ? Readable.from(pieces())
        : kind === "async" ? (async function* () { for (const p of pieces()) { await null; yield p; } })()
        : pieces()[Symbol.iterator]();
      const headers: Record<string, string> = { "x-size": String(outSize), "x-chunked": chunkedDown ? "1" : "0" };
      if (kind === "iterable+length") headers["content-length"] = String(inSize);
      const res = yield* client.request(`${srv.url}/echo?x=1`, { method: "POST", body, headers });
      const bytes = yield* res.bytes();
      return { h: res.headers.toObject(), sha: sha256(bytes), len: bytes.length };
    });
    expect(got.h["x-body-sha"]).toBe(sha256(up));
    expect(Number(got.h["x-body-len"])).toBe(inSize);
    expect(got.h["x-te"]).toBe(chunkedUp ? "chunked" : "");
    expect(got.len).toBe(outSize);
    expect(got.sha).toBe(got.h["x-out-sha"]);
  });

  it("reuses one keep-alive connection for sequential requests, and closes it with the client's task", async () => {
    const srv = await echoServer();
    const n = await go(function* () {
      const client = new HttpClient({ parser });
      for (let i = 0; i < 20; i++) {
        const res = yield* client.request(`${srv.url}/n${i}`, { headers: { "x-size": String(i * 100) } });
        expect(res.headers.get("X-URL")).toBe(`/n${i}`);
        expect((yield* res.bytes()).length).toBe(i * 100);
      }
      return client.connectionsOpened;
    });
    expect(n).toBe(1);
    expect(srv.accepted).toBe(1);
    await srv.allClosed(); // the client was made in the run's task: its socket closed with it
  });

  it("keeps at most maxSockets connections, and 50 concurrent requests all complete", async () => {
    const srv = await echoServer();
    const got = await go(function* () {
      const client = new HttpClient({ parser, maxSockets: 4 });
      const tasks = [];
      for (let i = 0; i < 50; i++) {
        tasks.push(
          spawn(function* () {
            const res = yield* client.request(`${srv.url}/c${i}`, { headers: { "x-size": String(i) } });
            return [res.headers.get("x-url"), (yield* res.bytes()).length];
          }),
        );
      }
      const out = [];
      for (const t of tasks) out.push(yield* t);
      return out;
    });
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => [`/c${i}`, i]));
    expect(srv.accepted).toBeLessThanOrEqual(4);
    await srv.allClosed();
  });

  it("HEAD, 204, 304 and 1xx have no body; read-until-close reads to EOF", async () => {
    const srv = await keep(
      rawServer((s) =>
        eachHead(s, (head) => {
          const path = head.split(" ")[1];
          if (path === "/head") return "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
          if (path === "/204") return "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
          if (path === "/304") return "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n";
          if (path === "/1xx") return "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
          if (path === "/trailers") return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Sum: 5\r\nX-Other: y\r\n\r\n";
          if (path === "/close") {
            s.write("HTTP/1.1 200 OK\r\n\r\nuntil ");
            setTimeout(() => s.end("the end"), 5);
            return null;
          }
          return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        }),
      ),
    );
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const out: unknown[] = [];
      const h = yield* client.request(`${srv.url}/head`, { method: "HEAD" });
      out.push([h.status, h.headers.get("content-length"), (yield* h.bytes()).length]);
      for (const p of ["/204", "/304", "/1xx", "/trailers", "/close"]) {
        const r = yield* client.request(`${srv.url}${p}`);
        out.push([r.status, yield* r.text()]);
        if (p === "/trailers") out.push(r.trailers === null ? null : [...r.trailers]);
      }
      return [out, client.connectionsOpened];
    });
    expect(got[0]).toEqual([[200, "1234", 0], [204, ""], [304, ""], [200, "hi"], [200, "abcde"], [["x-sum", "5"], ["x-other", "y"]], [200, "until the end"]]);
    expect(got[1]).toBe(1); // one connection for all: none of these bodies broke it, the last closed it
  });

  it("follows redirects when asked (303 turns POST into GET, Authorization dropped across origins), up to the limit", async () => {
    const other = await echoServer();
    const srv = await keep(
      nodeServer(async (req, res) => {
        await readAll(req);
        const u = req.url!;
        if (u === "/a") res.writeHead(302, { location: "/b" }).end("moved");
        else if (u === "/b") res.writeHead(303, { location: "/c" }).end();
        else if (u === "/c") res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization ?? null }));
        else if (u === "/away") res.writeHead(307, { location: `${other.url}/there` }).end();
        else if (u.startsWith("/loop")) res.writeHead(301, { location: `/loop${Number(u.slice(5) || 0) + 1}` }).end();
        else res.writeHead(404).end();
      }),
    );
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const manual = yield* client.request(`${srv.url}/a`);
      const m = [manual.status, manual.headers.get("location"), yield* manual.text()];
      const r = yield* client.request(`${srv.url}/a`, { method: "POST", body: "x", redirect: "follow", headers: { authorization: "Bearer t" } });
      const followed = [r.status, r.url, r.redirected, yield* r.json()];
      const away = yield* client.request(`${srv.url}/away`, { method: "PUT", body: "abc", redirect: "follow", headers: { authorization: "Bearer t" } });
      const a = [away.status, away.headers.get("x-method"), away.headers.get("x-body-len"), away.headers.get("x-url")];
      yield* away.discard();
      let loop: unknown = null;
      try {
        yield* client.request(`${srv.url}/loop`, { redirect: "follow", maxRedirects: 5 });
      } catch (e) {
        loop = e;
      }
      return { m, followed, a, loop };
    });
    expect(got.m).toEqual([302, "/b", "moved"]);
    expect(got.followed).toEqual([200, `${srv.url}/c`, true, { method: "GET", auth: "Bearer t" }]);
    expect(got.a).toEqual([200, "PUT", "3", "/there"]);
    expect(got.loop).toBeInstanceOf(HttpClientError);
    expect((got.loop as HttpClientError).code).toBe("TOO_MANY_REDIRECTS");
    expect((got.loop as Error).message).toMatch(/more than 5 redirects/);
  });

  it("retries an idempotent request once when the server closed the pooled socket, but not a POST", async () => {
    // The server answers the first request of each connection and drops the connection at the second.
    const srv = await keep(
      rawServer((s) =>
        eachHead(s, (_head, i) => {
          if (i === 0) return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
          s.destroy();
          return null;
        }),
      ),
    );
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const a = yield* client.request(`${srv.url}/1`);
      yield* a.text();
      const b = yield* client.request(`${srv.url}/2`); // the pooled socket dies: retried on a new one
      const bt = yield* b.text();
      let post: unknown = null;
      try {
        yield* client.request(`${srv.url}/3`, { method: "POST", body: "x" });
      } catch (e) {
        post = e;
      }
      return [bt, client.connectionsOpened, post];
    });
    expect(got[0]).toBe("ok");
    expect(got[1]).toBe(2);
    expect(got[2]).toBeInstanceOf(Error);
    expect(got[2]).toSatisfy((e: unknown) => e instanceof NetError || (e instanceof HttpClientError && e.code === "NO_RESPONSE"));
  });

  it("withTimeout, cancellation and an aborted signal close the socket at once; the server sees the close", async () => {
    const srv = await keep(rawServer((s) => eachHead(s, () => null))); // never answers
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const out: unknown[] = [];
      try {
        yield* withTimeout(30, client.request(`${srv.url}/slow`));
      } catch (e) {
        out.push(e instanceof TimeoutError);
      }
      const t = spawn(function* () {
        yield* client.request(`${srv.url}/slow2`);
      });
      yield* sleep(20);
      yield* t.cancel();
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("stop")), 20);
      try {
        yield* client.request(`${srv.url}/slow3`, { signal: ac.signal });
      } catch (e) {
        out.push((e as Error).message);
      }
      try {
        yield* client.request(`${srv.url}/slow4`, { timeout: 20 });
      } catch (e) {
        out.push(e instanceof TimeoutError ? (e as Error).message : e);
      }
      out.push(client.openConnections);
      return out;
    });
    expect(got[0]).toBe(true);
    expect(got[1]).toBe("stop");
    expect(got[2]).toMatch(/no response bytes for 20 ms/);
    expect(got[3]).toBe(0);
    expect(srv.accepted).toBe(4);
    await srv.allClosed();
  });

  it("a bad response throws HttpParseError and the pool goes on with new connections", async () => {
    const srv = await keep(
      rawServer((s) =>
        eachHead(s, (head) => {
          const path = head.split(" ")[1];
          if (path === "/bad") return "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello";
          if (path === "/garbage") return "SMTP ready\r\n\r\n";
          return "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood";
        }),
      ),
    );
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const out: unknown[] = [];
      for (const p of ["/good", "/bad", "/good", "/garbage", "/good"]) {
        try {
          const r = yield* client.request(`${srv.url}${p}`);
          out.push(yield* r.text());
        } catch (e) {
          out.push(e instanceof HttpParseError ? "parse error" : e);
        }
      }
      return [out, client.connectionsOpened];
    });
    expect(got[0]).toEqual(["good", "parse error", "good", "parse error", "good"]);
    expect(got[1]).toBe(3);
    await srv.allClosed();
  });

  it("pipelines up to the depth on one connection, each response to its request", async () => {
    let maxSeen = 0;
    const srv = await keep(
      rawServer((s) => {
        const pending: string[] = [];
        eachHead(s, (head) => {
          pending.push(head.split(" ")[1]!);
          maxSeen = Math.max(maxSeen, pending.length);
          if (pending.length === 1) {
            setTimeout(() => {
              for (const p of pending.splice(0)) s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${p.length}\r\n\r\n${p}`);
            }, 10);
          }
          return null;
        });
      }),
    );
    const got = await go(function* () {
      const client = new HttpClient({ parser, maxSockets: 1, pipelining: 4 });
      // One request first, so the connection is known to keep alive.
      yield* (yield* client.request(`${srv.url}/first`)).text();
      const tasks = [];
      for (let i = 0; i < 12; i++) tasks.push(spawn(function* () { return yield* (yield* client.request(`${srv.url}/p${i}`)).text(); }));
      const out = [];
      for (const t of tasks) out.push(yield* t);
      return [out, client.connectionsOpened];
    });
    expect(got[0]).toEqual(Array.from({ length: 12 }, (_, i) => `/p${i}`));
    expect(got[1]).toBe(1);
    expect(maxSeen).toBeGreaterThan(1);
    expect(maxSeen).toBeLessThanOrEqual(4);
  });

  it("against tasklet's own serve: chunked responses read with each(res), chunks that later reads leave intact", async () => {
    const server = await startServer({ parser, backend }, function* (req, res) {
      const n = Number(new URL(req.target, "http://x").searchParams.get("n"));
      for (let i = 0; i < n; i++) yield* res.write(randomBytes(i, 5000));
      yield* res.end();
    });
    try {
      const got = await go(function* () {
        const client = new HttpClient({ parser });
        const res = yield* client.request(`http://127.0.0.1:${server.port}/t?n=20`);
        const chunks: Uint8Array[] = [];
        for (const c of yield* each<Uint8Array>(res)) {
          chunks.push(c);
          yield* each.next();
        }
        const copy = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        // More responses on the same connection: no earlier chunk may change.
        for (let i = 0; i < 3; i++) yield* (yield* client.request(`http://127.0.0.1:${server.port}/t?n=3`)).bytes();
        return [sha256(Buffer.concat(chunks)) === sha256(copy), copy.length, res.headers.get("transfer-encoding")];
      });
      expect(got).toEqual([true, 100_000, "chunked"]);
    } finally {
      await server.close({ timeout: 100 });
    }
  });

  it("a body left unread when its task ends closes that connection; discard() keeps it", async () => {
    const srv = await echoServer();
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const t = spawn(function* () {
        const r = yield* client.request(`${srv.url}/big`, { headers: { "x-size": String(4 << 20) } });
        return r.status; // body left unread
      });
      const status = yield* t;
      const afterUnread = client.openConnections;
      const r2 = yield* client.request(`${srv.url}/small`, { headers: { "x-size": "10" } });
      yield* r2.discard();
      return [status, afterUnread, client.idleConnections, client.connectionsOpened];
    });
    expect(got).toEqual([200, 0, 1, 2]);
  });

  it("reads bodies from plain code too: for await, readable(), and a break that closes the connection", async () => {
    const srv = await echoServer();
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const a = yield* client.request(`${srv.url}/a`, { headers: { "x-size": "300000" } });
      const viaFor = yield* call(async () => {
        const parts: Uint8Array[] = [];
        for await (const c of a) parts.push(c);
        return sha256(Buffer.concat(parts)) === a.headers.get("x-out-sha");
      });
      const b = yield* client.request(`${srv.url}/b`, { headers: { "x-size": "200000" } });
      const viaReadable = yield* call(async () => sha256(Buffer.concat(await b.readable().toArray())) === b.headers.get("x-out-sha"));
      const before = client.connectionsOpened;
      const c = yield* client.request(`${srv.url}/c`, { headers: { "x-size": String(4 << 20) } });
      yield* call(async () => {
        for await (const _ of c) break; // gives the rest up
      });
      return [viaFor, viaReadable, before, client.openConnections];
    });
    expect(got).toEqual([true, true, 1, 0]);
  });

  it("bad input is a clear error, not a crash", async () => {
    const got = await go(function* () {
      const out: string[] = [];
      for (const bad of [
        () => request("ftp://x/"),
        () => request("not a url"),
        () => request("http://127.0.0.1:1/", { headers: { "x-a": "a\r\nb: c" } }),
        () => request("http://127.0.0.1:1/", { method: "GE T" }),
        () => request("http://127.0.0.1:1/", { body: 42 as never }),
        () => new HttpClient({ maxSockets: 0 }),
      ]) {
        try {
          bad();
        } catch (e) {
          out.push((e as Error).constructor.name + ": " + (e as Error).message);
        }
      }
      try {
        yield* request("http://127.0.0.1:1/");
      } catch (e) {
        out.push((e as NetError).code);
      }
      return out;
    });
    expect(got[0]).toMatch(/TypeError: .*only http: and https:/);
    expect(got[1]).toMatch(/TypeError: .*invalid URL/);
    expect(got[2]).toMatch(/TypeError: .*x-a has an invalid value/);
    expect(got[3]).toMatch(/TypeError: .*invalid method/);
    expect(got[4]).toMatch(/TypeError: .*body must be/);
    expect(got[5]).toMatch(/RangeError: .*maxSockets/);
    expect(got[6]).toBe("ECONNREFUSED");
  });
});

describe("the default client", () => {
  it("request() works outside any client, and its idle sockets do not keep the process alive", async () => {
    const srv = await echoServer();
    const r = await run(function* () {
      const res: ClientResponse = yield* request(`${srv.url}/d`, { headers: { "x-size": "3" } });
      return [res.status, (yield* res.bytes()).length];
    });
    expect(r).toEqual([200, 3]);
  });
});
