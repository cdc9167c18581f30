import { describe, expect, it } from "vitest";
import { call, run, sleep, spawn } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("Promise interop on the %s backend", (backend) => {
  it("a task cancelled while waiting on a Promise ignores its later settlement", async () => {
    const r = await run(function* () {
      let resolve!: (v: number) => void;
      const p = new Promise<number>((res) => (resolve = res));
      const waiter = spawn(function* () {
        return yield* call(p);
      });
      yield* sleep(2);
      yield* waiter.cancel();
      resolve(1);
      yield* call(p);
      yield* sleep(2);
      return waiter.state;
    }, { backend });
    expect(r).toBe("cancelled");
  });

  it("tasks are PromiseLike: await works on children too", async () => {
    let child!: ReturnType<typeof spawn<number>>;
    const root = vrun(backend, function* () {
      child = spawn(function* () {
        yield* sleep(3);
        return 9;
      });
      yield* sleep(10);
    });
    await root;
    await expect(child).resolves.toBe(9);
    await expect(child.then((v) => v * 2)).resolves.toBe(18);
  });

  it("catch and finally behave as on a Promise: typed results, outcome passed through, handlers after the task is done", async () => {
    const order: string[] = [];
    const failing = vrun(backend, function* () {
      yield* sleep(5);
      throw new Error("nope");
    });
    const recovered: number | string = await failing.catch((e: unknown) => (e as Error).message);
    expect(recovered).toBe("nope");
    expect(failing.done).toBe(true);

    const ok = vrun(backend, function* () {
      yield* sleep(5);
      order.push("body");
      return 3;
    });
    const v: number = await ok.finally(() => order.push(`finally, done=${ok.done}`));
    expect(v).toBe(3);
    expect(order).toEqual(["body", "finally, done=true"]);
    // finally passes a rejection through; catch with no handler keeps it
    await expect(failing.finally(() => order.push("again"))).rejects.toThrow("nope");
    await expect(failing.catch(null)).rejects.toThrow("nope");
    const cancelled = vrun(backend, function* () {
      yield* sleep(Infinity);
    });
    cancelled.cancel("stop");
    await expect(cancelled.catch((e: unknown) => (e as Error).name)).resolves.toBe("CancelledError");
  });

  it("tasks from async code and back: a root awaits an async function that awaits another root", async () => {
    const inner = () => run(function* () {
      yield* sleep(2);
      return "inner";
    }, { backend });
    const v = await vrun(backend, function* () {
      return yield* call(async () => `${await inner()} via async`);
    });
    expect(v).toBe("inner via async");
  });
});
