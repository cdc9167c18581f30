/**
 * Cancellation crossing into Promise land and back: the AbortSignal `call`
 * hands a function that declares a parameter, a task's own `signal`, and
 * `abortable(signal, op)`. Real `fetch` against a slow local node:http
 * server: the server sees its socket close when the task's wait is
 * abandoned, whether by withTimeout, a cancel from outside or a lost race.
 */
import { getEventListeners } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CancelledError,
  Channel,
  TimeoutError,
  abortable,
  call,
  current,
  race,
  run,
  sleep,
  spawn,
  withTimeout,
  type BackendName,
} from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

/** A server that answers `/fast` at once and never answers anything else; it reports each slow request's socket. */
class SlowServer {
  readonly server = http.createServer((req, res) => {
    if (req.url === "/fast") res.end("fast");
    else this.onSlow.push(req.socket);
  });
  readonly onSlow: Socket[] = [];
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    // The first fetch of a process loads undici: done here, not under a 50 ms limit.
    await (await fetch(`${this.url}/fast`)).text();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** Turns of the event loop (setImmediate hops) until `socket` closes; at most `max`, then -1. */
function turnsUntilClosed(socket: Socket, max = 50): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(0);
    let turns = 0;
    let done = false;
    socket.once("close", () => {
      done = true;
      resolve(turns);
    });
    const hop = (): void => {
      if (done) return;
      if (++turns > max) return resolve(-1);
      setImmediate(hop);
    };
    setImmediate(hop);
  });
}

/**
 * Run `attempt` until the slow request it makes has reached the server
 * before its wait was abandoned (on a loaded machine 50 ms may pass before
 * the server accepts it); returns what it returned and that request's socket.
 */
async function withRequestSeen<R>(srv: SlowServer, attempt: () => PromiseLike<R>): Promise<{ result: R; socket: Socket }> {
  for (let i = 0; ; i++) {
    const before = srv.onSlow.length;
    const result = await attempt();
    if (srv.onSlow.length > before) return { result, socket: srv.onSlow[srv.onSlow.length - 1]! };
    if (i === 5) throw new Error("the slow request never reached the server");
  }
}

describe.each(BACKENDS)("call's AbortSignal with real fetch on the %s backend", (backend: BackendName) => {
  const srv = new SlowServer();
  beforeAll(() => srv.start());
  afterAll(() => srv.stop());

  it("withTimeout(50, call(signal => fetch(...))): the signal aborts with the TimeoutError and the server's socket closes within a tick", async () => {
    const { result, socket } = await withRequestSeen(srv, () =>
      run(function* () {
        let signal: AbortSignal | undefined;
        try {
          yield* withTimeout(50, call((s) => fetch(`${srv.url}/slow`, { signal: (signal = s) })));
          return { error: null, signal };
        } catch (e) {
          return { error: e, signal, aborted: signal!.aborted };
        }
      }, { backend }),
    );
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(result.aborted).toBe(true); // already when the TimeoutError arrives
    expect(result.signal!.reason).toBe(result.error);
    // The client closed its socket by the time the TimeoutError was thrown:
    // the server reads the end of it on its next turn of the event loop.
    const turns = await turnsUntilClosed(socket);
    expect(turns).toBeGreaterThanOrEqual(0);
    expect(turns).toBeLessThanOrEqual(2);
  });

  it("a task cancelled from outside aborts its fetch, with a CancelledError carrying the reason", async () => {
    const { result, socket } = await withRequestSeen(srv, async () => {
      let signal: AbortSignal | undefined;
      const before = srv.onSlow.length;
      const t = run(function* () {
        yield* call((s) => fetch(`${srv.url}/slow`, { signal: (signal = s) }));
      }, { backend });
      for (let i = 0; i < 200 && srv.onSlow.length === before; i++) await new Promise((r) => setTimeout(r, 5));
      t.cancel("user left");
      await t.catch(() => {});
      return { signal: signal!, state: t.state };
    });
    expect(result.state).toBe("cancelled");
    expect(result.signal.aborted).toBe(true);
    expect(result.signal.reason).toBeInstanceOf(CancelledError);
    expect((result.signal.reason as CancelledError).reason).toBe("user left");
    expect(await turnsUntilClosed(socket)).toBeGreaterThanOrEqual(0);
  });

  it("a call that loses a race aborts its fetch; the winner's value comes back", async () => {
    const { result, socket } = await withRequestSeen(srv, () =>
      run(function* () {
        let signal: AbortSignal | undefined;
        const v = yield* race([call((s) => fetch(`${srv.url}/slow`, { signal: (signal = s) })), sleep(50)]);
        return { v, aborted: signal!.aborted, reason: signal!.reason };
      }, { backend }),
    );
    expect(result.v).toBeUndefined(); // sleep's value
    expect(result.aborted).toBe(true);
    expect(result.reason).toBeInstanceOf(CancelledError);
    expect(await turnsUntilClosed(socket)).toBeGreaterThanOrEqual(0);
  });

  it("a call whose Promise settled leaves its signal alone: the response body is read after the call", async () => {
    const r = await run(function* () {
      let signal: AbortSignal | undefined;
      const res = yield* withTimeout(5_000, call((s) => fetch(`${srv.url}/fast`, { signal: (signal = s) })));
      yield* sleep(5);
      const text = yield* call(res.text());
      return { text, aborted: signal!.aborted };
    }, { backend });
    expect(r).toEqual({ text: "fast", aborted: false });
  });
});

describe.each(BACKENDS)("call's AbortSignal on the %s backend", (backend) => {
  it("only a function that declares a parameter gets a signal", async () => {
    const r = await vrun(backend, function* () {
      const none = yield* call(function () {
        // eslint-disable-next-line prefer-rest-params
        return arguments.length;
      });
      const one = yield* call((s: AbortSignal) => s instanceof AbortSignal && !s.aborted);
      return { none, one };
    });
    expect(r).toEqual({ none: 0, one: true });
  });

  // A wait on a Promise holds the virtual clock still: these run on the real one.
  it("the tasks a withTimeout body spawned abort their calls with its TimeoutError", async () => {
    const r = await run(function* () {
      const signals: AbortSignal[] = [];
      const never = (s: AbortSignal) => (signals.push(s), new Promise<never>(() => {}));
      try {
        yield* withTimeout(20, function* () {
          const inner = spawn(function* () {
            spawn(function* () {
              yield* call(never);
            });
            yield* call(never);
          });
          yield* inner;
        });
      } catch (e) {
        return { e, signals };
      }
    }, { backend });
    expect(r!.e).toBeInstanceOf(TimeoutError);
    expect(r!.signals).toHaveLength(2);
    for (const s of r!.signals) expect(s.reason).toBe(r!.e);
  });

  it("a child's error thrown into a task waiting in call aborts the call's signal with that error", async () => {
    const r = await run(function* () {
      let signal: AbortSignal | undefined;
      spawn(function* () {
        yield* sleep(5);
        throw new Error("child failed");
      });
      try {
        yield* call((s) => ((signal = s), new Promise(() => {})));
      } catch (e) {
        return { message: (e as Error).message, reason: (signal!.reason as Error).message };
      }
    }, { backend });
    expect(r).toEqual({ message: "child failed", reason: "child failed" });
  });

  it("a rejected call does not abort its signal", async () => {
    const r = await vrun(backend, function* () {
      let signal: AbortSignal | undefined;
      try {
        yield* call((s) => ((signal = s), Promise.reject(new Error("no"))));
      } catch {
        return signal!.aborted;
      }
    });
    expect(r).toBe(false);
  });
});

describe.each(BACKENDS)("Task.signal on the %s backend", (backend) => {
  it("aborts when the task starts its cancellation, before its finally blocks, with the reason given", async () => {
    const log = makeLog();
    const r = await vrun(backend, function* () {
      const t = spawn(function* () {
        const signal = current().signal;
        signal.addEventListener("abort", () => log.add(`abort event: ${(signal.reason as CancelledError).reason}`));
        try {
          yield* sleep(1_000);
        } finally {
          log.add(`finally sees aborted=${signal.aborted}`);
        }
      });
      yield* sleep(5);
      yield* t.cancel("shutdown");
      return t.signal.reason;
    });
    expect(log).toEqual(["abort event: shutdown", "finally sees aborted=true"]);
    expect(r).toBeInstanceOf(CancelledError);
    expect((r as CancelledError).message).toMatch(/was cancelled: shutdown/);
  });

  it("an Error given to cancel() is the reason as it is", async () => {
    const boom = new Error("boom");
    const r = await vrun(backend, function* () {
      const t = spawn(function* () {
        yield* sleep(1_000);
      });
      const signal = t.signal;
      yield* t.cancel(boom);
      return signal.reason;
    });
    expect(r).toBe(boom);
  });

  it("aborts when the body ends otherwise: returned (a CancelledError) or failed (its error)", async () => {
    const r = await vrun(backend, function* () {
      const ok = spawn(function* () {
        yield* sleep(1);
        return 1;
      });
      const failing = spawn(function* () {
        yield* sleep(2);
        throw new Error("bad");
      });
      const s1 = ok.signal;
      const s2 = failing.signal;
      const during = s1.aborted || s2.aborted;
      yield* ok;
      try {
        yield* failing;
      } catch {}
      return { during, ok: [s1.aborted, (s1.reason as Error).message], failed: (s2.reason as Error).message };
    });
    expect(r.during).toBe(false);
    expect(r.ok[0]).toBe(true);
    expect(r.ok[1]).toMatch(/has ended/);
    expect(r.failed).toBe("bad");
  });

  it("a signal asked for after the task ended is already aborted; a cancelled task's without a body too", async () => {
    const r = await vrun(backend, function* () {
      const done = spawn(function* () {});
      yield* done;
      const never = spawn(function* () {});
      never.cancel("no need");
      yield* sleep(1);
      return [done.signal.aborted, never.signal.aborted, (never.signal.reason as CancelledError).reason];
    });
    expect(r).toEqual([true, true, "no need"]);
  });

  it("a task nobody asks for a signal has none", async () => {
    const x = await vrun(backend, function* () {
      const t = spawn(function* () {
        yield* sleep(1);
      });
      yield* t.cancel();
      return t._x?.abort ?? null;
    });
    expect(x).toBeNull();
  });
});

describe.each(BACKENDS)("abortable on the %s backend", (backend) => {
  it("an already aborted signal throws its reason at once; the body never starts", async () => {
    const reason = new Error("too late");
    let started = false;
    const r = await vrun(backend, function* () {
      try {
        yield* abortable(AbortSignal.abort(reason), function* () {
          started = true;
        });
      } catch (e) {
        return e;
      }
    });
    expect(r).toBe(reason);
    expect(started).toBe(false);
  });

  it("a foreign AbortController cancels the operation (its finally runs, the reason reaches its calls) and its reason is thrown", async () => {
    const log = makeLog();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const r = await run(function* () {
      let inner: AbortSignal | undefined;
      try {
        yield* abortable(controller.signal, function* () {
          try {
            yield* call((s) => ((inner = s), new Promise(() => {})));
          } finally {
            log.add("cleanup");
          }
        });
      } catch (e) {
        return { e, innerReason: inner!.reason };
      }
    }, { backend });
    expect(log).toEqual(["cleanup"]);
    expect((r!.e as Error).name).toBe("AbortError");
    expect(r!.e).toBe(controller.signal.reason);
    expect(r!.innerReason).toBe(controller.signal.reason);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  // abortable's wait counts as one on the outside world, which holds the
  // virtual clock still: these run on the real one.
  it("a signal aborted by another task of the run", async () => {
    const r = await run(function* () {
      const controller = new AbortController();
      const ch = new Channel<number>();
      spawn(function* () {
        yield* sleep(5);
        controller.abort("stop");
      });
      try {
        return yield* abortable(controller.signal, ch.recv());
      } catch (e) {
        return e;
      }
    }, { backend });
    expect(r).toBe("stop");
  });

  it("the listener is removed however the operation ends: returned, failed, aborted, or the waiting task cancelled", async () => {
    const controller = new AbortController();
    const signal = controller.signal;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom("return", "fail", "cancel-waiter", "abort-local"), { minLength: 1, maxLength: 12 }), async (ends) => {
        const r = await run(function* () {
          const out: string[] = [];
          for (const end of ends) {
            const local = new AbortController();
            const both = end === "abort-local" ? local.signal : signal;
            const waiter = spawn(function* () {
              return yield* abortable(both, function* () {
                if (end === "abort-local" || end === "cancel-waiter") yield* new Channel<void>().recv(); // until abandoned
                yield* sleep(1);
                if (end === "fail") throw new Error("failed");
                return "value";
              });
            });
            if (end === "cancel-waiter") {
              yield* sleep(1);
              yield* waiter.cancel();
              out.push(waiter.state);
              continue;
            }
            if (end === "abort-local") {
              yield* sleep(1);
              local.abort("aborted");
            }
            try {
              out.push(String(yield* waiter));
            } catch (e) {
              out.push(e instanceof Error ? e.message : String(e));
            }
            if (getEventListeners(local.signal, "abort").length !== 0) out.push("local listener left");
          }
          out.push(`listeners: ${getEventListeners(signal, "abort").length}`);
          return out;
        }, { backend });
        const expected = ends.map((e) => ({ return: "value", fail: "failed", "cancel-waiter": "cancelled", "abort-local": "aborted" })[e]);
        expect(r).toEqual([...expected, "listeners: 0"]);
      }),
      { numRuns: 20 },
    );
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  it("rejects a bad signal or body with a clear error", () => {
    expect(() => abortable({} as AbortSignal, sleep(1))).toThrow(/abortable\(signal, body\): signal must be an AbortSignal, got/);
    expect(() => abortable(new AbortController().signal, 5 as never)).toThrow(/abortable\(signal, body\): body must be an operation or a generator function, got 5/);
  });
});
