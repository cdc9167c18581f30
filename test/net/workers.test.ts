/**
 * Multi-core serving (`workers` of serve and serveTcp), with real processes:
 * test/fixtures/workers-server.mjs runs as a primary that forks its
 * workers, and the tests talk to it over 127.0.0.1 with node:http and
 * node:net clients, kill its processes by PID, and watch its JSON lines.
 * Every wait is bounded, and every process a test saw (the primary and each
 * worker it reported) is killed after the test, passed or failed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type TestContext, describe, expect, it } from "vitest";
import { reusePortError } from "../../src/config/system.js";
import { workerId } from "../../src/index.js";
import { COMBOS } from "../http/http-helpers.js";
import { BACKENDS } from "../support/helpers.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/workers-server.mjs", import.meta.url));
/** Bound of every wait for a line of the fixture (process starts are slow on a loaded machine). */
const WAIT_MS = 20_000;

type Line = Record<string, unknown>;

/** The fixture's primary: its lines, its exit, every PID it reported. */
class Fixture {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = "";
  exit: { code: number | null; signal: string | null } | null = null;
  private readonly waiters = new Set<() => void>();

  /** `finished`: the test's onTestFinished, which kills every process the fixture reported, pass or fail. */
  constructor(args: string[], finished: TestContext["onTestFinished"]) {
    this.child = spawn(process.execPath, [FIXTURE, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    this.child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.lines.push(JSON.parse(text) as Line);
        } catch {
          this.stderr += `${text}\n`;
        }
      }
      this.poke();
    });
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.child.on("exit", (code, signal) => {
      this.exit = { code, signal };
      this.poke();
    });
    finished(() => {
      for (const pid of this.pids()) if (alive(pid)) kill(pid, "SIGKILL");
    });
  }

  private poke(): void {
    for (const w of this.waiters) w();
  }

  /** Wait (bounded) until `pred` holds; returns its value. */
  until<T>(what: string, pred: () => T | undefined | false, ms = WAIT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = pred();
        if (v !== undefined && v !== false) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  ready(): Promise<{ port: number; pid: number; workers: { id: number; pid: number }[] }> {
    return this.until("the primary's ready line", () => this.lines.find((l) => l.ready === true) as never);
  }

  exited(): Promise<{ code: number | null; signal: string | null }> {
    return this.until("the primary's exit", () => this.exit ?? undefined);
  }

  /** Every worker PID a line named, and the primary's. */
  pids(): number[] {
    const out = new Set<number>();
    if (this.child.pid !== undefined) out.add(this.child.pid);
    for (const l of this.lines) {
      if (typeof l.pid === "number") out.add(l.pid);
      for (const w of (l.workers as { pid: number }[] | undefined) ?? []) out.add(w.pid);
      const e = l.exit as { pid?: number } | undefined;
      if (typeof e?.pid === "number") out.add(e.pid);
    }
    return [...out];
  }

  exits(): { id: number; pid: number; code: number | null; signal: string | null; expected: boolean; restartIn: number | null; crashes: number }[] {
    return this.lines.filter((l) => l.exit !== undefined).map((l) => l.exit as never);
  }
}

function kill(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process runs (a zombie, exited but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return false;
  }
}

/** Wait (bounded) until none of `pids` runs. */
async function allGone(pids: number[]): Promise<number[]> {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One GET on a connection of its own (no keep-alive): the status and body, or the error's code. */
function get(port: number, path: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false, headers: { connection: "close" }, timeout: WAIT_MS }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
      res.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** One TCP connection: what the server writes until it closes. */
function tcpRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    let out = "";
    s.setTimeout(WAIT_MS, () => s.destroy(new Error("client timeout")));
    s.on("data", (d: Buffer) => (out += d.toString()));
    s.on("end", () => resolve(out));
    s.on("error", reject);
  });
}

/** The worker that answered ("<id> <pid>"). */
function who(body: string): { id: number; pid: number } {
  const [id, pid] = body.trim().split(" ").map(Number);
  return { id: id!, pid: pid! };
}

/** Listening TCP sockets on `port` (IPv4), from /proc/net/tcp: one with round-robin (the primary's), one per worker with reusePort. */
function listeningSockets(port: number): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  return readFileSync("/proc/net/tcp", "latin1")
    .split("\n")
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(hex.trim()) && f[3] === "0A";
    }).length;
}

/** GETs `n` requests, one connection each, and returns who answered each. */
async function spread(port: number, n: number): Promise<{ id: number; pid: number }[]> {
  const rs = await Promise.all(Array.from({ length: n }, () => get(port, "/")));
  return rs.map((r) => {
    if (!("status" in r)) throw new Error(`a request failed: ${r.error}`);
    expect(r.status).toBe(200);
    return who(r.body);
  });
}

describe("workerId() outside any worker", () => {
  it("is 0 in a process of its own", () => {
    expect(workerId()).toBe(0);
  });
});

describe.concurrent("serve({ workers: 2 }), round-robin", () => {
  it.for(COMBOS)("$parser parser, $backend backend: requests spread over the workers on one port; SIGTERM answers every request received, then every process exits", async ({ parser, backend }, ctx) => {
    const f = new Fixture(["serve", "2", JSON.stringify({ parser, backend })], ctx.onTestFinished);
    const ready = await f.ready();
    expect(ready.port).toBeGreaterThan(0);
    expect(ready.workers.map((w) => w.id).sort()).toEqual([1, 2]);
    const pidOf = new Map(ready.workers.map((w) => [w.id, w.pid]));

    // Every worker serves some of 12 requests, each on a connection of its own, all on the one port.
    const served = await spread(ready.port, 12);
    for (const s of served) expect(pidOf.get(s.id)).toBe(s.pid);
    expect(new Set(served.map((s) => s.id))).toEqual(new Set([1, 2]));
    expect(listeningSockets(ready.port)).toBe(1);

    // SIGTERM to the primary with slow requests received by both workers: each is answered, then every process exits.
    const tags = ["a", "b", "c", "d"];
    const last = tags.map((t) => get(ready.port, `/slow?ms=400&tag=${t}`));
    await f.until("four slow requests started", () => f.lines.filter((l) => typeof l.started === "string").length === tags.length);
    kill(f.child.pid!, "SIGTERM");
    for (const a of await Promise.all(last)) expect(a).toMatchObject({ status: 200, body: expect.stringMatching(/^[12] \d+$/) });
    expect(await f.exited()).toEqual({ code: null, signal: "SIGTERM" });
    expect(await allGone(f.pids())).toEqual([]);
    expect(f.exits().map((e) => [e.id, e.code, e.signal, e.expected, e.restartIn]).sort()).toEqual([
      [1, 0, null, true, null],
      [2, 0, null, true, null],
    ]);
    // The diagnostics channel hears the same as onWorkerExit.
    expect(f.lines.filter((l) => l.channel !== undefined).map((l) => l.channel)).toEqual(f.exits());
  });
});

describe("the primary supervises its workers", () => {
  it("a worker that dies is replaced, and the other worker's requests in flight are all answered; one sent SIGTERM alone drains and is replaced; one that keeps crashing at start is replaced after delays that double, while the other serves; SIGINT stops it all", async (ctx) => {
    const marker = join(tmpdir(), `tasklet-workers-${process.pid}-loop`);
    rmSync(marker, { force: true });
    ctx.onTestFinished(() => rmSync(marker, { force: true }));
    const f = new Fixture(["serve", "2", JSON.stringify({ crashMarker: marker })], ctx.onTestFinished);
    const ready = await f.ready();
    const pidOf = new Map(ready.workers.map((w) => [w.id, w.pid]));

    // Requests in flight on both workers; SIGKILL worker 1: worker 2's are all answered.
    const tags = ["a", "b", "c", "d", "e", "f"];
    const inFlight = tags.map((t) => get(ready.port, `/slow?ms=500&tag=${t}`));
    const startedOn = await f.until("six slow requests started", () => {
      const m = new Map(f.lines.filter((l) => typeof l.started === "string").map((l) => [l.started as string, l.worker as number]));
      return m.size === tags.length && m;
    });
    expect(new Set(startedOn.values())).toEqual(new Set([1, 2]));
    kill(pidOf.get(1)!, "SIGKILL");
    const answers = await Promise.all(inFlight);
    tags.forEach((t, i) => {
      if (startedOn.get(t) === 2) expect(answers[i]).toEqual({ status: 200, body: `2 ${pidOf.get(2)}` });
      else expect(answers[i]).toHaveProperty("error"); // lost with the process that held it
    });

    // Replaced after the first delay; the newcomer takes requests on the same port.
    const exit = await f.until("worker 1's exit", () => f.exits().find((e) => e.id === 1));
    expect(exit).toMatchObject({ pid: pidOf.get(1), code: null, signal: "SIGKILL", expected: false, restartIn: 100, crashes: 1 });
    const fresh = await f.until("a new worker 1", () => f.lines.find((l) => l.worker === 1 && typeof l.pid === "number" && l.pid !== pidOf.get(1)) as { pid: number } | undefined);
    const after = await spread(ready.port, 12);
    expect(new Set(after.map((s) => s.pid))).toEqual(new Set([fresh.pid, pidOf.get(2)]));

    // SIGTERM to the newcomer alone: it drains and exits by itself (code 0), and is replaced like any
    // worker that leaves young. From now on every new worker crashes at start: the delay doubles.
    writeFileSync(marker, "");
    kill(fresh.pid, "SIGTERM");
    const exits = await f.until("three more exits of worker 1", () => {
      const e = f.exits().filter((x) => x.id === 1);
      return e.length >= 4 && e;
    });
    expect(exits.slice(1, 4).map((e) => [e.code, e.signal, e.restartIn, e.crashes])).toEqual([
      [0, null, 200, 2],
      [3, null, 400, 3],
      [3, null, 800, 4],
    ]);
    // Worker 2 went on serving meanwhile.
    for (const s of await spread(ready.port, 4)) expect(s).toEqual({ id: 2, pid: pidOf.get(2) });
    kill(f.child.pid!, "SIGINT");
    expect(await f.exited()).toEqual({ code: null, signal: "SIGINT" });
    expect(await allGone(f.pids())).toEqual([]);
  });

  it("a worker that dies before every worker listened fails the server with WorkerStartError, and nothing is forked again", async (ctx) => {
    const marker = join(tmpdir(), `tasklet-workers-${process.pid}-start`);
    writeFileSync(marker, "");
    ctx.onTestFinished(() => rmSync(marker, { force: true }));
    const f = new Fixture(["serve", "2", JSON.stringify({ crashMarker: marker, noHook: true })], ctx.onTestFinished);
    const exit = await f.exited();
    expect(exit.code).toBe(1);
    expect(f.stderr).toMatch(/WorkerStartError: tasklet http: worker [12] \(pid \d+\) exited \(code 3\) before it listened; a worker that cannot start is not restarted, the server stops/);
    // Without onWorkerExit, an exit not asked for is a line on stderr.
    expect(f.stderr).toMatch(/tasklet http: worker [12] \(pid \d+\) exited \(code 3\); not replaced\n/);
    const heard = f.lines.filter((l) => l.channel !== undefined).map((l) => l.channel as { restartIn: number | null });
    expect(heard.length).toBeGreaterThanOrEqual(1);
    expect(heard.every((e) => e.restartIn === null)).toBe(true);
    expect(await allGone(f.pids())).toEqual([]);
  });

  const tcpCases = [...BACKENDS.map((backend) => ({ kind: "serveTcp", backend, how: "inside run(): the scope's end" })), { kind: "startTcpServer", backend: BACKENDS.at(-1)!, how: "outside any task: close()" }];
  it.for(tcpCases)("$kind, $backend backend: port 0 resolves to one port that both workers serve; $how stops them all", async ({ kind, backend }, ctx) => {
    const f = new Fixture([kind, "2", JSON.stringify({ backend, scopeMs: 1500 })], ctx.onTestFinished);
    const ready = await f.ready();
    expect(ready.port).toBeGreaterThan(0);
    const outs = await Promise.all(Array.from({ length: 12 }, () => tcpRead(ready.port)));
    const pids = new Set(ready.workers.map((w) => w.pid));
    for (const o of outs) expect(pids.has(who(o).pid)).toBe(true);
    expect(new Set(outs.map((o) => who(o).id))).toEqual(new Set([1, 2]));
    // The scope returned (or close() was called): the primary exits by itself, after its workers, with no signal.
    expect(await f.exited()).toEqual({ code: 0, signal: null });
    expect(await allGone(f.pids())).toEqual([]);
    expect(f.exits().map((e) => e.expected)).toEqual([true, true]);
  });

  it("a second signal while the workers drain kills them at once instead of waiting for their requests", async (ctx) => {
    const f = new Fixture(["serve", "2", "{}"], ctx.onTestFinished);
    const ready = await f.ready();
    const slow = ["u", "v", "w", "x", "y", "z"].map((t) => get(ready.port, `/slow?ms=60000&tag=${t}`));
    const started = await f.until("six slow requests started", () => {
      const on = f.lines.filter((l) => typeof l.started === "string").map((l) => l.worker as number);
      return on.length === 6 && new Set(on);
    });
    expect(started).toEqual(new Set([1, 2])); // both workers have requests to drain
    kill(f.child.pid!, "SIGTERM");
    // Still draining (closeTimeout is 5 s): the second signal ends it.
    await new Promise((r) => setTimeout(r, 200));
    expect(f.exit).toBeNull();
    kill(f.child.pid!, "SIGTERM");
    expect(await f.exited()).toEqual({ code: null, signal: "SIGTERM" });
    expect(f.exits().map((e) => [e.id, e.signal, e.expected]).sort()).toEqual([
      [1, "SIGKILL", true],
      [2, "SIGKILL", true],
    ]);
    for (const r of await Promise.all(slow)) expect(r).toHaveProperty("error");
    expect(await allGone(f.pids())).toEqual([]);
  });

  it("close() in the primary before the workers listen stops the server: ready rejects, each worker drains once it listens, every process exits by itself", async (ctx) => {
    const f = new Fixture(["serve", "2", JSON.stringify({ closeAtOnce: true })], ctx.onTestFinished);
    expect(await f.exited()).toEqual({ code: 0, signal: null });
    expect(f.lines.find((l) => l.readyError !== undefined)).toEqual({ readyError: "tasklet http: the server stopped before its workers listened" });
    expect(f.lines.find((l) => l.closed === true)).toEqual({ closed: true, workers: [] });
    // Drained and gone by themselves (code 0), not killed at the deadline.
    expect(f.exits().map((e) => [e.id, e.code, e.signal, e.expected, e.restartIn]).sort()).toEqual([
      [1, 0, null, true, null],
      [2, 0, null, true, null],
    ]);
    expect(await allGone(f.pids())).toEqual([]);
  });

  const why = reusePortError();
  it(why === null ? "reusePort: each worker listens on a socket of its own, and the kernel spreads connections over them" : "reusePort is refused on this Node with a message that says what it needs", async (ctx) => {
    const f = new Fixture(["serve", "2", JSON.stringify({ reusePort: true })], ctx.onTestFinished);
    if (why !== null) {
      const exit = await f.exited();
      expect(exit.code).toBe(1);
      expect(f.stderr).toContain(`serve(): ${why}; leave reusePort out (with workers, the primary then hands connections round-robin)`);
      expect(f.lines).toEqual([]);
      return;
    }
    const ready = await f.ready();
    expect(listeningSockets(ready.port)).toBe(2);
    // The kernel picks by a hash of the connection's addresses: over 24 connections both workers get some.
    const served = await spread(ready.port, 24);
    expect(new Set(served.map((s) => s.id))).toEqual(new Set([1, 2]));
    kill(f.child.pid!, "SIGTERM");
    expect(await f.exited()).toEqual({ code: null, signal: "SIGTERM" });
    expect(await allGone(f.pids())).toEqual([]);
  });
});
