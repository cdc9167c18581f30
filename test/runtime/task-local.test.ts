/**
 * TaskLocal: a value per task. A child starts with its parent's values as
 * they were at its spawn; what either sets afterwards is its own.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TaskLocal, run, sleep, spawn, yieldNow, type Instruction } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("TaskLocal on the %s backend", (backend) => {
  it("get returns the initial value until the task sets one; set is seen across parks", async () => {
    const local = new TaskLocal<number>(7);
    const none = new TaskLocal<string>();
    const r = await vrun(backend, function* () {
      const before = [local.get(), none.get()];
      local.set(8);
      yield* sleep(3);
      const after = local.get();
      local.set(undefined as never); // an explicit undefined is a value, not "unset"
      return { before, after, undef: local.get() };
    });
    expect(r).toEqual({ before: [7, undefined], after: 8, undef: undefined });
  });

  it("a child starts with its parent's value at its spawn; later sets on either side stay their own", async () => {
    const local = new TaskLocal<string>("initial");
    const r = await vrun(backend, function* () {
      local.set("parent 1");
      const child = spawn(function* () {
        const atStart = local.get();
        yield* sleep(2); // the parent sets "parent 2" meanwhile
        const afterParentSet = local.get();
        local.set("child");
        const grandchild = spawn(function* () {
          return local.get();
        });
        return { atStart, afterParentSet, grandchild: yield* grandchild, own: local.get() };
      });
      const sibling = spawn(function* () {
        yield* sleep(4); // after the child set its own
        return local.get();
      });
      yield* sleep(1);
      local.set("parent 2");
      return { child: yield* child, sibling: yield* sibling, parent: local.get() };
    });
    expect(r).toEqual({
      child: { atStart: "parent 1", afterParentSet: "parent 1", grandchild: "child", own: "child" },
      sibling: "parent 1",
      parent: "parent 2",
    });
  });

  it("with(value, body) sets the value for body and its children, then puts back what was there, however body ends", async () => {
    const local = new TaskLocal<string>("initial");
    const r = await vrun(backend, function* () {
      const out: string[] = [];
      const v = yield* local.with("scoped", function* () {
        const child = spawn(function* () {
          return local.get();
        });
        return `${local.get()} / child ${yield* child}`;
      });
      out.push(v, local.get());
      local.set("set");
      try {
        yield* local.with("failing", function* () {
          yield* sleep(1);
          throw new Error("no");
        });
      } catch {}
      out.push(local.get());
      const t = spawn(function* () {
        try {
          yield* local.with("cancelled", sleep(1_000));
        } finally {
          out.push(`finally: ${local.get()}`);
        }
      });
      yield* sleep(1);
      yield* t.cancel();
      return out;
    });
    expect(r).toEqual(["scoped / child scoped", "initial", "set", "finally: set"]);
  });

  it("throws a clear error outside a task, and with() checks its body", () => {
    const local = new TaskLocal<number>(1);
    expect(() => local.get()).toThrow(/TaskLocal\.get\(\) was called outside a task/);
    expect(() => local.set(2)).toThrow(/TaskLocal\.set\(\) was called outside a task/);
    expect(() => local.with(1, 5 as never)).toThrow(/TaskLocal\.with\(value, body\): body must be an operation or a generator function, got 5/);
  });

  it("a root of another run inherits nothing", async () => {
    const local = new TaskLocal<string>("initial");
    const r = await vrun(backend, function* () {
      local.set("outer run");
      return yield* run(function* () {
        return local.get();
      }, { backend, clock: "virtual" });
    });
    expect(r).toBe("initial");
  });

  it("a task that spawns while no TaskLocal is set allocates nothing for them", async () => {
    const r = await vrun(backend, function* () {
      const t = spawn(function* () {});
      const extra = t._x;
      yield* t;
      return extra;
    });
    expect(r).toBeNull();
  });

  it("random trees of tasks setting and reading two locals match a model that copies values at spawn", async () => {
    type Step = { kind: "set"; which: 0 | 1 } | { kind: "park" } | { kind: "spawn"; body: Step[] };
    const { program } = fc.letrec<{ program: Step[]; step: Step }>((tie) => ({
      program: fc.array(tie("step"), { maxLength: 6 }),
      step: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constantFrom(0 as const, 1 as const).map((which) => ({ kind: "set" as const, which })),
        fc.constant({ kind: "park" as const }),
        fc.record({ kind: fc.constant("spawn" as const), body: tie("program") }),
      ),
    }));
    await fc.assert(
      fc.asyncProperty(program, async (root) => {
        const locals = [new TaskLocal<string>("a0"), new TaskLocal<string>("b0")] as const;
        let labels = 0;
        const wrong: string[] = [];
        function* task(name: string, steps: Step[], model: [string, string]): Generator<Instruction, void, any> {
          const children = [];
          const check = (where: string): void => {
            const got = [locals[0].get(), locals[1].get()];
            if (got[0] !== model[0] || got[1] !== model[1]) wrong.push(`${name} ${where}: saw ${got}, expected ${model}`);
          };
          check("first step");
          for (const [i, s] of steps.entries()) {
            if (s.kind === "set") {
              const v = `${name}.${labels++}`;
              locals[s.which].set(v);
              model[s.which] = v;
            } else if (s.kind === "park") yield* i % 2 === 0 ? sleep(1) : yieldNow();
            else {
              const copy: [string, string] = [model[0], model[1]];
              children.push(spawn(() => task(`${name}/${i}`, s.body, copy)));
            }
            check(`after step ${i}`);
          }
          for (const c of children) yield* c;
          check("at the end");
        }
        await vrun(backend, () => task("root", root, ["a0", "b0"]));
        expect(wrong).toEqual([]);
      }),
      { numRuns: 80 },
    );
  });
});
