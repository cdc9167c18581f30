/**
 * A scope that is failing (a child threw, its error waits to be thrown into
 * the parent) cancels the children it has, and any child spawned from then on
 * is cancelled at birth: its body never starts, so the parent settles with the
 * first error instead of waiting for a child nobody cancels. Checked on fixed
 * cases and on random trees of spawns, throws, yields and sleeps.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { Pool, current, sleep, spawn, yieldNow, type Task } from "../../src/index.js";
import { TaskFlag } from "../../src/runtime/constants.js";
import { BACKENDS, vrun } from "../support/helpers.js";

/** Virtual ms after which a looping task counts as never cancelled (every throw of a tree happens well before). */
const OUTLIVED_MS = 1_000;
/** Virtual ms per turn of a looping task. */
const LOOP_STEP_MS = 5;

/** Settle `t` or report "hang" after a real-time bound (a hang is the bug these tests look for). */
function settle<T>(t: PromiseLike<T>, ms = 5_000): Promise<{ ok: boolean; v: unknown } | "hang"> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    Promise.resolve(t).then(
      (v) => ({ ok: true, v }),
      (v: unknown) => ({ ok: false, v }),
    ),
    new Promise<"hang">((r) => (timer = setTimeout(() => r("hang"), ms))),
  ]).finally(() => clearTimeout(timer));
}

type Node = { pre: "none" | "yield" | "sleep"; delay: number; act: "return" | "throw" | "loop"; children: Node[] };

/** Trees of at most `depth` levels below the root. */
function nodeArb(depth: number): fc.Arbitrary<Node> {
  return fc.record({
    pre: fc.constantFrom("none" as const, "yield" as const, "sleep" as const),
    delay: fc.integer({ min: 0, max: 5 }),
    act: fc.constantFrom("return" as const, "throw" as const, "loop" as const),
    children: depth === 0 ? fc.constant([]) : fc.array(nodeArb(depth - 1), { maxLength: 3 }),
  });
}
const TREE_DEPTH = 3;

describe.each(BACKENDS)("a failing scope on the %s backend", (backend) => {
  it("cancels a child spawned after a sibling's error arrived: the root settles with that error", async () => {
    let loopStarted = false;
    const t = vrun(backend, function* () {
      spawn(function* thrower() {
        throw new Error("boom");
      });
      yield* yieldNow(); // the thrower runs and fails while the root is ready
      const late = spawn(function* () {
        loopStarted = true;
        for (;;) yield* sleep(1);
      });
      try {
        yield* sleep(1);
      } finally {
        expect(late.state).toBe("cancelled");
      }
    });
    const r = await settle(t);
    expect(r).not.toBe("hang");
    expect(r).toMatchObject({ ok: false, v: { message: "boom" } });
    expect(loopStarted).toBe(false);
  });

  it("Pool.map starts no item after one has failed", async () => {
    const started: number[] = [];
    const r = await settle(
      vrun(backend, function* () {
        const pool = new Pool(2);
        yield* pool.map([0, 1, 2, 3, 4, 5], function* (i) {
          started.push(i);
          yield* sleep(i === 0 ? 5 : 100);
          if (i === 0) throw new Error("item 0");
          return i;
        });
      }),
    );
    expect(r).toMatchObject({ ok: false, v: { message: "item 0" } });
    expect(started).toEqual([0, 1]);
  });

  it("random trees of spawns, throws and sleeps: the run settles with the first error, every started body's finally runs once, no body starts under a failing parent", async () => {
    await fc.assert(
      fc.asyncProperty(nodeArb(TREE_DEPTH), async (tree) => {
        const starts = new Map<number, number>();
        const finals = new Map<number, number>();
        const throws: { err: Error; at: number }[] = [];
        let outlived = 0;
        let startedUnderFailingParent = 0;
        const body = (node: Node) =>
          function* (): Generator<any, string, any> {
            const me: Task = current();
            starts.set(me.id, (starts.get(me.id) ?? 0) + 1);
            const p = me.parent;
            if (p !== undefined && (p._flags & TaskFlag.ErrPending) !== 0) startedUnderFailingParent++;
            try {
              for (const c of node.children) {
                if (node.pre === "yield") yield* yieldNow();
                else if (node.pre === "sleep") yield* sleep(node.delay);
                spawn(body(c));
              }
              if (node.act === "throw") {
                if (node.delay > 0) yield* sleep(node.delay);
                const err = new Error(`thrown by task ${me.id}`);
                throws.push({ err, at: me._sched.now() });
                throw err;
              }
              if (node.act === "loop") {
                const start = me._sched.now();
                while (me._sched.now() - start < OUTLIVED_MS) yield* sleep(LOOP_STEP_MS);
                outlived++;
              }
              return "done";
            } finally {
              finals.set(me.id, (finals.get(me.id) ?? 0) + 1);
            }
          };
        const r = await settle(vrun(backend, body(tree)));
        expect(r).not.toBe("hang");
        if (throws.length > 0) expect(outlived).toBe(0); // with no error, loops end by themselves
        expect(startedUnderFailingParent).toBe(0);
        for (const [id, n] of starts) {
          expect(n).toBe(1);
          expect(finals.get(id)).toBe(1);
        }
        expect(finals.size).toBe(starts.size);
        if (throws.length === 0) {
          expect(r).toMatchObject({ ok: true });
        } else {
          expect(r).toMatchObject({ ok: false });
          // Every error thrown is the run's error or suppressed behind it; the
          // run's error is the first thrown unless another came in the same instant.
          const runErr = (r as { v: Error }).v;
          expect(throws.map((x) => x.err)).toContain(runErr);
          const first = throws[0]!;
          const sameInstant = throws.filter((x) => x.at === first.at).length;
          if (sameInstant === 1) expect(runErr).toBe(first.err);
        }
      }),
      { seed: 20261207, numRuns: 150 },
    );
  });
});
