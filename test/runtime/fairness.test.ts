import { describe, expect, it } from "vitest";
import { Channel, current, run, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("fairness on the %s backend", (backend) => {
  it("ready tasks run in FIFO (spawn) order", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ts = ["a", "b", "c", "d"].map((n) =>
        spawn(function* () {
          log.add(n);
        }),
      );
      for (const t of ts) yield* t;
    });
    expect(log).toEqual(["a", "b", "c", "d"]);
  });

  it("yieldNow sends a task to the back: round robin", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ts = ["a", "b", "c"].map((n) =>
        spawn(function* () {
          for (let i = 0; i < 3; i++) {
            log.add(`${n}${i}`);
            yield* yieldNow();
          }
        }),
      );
      for (const t of ts) yield* t;
    });
    expect(log).toEqual(["a0", "b0", "c0", "a1", "b1", "c1", "a2", "b2", "c2"]);
  });

  it("a tick runs only the tasks ready when it began: a task woken during a tick runs in the next", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ch = new Channel<string>();
      const receiver = spawn(function* () {
        log.add(`received ${yield* ch.recv()}`);
      });
      const sender = spawn(function* () {
        yield* yieldNow(); // receiver parks in recv during the first tick
        yield* ch.send("x"); // wakes the receiver: it runs in the next tick...
        log.add("sender continues in the same tick"); // ...after the sender goes on
        yield* yieldNow();
        log.add("sender next tick");
      });
      const third = spawn(function* () {
        yield* yieldNow();
        log.add("third, same tick as the send");
      });
      yield* receiver;
      yield* sender;
      yield* third;
    });
    expect(log).toEqual([
      "sender continues in the same tick",
      "third, same tick as the send",
      "received x",
      "sender next tick",
    ]);
  });

  it("busy tasks do not starve the event loop: setImmediate and timer callbacks still run", async () => {
    const r = await run(function* () {
      let stop = false;
      let timerFired = false;
      let immediateFired = false;
      setImmediate(() => {
        immediateFired = true;
      });
      setTimeout(() => {
        timerFired = true;
        stop = true;
      }, 15);
      const spinners = Array.from({ length: 4 }, () =>
        spawn(function* () {
          while (!stop) yield* yieldNow();
        }),
      );
      for (const s of spinners) yield* s;
      return { timerFired, immediateFired };
    }, { backend });
    expect(r).toEqual({ timerFired: true, immediateFired: true });
  });

  it("the same program gives the same interleaving every time", async () => {
    const program = () =>
      vrun(backend, function* () {
        const trace: string[] = [];
        const ch = new Channel<number>(1);
        const ts = [3, 1, 2].map((d, i) =>
          spawn(function* () {
            for (let k = 0; k < 3; k++) {
              yield* sleep(d);
              yield* ch.send(i * 10 + k);
              trace.push(`t${i} sent ${k} at ${current()._sched.now()}`);
            }
          }),
        );
        for (let k = 0; k < 9; k++) trace.push(`got ${yield* ch.recv()}`);
        for (const t of ts) yield* t;
        return trace;
      });
    const a = await program();
    const b = await program();
    expect(a).toEqual(b);
    expect(a).toHaveLength(18);
  });
});
