// TLS on the green sockets, on both scheduler backends: serveTcp and
// listen with `tls`, connect({ tls }), with certificates made by the run
// (test/support/tls-certs.ts). Both sides green; connect({ tls }) to node's
// own tls.createServer; SNI and ALPN; what fails (an untrusted or misnamed
// certificate, a plain-text peer, a client that says nothing) is a typed
// TlsError and the server goes on; what a task opens closes with it, a
// socket in its handshake with its listener; and the fence keeps the direct
// paths for plain sockets while TLS sockets take the stand-in.
import net from "node:net";
import tls from "node:tls";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type Conn, NetError, TlsError, call, connect, listen, run, serveTcp, sleep, spawn, withTimeout } from "../../src/index.js";
import { DuplexSocket, NODE_PATHS, drivesHandle } from "../../src/net/node/index.js";
import { BACKENDS, pattern } from "../support/helpers.js";
import { makeTestCerts } from "../support/tls-certs.js";
import { DIRECT_WRITES_EXPECTED } from "./net-paths.js";

const certs = makeTestCerts();
afterAll(() => certs.remove());
const { key, cert } = certs.main;
const other = certs.other;

/** Resolves with what `f` resolves to, or rejects after `ms` (no test can hang). */
function bounded<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** A raw TCP client that connects, optionally writes, and resolves once the server closes it (with what it got). */
function rawClient(port: number, send?: string): Promise<{ got: Buffer; closed: true }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect({ port, host: "127.0.0.1" }, () => {
      if (send !== undefined) s.write(send);
    });
    s.on("data", (d) => chunks.push(d));
    s.on("error", () => {});
    s.on("close", () => resolve({ got: Buffer.concat(chunks), closed: true }));
  });
}

/** Read until the end of stream; the bytes. */
function* readAll(conn: Conn) {
  const parts: Uint8Array[] = [];
  for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) parts.push(b);
  return Buffer.concat(parts);
}

/** Echo until the end of stream, then end. */
function* echo(conn: Conn) {
  for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b);
  conn.end();
}

describe.each(BACKENDS)("TLS on green sockets, %s backend", (backend) => {
  it("serveTcp + connect({ tls }): an echo, both sides green, whatever the sizes and write splits", async () => {
    await run(
      function* () {
        const server = yield* serveTcp({ port: 0, tls: { key, cert } }, echo);
        yield* call(
          fc.assert(
            fc.asyncProperty(fc.integer({ min: 1, max: 300_000 }), fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }), fc.integer(), async (size, splits, seed) => {
              const data = pattern(seed, size);
              const back = await run(
                function* () {
                  const conn = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert } });
                  const reader = spawn(() => readAll(conn));
                  for (let at = 0, i = 0; at < size; i++) {
                    const n = Math.min(splits[i % splits.length]!, size - at);
                    yield* conn.write(data.subarray(at, at + n));
                    at += n;
                  }
                  conn.end();
                  return yield* withTimeout(10_000, reader);
                },
                { backend },
              );
              expect(Buffer.compare(back, data)).toBe(0);
            }),
            { numRuns: 12, seed: 20 },
          ),
        );
        yield* server.close();
      },
      { backend },
    );
  });

  it("connect({ tls }) to node's own tls.createServer: ALPN, the protocol and the peer certificate", async () => {
    const node = tls.createServer({ key, cert, ALPNProtocols: ["tasklet-test", "http/1.1"] }, (s) => s.pipe(s));
    await new Promise<void>((r) => node.listen(0, "127.0.0.1", r));
    const port = (node.address() as net.AddressInfo).port;
    try {
      const got = await run(
        function* () {
          const conn = yield* connect({ port, host: "localhost", tls: { ca: cert, ALPNProtocols: ["tasklet-test"] } });
          yield* conn.write("hello over TLS");
          const b = yield* conn.readExactly(14);
          const t = conn.tls!;
          const r = [Buffer.from(b!).toString(), t.alpnProtocol, t.getProtocol(), t.getPeerCertificate().subject.CN, t.authorized];
          conn.close();
          return r;
        },
        { backend },
      );
      expect(got).toEqual(["hello over TLS", "tasklet-test", "TLSv1.3", "localhost", true]);
    } finally {
      node.close();
    }
  });

  it("an untrusted or misnamed certificate: connect throws TlsError, and the server serves the next client", async () => {
    const seen: unknown[] = [];
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0, tls: { key, cert, onClientError: (e) => seen.push(e) } }, echo);
        const errors: unknown[] = [];
        for (const opts of [{ host: "localhost", tls: true as const }, { host: "localhost", tls: { ca: other.cert } }, { host: "127.0.0.1", tls: { ca: cert, servername: "other.test" } }]) {
          try {
            yield* connect({ port: server.port, ...opts });
            errors.push("connected");
          } catch (e) {
            errors.push(e);
          }
        }
        const ok = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert } });
        yield* ok.write("still here");
        ok.end();
        const back = yield* readAll(ok);
        yield* server.close();
        return { errors, back: back.toString() };
      },
      { backend },
    );
    const codes = got.errors.map((e) => (e instanceof TlsError ? e.code : String(e)));
    expect(codes).toEqual(["DEPTH_ZERO_SELF_SIGNED_CERT", "DEPTH_ZERO_SELF_SIGNED_CERT", "ERR_TLS_CERT_ALTNAME_INVALID"]);
    for (const e of got.errors as TlsError[]) {
      expect(e).toBeInstanceOf(NetError);
      expect(e.operation).toBe("TLS handshake");
      expect(e.message).toMatch(/^TLS handshake with (localhost|127\.0\.0\.1):\d+: /);
    }
    expect((got.errors[0] as Error).message).toContain("self-signed and not trusted");
    expect(got.back).toBe("still here");
    // The server saw each refusal as a handshake its client broke off: told, not thrown.
    expect(seen.length).toBeLessThanOrEqual(3);
    for (const e of seen) expect(e).toBeInstanceOf(TlsError);
  });

  it("connect({ tls }) to a plain-text server is a TlsError; to nobody, the NetError of connect", async () => {
    const got = await run(
      function* () {
        const plain = yield* serveTcp({ port: 0 }, function* (conn) {
          yield* conn.write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
          conn.end();
          yield* readAll(conn);
        });
        const out: unknown[] = [];
        try {
          yield* connect({ port: plain.port, tls: { ca: cert } });
        } catch (e) {
          out.push(e);
        }
        const free = yield* listen({ port: 0 });
        const port = free.port;
        free.close();
        try {
          yield* connect({ port, tls: { ca: cert } });
        } catch (e) {
          out.push(e);
        }
        yield* plain.close();
        return out;
      },
      { backend },
    );
    expect(got[0]).toBeInstanceOf(TlsError);
    expect((got[0] as TlsError).code).toMatch(/^(ERR_SSL_WRONG_VERSION_NUMBER|ERR_SSL_PACKET_LENGTH_TOO_LONG|ECONNRESET)$/);
    expect(got[1]).toBeInstanceOf(NetError);
    expect(got[1]).not.toBeInstanceOf(TlsError);
    expect((got[1] as NetError).code).toBe("ECONNREFUSED");
  });

  it("a client that says nothing is cut after handshakeTimeout, a plain-text one at once; both are told to onClientError and the server goes on", async () => {
    const seen: TlsError[] = [];
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0, handshakeTimeout: 150, tls: { key, cert, onClientError: (e) => seen.push(e) } }, echo);
        const silent = yield* call(bounded(5_000, "silent client", rawClient(server.port)));
        const plain = yield* call(bounded(5_000, "plain client", rawClient(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
        const ok = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert } });
        yield* ok.write("next");
        ok.end();
        const back = (yield* readAll(ok)).toString();
        const handshaking = server.listener.handshaking;
        yield* server.close();
        return { silent, plain, back, handshaking };
      },
      { backend },
    );
    expect(got.silent.closed).toBe(true);
    expect(got.plain).toEqual({ got: Buffer.alloc(0), closed: true });
    expect(got.back).toBe("next");
    expect(got.handshaking).toBe(0);
    expect(seen.map((e) => e.code)).toEqual(["ETIMEDOUT", "ERR_SSL_HTTP_REQUEST"]);
    expect(seen[0]!.message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+: no handshake within 150 ms \(ETIMEDOUT\)$/);
    expect(seen[1]!.message).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+: the peer sent a plain HTTP request to a TLS port \(ERR_SSL_HTTP_REQUEST\)$/);
  });

  it("an onClientError that throws is reported, and the server goes on", async () => {
    const printed: unknown[][] = [];
    const realError = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      const back = await run(
        function* () {
          const server = yield* serveTcp({ port: 0, tls: { key, cert, onClientError: () => { throw new Error("hook failed"); } } }, echo);
          yield* call(bounded(5_000, "plain client", rawClient(server.port, "hello\r\n\r\n")));
          const ok = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert } });
          yield* ok.write("on");
          ok.end();
          const b = (yield* readAll(ok)).toString();
          yield* server.close();
          return b;
        },
        { backend },
      );
      expect(back).toBe("on");
      expect(printed.map((a) => [a[0], (a[1] as Error).message])).toEqual([["tasklet: tls.onClientError threw:", "hook failed"]]);
    } finally {
      console.error = realError;
    }
  });

  it("SNI picks the certificate of the name the client asks for; others get the default one", async () => {
    const got = await run(
      function* () {
        const server = yield* serveTcp({ port: 0, tls: { key, cert, sni: { "other.test": { key: other.key, cert: other.cert } } } }, function* (conn) {
          yield* conn.write(conn.tls!.servername || "none");
          conn.end();
        });
        const names: string[] = [];
        for (const [servername, ca] of [["other.test", other.cert], ["localhost", cert]] as const) {
          const c = yield* connect({ port: server.port, host: "127.0.0.1", tls: { ca, servername } });
          const said = (yield* readAll(c)).toString();
          names.push(`${said}:${c.tls!.getPeerCertificate().subject.CN}`);
        }
        yield* server.close();
        return names;
      },
      { backend },
    );
    expect(got).toEqual(["other.test:other.test", "localhost:localhost"]);
  });

  it("client certificates (requestCert): node's server-side check holds; a client without one never reaches the handler", async () => {
    const got = await run(
      function* () {
        let handled = 0;
        const server = yield* serveTcp({ port: 0, tls: { key, cert, requestCert: true, rejectUnauthorized: true, ca: other.cert } }, function* (conn) {
          handled++;
          const peer = conn.tls!.getPeerCertificate();
          yield* conn.write(`${conn.tls!.authorized} ${peer.subject.CN}`);
          conn.end();
        });
        const withCert = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert, key: other.key, cert: other.cert } });
        const said = (yield* readAll(withCert)).toString();
        let without: string;
        try {
          const c = yield* connect({ port: server.port, host: "localhost", tls: { ca: cert } });
          // TLS 1.3: the client's handshake is done before the server has checked; the server then hangs up.
          const b = yield* withTimeout(5_000, readAll(c));
          without = `read ${b.length} bytes`;
        } catch (e) {
          without = e instanceof NetError ? "refused" : String(e);
        }
        yield* sleep(20);
        const r = { said, without, handled };
        yield* server.close();
        return r;
      },
      { backend },
    );
    expect(got.said).toBe("true other.test");
    expect(got.without).toMatch(/^(refused|read 0 bytes)$/);
    expect(got.handled).toBe(1);
  });

  it("listen({ tls }): accept gives secured connections owned by the accepting task; a socket in its handshake closes with the listener", async () => {
    const got = await run(
      function* () {
        let accepted: Conn | null = null;
        let listenerRef: { closed: boolean; handshaking: number } | null = null;
        let port = 0;
        const ready = spawn(function* () {
          while (port === 0) yield* sleep(1);
        });
        const owner = spawn(function* () {
          const l = yield* listen({ port: 0, tls: { key, cert } });
          listenerRef = l;
          port = l.port;
          accepted = yield* l.accept();
          yield* sleep(1e9);
        });
        yield* ready;
        const client = yield* connect({ port, host: "localhost", tls: { ca: cert } });
        while (accepted === null) yield* sleep(1);
        const secured = (accepted as Conn).tls !== null;
        // A second client opens TCP and says nothing: its socket waits in the handshake.
        const silent = rawClient(port);
        while (listenerRef!.handshaking === 0) yield* sleep(1);
        yield* owner.cancel();
        const silentEnd = yield* call(bounded(5_000, "the silent client's close", silent));
        const clientEnd = yield* withTimeout(5_000, readAll(client));
        return { secured, closedConn: (accepted as Conn).closed, listenerClosed: listenerRef!.closed, handshaking: listenerRef!.handshaking, silentEnd: silentEnd.closed, clientEnd: clientEnd.length };
      },
      { backend },
    );
    expect(got).toEqual({ secured: true, closedConn: true, listenerClosed: true, handshaking: 0, silentEnd: true, clientEnd: 0 });
  });

  it("the fence: a plain connection keeps the direct paths, a TLS one drives node's TLSSocket through the stand-in", async () => {
    const got = await run(
      function* () {
        const seen: { plain?: Conn; tls?: Conn } = {};
        const handler = (kind: "plain" | "tls") =>
          function* (conn: Conn) {
            seen[kind] = conn;
            yield* echo(conn);
          };
        const plain = yield* serveTcp({ port: 0 }, handler("plain"));
        const secure = yield* serveTcp({ port: 0, tls: { key, cert } }, handler("tls"));
        const a = yield* connect({ port: plain.port });
        const b = yield* connect({ port: secure.port, host: "localhost", tls: { ca: cert } });
        for (const c of [a, b]) yield* c.write("x");
        for (const c of [a, b]) yield* c.readExactly(1);
        // Count what goes through node:net's stream on each server-side socket.
        const plainSocket = seen.plain!.socket;
        const tlsSocket = seen.tls!.tls!;
        let plainWrites = 0;
        let tlsWrites = 0;
        const pw = plainSocket.write.bind(plainSocket);
        plainSocket.write = ((...args: Parameters<typeof pw>) => (plainWrites++, pw(...args))) as typeof pw;
        const tw = tlsSocket.write.bind(tlsSocket);
        tlsSocket.write = ((...args: Parameters<typeof tw>) => (tlsWrites++, tw(...args))) as typeof tw;
        for (let i = 0; i < 5; i++) {
          for (const c of [a, b]) yield* c.write(`ping ${i}`);
          for (const c of [a, b]) yield* c.readExactly(6);
        }
        const r = {
          plainDriven: drivesHandle(plainSocket),
          plainIsSocket: plainSocket.constructor === net.Socket,
          plainDataListeners: plainSocket.listenerCount("data"),
          plainWrites,
          tlsDriven: drivesHandle(tlsSocket),
          tlsStandIn: seen.tls!.socket instanceof DuplexSocket,
          clientStandIn: b.socket instanceof DuplexSocket,
          tlsWrites,
          plainTls: seen.plain!.tls,
        };
        a.close();
        b.close();
        yield* plain.close();
        yield* secure.close();
        return r;
      },
      { backend },
    );
    expect(got.plainDriven).toBe(true);
    expect(got.plainIsSocket).toBe(true);
    // Reads into the shared buffer: no 'data' listener on a plain socket.
    expect(got.plainDataListeners).toBe(NODE_PATHS.sharedReadBuffer ? 0 : 1);
    // Writes straight to the handle: node:net's write never called for a plain socket.
    if (DIRECT_WRITES_EXPECTED) expect(got.plainWrites).toBe(0);
    else expect(got.plainWrites).toBeGreaterThan(0);
    expect(got.tlsDriven).toBe(false);
    expect(got.tlsStandIn).toBe(true);
    expect(got.clientStandIn).toBe(true);
    expect(got.tlsWrites).toBeGreaterThanOrEqual(5);
    expect(got.plainTls).toBeNull();
  });
});

describe("the fence's check of the sockets the direct paths may drive", () => {
  it("a plain net.Socket (connected or not yet) qualifies; a TLSSocket (its handle a TLSWrap) and other Duplexes do not", async () => {
    const { PassThrough } = await import("node:stream");
    const srv = net.createServer((s) => s.destroy());
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as net.AddressInfo).port;
    const fresh = new net.Socket();
    const plain = net.connect({ port, host: "127.0.0.1" });
    const secure = tls.connect({ port, host: "127.0.0.1" });
    for (const s of [plain, secure]) s.on("error", () => {});
    try {
      expect([drivesHandle(fresh), drivesHandle(plain), drivesHandle(secure), drivesHandle(new PassThrough())]).toEqual([true, true, false, false]);
    } finally {
      plain.destroy();
      secure.destroy();
      srv.close();
    }
  });
});

describe("TLS options", () => {
  it("are checked when the call is made: a missing or bad certificate, a misplaced option, a wrong type", () => {
    const thrown = (f: () => unknown): Error => {
      try {
        f();
      } catch (e) {
        return e as Error;
      }
      throw new Error("nothing thrown");
    };
    expect(thrown(() => listen({ tls: {} })).message).toBe("listen(): tls needs the server's key and cert (or pfx); got no key and no cert");
    expect(thrown(() => listen({ tls: { key: "nope", cert: "nope" } }))).toBeInstanceOf(TypeError);
    expect(thrown(() => listen({ tls: { key: "nope", cert: "nope" } })).message).toMatch(/^listen\(\): tls: /);
    expect(thrown(() => listen({ tls: { key, cert, sni: { "a.test": { key: "bad", cert: "bad" } } } })).message).toMatch(/^listen\(\): tls\.sni\["a\.test"\]: /);
    expect(thrown(() => listen({ tls: { key, cert, handshakeTimeout: 5 } as never })).message).toContain("handshakeTimeout option of listen()");
    expect(thrown(() => listen({ tls: "yes" as never })).message).toBe('listen(): tls must be an object, got "yes" (a string)');
    expect(thrown(() => serveTcp({ path: "/tmp/x.sock", tls: { key, cert } }, echo)).message).toMatch(/^serveTcp\(\): tls is for TCP listeners; a Unix domain socket \(path\) cannot take it/);
    expect(thrown(() => connect({ port: 1, tls: { port: 2 } as never })).message).toBe("connect(): tls.port: use connect()'s own option port, not one inside tls");
    expect(thrown(() => connect({ port: 1, tls: 1 as never })).message).toBe("connect(): tls must be an object or true, got 1");
  });

  it("no handshake limit (0) is node's longest timer, not node's default of 120 s that a 0 would give it", async () => {
    const { TlsAcceptor } = await import("../../src/net/tls.js");
    const limitOf = (ms: number): unknown => {
      const server = (new TlsAcceptor("t()", { key, cert }, ms) as unknown as { server: object }).server as Record<symbol, unknown>;
      const sym = Object.getOwnPropertySymbols(server).find((k) => k.description === "handshake-timeout")!;
      return server[sym];
    };
    expect([limitOf(Infinity), limitOf(150), limitOf(2 ** 40)]).toEqual([2 ** 31 - 1, 150, 2 ** 31 - 1]);
  });

  it("the http server offers ALPN http/1.1 and runs the handshake under headersTimeout (idleTimeout if shorter)", async () => {
    const { resolveServe } = await import("../../src/config/options.js");
    const cfg = resolveServe("serve()", { tls: { key, cert }, headersTimeout: 4000, idleTimeout: 3000 });
    expect(cfg.tls).toEqual({ ALPNProtocols: ["http/1.1"], key, cert });
    expect(cfg.handshakeTimeout).toBe(3000);
    expect(resolveServe("serve()", { tls: { key, cert, ALPNProtocols: ["x"] } }).tls).toEqual({ ALPNProtocols: ["x"], key, cert });
    expect(resolveServe("serve()", { headersTimeout: 0 }).handshakeTimeout).toBe(Infinity);
  });
});
