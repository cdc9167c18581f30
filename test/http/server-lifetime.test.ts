/**
 * A server lives no longer than the task that started it: when that task's
 * scope ends (returns, fails, is cancelled), the listener closes, idle
 * connections close, and requests in flight are still answered within the
 * grace time. For serve() (each parser x backend) and serveTcp() (each
 * backend), plus a child process that must exit by itself.
 */
import { spawn as spawnChild } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Event, call, run, serve, serveTcp, sleep, spawn, type Server, type TcpServer } from "../../src/index.js";
import { COMBOS } from "./http-helpers.js";
import { BACKENDS } from "../support/helpers.js";

/** Whether a TCP connect to the port is refused (nothing listens). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNREFUSED" ? resolve(true) : reject(e)));
  });
}

/** An open raw socket and a promise of its close (a server that closes idle connections ends it). */
function idleSocket(port: number): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    const closed = new Promise<void>((r) => s.on("close", () => r()));
    s.on("error", () => {});
    s.on("connect", () => resolve({ closed }));
    s.once("error", reject);
  });
}

/** GET over a fresh connection: status, body and the Connection header. */
function get(port: number, path = "/"): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body, connection: res.headers.connection }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** Send a line over TCP and collect everything until the server closes. */
function tcpExchange(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    s.setEncoding("utf8");
    s.on("data", (d) => (got += d));
    s.on("close", () => resolve(got));
    s.on("error", reject);
    s.on("connect", () => s.write(line));
  });
}

describe.each(COMBOS)("serve() ends with its scope, $parser parser, $backend backend", ({ parser, backend }) => {
  it("scope returns: the port refuses connections, idle connections close, the run settles", async () => {
    let port = 0;
    let idle: Promise<{ closed: Promise<void> }> | null = null;
    await run(
      function* () {
        const s: Server = yield* serve({ port: 0, parser }, function* (_req, res) {
          yield* res.end("hi");
        });
        port = s.port;
        idle = idleSocket(port);
        yield* call(idle);
        // It is served while the scope lives.
        expect((yield* call(get(port))).body).toBe("hi");
      },
      { backend },
    );
    expect(port).toBeGreaterThan(0);
    expect(await refused(port)).toBe(true);
    await (await idle!).closed;
  });

  it("cancelling the task that started the server closes its listener", async () => {
    await run(
      function* () {
        const listening = new Event("listening");
        let port = 0;
        const child = spawn(function* () {
          const s = yield* serve({ port: 0, parser }, function* (_req, res) {
            yield* res.end("hi");
          });
          port = s.port;
          listening.set();
          yield* sleep(60_000);
        });
        yield* listening.wait();
        expect(yield* call(refused(port))).toBe(false);
        yield* child.cancel();
        expect(yield* call(refused(port))).toBe(true);
      },
      { backend },
    );
  });

  it("an error in the scope closes the listener too, and the error stands", async () => {
    let port = 0;
    const t = run(
      function* () {
        const s = yield* serve({ port: 0, parser }, function* (_req, res) {
          yield* res.end("hi");
        });
        port = s.port;
        throw new Error("boom in the scope");
      },
      { backend },
    );
    await expect(t).rejects.toThrow("boom in the scope");
    expect(await refused(port)).toBe(true);
  });

  it("a request in flight when the scope ends is answered (Connection: close), then the run settles", async () => {
    let answer: Promise<{ status: number; body: string; connection: string | undefined }> | null = null;
    let port = 0;
    await run(
      function* () {
        const started = new Event("handler started");
        const s = yield* serve({ port: 0, parser }, function* (_req, res) {
          started.set();
          yield* sleep(150);
          yield* res.end("late but whole");
        });
        port = s.port;
        answer = get(port, "/slow");
        yield* started.wait();
      },
      { backend },
    );
    expect(await answer!).toEqual({ status: 200, body: "late but whole", connection: "close" });
    expect(await refused(port)).toBe(true);
  });

  it("a request still running after closeTimeout is cancelled: the run does not wait for it", async () => {
    let cancelled = false;
    let answer: Promise<unknown> | null = null;
    await run(
      function* () {
        const started = new Event("handler started");
        const s = yield* serve({ port: 0, parser, closeTimeout: 50 }, function* () {
          started.set();
          try {
            yield* sleep(60_000);
          } finally {
            cancelled = true;
          }
        });
        answer = get(s.port).then(
          () => "answered",
          () => "dropped",
        );
        yield* started.wait();
      },
      { backend },
    );
    expect(cancelled).toBe(true);
    expect(await answer!).toBe("dropped");
  });
});

describe.each(BACKENDS)("serveTcp() ends with its scope, %s backend", (backend) => {
  const echoLine = function* (conn: import("../../src/index.js").Conn) {
    const line = yield* conn.readUntil("\n", 1024);
    if (line !== null) yield* conn.write(line);
  };

  it("scope returns: the port refuses connections and the run settles", async () => {
    let port = 0;
    await run(
      function* () {
        const s: TcpServer = yield* serveTcp({ port: 0 }, echoLine);
        port = s.port;
      },
      { backend },
    );
    expect(port).toBeGreaterThan(0);
    expect(await refused(port)).toBe(true);
  });

  it("cancelling the server task, or the task that started it, closes the listener", async () => {
    await run(
      function* () {
        const a = yield* serveTcp({ port: 0 }, echoLine);
        expect(yield* call(refused(a.port))).toBe(false);
        yield* a.task.cancel();
        expect(yield* call(refused(a.port))).toBe(true);

        const listening = new Event("listening");
        let port = 0;
        const child = spawn(function* () {
          port = (yield* serveTcp({ port: 0 }, echoLine)).port;
          listening.set();
          yield* sleep(60_000);
        });
        yield* listening.wait();
        yield* child.cancel();
        expect(yield* call(refused(port))).toBe(true);
      },
      { backend },
    );
  });

  it("an error in the scope closes the listener too, and the error stands", async () => {
    let port = 0;
    const t = run(
      function* () {
        port = (yield* serveTcp({ port: 0 }, echoLine)).port;
        throw new Error("boom in the scope");
      },
      { backend },
    );
    await expect(t).rejects.toThrow("boom in the scope");
    expect(await refused(port)).toBe(true);
  });

  it("a handler running when the scope ends finishes its answer; one still waiting after closeTimeout is cancelled", async () => {
    let answer: Promise<string> | null = null;
    let stuck: Promise<string> | null = null;
    let stuckCancelled = false;
    await run(
      function* () {
        const started = new Event("handler started");
        const s = yield* serveTcp({ port: 0, closeTimeout: 300 }, function* (conn) {
          const line = yield* conn.readUntil("\n", 1024);
          if (line === null) return;
          if (new TextDecoder().decode(line) === "stuck\n") {
            try {
              yield* sleep(60_000);
            } finally {
              stuckCancelled = true;
            }
          }
          started.set();
          yield* sleep(100);
          yield* conn.write("late but whole\n");
        });
        stuck = tcpExchange(s.port, "stuck\n");
        answer = tcpExchange(s.port, "slow\n");
        yield* started.wait();
      },
      { backend },
    );
    expect(await answer!).toBe("late but whole\n");
    expect(await stuck!).toBe("");
    expect(stuckCancelled).toBe(true);
  });
});

describe("a process whose server's scope returned exits by itself", () => {
  const fixture = fileURLToPath(new URL("../fixtures/scope-exit.mjs", import.meta.url));
  const EXIT_LIMIT_MS = 10_000;
  const cases = (["serve", "serveTcp"] as const).flatMap((kind) => BACKENDS.map((backend) => ({ kind, backend })));

  it.each(cases)("$kind, $backend backend", async ({ kind, backend }) => {
    const child = spawnChild(process.execPath, [fixture, kind, backend], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve("still running");
      }, EXIT_LIMIT_MS);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c ?? "killed");
      });
    });
    expect(out).toMatch(/listened on \d+, scope returned/);
    expect(code).toBe(0);
  });
});
