// What a task opens closes when the task ends: the listener of listen(), the
// connections of connect() and of a listen() listener's accept(), whether
// the task returns, throws or is cancelled; closing early releases; a
// connection given away with transfer() outlives its opener; combinators
// hand what their helper tasks opened to the caller. The kernel primitive
// (own/release) is checked with a property test over random lives.
import { spawn as spawnProcess } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Channel, type Conn, type Listener, type Task, all, call, connect, current, listen, race, run, sleep, spawn, withTimeout } from "../../src/index.js";
import { type Ownership, own, release, setOwner } from "../../src/runtime/kernel.js";
import { BACKENDS } from "../support/helpers.js";

type Ending = "return" | "throw" | "cancel";

function throwIt(e: Error): never {
  throw e;
}
const ENDINGS: Ending[] = ["return", "throw", "cancel"];

/** A raw node:net server whose sockets report when the peer closed (EOF or reset). */
async function rawPeer(): Promise<{ port: number; closed: () => Promise<void>; server: net.Server; sockets: net.Socket[] }> {
  const sockets: net.Socket[] = [];
  const waiters: Promise<void>[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    sockets.push(s);
    s.resume();
    waiters.push(new Promise<void>((r) => (s.once("end", r), s.once("close", r))));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const closed = async (): Promise<void> => {
    while (waiters.length === 0) await new Promise((r) => setTimeout(r, 5));
    await waiters[0];
  };
  return { port, closed, server, sockets };
}

function stop(peer: { server: net.Server; sockets: net.Socket[] }): void {
  for (const s of peer.sockets) s.destroy();
  peer.server.close();
}

/** Run `body` in a child task and end it the way `how` says; returns once it is done. */
function* endWith(how: Ending, body: () => Generator<any, void, any>) {
  let opened = false;
  const t = spawn(function* opener() {
    yield* body();
    opened = true;
    if (how === "throw") throw new Error("opener failed");
    if (how === "cancel") yield* sleep(1e9);
  });
  if (how === "cancel") {
    while (!opened) yield* sleep(1);
    yield* t.cancel();
  } else {
    try {
      yield* t;
    } catch (e) {
      expect((e as Error).message).toBe("opener failed");
    }
  }
  return t;
}

describe.each(BACKENDS)("ownership on the %s backend", (backend) => {
  it.each(ENDINGS)("a listener is closed when its task ends (%s), and its port is free again", async (how) => {
    const result = await run(
      function* () {
        let l: Listener | undefined;
        yield* endWith(how, function* () {
          l = yield* listen({ port: 0 });
        });
        const closed = l!.closed;
        const again = yield* listen({ port: l!.port }); // EADDRINUSE if the first were still open
        again.close();
        return closed;
      },
      { backend },
    );
    expect(result).toBe(true);
  });

  it.each(ENDINGS)("a connection from connect() is closed when its task ends (%s): the peer sees it", async (how) => {
    const peer = await rawPeer();
    try {
      const closed = await run(
        function* () {
          let c: Conn | undefined;
          yield* endWith(how, function* () {
            c = yield* connect({ port: peer.port });
            yield* c.write("hello");
          });
          yield* withTimeout(5000, call(peer.closed())); // a TimeoutError if the peer never sees the close
          return c!.closed;
        },
        { backend },
      );
      expect(closed).toBe(true);
    } finally {
      stop(peer);
    }
  });

  it("an accepted connection is owned by the accepting task: its handler child uses it, then it closes after the children", async () => {
    const log = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const client = yield* connect({ port: listener.port });
        client.readTimeout = 5000; // an ETIMEDOUT, not a hang, if the acceptor's end did not close its conn
        const seen: string[] = [];
        const acceptor = spawn(function* acceptor() {
          const conn = yield* listener.accept();
          spawn(function* handler() {
            const b = yield* conn.read();
            seen.push(`handler read ${Buffer.from(b!).toString()}`);
            yield* conn.write("pong");
            seen.push(`handler sees closed=${conn.closed}`);
          });
          yield* sleep(20);
        });
        yield* client.write("ping");
        const answer = yield* client.read();
        seen.push(`client got ${Buffer.from(answer!).toString()}`);
        yield* acceptor;
        seen.push(`client then reads ${String(yield* client.read())}`); // EOF: the acceptor's end closed it
        listener.close();
        client.close();
        return seen;
      },
      { backend },
    );
    expect(log).toEqual(["handler read ping", "handler sees closed=false", "client got pong", "client then reads null"]);
  });

  it("closing early releases: the end of the task closes nothing twice", async () => {
    const got = await run(
      function* () {
        const peer = yield* listen({ port: 0 });
        const calls: string[] = [];
        /** Count the calls of `method` on this object (the task's end would call close() on the object itself). */
        const count = <T extends object>(x: T, name: string, method: "close" | "abort"): T => {
          const orig = (x as Record<string, () => void>)[method]!.bind(x);
          (x as Record<string, () => void>)[method] = () => {
            calls.push(`${name}.${method}`);
            orig();
          };
          if (method === "abort") count(x, name, "close");
          return x;
        };
        const t = spawn(function* opener() {
          const l = count(yield* listen({ port: 0 }), "listener", "close");
          const c = count(yield* connect({ port: peer.port }), "client", "close");
          const served = count(yield* peer.accept(), "served", "abort"); // owned by this task too
          const kept = count(yield* connect({ port: peer.port }), "kept", "close"); // not closed by hand
          c.close();
          l.close();
          served.abort();
          return [l, c, served, kept] as const;
        });
        const [l, c, served, kept] = yield* t;
        peer.close();
        return { calls, closed: [l.closed, c.closed, served.closed, kept.closed] };
      },
      { backend },
    );
    expect(got).toEqual({ calls: ["client.close", "listener.close", "served.abort", "kept.close"], closed: [true, true, true, true] });
  });

  it("a connection transferred to a longer-lived task stays open when its opener ends, and closes with its new owner", async () => {
    const peer = await rawPeer();
    try {
      const got = await run(
        function* () {
          const pool = new Channel<Conn>(1);
          const states: string[] = [];
          const worker = spawn(function* worker() {
            const c = yield* pool.recv();
            yield* sleep(30);
            states.push(`worker writes on an open conn: ${!c.closed}`);
            yield* c.write("from worker");
          });
          const dialer = spawn(function* dialer() {
            const c = yield* connect({ port: peer.port });
            c.transfer(worker); // before handing it over: the dialer may end before the worker runs
            yield* pool.send(c);
          });
          yield* dialer;
          yield* sleep(5);
          states.push(`dialer done, peer sockets ${peer.sockets.length}, open ${!peer.sockets[0]!.readableEnded}`);
          yield* worker;
          yield* withTimeout(5000, call(peer.closed())); // a TimeoutError if the peer never sees the close
          states.push("the worker's end closed it");
          return states;
        },
        { backend },
      );
      expect(got).toEqual(["dialer done, peer sockets 1, open true", "worker writes on an open conn: true", "the worker's end closed it"]);
    } finally {
      stop(peer);
    }
  });

  it("transfer(null): no task owns it; transfer to a task already done closes it at once", async () => {
    const got = await run(
      function* () {
        let kept: Listener | undefined;
        yield* endWith("return", function* () {
          kept = yield* listen({ port: 0 });
          kept.transfer(null);
        });
        const survived = !kept!.closed;
        const done = spawn(function* () {});
        yield* done;
        kept!.transfer(done);
        return [survived, kept!.closed];
      },
      { backend },
    );
    expect(got).toEqual([true, true]);
  });

  it("withTimeout, all and race hand the caller what their helper tasks opened; a cancelled helper's is closed", async () => {
    const got = await run(
      function* () {
        const listener = yield* listen({ port: 0 });
        const port = listener.port;
        const a = yield* withTimeout(2000, connect({ port }));
        const [b, c] = yield* all([connect({ port }), connect({ port })]);
        const d = yield* race([connect({ port }), sleep(5000)]);
        const accepted = yield* withTimeout(2000, listener.accept());
        yield* sleep(10);
        const open = [a, b, c, d as Conn, accepted].map((x) => !x.closed);
        // a helper cancelled after it connected closes its connection
        let lost: Conn | undefined;
        try {
          yield* withTimeout(50, function* () {
            lost = yield* connect({ port });
            yield* sleep(5000);
          });
        } catch {
          // the TimeoutError
        }
        const result = { open, lostClosed: lost!.closed };
        listener.close();
        return result;
      },
      { backend },
    );
    expect(got).toEqual({ open: [true, true, true, true, true], lostClosed: true });
  });
});

describe.each(BACKENDS)("the kernel's own/release on the %s backend", (backend) => {
  type Step = { kind: "open" } | { kind: "close"; pick: number } | { kind: "give"; pick: number };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.constant<Step>({ kind: "open" }),
    fc.nat(20).map<Step>((pick) => ({ kind: "close", pick })),
    fc.nat(20).map<Step>((pick) => ({ kind: "give", pick })),
  );

  type Res = { id: number; closes: number; owner: number; bodyRunning: () => boolean };

  /** The world one random life runs in: every resource made, the ids in the order their owners' ends closed them, the closes made while the body still ran. */
  class Life {
    readonly made: Res[] = [];
    readonly order: number[] = [];
    violations = 0;

    /** Opener `i`: follow `plan` (open, close one by hand, give one to `heir`), then end as `ending` says. */
    *opener(i: number, plan: Step[], ending: Ending, heir: Task) {
      const me = current();
      let running = true;
      const mine: { r: Res; h: Ownership | null }[] = [];
      try {
        for (const step of plan) {
          if (step.kind === "open") {
            const r: Res = { id: this.made.length, closes: 0, owner: i, bodyRunning: () => running };
            this.made.push(r);
            mine.push({ r, h: own(me, this.closer(r)) });
          } else if (mine.length > 0) {
            const m = mine.splice(step.pick % mine.length, 1)[0]!;
            if (step.kind === "close") {
              release(m.h!); // the user closed it
              m.r.closes++;
            } else {
              m.r.owner = -1; // the heir (the run's root) outlives every opener
              m.r.bodyRunning = () => false;
              setOwner(m.h, this.closer(m.r), heir);
            }
          }
          yield* sleep(0);
        }
        if (ending === "throw") throw new Error(`opener ${i}`);
        if (ending === "cancel") yield* sleep(1e9);
      } finally {
        running = false;
      }
    }

    private closer(r: Res): { close(): void } {
      return {
        close: () => {
          if (r.bodyRunning()) this.violations++;
          r.closes++;
          this.order.push(r.id);
        },
      };
    }
  }

  it("every resource is closed exactly once, never while its owner's body runs, newest first", async () => {
    const plansArb = fc.array(fc.array(stepArb, { maxLength: 12 }), { minLength: 1, maxLength: 4 });
    const endingsArb = fc.array(fc.constantFrom(...ENDINGS), { minLength: 4, maxLength: 4 });
    await fc.assert(
      fc.asyncProperty(plansArb, endingsArb, async (plans, endings) => {
        const life = new Life();
        await run(
          function* () {
            const root = current();
            const openers: Task[] = [];
            // a watcher joins its opener from the start, so a planned failure is handled
            const watchers = plans.map((plan, i) =>
              spawn(function* watcher() {
                openers[i] = spawn(() => life.opener(i, plan, endings[i]!, root));
                try {
                  yield* openers[i]!;
                } catch {
                  // the planned failure, or the cancellation
                }
              }),
            );
            yield* sleep(1);
            for (let i = 0; i < watchers.length; i++) {
              if (endings[i] === "cancel") yield* openers[i]!.cancel();
              yield* watchers[i]!;
              // what opener i still owned is closed once it is done
              for (const r of life.made) if (r.owner === i) expect(r.closes).toBe(1);
            }
          },
          { backend },
        );
        // the root ended too: what was given to it is closed
        for (const r of life.made) expect(r.closes).toBe(1);
        expect(life.violations).toBe(0);
        // an owner's end closes what it owns newest first
        for (let i = 0; i < plans.length; i++) {
          const closedByEnd = life.order.filter((id) => life.made[id]!.owner === i);
          expect(closedByEnd).toEqual([...closedByEnd].sort((x, y) => y - x));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("a close that throws fails the task like an error in its finally; on a failed task it is added as suppressed", async () => {
    const boom = new Error("close failed");
    const outcome = await run(
      function* () {
        const ok = spawn(function* () {
          own(current(), { close: () => void throwIt(boom) });
        });
        let first: unknown;
        try {
          yield* ok;
        } catch (e) {
          first = e;
        }
        const failing = spawn(function* () {
          own(current(), { close: () => void throwIt(boom) });
          throw new Error("body failed");
        });
        let second: unknown;
        try {
          yield* failing;
        } catch (e) {
          second = e;
        }
        return [first, (second as Error).message, (second as { suppressed?: unknown[] }).suppressed];
      },
      { backend },
    );
    expect(outcome).toEqual([boom, "body failed", [boom]]);
  });
});

describe("a process whose task forgot to close its listener and connections exits by itself", () => {
  const fixture = fileURLToPath(new URL("../fixtures/forgotten-listener.mjs", import.meta.url));
  const EXIT_LIMIT_MS = 10_000;

  it.each(BACKENDS)("%s backend", async (backend) => {
    const child = spawnProcess(process.execPath, [fixture, backend], { stdio: ["ignore", "pipe", "pipe"] });
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
    expect(out).toMatch(/listened on \d+, run ended/);
    expect(code).toBe(0);
  });
});
