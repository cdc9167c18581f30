/**
 * Resolution of options (src/config/options.ts): checked and resolved in one
 * pass into a frozen config with every key, defaults filled in, "0 means no
 * limit" applied. Property-based over each function's table, plus the
 * defaults each function documents.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CONNECT_OPTIONS,
  LISTEN_OPTIONS,
  type OptionSpec,
  type OptionTable,
  RUN_OPTIONS,
  SCOPE_END_GRACE_MS,
  describeValue,
  SERVE_OPTIONS,
  SERVE_TCP_OPTIONS,
  START_TCP_SERVER_OPTIONS,
  resolveClose,
  resolveConnect,
  resolveListen,
  resolveRun,
  resolveServe,
  resolveServeTcp,
  resolveStartTcpServer,
} from "../../src/config/options.js";
import { autoWorkers, reusePortError, systemBacklog } from "../../src/config/system.js";
import { DEFAULT_LIMITS } from "../../src/http/parser/parser.js";

/** A value `spec` accepts. */
function valid(spec: OptionSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case "number": {
      const min = spec.min ?? -1e9;
      const max = spec.max ?? 1e9;
      const finite = spec.integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
      return spec.max === undefined && (!spec.integer || spec.infinite) ? fc.oneof(finite, fc.constant(Infinity)) : finite;
    }
    case "string":
      return fc.string({ minLength: spec.nonEmpty ? 1 : 0, maxLength: 8 });
    case "boolean":
      return fc.boolean();
    case "function":
      return fc.constant(() => {});
    case "object":
      return spec.orTrue ? fc.constantFrom<object | true>({ rejectUnauthorized: true }, true) : fc.constant({ rejectUnauthorized: true });
    case "enum":
      return fc.constantFrom(...spec.values);
    case "countOrAuto":
      return fc.oneof(fc.nat(64), fc.constant("auto"));
  }
}

/** Options objects `table` accepts: any subset of its keys, each with a valid value or undefined. */
function validOptions(table: OptionTable, required: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, spec] of Object.entries(table)) parts[k] = required.includes(k) ? valid(spec) : fc.option(valid(spec), { nil: undefined });
  return fc
    .record(parts, { requiredKeys: required })
    .filter((o) => o.path === undefined || (o.port === undefined && o.host === undefined && o.tls === undefined && o.reusePort !== true && (o.workers === undefined || o.workers === 0)))
    .filter((o) => o.reusePort !== true || reusePortError() === null);
}

/** What a key resolves to: the given value, else the table's default; 0 is Infinity where 0 means no limit. */
function expected(spec: OptionSpec, v: unknown): unknown {
  if (v === undefined) return "default" in spec ? spec.default : undefined;
  return spec.kind === "number" && spec.zeroIsNone && v === 0 ? Infinity : v;
}

const RESOLVERS: [string, OptionTable, (o: unknown) => object, string[], string[]][] = [
  ["run()", RUN_OPTIONS, (o) => resolveRun("run()", o), [], []],
  ["listen()", LISTEN_OPTIONS, (o) => resolveListen("listen()", o), [], ["backlog", "noDelay"]],
  ["connect()", CONNECT_OPTIONS, (o) => resolveConnect("connect()", o), ["port"], []],
  ["serveTcp()", SERVE_TCP_OPTIONS, (o) => resolveServeTcp("serveTcp()", o), [], ["backlog", "noDelay", "closeTimeout", "scopeEndGrace", "workers"]],
  ["startTcpServer()", START_TCP_SERVER_OPTIONS, (o) => resolveStartTcpServer("startTcpServer()", o), [], ["backlog", "noDelay", "closeTimeout", "scopeEndGrace", "workers"]],
  ["serve()", SERVE_OPTIONS, (o) => resolveServe("serve()", o), [], ["backlog", "noDelay", "closeTimeout", "scopeEndGrace", "handshakeTimeout", "tls", "workers"]],
];

describe.each(RESOLVERS)("%s", (fn, table, resolve, required, derived) => {
  it("any valid options object resolves to a frozen config with every key, given values kept and defaults filled", () => {
    fc.assert(
      fc.property(validOptions(table, required), (o) => {
        const cfg = resolve(o) as Record<string, unknown>;
        expect(Object.isFrozen(cfg)).toBe(true);
        expect(Object.keys(cfg).sort()).toEqual([...new Set([...Object.keys(table), ...derived])].sort());
        for (const [k, spec] of Object.entries(table)) if (!derived.includes(k)) expect(cfg[k], k).toBe(expected(spec, o[k]));
        if ("workers" in table) expect(cfg.workers).toBe(o.workers === "auto" ? autoWorkers() : (o.workers ?? 0));
      }),
      { seed: 1807, numRuns: 150 },
    );
  });

  it("any unknown key is rejected, naming it", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 16 }), fc.anything(), (key, value) => {
        fc.pre(!Object.prototype.hasOwnProperty.call(table, key) && key !== "__proto__");
        const o: Record<string, unknown> = { [key]: value };
        if (required.includes("port")) o.port = 80;
        expect(() => resolve(o)).toThrow(new TypeError(`${fn}: unknown option ${JSON.stringify(key)}`).message);
      }),
      { seed: 18, numRuns: 150 },
    );
  });
});

describe("the defaults", () => {
  it("run(): the real clock; no backend (the core decides), no name; one shared object", () => {
    expect(resolveRun("run()", undefined)).toEqual({ backend: undefined, clock: "real", name: undefined, traceSpawns: false, asyncContext: false });
    expect(resolveRun("run()", undefined)).toBe(resolveRun("spawn()", undefined));
  });

  it("listen(): a free port on 127.0.0.1, the system's backlog, Nagle off; with path, no Nagle setting", () => {
    expect(resolveListen("listen()", {})).toEqual({ port: 0, host: "127.0.0.1", path: undefined, backlog: systemBacklog(), noDelay: true, tls: undefined, handshakeTimeout: 10_000, reusePort: false });
    expect(resolveListen("listen()", { path: "/tmp/s.sock", noDelay: true }).noDelay).toBe(false);
    expect(systemBacklog()).toBeGreaterThanOrEqual(511);
  });

  it("connect(): a port is required; no timeout of its own", () => {
    expect(resolveConnect("connect()", { port: 80 })).toEqual({ port: 80, host: "127.0.0.1", timeout: Infinity, noDelay: true });
    expect(() => resolveConnect("connect()", undefined)).toThrow(new TypeError("connect(): options with a port are required, got undefined"));
    expect(() => resolveConnect("connect()", {})).toThrow(new RangeError("connect(): port must be a whole number from 1 to 65535, got undefined"));
  });

  it("serveTcp(): no connection limit; close() waits without limit, the scope's end 10 s; closeTimeout sets both", () => {
    const cfg = resolveServeTcp("serveTcp()", {});
    expect(cfg).toMatchObject({ maxConnections: Infinity, closeTimeout: Infinity, scopeEndGrace: SCOPE_END_GRACE_MS, onError: undefined, name: undefined });
    expect(resolveServeTcp("serveTcp()", { closeTimeout: 50 })).toMatchObject({ closeTimeout: 50, scopeEndGrace: 50 });
  });

  it("serve(): the parser's limits, 1 MiB buffered bodies, node:http's timeouts; 0 means no limit", () => {
    const cfg = resolveServe("serve()", {});
    expect(cfg).toMatchObject({
      parser: "wasm",
      maxHeaderSize: DEFAULT_LIMITS.maxHeaderSize,
      maxHeaders: DEFAULT_LIMITS.maxHeaders,
      maxRequestLine: DEFAULT_LIMITS.maxRequestLine,
      maxBodySize: 1 << 20,
      maxStreamedBodySize: Infinity,
      headersTimeout: 60_000,
      requestTimeout: 300_000,
      keepAliveTimeout: 5_000,
      idleTimeout: Infinity,
      closeTimeout: SCOPE_END_GRACE_MS,
      scopeEndGrace: SCOPE_END_GRACE_MS,
      maxConnections: Infinity,
      maxRequestsPerConnection: Infinity,
      noDelay: true,
    });
    const zero = resolveServe("serve()", { headersTimeout: 0, requestTimeout: 0, keepAliveTimeout: 0, idleTimeout: 0, closeTimeout: 0 });
    expect(zero).toMatchObject({ headersTimeout: Infinity, requestTimeout: Infinity, keepAliveTimeout: Infinity, idleTimeout: Infinity, closeTimeout: 0 });
  });

  it("close(): the server's default timeout unless given", () => {
    expect(resolveClose("close()", undefined, 7)).toEqual({ timeout: 7 });
    expect(resolveClose("close()", { timeout: 0 }, 7)).toEqual({ timeout: 0 });
    expect(() => resolveClose("close()", { timeout: -1 }, 7)).toThrow(new RangeError("close(): timeout must be a number of ms >= 0, got -1"));
  });
});

describe("checks that span keys", () => {
  it("workers: a whole number >= 0 or \"auto\" (one per CPU); not with a Unix socket", () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer({ min: -100, max: -1 }), fc.string(), fc.boolean()), (bad) => {
        fc.pre(bad !== "auto" && !(typeof bad === "number" && Number.isInteger(bad) && bad >= 0));
        const E = typeof bad === "number" && !Number.isNaN(bad) ? RangeError : TypeError;
        expect(() => resolveServe("serve()", { workers: bad })).toThrow(new E(`serve(): workers must be a whole number >= 0 or "auto", got ${describeValue(bad)}`));
      }),
      { seed: 21, numRuns: 100 },
    );
    expect(autoWorkers()).toBeGreaterThanOrEqual(1);
    expect(() => resolveServeTcp("serveTcp()", { path: "/tmp/w.sock", workers: 2 })).toThrow("serveTcp(): workers share a TCP port; a Unix domain socket (path) cannot take them");
  });

  it("reusePort: refused with a message naming what is missing on a Node or platform without it", () => {
    const table: [string, string, string | null][] = [
      ["20.20.2", "linux", "reusePort needs Node 22.12 or later (23.1 on the 23 line); this is Node 20.20.2"],
      ["22.11.0", "linux", "reusePort needs Node 22.12 or later (23.1 on the 23 line); this is Node 22.11.0"],
      ["22.12.0", "linux", null],
      ["23.0.0", "linux", "reusePort needs Node 22.12 or later (23.1 on the 23 line); this is Node 23.0.0"],
      ["23.1.0", "freebsd", null],
      ["26.1.0", "darwin", "reusePort is not available on darwin (Linux, FreeBSD, Solaris and AIX have it)"],
      ["24.0.0", "win32", "reusePort is not available on win32 (Linux, FreeBSD, Solaris and AIX have it)"],
    ];
    for (const [v, p, want] of table) expect(reusePortError(v, p), `${v} ${p}`).toBe(want);
    const here = reusePortError();
    if (here === null) expect(resolveServe("serve()", { reusePort: true, workers: 2 }).reusePort).toBe(true);
    else expect(() => resolveServe("serve()", { reusePort: true, workers: 2 })).toThrow(`serve(): ${here}; leave reusePort out`);
    expect(() => resolveListen("listen()", { path: "/tmp/r.sock", reusePort: true })).toThrow("listen(): reusePort is for TCP ports");
  });

  it("path excludes port and host, for every server", () => {
    expect(() => resolveListen("listen()", { path: "/tmp/x", port: 1 })).toThrow('listen(): path (a Unix domain socket) and port exclude each other; got path "/tmp/x" and port 1');
    expect(() => resolveServe("serve()", { path: "/tmp/x", host: "::1" })).toThrow('serve(): path (a Unix domain socket) and host exclude each other; got path "/tmp/x" and host "::1"');
  });

  it("backend and clock of a spawn inside a task, backend of a serve inside a task", () => {
    expect(() => resolveRun("spawn()", { clock: "real" }, true)).toThrow("spawn(): `backend` and `clock` apply to a whole run");
    expect(resolveRun("spawn()", { name: "x" }, true).name).toBe("x");
    expect(() => resolveServe("serve()", { backend: "ts" }, true)).toThrow("serve(): `backend` applies only when serve() starts its own run (outside a task)");
  });
});
