// Two copies of tasklet in one process (the ESM and the CJS build, or two
// versions): each runs its own tasks; a task of one that uses the other fails
// with a TaskletError that says so (src/runtime/instance.ts). Here the second
// copy is a second evaluation of the sources (vi.resetModules), so the suite
// runs on both backends; test/api/pack.test.ts does it with the built
// package, `import` and `require` in a real process.
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as A from "../../src/index.js";
import { BACKENDS } from "../support/helpers.js";

let B: typeof A;
beforeAll(async () => {
  vi.resetModules();
  B = (await import("../../src/index.js")) as typeof A;
  expect(B.Task).not.toBe(A.Task);
});

const SRC = "the sources at file:///\\S+/src/runtime/instance.ts \\(version source\\)";
const MIXED = new RegExp(`^\\w+\\(\\) of ${SRC} was called inside task main of ${SRC}: two copies of tasklet are loaded in this process \\(.*\\)\\. Each copy has its own scheduler`);

describe.each(BACKENDS)("two copies of tasklet on the %s backend", (backend) => {
  const runA = <T>(body: () => Generator<A.Instruction, T, unknown>) => A.run(body, { backend, clock: "virtual", name: "main" });

  it("each runs its own tasks, also at the same time", async () => {
    const both = await Promise.all([
      runA(function* () {
        yield* A.sleep(5);
        return "a";
      }),
      B.run(
        function* () {
          yield* B.sleep(5);
          return "b";
        },
        { backend, clock: "virtual" },
      ),
    ]);
    expect(both).toEqual(["a", "b"]);
  });

  const uses: [string, () => void | Generator<A.Instruction, unknown, unknown>][] = [
    ["spawn", () => void B.spawn(function* () {})],
    ["current", () => void B.current()],
    ["sleep", () => B.sleep(1)[Symbol.iterator]() as Generator<A.Instruction, unknown, unknown>],
    ["recv", () => new B.Channel<number>(0).recv()[Symbol.iterator]() as Generator<A.Instruction, unknown, unknown>],
  ];
  it.each(uses)("a task of one copy that calls %s() of the other gets a TaskletError naming both", async (_name, use) => {
    const t = runA(function* () {
      const it = use();
      if (it !== undefined) yield* { [Symbol.iterator]: () => it };
      return "no error";
    });
    // Thrown by the copy whose function was called.
    await expect(t).rejects.toBeInstanceOf(B.TaskletError);
    await expect(t).rejects.toThrow(MIXED);
  });

  it("a task that yields an instruction of the other copy gets the same error", async () => {
    const t = runA(function* () {
      yield* B.yieldNow();
    });
    await expect(t).rejects.toBeInstanceOf(A.TaskletError);
    await expect(t).rejects.toThrow(new RegExp(`^task main of ${SRC} used an operation or joined a task of ${SRC}: two copies of tasklet are loaded`));
  });

  it("outside any task, the other copy's spawn still starts a root task", async () => {
    const root = B.spawn(
      function* () {
        yield* B.sleep(1);
        return 7;
      },
      { backend },
    );
    await expect(root).resolves.toBe(7);
  });

  it("a plain `yield` of a non-instruction keeps its own message", async () => {
    const t = runA(function* () {
      yield 5 as unknown as A.Instruction;
    });
    await expect(t).rejects.toThrow(/task main yielded 5 to the scheduler; use `yield\*`/);
  });
});
