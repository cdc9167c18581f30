/**
 * `run(body, { asyncContext: true })`: each task runs in the async context it
 * was spawned in, and what it sets with `AsyncLocalStorage.enterWith` stays
 * with it and the children it spawns afterwards, across every park, never
 * seen by another task of the same tick nor by the code around the run.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Channel, Event, call, run, sleep, spawn, yieldNow, type Instruction, type Operation } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

const als = new AsyncLocalStorage<string>();

describe.each(BACKENDS)("async context per task on the %s backend", (backend) => {
  const crun = <T>(body: () => Operation<T>) => vrun(backend, body, { asyncContext: true });

  it("a task spawned inside als.run has the value from its first step; so has a root started inside one", async () => {
    const log = makeLog();
    await als.run("outer", () =>
      crun(function* () {
        log.add(`root: ${als.getStore()}`);
        const child = als.run("inner", () =>
          spawn(function* () {
            log.add(`child first step: ${als.getStore()}`);
            yield* sleep(1);
            log.add(`child after a park: ${als.getStore()}`);
          }),
        );
        log.add(`root after spawning: ${als.getStore()}`);
        yield* child;
      }),
    );
    expect(log).toEqual(["root: outer", "root after spawning: outer", "child first step: inner", "child after a park: inner"]);
  });

  it("a value set with enterWith is not seen by the next task of the tick, nor around the run", async () => {
    const log = makeLog();
    await als.run("outer", async () => {
      await crun(function* () {
        const a = spawn(function* () {
          als.enterWith("a");
          yield* yieldNow();
          log.add(`a: ${als.getStore()}`);
        });
        const b = spawn(function* () {
          log.add(`b, same tick as a's enterWith: ${als.getStore()}`);
          yield* yieldNow();
          log.add(`b: ${als.getStore()}`);
        });
        yield* a;
        yield* b;
        log.add(`root: ${als.getStore()}`);
      });
      log.add(`after the run: ${als.getStore()}`);
    });
    expect(log).toEqual(["b, same tick as a's enterWith: outer", "a: a", "b: outer", "root: outer", "after the run: outer"]);
  });

  it("children inherit what their parent set before spawning them, not what it sets after", async () => {
    const r = await crun(function* () {
      als.enterWith("first");
      const early = spawn(function* () {
        yield* sleep(5);
        return als.getStore();
      });
      als.enterWith("second");
      const late = spawn(function* () {
        const mine = als.getStore();
        als.enterWith("late's own");
        const grandchild = spawn(function* () {
          yield* sleep(1);
          return als.getStore();
        });
        return [mine, yield* grandchild];
      });
      return { early: yield* early, late: yield* late, root: als.getStore() };
    });
    expect(r).toEqual({ early: "first", late: ["second", "late's own"], root: "second" });
  });

  it("a value survives parks on sleep, a channel, a Promise, an Event, a join and yieldNow, and reaches finally blocks of a cancelled task", async () => {
    const r = await crun(function* () {
      const seen: string[] = [];
      const ch = new Channel<number>();
      const ev = new Event();
      const worker = spawn(function* () {
        als.enterWith("worker");
        yield* sleep(3);
        seen.push(`sleep: ${als.getStore()}`);
        yield* ch.recv();
        seen.push(`channel: ${als.getStore()}`);
        yield* call(() => new Promise((res) => setTimeout(res, 1)));
        seen.push(`promise: ${als.getStore()}`);
        yield* ev.wait();
        seen.push(`event: ${als.getStore()}`);
        yield* spawn(function* () {
          yield* sleep(1);
        });
        seen.push(`join: ${als.getStore()}`);
        yield* yieldNow();
        seen.push(`yieldNow: ${als.getStore()}`);
        try {
          yield* sleep(1_000);
        } finally {
          seen.push(`finally: ${als.getStore()}`);
        }
      });
      als.enterWith("root");
      yield* sleep(5);
      yield* ch.send(1);
      yield* call(() => new Promise((res) => setTimeout(res, 5)));
      ev.set();
      yield* sleep(10);
      yield* worker.cancel();
      return seen;
    });
    expect(r).toEqual(["sleep: worker", "channel: worker", "promise: worker", "event: worker", "join: worker", "yieldNow: worker", "finally: worker"]);
  });

  it("random trees of tasks, each setting values and parking at random, see only their own or inherited values", async () => {
    type Step = { kind: "set" } | { kind: "park"; how: "sleep" | "yield" | "promise" } | { kind: "spawn"; inRun: boolean; body: Step[] };
    const { program } = fc.letrec<{ program: Step[]; step: Step }>((tie) => ({
      program: fc.array(tie("step"), { maxLength: 6 }),
      step: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constant({ kind: "set" as const }),
        fc.constantFrom("sleep" as const, "yield" as const, "promise" as const).map((how) => ({ kind: "park" as const, how })),
        fc.record({ kind: fc.constant("spawn" as const), inRun: fc.boolean(), body: tie("program") }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(program, async (root) => {
        let labels = 0;
        const wrong: string[] = [];
        function* task(name: string, steps: Step[], expected: string): Generator<Instruction, void, any> {
          const check = (where: string): void => {
            const got = als.getStore();
            if (got !== expected) wrong.push(`${name} ${where}: saw ${got}, expected ${expected}`);
          };
          check("first step");
          const children = [];
          for (const [i, s] of steps.entries()) {
            if (s.kind === "set") {
              expected = `${name}.${labels++}`;
              als.enterWith(expected);
            } else if (s.kind === "park") {
              if (s.how === "sleep") yield* sleep(1 + (i % 3));
              else if (s.how === "yield") yield* yieldNow();
              else yield* call(Promise.resolve());
            } else {
              const childName = `${name}/${i}`;
              if (s.inRun) {
                const label = `run ${childName}`;
                children.push(als.run(label, () => spawn(() => task(childName, s.body, label))));
              } else {
                const inherited = expected;
                children.push(spawn(() => task(childName, s.body, inherited)));
              }
            }
            check(`after step ${i} (${s.kind})`);
          }
          for (const c of children) yield* c;
          check("after joining its children");
        }
        await als.run("outside", () => crun(() => task("root", root, "outside")));
        expect(wrong).toEqual([]);
        expect(als.getStore()).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });

  it("without the option a task captures nothing (no AsyncResource, no extra state)", async () => {
    const x = await vrun(backend, function* () {
      const t = spawn(function* () {
        yield* sleep(1);
      });
      const extra = t._x;
      yield* t;
      return extra;
    });
    expect(x).toBeNull();
  });

  it("asyncContext applies to a whole run: refused on a spawn inside a task, checked for type", async () => {
    const msg = await vrun(backend, function* () {
      try {
        spawn(function* () {}, { asyncContext: true });
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(msg).toMatch(/spawn\(\): `asyncContext` applies to a whole run/);
    expect(() => run(function* () {}, { asyncContext: "yes" as never })).toThrow(/asyncContext/);
  });
});
