import { describe, expect, it } from "vitest";
import { Channel, DeadlockError, Event, Semaphore, call, sleep, spawn } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("deadlock detection on the %s backend", (backend) => {
  it("fails the root with a DeadlockError naming each stuck task and its wait", async () => {
    const t = vrun(backend, function* main() {
      const a = new Channel<number>(0, "left");
      const b = new Channel<number>(0, "right");
      spawn(function* alice() {
        yield* a.send(1);
      }, { name: "alice" });
      spawn(function* bob() {
        yield* new Event("go").wait();
      }, { name: "bob" });
      yield* b.recv();
    }, { name: "main" });
    const err = (await t.then(
      () => null,
      (e: unknown) => e,
    )) as DeadlockError;
    expect(err).toBeInstanceOf(DeadlockError);
    expect(err.stuck).toEqual([
      { name: "main", waitingOn: "recv on right (unbuffered)" },
      { name: "alice", waitingOn: "send on left (unbuffered)" },
      { name: "bob", waitingOn: "wait on go" },
    ]);
    expect(err.message).toMatch(/deadlock: all 3 live task\(s\) wait on something nothing can wake/);
    expect(err.message).toContain("alice: send on left (unbuffered)");
  });

  it("runs the stuck tasks' finally blocks before failing the root", async () => {
    const cleaned: string[] = [];
    const t = vrun(backend, function* () {
      spawn(function* () {
        try {
          yield* new Semaphore(1, "s").acquire();
          yield* new Semaphore(1, "s2").withPermit(function* () {
            yield* new Channel(0, "never").recv();
          });
        } finally {
          cleaned.push("child");
        }
      });
      try {
        yield* new Event("e").wait();
      } finally {
        cleaned.push("root");
      }
    });
    await expect(t).rejects.toBeInstanceOf(DeadlockError);
    expect(cleaned.sort()).toEqual(["child", "root"]);
  });

  it("gives up on cleanup that deadlocks again, without hanging", async () => {
    const t = vrun(backend, function* () {
      try {
        yield* new Event("first").wait();
      } finally {
        yield* new Event("in cleanup").wait();
      }
    });
    const err = await t.then(
      () => null,
      (e: unknown) => e as DeadlockError,
    );
    expect(err).toBeInstanceOf(DeadlockError);
    expect(t.state).toBe("failed");
  });

  it("is not declared while a task waits on a pending Promise", async () => {
    const v = await vrun(backend, function* () {
      const ch = new Channel<string>();
      spawn(function* () {
        const s = yield* call(new Promise<string>((res) => setTimeout(() => res("late"), 20)));
        yield* ch.send(s);
      });
      return yield* ch.recv();
    });
    expect(v).toBe("late");
  });

  it("is not declared while a timer is pending", async () => {
    const v = await vrun(backend, function* () {
      const ev = new Event();
      spawn(function* () {
        yield* sleep(10_000);
        ev.set();
      });
      yield* ev.wait();
      return "woken by the sleeper";
    });
    expect(v).toBe("woken by the sleeper");
  });
});
