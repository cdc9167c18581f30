/**
 * tasklet:task:spawn and tasklet:task:end on node:diagnostics_channel: the
 * exact sequence a run publishes, the messages' fields, and that nothing is
 * built or published while nobody subscribes.
 */
import diagnostics_channel from "node:diagnostics_channel";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Channel, DeadlockError, Event, dumpTasks, sleep, spawn, type Task, type TaskEndMessage, type TaskSpawnMessage } from "../../src/index.js";
import { taskEndChannel, taskSpawnChannel } from "../../src/runtime/diagnostics.js";
import { BACKENDS, vrun } from "../support/helpers.js";

/** Subscribe to both task channels; returns the events as lines and the raw messages, and an unsubscribe. */
function record() {
  const lines: string[] = [];
  const spawns: TaskSpawnMessage[] = [];
  const ends: TaskEndMessage[] = [];
  const onSpawn = (m: unknown) => {
    const s = m as TaskSpawnMessage;
    spawns.push(s);
    lines.push(`spawn ${s.task.name} <- ${s.parent === null ? "(root)" : s.parent.name}`);
  };
  const onEnd = (m: unknown) => {
    const e = m as TaskEndMessage;
    ends.push(e);
    const detail = e.outcome === "returned" ? ` ${String(e.value)}` : e.outcome === "threw" ? ` ${(e.error as Error).message}` : "";
    lines.push(`end ${e.task.name} ${e.outcome}${detail}`);
  };
  diagnostics_channel.subscribe("tasklet:task:spawn", onSpawn);
  diagnostics_channel.subscribe("tasklet:task:end", onEnd);
  const stop = () => {
    diagnostics_channel.unsubscribe("tasklet:task:spawn", onSpawn);
    diagnostics_channel.unsubscribe("tasklet:task:end", onEnd);
  };
  return { lines, spawns, ends, stop };
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
  vi.restoreAllMocks();
});

describe.each(BACKENDS)("task diagnostics channels on the %s backend", (backend) => {
  it("publishes spawn and end, with outcomes, in the order they happen", async () => {
    const rec = record();
    cleanup.push(rec.stop);
    const handles: Record<string, Task> = {};
    const root = vrun(backend, function* () {
      const ok = (handles.ok = spawn(function* () {
        yield* sleep(1);
        return 7;
      }, { name: "ok" }));
      const bad = (handles.bad = spawn(function* () {
        yield* sleep(2);
        throw new Error("boom");
      }, { name: "bad" }));
      const victim = (handles.victim = spawn(function* () {
        yield* sleep(Infinity);
      }, { name: "victim" }));
      const v = yield* ok;
      try {
        yield* bad;
      } catch {
        // joined: handled
      }
      yield* victim.cancel();
      // a grandchild, and a failure nobody joins inside a scope that catches it
      const scope = spawn(function* () {
        spawn(function* () {
          throw new Error("inner");
        }, { name: "leaf" });
        yield* sleep(Infinity);
      }, { name: "scope" });
      try {
        yield* scope;
      } catch {
        // the leaf's error failed the scope
      }
      return v;
    }, { name: "main" });
    expect(await root).toBe(7);
    rec.stop();
    expect(rec.lines).toEqual([
      "spawn main <- (root)",
      "spawn ok <- main",
      "spawn bad <- main",
      "spawn victim <- main",
      "end ok returned 7",
      "end bad threw boom",
      "end victim cancelled",
      "spawn scope <- main",
      "spawn leaf <- scope",
      "end leaf threw inner",
      "end scope threw inner",
      "end main returned 7",
    ]);
    // The messages carry the tasks themselves, and the parent is the parent task.
    expect(rec.spawns[0]!.task).toBe(root);
    expect(rec.spawns[0]!.parent).toBeNull();
    expect(rec.spawns[1]!.task).toBe(handles.ok);
    expect(rec.spawns[1]!.parent).toBe(root);
    const badEnd = rec.ends.find((e) => e.task === handles.bad)!;
    expect(badEnd.error).toBeInstanceOf(Error);
    expect("value" in badEnd).toBe(false);
    // At the end message the task is already done.
    expect(rec.ends.every((e) => e.task.done)).toBe(true);
  });

  it("a child's failure nobody joins: the child ends first, then the parent it failed", async () => {
    const rec = record();
    cleanup.push(rec.stop);
    const root = vrun(backend, function* () {
      spawn(function* () {
        throw new Error("first");
      }, { name: "failing" });
      yield* sleep(Infinity);
    }, { name: "main" });
    await root.then(
      () => {},
      () => {},
    );
    rec.stop();
    expect(rec.lines).toEqual(["spawn main <- (root)", "spawn failing <- main", "end failing threw first", "end main threw first"]);
  });

  it("a run given up after its cleanup deadlocks too still ends each task once, and leaves the dump", async () => {
    const rec = record();
    cleanup.push(rec.stop);
    const root = vrun(backend, function* () {
      spawn(function* () {
        try {
          yield* new Event("first").wait();
        } finally {
          yield* new Event("in cleanup").wait();
        }
      }, { name: "stuck" });
      yield* new Event("never").wait();
    }, { name: "main" });
    const err = await root.then(
      () => null,
      (e: unknown) => e,
    );
    rec.stop();
    expect(err).toBeInstanceOf(DeadlockError);
    expect(rec.lines.filter((l) => l.startsWith("end")).sort()).toEqual(["end main threw " + (err as Error).message, "end stuck cancelled"].sort());
    expect(dumpTasks().some((r) => r.id === root.id)).toBe(false);
  });

  it("builds and publishes nothing while nobody subscribes; a subscriber added mid-run sees only what follows", async () => {
    const spawnPublish = vi.spyOn(taskSpawnChannel, "publish");
    const endPublish = vi.spyOn(taskEndChannel, "publish");
    const seen: string[] = [];
    const onEnd = (m: unknown) => seen.push(`end ${(m as TaskEndMessage).task.name}`);
    const onSpawn = (m: unknown) => seen.push(`spawn ${(m as TaskSpawnMessage).task.name}`);
    cleanup.push(() => {
      diagnostics_channel.unsubscribe("tasklet:task:end", onEnd);
      diagnostics_channel.unsubscribe("tasklet:task:spawn", onSpawn);
    });
    const ch = new Channel<number>(0, "c");
    let publishedBefore = -1;
    await vrun(backend, function* () {
      const early = spawn(function* () {
        return yield* ch.recv();
      }, { name: "early" });
      const done = spawn(function* () {
        yield* sleep(1);
      }, { name: "done" });
      yield* done;
      publishedBefore = spawnPublish.mock.calls.length + endPublish.mock.calls.length;
      // (the spies wrap the channel's publish as it is while nobody subscribes: take them off first)
      vi.restoreAllMocks();
      diagnostics_channel.subscribe("tasklet:task:spawn", onSpawn);
      diagnostics_channel.subscribe("tasklet:task:end", onEnd);
      const late = spawn(function* () {
        yield* ch.send(1);
      }, { name: "late" });
      yield* early;
      yield* late;
    }, { name: "main" });
    expect(publishedBefore).toBe(0);
    expect(seen).toEqual(["spawn late", "end late", "end early", "end main"]); // late hands its value over without waiting
  });
});
