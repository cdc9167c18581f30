/**
 * An operation that loses a `race`, a `select` or a `withTimeout` either
 * completed and won, or took nothing: no item, message or permit is lost or
 * leaked however the wake-ups and the timers fall in the same tick. Fixed
 * cases first, then random schedules of producers, consumers and lock users
 * with timeouts, checked for conservation: every item sent is received
 * exactly once or is still in the queue or channel, and every permit comes
 * back.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { Channel, Queue, Semaphore, TimeoutError, race, select, sleep, spawn, withTimeout, type Operation } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

const TIMEOUT = Symbol("timeout");

/** A racer that takes nothing: the marker after `ms`. */
function timer(ms: number) {
  return function* (): Generator<any, typeof TIMEOUT, any> {
    yield* sleep(ms);
    return TIMEOUT;
  };
}

/** Sorted copy, to compare multisets of numbers. */
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe.each(BACKENDS)("losers take nothing on the %s backend", (backend) => {
  it.each([9, 10, 11])("race([q.get(), sleep(10)]) with the item put at %i ms: received or still queued", async (putAt) => {
    const r = await vrun(backend, function* () {
      const q = new Queue<number>();
      spawn(function* () {
        yield* sleep(putAt);
        yield* q.put(7);
      });
      const v = yield* race([q.get(), sleep(10)]);
      yield* sleep(5); // past the put
      return { v, left: q.size };
    });
    expect(r.v === 7 ? r.left : r.left - 1).toBe(0);
    if (putAt < 10) expect(r.v).toBe(7);
  });

  it("racers whose timers fire in the same instant: one wins, the others stand down", async () => {
    const r = await vrun(backend, function* () {
      const q = new Queue<number>();
      const a = yield* race([sleep(10), sleep(10), sleep(10)]);
      const b = yield* race([q.get(), sleep(3), q.get(), sleep(3)]);
      yield* q.put(5);
      return { a, b, left: q.size };
    });
    expect(r).toEqual({ a: undefined, b: undefined, left: 1 });
  });

  it("race over two gets of one queue takes exactly one item", async () => {
    const r = await vrun(backend, function* () {
      const q = new Queue<number>();
      spawn(function* () {
        yield* sleep(5);
        yield* q.put(1);
        yield* q.put(2);
      });
      const v = yield* race([q.get(), q.get()]);
      yield* sleep(1);
      return { v, left: q.size };
    });
    expect(r).toEqual({ v: 1, left: 1 });
  });

  it.each([9, 10, 11])("race([ch.send(v), timer(10)]) with a receiver at %i ms: sent exactly when received", async (recvAt) => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      spawn(function* () {
        yield* sleep(recvAt);
        received = ch.tryRecv().ok;
      });
      let received = false;
      const v = yield* race([ch.send(1), timer(10)]);
      yield* sleep(5); // past the receive
      return { sent: v !== TIMEOUT, received };
    });
    expect(r.sent).toBe(r.received);
    if (recvAt < 10) expect(r.sent).toBe(true);
  });

  it("race([sem.acquire(), sleep]) with the permit released as the timer fires: no permit leaks", async () => {
    for (const releaseAt of [9, 10, 11]) {
      const r = await vrun(backend, function* () {
        const sem = new Semaphore(1);
        yield* sem.acquire();
        spawn(function* () {
          yield* sleep(releaseAt);
          sem.release();
        });
        const v = yield* race([sem.acquire(), timer(10)]);
        if (v !== TIMEOUT) sem.release();
        yield* sleep(20);
        return sem.available;
      });
      expect(r, `released at ${releaseAt}`).toBe(1);
    }
  });

  type Mode = "race" | "race2" | "withTimeout" | "raceSelect" | "timeoutSelect";
  type Actor = { kind: "put" | "get" | "send" | "recv" | "lock"; mode: Mode; steps: { pause: number; timeout: number }[] };

  const actorArb: fc.Arbitrary<Actor> = fc.record({
    kind: fc.constantFrom("put" as const, "get" as const, "send" as const, "recv" as const, "lock" as const),
    mode: fc.constantFrom("race" as const, "race2" as const, "withTimeout" as const, "raceSelect" as const, "timeoutSelect" as const),
    steps: fc.array(fc.record({ pause: fc.integer({ min: 0, max: 3 }), timeout: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 6 }),
  });

  it("random producers, consumers and lock users with races, selects and timeouts: items and permits are conserved", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(actorArb, { minLength: 2, maxLength: 8 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 1 }),
        async (actors, qcap, chcap) => {
          const sent: number[] = [];
          const received: number[] = [];
          const pending: [number, number][] = [];
          const unsent: number[] = [];
          let nextItem = 1;
          let holders = 0;
          let maxHolders = 0;
          const PERMITS = 2;
          const r = await vrun(backend, function* () {
            const q = new Queue<number>(qcap);
            const ch = new Channel<number>(chcap);
            const idle = new Channel<number>(); // nobody sends or receives here: a select case that never fires
            const sem = new Semaphore(PERMITS);

            /** Run `op` under the actor's mode; the value, or TIMEOUT if it did not happen. */
            function* timed<T>(mode: Mode, ms: number, op: () => Operation<T>): Generator<any, T | typeof TIMEOUT, any> {
              switch (mode) {
                case "race":
                case "raceSelect":
                  return yield* race([op(), timer(ms)]);
                case "race2": // the operation twice against a timer: at most one of the two may happen
                  return yield* race([op(), op(), timer(ms)]);
                case "withTimeout":
                case "timeoutSelect":
                  try {
                    return yield* withTimeout(ms, op());
                  } catch (e) {
                    if (e instanceof TimeoutError) return TIMEOUT;
                    throw e;
                  }
              }
            }
            const viaSelect = (mode: Mode): boolean => mode === "raceSelect" || mode === "timeoutSelect";

            for (const a of actors) {
              spawn(function* actor() {
                for (const s of a.steps) {
                  yield* sleep(s.pause);
                  switch (a.kind) {
                    case "put": {
                      const item = nextItem++;
                      if (a.mode === "race2") {
                        // two different items offered at once: exactly the one whose put won went in
                        const item2 = nextItem++;
                        const v = yield* race([q.put(item), q.put(item2), timer(s.timeout)]);
                        // which one went in is told by what is received or left in the end
                        if (v !== TIMEOUT) pending.push([item, item2]);
                        else unsent.push(item, item2);
                        break;
                      }
                      const v = yield* timed(a.mode, s.timeout, () => q.put(item));
                      if (v !== TIMEOUT) sent.push(item);
                      break;
                    }
                    case "get": {
                      const v = yield* timed(a.mode, s.timeout, () => q.get());
                      if (v !== TIMEOUT) received.push(v);
                      break;
                    }
                    case "send": {
                      const item = nextItem++;
                      const v = viaSelect(a.mode)
                        ? yield* timed(a.mode, s.timeout, () => select(ch.send(item), idle.recv()))
                        : yield* timed(a.mode === "race2" ? "race" : a.mode, s.timeout, () => ch.send(item));
                      if (v !== TIMEOUT) sent.push(item);
                      break;
                    }
                    case "recv": {
                      if (viaSelect(a.mode)) {
                        const v = yield* timed(a.mode, s.timeout, () => select(idle.recv(), ch.recv()));
                        if (v !== TIMEOUT) received.push(v.value);
                      } else {
                        const v = yield* timed(a.mode, s.timeout, () => ch.recv());
                        if (v !== TIMEOUT) received.push(v);
                      }
                      break;
                    }
                    case "lock": {
                      const v = yield* timed(a.mode, s.timeout, () => sem.acquire()); // race2: two acquires, at most one may take a permit
                      if (v === TIMEOUT) break;
                      holders++;
                      maxHolders = Math.max(maxHolders, holders);
                      try {
                        yield* sleep(s.pause);
                      } finally {
                        holders--;
                        sem.release();
                      }
                      break;
                    }
                  }
                }
              });
            }
            yield* sleep(1_000); // every actor is done long before (bounded steps and timeouts)
            const left: number[] = [];
            while (q.size > 0) left.push(yield* q.get());
            for (let t = ch.tryRecv(); t.ok; t = ch.tryRecv()) left.push(t.value);
            return { left, available: sem.available };
          });
          // A race of two puts put exactly one of its two items: the other is
          // neither received nor left.
          const seen = new Set([...received, ...r.left]);
          for (const [x, y] of pending) {
            expect(seen.has(x) !== seen.has(y), `exactly one of ${x}, ${y} went in`).toBe(true);
            sent.push(seen.has(x) ? x : y);
          }
          expect(sorted([...received, ...r.left])).toEqual(sorted(sent));
          for (const x of unsent) expect(seen.has(x), `item ${x} of a put that timed out`).toBe(false);
          expect(r.available).toBe(PERMITS);
          expect(maxHolders).toBeLessThanOrEqual(PERMITS);
        },
      ),
      { seed: 424242, numRuns: 200 },
    );
  });
});
