/**
 * Option objects are checked in one place (src/config/options.ts): an unknown key
 * or a wrong type is a TypeError naming the key, what was expected and what
 * was passed, with a "did you mean" hint for typos. Each public function
 * that takes options is exercised, run-related ones on both backends.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { connect, listen, run, serve, serveTcp, spawn, startTcpServer } from "../../src/index.js";
import { LISTEN_OPTIONS, RUN_OPTIONS, SERVE_OPTIONS, SERVE_TCP_OPTIONS, START_TCP_SERVER_OPTIONS } from "../../src/config/options.js";
import { BACKENDS } from "../support/helpers.js";

const noop = function* () {};

/** The error `f` throws (fails the test if it throws nothing). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

describe.each(BACKENDS)("run() and spawn() options, %s backend", (backend) => {
  it("a typo in a key is a TypeError naming it, with the closest known key", () => {
    const e = thrown(() => run(noop, { backend, clok: "virtual" } as never));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('run(): unknown option "clok" (did you mean clock?); known options: backend, clock, name, traceSpawns, asyncContext');
  });

  it("a wrong value names the key, what was expected and what was passed", () => {
    const e = thrown(() => run(noop, { backend, clock: "virtul" } as never));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toBe('run(): clock must be "real" or "virtual", got "virtul" (a string)');
    expect(thrown(() => run(noop, { backend, name: 7 } as never)).message).toBe("run(): name must be a string, got 7");
  });

  it("spawn() inside a task checks its options too, and good options still run", async () => {
    const got = await run(
      function* () {
        const e = thrown(() => spawn(noop, { nmae: "x" } as never));
        const child = spawn(function* () {
          return "ran";
        }, { name: "child", backend: undefined });
        return [e instanceof TypeError, e.message, yield* child];
      },
      { backend, clock: "virtual", name: "root" },
    );
    expect(got).toEqual([true, 'spawn(): unknown option "nmae" (did you mean name?); known options: backend, clock, name, traceSpawns, asyncContext', "ran"]);
  });

  it("startTcpServer() checks its options (backend included) before starting a run", () => {
    const e = thrown(() => startTcpServer({ backend, prot: 0 } as never, noop));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/^startTcpServer\(\): unknown option "prot" \(did you mean port\?\); known options: port, host, path, backlog, noDelay, tls, handshakeTimeout, reusePort, maxConnections, closeTimeout, onError, name, workers, onWorkerExit, backend$/);
    const b = thrown(() => startTcpServer({ backend: "asm" } as never, noop));
    expect(b.message).toBe('startTcpServer(): backend must be "ts" or "wasm", got "asm" (a string)');
  });
});

describe("serve(), serveTcp(), listen(), connect() and close() options", () => {
  it("serve(): a typo like keepAliveTimout is not ignored", () => {
    const e = thrown(() => serve({ keepAliveTimout: 1000 } as never, noop));
    expect(e).toBeInstanceOf(TypeError);
    expect(e.message).toMatch(/^serve\(\): unknown option "keepAliveTimout" \(did you mean keepAliveTimeout\?\); known options: port, host, path, /);
  });

  it("serve(): wrong types say what was expected and what came", () => {
    const cases: [object, RegExp][] = [
      [{ port: "8080" }, /^serve\(\): port must be a whole number from 0 to 65535, got "8080" \(a string\)$/],
      [{ parser: "llhttp" }, /^serve\(\): parser must be "wasm" or "ts", got "llhttp" \(a string\)$/],
      [{ onError: "log" }, /^serve\(\): onError must be a function, got "log" \(a string\)$/],
      [{ maxBodySize: null }, /^serve\(\): maxBodySize must be a number of bytes >= 0, got null$/],
      [{ maxStreamedBodySize: "1mb" }, /^serve\(\): maxStreamedBodySize must be a number of bytes >= 0, got "1mb" \(a string\)$/],
      [{ headersTimeout: NaN }, /^serve\(\): headersTimeout must be a number of ms >= 0, got NaN$/],
      [{ host: 127 }, /^serve\(\): host must be a non-empty string, got 127$/],
    ];
    for (const [options, re] of cases) {
      const e = thrown(() => serve(options as never, noop));
      expect(e, JSON.stringify(options)).toBeInstanceOf(TypeError);
      expect(e.message).toMatch(re);
    }
  });

  it("serve(): out of range is a RangeError; Infinity where it means no limit", () => {
    const e = thrown(() => serve({ maxConnections: 0 }, noop));
    expect(e).toBeInstanceOf(RangeError);
    expect(e.message).toBe("serve(): maxConnections must be a whole number >= 1, got 0");
    expect(thrown(() => serve({ port: 70000 }, noop)).message).toBe("serve(): port must be a whole number from 0 to 65535, got 70000");
    expect(thrown(() => serve({ maxRequestsPerConnection: 1.5 }, noop))).toBeInstanceOf(RangeError);
  });

  it("serve(): path excludes port and host; options must be an object", () => {
    expect(thrown(() => serve({ path: "/tmp/x.sock", port: 0 }, noop)).message).toBe('serve(): path (a Unix domain socket) and port exclude each other; got path "/tmp/x.sock" and port 0');
    const h = thrown(() => serveTcp({ path: "/tmp/x.sock", host: "::1" }, noop));
    expect(h).toBeInstanceOf(TypeError);
    expect(h.message).toBe('serveTcp(): path (a Unix domain socket) and host exclude each other; got path "/tmp/x.sock" and host "::1"');
    expect(thrown(() => serve(null as never, noop)).message).toBe("serve(): options must be an object, got null");
    expect(thrown(() => serve({}, "handler" as never)).message).toBe('serve(options, handler): handler must be a generator function (function* (req, res)), a function (request) => Response, or an object with a fetch method; got "handler" (a string)');
  });

  it("serveTcp(), listen(), connect(): typos and types", () => {
    const t = thrown(() => serveTcp({ maxConection: 3 } as never, noop));
    expect(t).toBeInstanceOf(TypeError);
    expect(t.message).toMatch(/^serveTcp\(\): unknown option "maxConection" \(did you mean maxConnections\?\)/);
    expect(thrown(() => serveTcp({ backend: "ts" } as never, noop)).message).toMatch(/^serveTcp\(\): unknown option "backend"; known options:/);
    const l = thrown(() => listen({ backlog: "lots" } as never));
    expect(l).toBeInstanceOf(TypeError);
    expect(l.message).toBe('listen(): backlog must be a whole number >= 1, got "lots" (a string)');
    expect(thrown(() => listen({ nodelay: false } as never)).message).toMatch(/^listen\(\): unknown option "nodelay" \(did you mean noDelay\?\)/);
    const c = thrown(() => connect({ port: 80, timout: 5 } as never));
    expect(c).toBeInstanceOf(TypeError);
    expect(c.message).toMatch(/^connect\(\): unknown option "timout" \(did you mean timeout\?\)/);
    expect(thrown(() => connect({ port: 80, noDelay: "yes" } as never)).message).toBe('connect(): noDelay must be true or false, got "yes" (a string)');
  });

  it("close() of serve's Server and of a TcpServer", async () => {
    const s = serve({ port: 0 }, noop);
    await s.ready;
    const e = thrown(() => s.close({ timeot: 5 } as never));
    expect(e.message).toMatch(/^close\(\): unknown option "timeot" \(did you mean timeout\?\)/);
    expect(thrown(() => s.close({ timeout: "soon" } as never)).message).toBe('close(): timeout must be a number of ms >= 0, got "soon" (a string)');
    await s.close({ timeout: 0 });
    const t = await startTcpServer({ port: 0 }, noop);
    expect(thrown(() => t.close({ timeout: -1 })).message).toBe("close(): timeout must be a number of ms >= 0, got -1");
    await t.close({ timeout: 0 });
  });

  it("undefined values count as absent", async () => {
    const s = serve({ port: undefined, host: undefined, onError: undefined }, noop);
    await s.ready;
    expect(s.port).toBeGreaterThan(0);
    await s.close();
  });
});

describe("the check, property-based", () => {
  const tables = { "serve()": SERVE_OPTIONS, "serveTcp()": SERVE_TCP_OPTIONS, "startTcpServer()": START_TCP_SERVER_OPTIONS, "listen()": LISTEN_OPTIONS, "run()": RUN_OPTIONS };
  const call: Record<string, (o: object) => unknown> = {
    "serve()": (o) => serve(o, noop),
    "serveTcp()": (o) => serveTcp(o, noop),
    "startTcpServer()": (o) => startTcpServer(o, noop),
    "listen()": (o) => listen(o),
    "run()": (o) => run(noop, o),
  };

  it("any key outside a function's table is a TypeError that names it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(tables)), fc.string({ minLength: 1, maxLength: 20 }), fc.anything(), (fn, key, value) => {
        const table = tables[fn as keyof typeof tables];
        fc.pre(!Object.prototype.hasOwnProperty.call(table, key) && key !== "__proto__");
        const e = thrown(() => call[fn]!({ [key]: value }));
        return e instanceof TypeError && e.message.startsWith(`${fn}: unknown option ${JSON.stringify(key)}`);
      }),
      { seed: 20261207, numRuns: 300 },
    );
  });

  it("dropping one letter of a long known key suggests that key", () => {
    const long = Object.keys(SERVE_OPTIONS).filter((k) => k.length >= 8);
    fc.assert(
      fc.property(fc.constantFrom(...long), fc.nat(), (key, at) => {
        const i = at % key.length;
        const typo = key.slice(0, i) + key.slice(i + 1);
        const e = thrown(() => serve({ [typo]: 1 } as never, noop));
        return e.message.includes(`(did you mean ${key}?)`);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it("a value of the wrong type for any known key is a TypeError naming the key", () => {
    const keys = Object.keys(SERVE_OPTIONS);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.oneof(fc.constant(null), fc.object(), fc.array(fc.nat()), fc.bigInt(), fc.constant(Symbol.iterator)), (key, value) => {
        // An object is the right type for `tls` (what is inside is checked by src/net/tls.ts, test/net/tls-options.test.ts).
        fc.pre(!(SERVE_OPTIONS[key]!.kind === "object" && typeof value === "object" && value !== null && !Array.isArray(value)));
        const e = thrown(() => serve({ [key]: value } as never, noop));
        return e instanceof TypeError && e.message.startsWith(`serve(): ${key} must be `);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
