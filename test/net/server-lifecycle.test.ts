/**
 * The server lifecycle (src/net/server-lifecycle.ts) on its own, through its
 * hooks: listening in the server task, `untilListening` and `ready`, accepted
 * connections holding permits until released, graceful close with its
 * timeout, the stopping hook, a listen failure, and a task cancelled before
 * it listened. serveTcp's and serve's suites test it through them.
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import { resolveServeTcp } from "../../src/config/options.js";
import { type Conn, NetError, type Task, call, current, run, sleep, spawn } from "../../src/index.js";
import { type ServerHooks, ServerLifecycle } from "../../src/net/server-lifecycle.js";
import { BACKENDS } from "../support/helpers.js";

const labels = (failOnListenError = false) => ({ task: "test server", who: "test server", failOnListenError });

/** Connect a plain client and wait until it is connected. */
function client(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(s));
    s.on("error", reject);
  });
}

/** A lifecycle whose hooks log what happens and keep each accepted connection (released by the test). */
function recorder(options: object = {}, failOnListenError = false) {
  const log: string[] = [];
  const conns: Conn[] = [];
  const hooks: ServerHooks = {
    accepted: (c) => {
      log.push("accepted");
      conns.push(c);
    },
    listening: (l) => log.push(`listening ${l.port > 0}`),
    listenFailed: (e) => log.push(`failed ${(e as NetError).code ?? (e as Error).message}`),
    stopping: () => log.push("stopping"),
  };
  const life = new ServerLifecycle(resolveServeTcp("test()", { port: 0, ...options }), hooks, labels(failOnListenError));
  return { life, log, conns };
}

describe.each(BACKENDS)("the server lifecycle on the %s backend", (backend) => {
  it("listens in its task, accepts into the hook, and on close waits for the open connections before it ends", async () => {
    const { life, log, conns } = recorder();
    const got = await run(
      function* () {
        life.start(current());
        const listener = yield* life.untilListening();
        const peers = [yield* call(client(listener.port)), yield* call(client(listener.port))];
        while (conns.length < 2) yield* sleep(1);
        const open = life.connections;
        const done = life.close(Infinity);
        log.push(`stopping ${life.stopping}`);
        yield* sleep(20);
        const stillRunning = !done.done;
        // Released one by one: the task ends after the last.
        for (const c of conns) {
          c.close();
          life.release();
        }
        yield* done;
        for (const p of peers) p.destroy();
        return { open, stillRunning, closed: listener.closed, after: life.connections };
      },
      { backend },
    );
    expect(got).toEqual({ open: 2, stillRunning: true, closed: true, after: 0 });
    expect(log).toEqual(["listening true", "accepted", "accepted", "stopping", "stopping true"]);
  });

  it("close(timeout): connections not released in time have their tasks cancelled when the server task returns", async () => {
    const { life, conns } = recorder();
    const got = await run(
      function* () {
        let finished = "";
        const hooks = life as unknown as { hooks: ServerHooks };
        hooks.hooks.accepted = (c) => {
          conns.push(c);
          life.spawn(
            (function* () {
              try {
                yield* sleep(10_000);
              } finally {
                finished = "cancelled";
                c.close();
                life.release();
              }
            })(),
            "slow connection",
          );
        };
        life.start(current());
        const listener = yield* life.untilListening();
        const peer = yield* call(client(listener.port));
        while (conns.length < 1) yield* sleep(1);
        const t0 = Date.now();
        yield* life.close(50);
        peer.destroy();
        return { finished, waited: Date.now() - t0 };
      },
      { backend },
    );
    expect(got.finished).toBe("cancelled");
    expect(got.waited).toBeGreaterThanOrEqual(40);
    expect(got.waited).toBeLessThan(5000);
  });

  it("a port in use: untilListening throws EADDRINUSE, the hook hears it, the task ends quietly unless told to fail", async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      for (const failOnListenError of [false, true]) {
        const { life, log } = recorder({ port }, failOnListenError);
        const got = await run(
          function* () {
            const task = life.start(current());
            let code = "";
            try {
              yield* life.untilListening();
            } catch (e) {
              code = (e as NetError).code;
            }
            let taskError = "";
            try {
              yield* task;
            } catch (e) {
              taskError = (e as NetError).code;
            }
            return { code, taskError };
          },
          { backend },
        ).catch((e: unknown) => ({ code: "root", taskError: (e as NetError).code }));
        expect(log).toEqual(["failed EADDRINUSE"]);
        if (failOnListenError) expect(got.taskError).toBe("EADDRINUSE");
        else expect(got).toEqual({ code: "EADDRINUSE", taskError: "" });
        await expect(life.ready).rejects.toBeInstanceOf(NetError);
      }
    } finally {
      blocker.close();
    }
  });

  it("started in a scope that ends at once: the task still runs to its listen, which is undone; ready says it never listened", async () => {
    const { life, log } = recorder();
    await run(
      function* () {
        const scope = spawn(function* () {
          life.start(current());
        });
        yield* scope;
      },
      { backend },
    );
    expect(life.listener).toBeNull();
    await expect(life.ready).rejects.toThrow("test server: the server task ended before it listened");
    expect(log).toEqual(["failed test server: the server task ended before it listened"]);
    expect(life.task!.done).toBe(true);
  });

  it("with no parent it runs a run of its own: ready resolves outside any task, close() ends it", async () => {
    const { life, log } = recorder();
    const task: Task<void> = life.start(null, backend);
    const listener = await life.ready;
    expect(listener.port).toBeGreaterThan(0);
    expect(await life.ready).toBe(listener);
    await life.close(0);
    expect(task.done).toBe(true);
    expect(listener.closed).toBe(true);
    expect(log).toEqual(["listening true", "stopping"]);
  });
});
