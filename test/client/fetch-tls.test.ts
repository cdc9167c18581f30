/**
 * httpFetch (a global Response over the green socket), https with a test
 * CA, and lifetimes: a client's sockets close with its task, idle sockets
 * close after idleTimeout and do not keep a process alive. Both backends
 * and both parsers.
 */
import { execFile } from "node:child_process";
import https from "node:https";
import type net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { HttpClient, HttpClientError, TlsError, call, httpFetch, run, sleep } from "../../src/index.js";
import { COMBOS } from "../http/http-helpers.js";
import { type TestCerts, makeTestCerts } from "../support/tls-certs.js";
import { type TestServer, nodeServer, randomBytes, readAll, sha256 } from "./client-helpers.js";

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function site(): Promise<TestServer> {
  const s = await nodeServer(async (req, res) => {
    const body = await readAll(req);
    if (req.url === "/json") return void res.setHeader("content-type", "application/json").end(JSON.stringify({ got: body.toString(), method: req.method }));
    if (req.url === "/moved") return void res.writeHead(301, { location: "/json" }).end();
    if (req.url === "/empty") return void res.writeHead(204).end();
    if (req.url?.startsWith("/big")) {
      const b = randomBytes(3, 1 << 20);
      res.setHeader("x-sha", sha256(b));
      return void res.end(b);
    }
    res.writeHead(404).end("nope");
  });
  servers.push(s);
  return s;
}

describe.each(COMBOS)("httpFetch and https (parser $parser, backend $backend)", ({ parser, backend }) => {
  const go = <T>(body: () => Generator<any, T, any>): Promise<T> => run(body, { backend }) as unknown as Promise<T>;

  it("returns a global Response whose body streams from the socket; follows redirects like fetch", async () => {
    const srv = await site();
    const got = await go(function* () {
      const client = new HttpClient({ parser });
      const a = yield* httpFetch(`${srv.url}/json`, { method: "POST", body: "hello", client });
      const aj = yield* call(a.json());
      const b = yield* httpFetch(`${srv.url}/moved`, { client });
      const bj = [b.status, b.redirected, b.url, yield* call(b.text())];
      const c = yield* httpFetch(`${srv.url}/moved`, { client, redirect: "manual" });
      const cj = [c.status, c.headers.get("location")];
      yield* call(c.arrayBuffer());
      const d = yield* httpFetch(`${srv.url}/empty`, { client });
      const big = yield* httpFetch(`${srv.url}/big`, { client });
      const reader = big.body!.getReader();
      const parts: Uint8Array[] = [];
      for (;;) {
        const r = yield* call(reader.read());
        if (r.done) break;
        parts.push(r.value);
      }
      return { aj, isResponse: a instanceof Response, bj, cj, d: [d.status, d.body], big: [sha256(Buffer.concat(parts)) === big.headers.get("x-sha"), parts.length > 1], opened: client.connectionsOpened };
    });
    expect(got.isResponse).toBe(true);
    expect(got.aj).toEqual({ got: "hello", method: "POST" });
    expect(got.bj).toEqual([200, true, `${srv.url}/json`, JSON.stringify({ got: "", method: "GET" })]);
    expect(got.cj).toEqual([301, "/json"]);
    expect(got.d).toEqual([204, null]);
    expect(got.big).toEqual([true, true]);
    expect(got.opened).toBe(1);
  });

  it("speaks https with a test CA, refuses an untrusted certificate with TlsError", async () => {
    const server = https.createServer({ key: certs.main.key, cert: certs.main.cert }, (req, res) => res.end(`tls ${req.url}`));
    const open = new Set<net.Socket>();
    server.on("secureConnection", (s) => {
      open.add(s);
      s.on("close", () => open.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const got = await go(function* () {
        const client = new HttpClient({ parser, tls: { ca: certs.main.cert } });
        const out: unknown[] = [];
        for (const host of ["localhost", "127.0.0.1"]) {
          const r = yield* client.request(`https://${host}:${port}/x`);
          out.push(yield* r.text());
        }
        const f = yield* httpFetch(`https://localhost:${port}/f`, { client });
        out.push(yield* call(f.text()));
        try {
          yield* new HttpClient({ parser }).request(`https://localhost:${port}/`);
        } catch (e) {
          out.push(e instanceof TlsError);
        }
        out.push(client.connectionsOpened);
        return out;
      });
      expect(got).toEqual(["tls /x", "tls /x", "tls /f", true, 2]);
      for (let i = 0; i < 200 && open.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(open.size).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("closes idle sockets after idleTimeout, and all sockets when the client's task ends", async () => {
    const srv = await site();
    const got = await go(function* () {
      const client = new HttpClient({ parser, idleTimeout: 30 });
      for (let i = 0; i < 3; i++) yield* (yield* client.request(`${srv.url}/json`)).text();
      const idle = client.idleConnections;
      for (let i = 0; i < 100 && client.idleConnections > 0; i++) yield* sleep(10);
      return [idle, client.idleConnections, client.openConnections];
    });
    expect(got).toEqual([1, 0, 0]);
    await srv.allClosed();

    const inner = await go(function* () {
      const client = new HttpClient({ parser, idleTimeout: 60_000 });
      yield* (yield* client.request(`${srv.url}/json`)).text();
      return client;
    });
    expect(inner.closed).toBe(true);
    await srv.allClosed();
    const after = await go(function* () {
      try {
        yield* inner.request(`${srv.url}/json`);
      } catch (e) {
        return (e as HttpClientError).code;
      }
    });
    expect(after).toBe("CLIENT_CLOSED");
  });
});

describe("a process whose client holds an idle keep-alive socket", () => {
  it("exits on its own: idle sockets are unref'd", async () => {
    const srv = await site();
    const out = await new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, ["test/fixtures/client-idle-exit.mjs", String(srv.port)], { timeout: 8000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
      child.on("error", reject);
    });
    expect(out.trim()).toBe("200 1");
    expect(srv.accepted).toBe(1);
  });
});
