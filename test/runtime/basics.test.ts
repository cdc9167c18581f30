import { describe, expect, it } from "vitest";
import { Task, current, run, sleep, spawn, yieldNow, type Operation } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("tasks on the %s backend", (backend) => {
  it("run returns a Task that resolves with the body's value", async () => {
    const t = vrun(backend, function* main() {
      yield* sleep(1);
      return 41 + 1;
    });
    expect(t).toBeInstanceOf(Task);
    expect(t.state).toBe("ready");
    await expect(t).resolves.toBe(42);
    expect(t.state).toBe("completed");
    expect(t.done).toBe(true);
  });

  it("a failed root rejects its promise with the error", async () => {
    const t = vrun(backend, function* () {
      yield* sleep(1);
      throw new Error("boom");
    });
    await expect(t).rejects.toThrow("boom");
    expect(t.state).toBe("failed");
  });

  it("spawn inside a task makes a child; yield* child returns its value", async () => {
    const v = await vrun(backend, function* () {
      const me = current();
      const child = spawn(function* () {
        expect(current().parent).toBe(me);
        yield* sleep(5);
        return "child-value";
      });
      expect(child.parent).toBe(me);
      const a: string = yield* child;
      const b: string = yield* child.join(); // joining a finished task returns at once
      return [a, b];
    });
    expect(v).toEqual(["child-value", "child-value"]);
  });

  it("spawn outside any task starts a root task", async () => {
    const t = spawn(function* () {
      return current().parent === undefined;
    }, { backend });
    await expect(t).resolves.toBe(true);
  });

  it("names tasks after their body function unless given a name", async () => {
    const names = await vrun(backend, function* main() {
      const a = spawn(function* worker() {});
      const b = spawn(function* () {}, { name: "custom" });
      yield* a;
      yield* b;
      return [current().name, a.name, b.name];
    });
    expect(names[0]).toMatch(/^main#\d+$/);
    expect(names[1]).toMatch(/^worker#\d+$/);
    expect(names[2]).toBe("custom");
  });

  it("keeps the default name of a task that parked (it holds its body's name, not the body)", async () => {
    const names = await vrun(backend, function* () {
      function* sleeper() {
        yield* sleep(1);
      }
      const named = spawn(sleeper);
      const anon = spawn(() => sleeper());
      yield* yieldNow(); // both have started and parked
      const whileParked = [named.name, anon.name];
      yield* named;
      yield* anon;
      return [...whileParked, named.name, anon.name, named.toString()];
    });
    expect(names[0]).toMatch(/^sleeper#\d+$/);
    expect(names[1]).toMatch(/^task#\d+$/);
    expect(names[2]).toBe(names[0]);
    expect(names[3]).toBe(names[1]);
    expect(names[4]).toBe(`Task(${names[0]}, completed)`);
  });

  it("joins a completed task any number of times; its iterator is for yield* only", async () => {
    const out = await vrun(backend, function* () {
      const t = spawn(function* () {
        return 7;
      });
      const pending = t[Symbol.iterator](); // before it ran: a join operation of its own
      const first: number = yield* t;
      const again: number = yield* t;
      const later: number = yield* { [Symbol.iterator]: () => pending };
      return [first, again, later];
    });
    expect(out).toEqual([7, 7, 7]);
    const [t] = await vrun(backend, function* () {
      const c = spawn(function* () {
        yield* sleep(1);
      });
      expect(() => (c as unknown as Iterator<unknown>).next()).toThrow(/not an iterator/);
      yield* c;
      return [c]; // in an array: a Task is a thenable, and the run's promise would adopt it
    });
    expect(t!.state).toBe("completed");
  });

  it("ids are unique and increase", async () => {
    const ids = await vrun(backend, function* () {
      const ts = Array.from({ length: 50 }, () => spawn(function* () {}));
      for (const t of ts) yield* t;
      // slots are reused after tasks finish; ids never are
      const later = Array.from({ length: 50 }, () => spawn(function* () {}));
      return [...ts, ...later].map((t) => t.id);
    });
    expect(new Set(ids).size).toBe(100);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it("reports its state through its life", async () => {
    const seen = await vrun(backend, function* () {
      const states: string[] = [];
      const child = spawn(function* () {
        states.push(current().state);
        yield* sleep(10);
      });
      states.push(child.state);
      yield* sleep(1);
      states.push(child.state);
      yield* child;
      states.push(child.state);
      return states;
    });
    expect(seen).toEqual(["ready", "running", "parked", "completed"]);
  });

  it("accepts any function returning an Operation as a body", async () => {
    const op: Operation<number> = {
      *[Symbol.iterator]() {
        yield* sleep(1);
        return 7;
      },
    };
    await expect(vrun(backend, () => op)).resolves.toBe(7);
  });

  it("rejects a body that is not a function, with a clear TypeError", () => {
    expect(() => run(42 as never, { backend })).toThrow(/spawn\(\) expects a generator function.*got 42$/);
  });

  it("fails a task whose body returns something that is not an operation", async () => {
    const t = vrun(backend, (() => 5) as never);
    await expect(t).rejects.toThrow(/returned 5, not an operation/);
  });

  it("throws a TypeError into a task that uses `yield` instead of `yield*`", async () => {
    const caught = await vrun(backend, function* () {
      try {
        yield sleep(1) as never;
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    });
    expect(caught).toMatch(/yielded an instance of SleepOp to the scheduler; use `yield\*`/);
  });

  it("refuses to join itself or an ancestor instead of hanging", async () => {
    const msgs = await vrun(backend, function* outer() {
      const out: string[] = [];
      try {
        yield* current();
      } catch (e) {
        out.push((e as Error).message);
      }
      const me = current();
      const child = spawn(function* () {
        try {
          yield* me;
        } catch (e) {
          out.push((e as Error).message);
        }
      });
      yield* child;
      return out;
    });
    expect(msgs[0]).toMatch(/cannot join itself/);
    expect(msgs[1]).toMatch(/cannot join its ancestor outer#\d+/);
  });

  it("operations used outside a task say so", () => {
    const it = sleep(1)[Symbol.iterator]();
    expect(() => it.next()).toThrow(/sleep\(\) must run inside a task/);
    expect(() => current()).toThrow(/outside a task/);
  });

  it("a task can be awaited from another run (cross-run join goes through its promise)", async () => {
    const other = run(function* () {
      yield* sleep(5);
      return "from the other run";
    }, { backend });
    const v = await vrun(backend, function* () {
      return yield* other;
    });
    expect(v).toBe("from the other run");
  });

  it("spawns and joins 100,000 tasks", async () => {
    const sum = await vrun(backend, function* () {
      const tasks: Task<number>[] = [];
      for (let i = 0; i < 100_000; i++) {
        tasks.push(
          spawn(function* () {
            if (i % 1000 === 0) yield* yieldNow();
            return i;
          }),
        );
      }
      let s = 0;
      for (const t of tasks) s += yield* t;
      return s;
    });
    expect(sum).toBe((100_000 * 99_999) / 2);
  });

  it("options for a whole run cannot be passed to a child spawn", async () => {
    const msg = await vrun(backend, function* () {
      try {
        spawn(function* () {}, { backend: "ts" });
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    });
    expect(msg).toMatch(/`backend` and `clock` apply to a whole run/);
  });

  it("rejects unknown backends and clocks", () => {
    expect(() => run(function* () {}, { backend: "gpu" as never })).toThrow(/backend must be "ts" or "wasm", got "gpu"/);
    expect(() => run(function* () {}, { backend, clock: "sundial" as never })).toThrow(/clock must be "real" or "virtual"/);
  });
});
