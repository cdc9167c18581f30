// HTTPS: serve({ tls }) on both parsers and both scheduler backends, with
// certificates made by the run (test/support/tls-certs.ts), driven by real
// clients: curl --cacert (GET, keep-alive, a multi-MiB upload and
// download checked byte for byte), fetch through undici 7's Agent,
// node:https, and raw node:tls / node:net sockets. ALPN http/1.1, SNI, a
// client that does not trust the certificate, a plain-HTTP client on the
// TLS port, a client that opens TLS (or only TCP) and says nothing, and a
// graceful close with TLS connections open. A property test moves random
// sizes both ways with random write splits.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import fc from "fast-check";
import { Agent } from "undici";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Event, type ServeOptions, TlsError, sleep } from "../../src/index.js";
import { pattern } from "../support/helpers.js";
import { makeTestCerts } from "../support/tls-certs.js";
import { COMBOS, hasCurl, serverPool } from "./http-helpers.js";

const certs = makeTestCerts();
const scratch = mkdtempSync(join(tmpdir(), "tasklet-https-"));
afterAll(() => {
  certs.remove();
  rmSync(scratch, { recursive: true, force: true });
});
const { key, cert, certFile } = certs.main;
const other = certs.other;

const { start, closeAll } = serverPool();
afterEach(closeAll);

const run = promisify(execFile);
/** curl with the test CA, silent, failing on HTTP errors; its stdout. Bounded. */
async function curl(...args: string[]): Promise<string> {
  return (await run("curl", ["-sS", "--max-time", "20", "--cacert", certFile, ...args], { encoding: "latin1", maxBuffer: 64 << 20, timeout: 30_000 })).stdout;
}

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** Resolves with what `p` resolves to, or rejects after `ms` (no test can hang). */
function bounded<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** A GET through node:https: status, body, and the TLS facts of its socket. */
function httpsGet(port: number, path: string, options: https.RequestOptions): Promise<{ status: number; body: string; cn: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const r = https.get({ host: "127.0.0.1", port, path, agent: false, ...options }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const cn = String(socket.getPeerCertificate().subject.CN);
      const alpn = socket.alpnProtocol;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body, cn, alpn }));
    });
    r.on("error", reject);
  });
}

/** A raw TLS client: resolves once the server closes the connection (after the handshake), with what it got. */
function silentTls(port: number): Promise<{ secured: boolean; got: string }> {
  return new Promise((resolve) => {
    let secured = false;
    let got = "";
    const s = tls.connect({ port, host: "127.0.0.1", ca: cert, servername: "localhost" }, () => (secured = true));
    s.on("data", (d) => (got += d));
    s.on("error", () => {});
    s.on("close", () => resolve({ secured, got }));
  });
}

/** A raw TCP client: writes `send` (if any) and resolves once the server closes, with what it got. */
function plainClient(port: number, send?: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      if (send !== undefined) s.write(send);
    });
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("error", () => {});
    s.on("close", () => resolve(got));
  });
}

const TLS: ServeOptions = { tls: { key, cert } };

describe.each(COMBOS)("HTTPS, $parser parser, $backend backend", (combo) => {
  it.runIf(hasCurl)("curl --cacert: a GET, then keep-alive with several requests on one connection, HTTP/1.1", async () => {
    const s = await start(combo, function* (req, res) {
      yield* res.end(`hello ${req.path} secure=${req.secure}`);
    }, TLS);
    const base = `https://127.0.0.1:${s.port}`;
    expect(await curl(`${base}/one`)).toBe("hello /one secure=true");
    // One curl, three URLs: the first connects, the others reuse its connection.
    const out = await curl("-w", "|%{num_connects}|%{http_version}\\n", `${base}/a`, `${base}/b`, `${base}/c`);
    expect(out).toBe("hello /a secure=true|1|1.1\nhello /b secure=true|0|1.1\nhello /c secure=true|0|1.1\n");
  });

  it.runIf(hasCurl)("curl: a POST upload of several MiB whose bytes the handler checks, and a download checked byte for byte", async () => {
    const up = pattern(7, 5 * 1024 * 1024 + 123);
    const down = pattern(9, 4 * 1024 * 1024 + 77);
    const upFile = join(scratch, `up-${combo.parser}-${combo.backend}`);
    const downFile = join(scratch, `down-${combo.parser}-${combo.backend}`);
    writeFileSync(upFile, up);
    const s = await start(combo, function* (req, res) {
      if (req.method === "POST") {
        const h = createHash("sha256");
        let n = 0;
        for (let b = yield* req.read(); b !== null; b = yield* req.read()) {
          h.update(b);
          n += b.length;
        }
        return { body: `${n} ${h.digest("hex")}` };
      }
      for (let at = 0; at < down.length; at += 100_000) yield* res.write(down.subarray(at, Math.min(at + 100_000, down.length)));
      yield* res.end();
    }, TLS);
    const base = `https://127.0.0.1:${s.port}`;
    expect(await curl("--data-binary", `@${upFile}`, "-H", "content-type: application/octet-stream", `${base}/up`)).toBe(`${up.length} ${sha(up)}`);
    await curl("-o", downFile, `${base}/down`);
    const got = readFileSync(downFile);
    expect(got.length).toBe(down.length);
    expect(Buffer.compare(got, down)).toBe(0);
  });

  it("fetch through undici's Agent with the CA, node:https with ca: ALPN gives http/1.1, fetch-style URLs are https", async () => {
    const s = await start(combo, ((request: Request) => new Response(`url=${request.url}`)) as never, TLS);
    const agent = new Agent({ connect: { ca: cert } });
    try {
      const r = await fetch(`https://localhost:${s.port}/x?y=1`, { dispatcher: agent } as RequestInit);
      expect(r.status).toBe(200);
      expect(await r.text()).toBe(`url=https://localhost:${s.port}/x?y=1`);
    } finally {
      await agent.close();
    }
    const viaNode = await httpsGet(s.port, "/n", { ca: cert, servername: "localhost", ALPNProtocols: ["h2", "http/1.1"] } as https.RequestOptions);
    expect(viaNode).toEqual({ status: 200, body: `url=https://127.0.0.1:${s.port}/n`, cn: "localhost", alpn: "http/1.1" });
  });

  it("SNI: the certificate of the name the client asks for, the default one otherwise; the handler sees the name", async () => {
    const s = await start(combo, function* (req) {
      return { body: `name=${req.tls?.servername}` };
    }, { tls: { key, cert, sni: { "other.test": { key: other.key, cert: other.cert } } } });
    expect(await httpsGet(s.port, "/", { ca: other.cert, servername: "other.test" })).toMatchObject({ status: 200, body: "name=other.test", cn: "other.test" });
    expect(await httpsGet(s.port, "/", { ca: cert, servername: "localhost" })).toMatchObject({ status: 200, body: "name=localhost", cn: "localhost" });
  });

  it("a client that does not trust the certificate fails with its own error; the server survives and serves the next client", async () => {
    const seen: TlsError[] = [];
    const s = await start(combo, function* () {
      return { body: "ok" };
    }, { tls: { key, cert, onClientError: (e) => seen.push(e) } });
    const refused = await httpsGet(s.port, "/", { servername: "localhost" }).then(
      () => null,
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(refused).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(await httpsGet(s.port, "/", { ca: cert, servername: "localhost" })).toMatchObject({ status: 200, body: "ok" });
    for (const e of seen) expect(e).toBeInstanceOf(TlsError);
  });

  it("a plain-HTTP client on the TLS port is closed cleanly with no answer; the server goes on", async () => {
    const seen: TlsError[] = [];
    const s = await start(combo, function* () {
      return { body: "ok" };
    }, { tls: { key, cert, onClientError: (e) => seen.push(e) } });
    const got = await bounded(5_000, "plain client", plainClient(s.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    expect(got).toBe("");
    expect(seen.map((e) => e.code)).toEqual(["ERR_SSL_HTTP_REQUEST"]);
    expect(await httpsGet(s.port, "/", { ca: cert, servername: "localhost" })).toMatchObject({ status: 200, body: "ok" });
  });

  it("a client that opens TCP or TLS and says nothing is cut after headersTimeout", async () => {
    const seen: TlsError[] = [];
    const s = await start(combo, function* () {
      return { body: "ok" };
    }, { headersTimeout: 300, tls: { key, cert, onClientError: (e) => seen.push(e) } });
    const [tcpOnly, tlsOnly] = await bounded(5_000, "silent clients", Promise.all([plainClient(s.port), silentTls(s.port)]));
    expect(tcpOnly).toBe("");
    expect(tlsOnly).toEqual({ secured: true, got: "" });
    expect(seen.map((e) => e.code)).toEqual(["ETIMEDOUT"]);
    expect(seen[0]!.message).toContain("no handshake within 300 ms");
    expect(s.connections).toBe(0);
    expect(await httpsGet(s.port, "/", { ca: cert, servername: "localhost" })).toMatchObject({ status: 200, body: "ok" });
  });

  it("close() with TLS connections open: the request in flight completes with Connection: close, the idle one closes, the server ends", async () => {
    const entered = new Event();
    const release = new Event();
    const s = await start(combo, function* (req) {
      if (req.path === "/slow") {
        entered.set();
        yield* release.wait();
      }
      return { body: `done ${req.path}` };
    }, TLS);
    // Two agents: a kept-alive socket goes back to its agent, which would give it to the next request.
    const idleAgent = new https.Agent({ keepAlive: true, ca: cert, servername: "localhost" });
    const slowAgent = new https.Agent({ keepAlive: true, ca: cert, servername: "localhost" });
    const get = (path: string, agent: https.Agent) =>
      new Promise<{ body: string; connection: string | undefined; socket: tls.TLSSocket }>((resolve, reject) => {
        https
          .get({ host: "127.0.0.1", port: s.port, path, agent }, (res) => {
            let body = "";
            const socket = res.socket as tls.TLSSocket; // (null on the response once the agent takes the socket back)
            res.on("data", (d) => (body += d));
            res.on("end", () => resolve({ body, connection: res.headers.connection, socket }));
          })
          .on("error", reject);
      });
    try {
      const idle = await get("/idle", idleAgent); // its connection stays open, kept alive, idle
      const idleClosed = new Promise<void>((r) => (idle.socket.destroyed ? r() : idle.socket.once("close", () => r())));
      const slow = get("/slow", slowAgent);
      while (!entered.isSet()) await new Promise((r) => setTimeout(r, 5));
      const closing = s.close({ timeout: 5_000 });
      await bounded(5_000, "idle TLS connection closed", idleClosed);
      await sleepReal(20);
      release.set();
      const r = await bounded(5_000, "in-flight response", slow);
      expect(r).toMatchObject({ body: "done /slow", connection: "close" });
      await bounded(5_000, "server end", Promise.resolve(closing));
      expect(s.connections).toBe(0);
    } finally {
      idleAgent.destroy();
      slowAgent.destroy();
    }
  });

  it("property: uploads and downloads of random sizes with random write splits arrive whole", async () => {
    const s = await start(combo, function* (req, res) {
      const h = createHash("sha256");
      let n = 0;
      for (let b = yield* req.read(); b !== null; b = yield* req.read()) {
        h.update(b);
        n += b.length;
      }
      const q = req.query;
      const down = pattern(Number(q.get("seed")), Number(q.get("n")));
      const splits = (q.get("splits") ?? "").split(",").map(Number);
      res.setHeader("x-up", `${n} ${h.digest("hex")}`);
      for (let at = 0, i = 0; at < down.length; i++) {
        const k = Math.min(splits[i % splits.length]!, down.length - at);
        yield* res.write(down.subarray(at, at + k));
        at += k;
        if (i % 3 === 2) yield* sleep(0);
      }
      yield* res.end();
    }, TLS);
    const agent = new https.Agent({ keepAlive: true, ca: cert, servername: "localhost", maxSockets: 2 });
    const split = fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 6 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 400_000 }), split, fc.integer({ min: 0, max: 400_000 }), split, fc.integer(), async (upN, upSplits, downN, downSplits, seed) => {
          const up = pattern(seed ^ 0x5a5a, upN);
          const res = await new Promise<{ xUp: string; body: Buffer }>((resolve, reject) => {
            const r = https.request(
              { host: "127.0.0.1", port: s.port, method: "POST", path: `/?seed=${seed}&n=${downN}&splits=${downSplits.join(",")}`, agent },
              (res) => {
                const parts: Buffer[] = [];
                res.on("data", (d: Buffer) => parts.push(d));
                res.on("end", () => resolve({ xUp: String(res.headers["x-up"]), body: Buffer.concat(parts) }));
                res.on("error", reject);
              },
            );
            r.on("error", reject);
            (async () => {
              for (let at = 0, i = 0; at < up.length; i++) {
                const k = Math.min(upSplits[i % upSplits.length]!, up.length - at);
                if (!r.write(up.subarray(at, at + k))) await new Promise((d) => r.once("drain", d));
                at += k;
              }
              r.end();
            })().catch(reject);
          });
          expect(res.xUp).toBe(`${up.length} ${sha(up)}`);
          const want = pattern(seed, downN);
          expect(res.body.length).toBe(want.length);
          expect(Buffer.compare(res.body, want)).toBe(0);
        }),
        { numRuns: 10, seed: 42 },
      );
    } finally {
      agent.destroy();
    }
  });
});

function sleepReal(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
