/**
 * Out of file descriptors. In a child process with a low limit (ulimit -n):
 * connections beyond the limit are shed (libuv's "EMFILE trick": it accepts
 * and closes them with a reserved descriptor, and node reports nothing),
 * existing connections keep being served, and once some close, new ones
 * are accepted again. When node does report an accept error (the 'error'
 * event of the listening server), the accept loop backs off (10 ms doubling
 * to 1 s) and warns once per episode, not once per try; checked here by
 * having the real net.Server report errors for a while.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call, run, serve, serveTcp, sleep, type Server, type TcpServer } from "../../src/index.js";
import { BACKENDS } from "../support/helpers.js";

const FD_LIMIT = 64;
const fixture = fileURLToPath(new URL("../fixtures/fd-limit-server.mjs", import.meta.url));

/** A kept-alive HTTP connection: `get(path)` sends a request, resolves with the body, or null if the server closed the connection first. */
function client(port: number): Promise<{ get: (path: string) => Promise<string | null>; close: () => void }> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    let buf = "";
    let waiting: ((v: string | null) => void) | null = null;
    let closed = false;
    s.setEncoding("latin1");
    s.on("error", () => {});
    s.on("data", (d) => {
      buf += d;
      const m = /\r\n\r\n(ok \S+)/.exec(buf);
      if (m && waiting) {
        buf = "";
        const w = waiting;
        waiting = null;
        w(m[1]!);
      }
    });
    s.on("close", () => {
      closed = true;
      waiting?.(null);
      waiting = null;
    });
    const api = {
      get: (path: string) =>
        new Promise<string | null>((r) => {
          if (closed) return r(null);
          waiting = r;
          s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
        }),
      close: () => s.destroy(),
    };
    s.on("connect", () => resolve(api));
  });
}

describe.each(BACKENDS)("a server out of file descriptors, %s backend", (backend) => {
  it(`ulimit -n ${FD_LIMIT}: excess connections are shed, existing ones served, new ones accepted once some close, no log spam`, async () => {
    const child = spawn("bash", ["-c", `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, process.execPath, fixture, backend], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d) => {
          out += d;
          const m = /port (\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        child.on("exit", () => reject(new Error(`server exited: ${stderr}`)));
      });
      const served: Awaited<ReturnType<typeof client>>[] = [];
      let shed = 0;
      // More connections than the limit allows; stop after a few are shed.
      for (let i = 0; i < 4 * FD_LIMIT && shed < 3; i++) {
        const c = await client(port);
        if ((await c.get(`/n${i}`)) === `ok /n${i}`) served.push(c);
        else {
          c.close();
          shed++;
        }
      }
      expect(shed).toBe(3); // the limit was reached
      expect(served.length).toBeGreaterThan(10);
      expect(served.length).toBeLessThan(FD_LIMIT);
      // Connections already accepted keep being served.
      expect(await served[0]!.get("/again")).toBe("ok /again");
      expect(await served[served.length - 1]!.get("/last")).toBe("ok /last");
      // Free some descriptors: new connections are accepted and served again.
      for (const c of served.splice(0, 10)) c.close();
      let back: string | null = null;
      for (let tries = 0; tries < 50 && back === null; tries++) {
        const c = await client(port);
        back = await c.get("/back");
        if (back === null) await new Promise((r) => setTimeout(r, 50));
        else served.push(c);
      }
      expect(back).toBe("ok /back");
      // Node sheds without reporting; at most one warning, never one per try.
      expect(stderr.match(/accepting on .* fails/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(stderr).not.toMatch(/Error|at /);
      for (const c of served) c.close();
      child.stdin.end();
      expect(await exited).toBe(0);
    } finally {
      child.kill();
    }
  });
});

/** Report an accept error on the listening socket every ms for `ms` ms, as node does when libuv's accept fails. */
function failAccepts(server: net.Server, ms: number, code = "EMFILE"): Promise<number> {
  return new Promise((resolve) => {
    let n = 0;
    const t = setInterval(() => {
      n++;
      server.emit("error", Object.assign(new Error(`accept ${code}`), { code, errno: -24, syscall: "accept" }));
    }, 1);
    setTimeout(() => {
      clearInterval(t);
      resolve(n);
    }, ms);
  });
}

describe.each(BACKENDS)("accept errors back off and warn once per episode, %s backend", (backend) => {
  afterEach(() => vi.restoreAllMocks());

  for (const kind of ["serve", "serveTcp"] as const) {
    it(`${kind}: a burst of accept errors gives one warning; an open connection is served meanwhile; accepting resumes`, async () => {
      const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      const result = await run(
        function* () {
          let server: Server | TcpServer;
          let node: net.Server;
          if (kind === "serve") {
            const s = yield* serve({ port: 0 }, function* (req, res) {
              yield* res.end(`ok ${req.path}`);
            });
            server = s;
            node = (s as unknown as { _life: { listener: { server: net.Server } } })._life.listener.server;
          } else {
            const s = yield* serveTcp({ port: 0 }, function* (conn) {
              for (;;) {
                const line = yield* conn.readUntil("\r\n\r\n", 4096);
                if (line === null) return;
                const path = /GET (\S+)/.exec(new TextDecoder().decode(line))![1];
                yield* conn.write(`HTTP/1.1 200 OK\r\ncontent-length: ${3 + path!.length}\r\n\r\nok ${path}`);
              }
            });
            server = s;
            node = s.listener.server;
          }
          const port = server.port;
          const early = yield* call(client(port));
          const episode = failAccepts(node, 300);
          yield* sleep(20);
          // Existing connection served during the episode.
          const during = yield* call(early.get("/during"));
          const tries = yield* call(episode);
          const warnsAfterFirst = warn.mock.calls.length;
          // Errors stopped: a new connection is accepted and served (the loop
          // retries within its longest pause, 1 s).
          const late = yield* call(client(port));
          const after = yield* call(late.get("/after"));
          // A second episode after a success warns again, once.
          yield* call(failAccepts(node, 100));
          const third = yield* call(client(port));
          const again = yield* call(third.get("/again"));
          early.close();
          late.close();
          third.close();
          return { during, tries, warnsAfterFirst, after, again, warns: warn.mock.calls.map((c) => String(c[0])) };
        },
        { backend },
      );
      expect(result.during).toBe("ok /during");
      expect(result.tries).toBeGreaterThan(20); // many failures in the first episode...
      expect(result.warnsAfterFirst).toBe(1); // ...one warning
      expect(result.after).toBe("ok /after");
      expect(result.again).toBe("ok /again");
      expect(result.warns).toHaveLength(2);
      expect(result.warns[0]).toMatch(/accepting on 127\.0\.0\.1:\d+ fails \(accept on 127\.0\.0\.1:\d+: accept EMFILE \(EMFILE\)\); retrying every 10 ms to 1000 ms/);
      expect(errors).not.toHaveBeenCalled();
    });
  }
});
