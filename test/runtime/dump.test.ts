/**
 * Task dumps: dumpTasks() shows each task's wait (sleep with its deadline,
 * a channel, a socket read, a join), age and, under traceSpawns, its spawn
 * site; util.inspect(task) is one line; TASKLET_DUMP_ON prints the tree on
 * a signal while a run is active and leaves no listener behind.
 */
import { execFile } from "node:child_process";
import { inspect, promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Channel, connect, dumpTasks, listen, printTasks, run, sleep, spawn, type Conn, type TaskDump } from "../../src/index.js";
import { parseEnv } from "../../src/config/env.js";
import { BirthLog } from "../../src/runtime/birth-log.js";
import { dumpSignalInstalled } from "../../src/runtime/dump.js";
import { BACKENDS } from "../support/helpers.js";

/** Every task of the dumped trees, flattened. */
function flatten(roots: readonly TaskDump[]): TaskDump[] {
  const out: TaskDump[] = [];
  const walk = (d: TaskDump) => {
    out.push(d);
    d.children.forEach(walk);
  };
  roots.forEach(walk);
  return out;
}

const byName = (roots: readonly TaskDump[], name: string) => flatten(roots).find((d) => d.name === name);

describe.each(BACKENDS)("task dumps on the %s backend", (backend) => {
  it("show what each task waits on: a sleep and its deadline, a channel, a socket read, a join", async () => {
    let dump: TaskDump[] = [];
    let text = "";
    await run(function* () {
      const listener = yield* listen({ port: 0 });
      const conns: Conn[] = [];
      const jobs = new Channel<number>(0, "jobs");
      const sleeper = spawn(function* () {
        yield* sleep(60_000);
      }, { name: "sleeper" });
      const receiver = spawn(function* () {
        yield* jobs.recv();
      }, { name: "receiver" });
      const reader = spawn(function* () {
        const c = yield* connect({ port: listener.port });
        conns.push(c);
        yield* c.read();
      }, { name: "reader" });
      const joiner = spawn(function* () {
        const child = spawn(function* () {
          yield* sleep(60_000);
        }, { name: "child" });
        yield* child;
      }, { name: "joiner" });
      conns.push(yield* listener.accept());
      // Until every task has reached its wait (the reader needs its connect first).
      for (let i = 0; i < 1000 && byName(dumpTasks(), "reader")?.waitingOn?.startsWith("read on") !== true; i++) yield* sleep(1);
      dump = dumpTasks();
      const out: string[] = [];
      printTasks({ write: (s: string) => out.push(s) });
      text = out.join("");
      for (const t of [sleeper, receiver, reader, joiner]) t.cancel();
      for (const c of conns) c.close();
      listener.close();
    }, { backend, name: "main" });

    const mine = dump.find((r) => r.name === "main")!;
    expect(mine.state).toBe("running"); // it made the dump
    expect(mine.waitingOn).toBeNull();
    expect(mine.children.map((c) => c.name)).toEqual(["sleeper", "receiver", "reader", "joiner"]);
    const sleeper = byName(dump, "sleeper")!;
    expect(sleeper.state).toBe("parked");
    expect(sleeper.waitingOn).toMatch(/^sleep, deadline in \d+(\.\d)? (ms|s)$/);
    expect(sleeper.deadline).toBeGreaterThan(0);
    expect(byName(dump, "receiver")!.waitingOn).toBe("recv on jobs (unbuffered)");
    expect(byName(dump, "reader")!.waitingOn).toMatch(/^read on 127\.0\.0\.1:\d+$/);
    const joiner = byName(dump, "joiner")!;
    expect(joiner.waitingOn).toBe("join of child");
    expect(joiner.children.map((c) => [c.name, c.state])).toEqual([["child", "parked"]]);
    for (const d of flatten([mine])) {
      expect(d.ageMs).toBeGreaterThanOrEqual(0);
      expect(d.spawnSite).toBeUndefined(); // traceSpawns is off
    }
    // A child is never older than its parent.
    expect(joiner.children[0]!.ageMs).toBeLessThanOrEqual(joiner.ageMs);
    expect(text).toMatch(/^tasklet: \d+ runs?, \d+ live tasks?\n/);
    expect(text).toContain(`  #${mine.id} "main" running (age `);
    expect(text).toMatch(/\n    #\d+ "receiver" parked: recv on jobs \(unbuffered\) \(age \d+ ms\)\n/);
    expect(text).toMatch(/\n      #\d+ "child" parked: sleep, deadline in /);
    // The run is over: it is no longer dumped.
    expect(dumpTasks().some((r) => r.id === mine.id)).toBe(false);
  });

  it("ages follow the run's clock: a task spawned later is younger by the time between", async () => {
    let ages: [number, number] = [0, 0];
    await run(function* () {
      spawn(function* () {
        yield* sleep(10_000);
      }, { name: "old" });
      yield* sleep(3_000);
      spawn(function* () {
        yield* sleep(10_000);
      }, { name: "young" });
      yield* sleep(1_000);
      const d = dumpTasks();
      ages = [byName(d, "old")!.ageMs, byName(d, "young")!.ageMs];
      for (const c of d.find((r) => r.name === "main")!.children) expect(c.state).toBe("parked");
    }, { backend, clock: "virtual", name: "main" }).then(undefined, () => {});
    expect(ages).toEqual([4_000, 1_000]);
  });

  it("util.inspect(task) is one line: id, name, state and wait", async () => {
    const jobs = new Channel<number>(0, "jobs");
    let parked = "";
    let worker: ReturnType<typeof spawn> | null = null;
    await run(function* () {
      worker = spawn(function* () {
        return yield* jobs.recv();
      }, { name: "worker" });
      yield* sleep(1);
      parked = inspect(worker);
      yield* jobs.send(5);
      yield* worker;
    }, { backend, clock: "virtual" });
    expect(parked).toBe(`Task #${worker!.id} "worker" parked: recv on jobs (unbuffered)`);
    expect(inspect(worker)).toBe(`Task #${worker!.id} "worker" completed`);
    expect(inspect({ w: worker })).toBe(`{ w: Task #${worker!.id} "worker" completed }`);
  });

  it("traceSpawns records the spawn site: this file and the line of the spawn call", async () => {
    let dump: TaskDump[] = [];
    const line = Number(new Error().stack!.split("\n")[1]!.match(/:(\d+):\d+\)?$/)![1]) + 2; // the line of spawn( below
    await run(function* () {
      const t = spawn(
        function* () {
          yield* sleep(5);
        }, { name: "traced" });
      yield* sleep(1);
      dump = dumpTasks();
      yield* t;
    }, { backend, clock: "virtual", traceSpawns: true, name: "main" });
    const site = byName(dump, "traced")!.spawnSite!;
    expect(site).toMatch(/dump\.test\.ts:\d+:\d+$/);
    expect(Number(site.match(/:(\d+):\d+$/)![1])).toBe(line);
    expect(byName(dump, "main")!.spawnSite).toMatch(/dump\.test\.ts:\d+:\d+$/);
  });
});

describe("TASKLET_DUMP_ON", () => {
  it("is parsed once: a catchable signal name, else a warning and no signal", () => {
    expect(parseEnv({ TASKLET_DUMP_ON: "SIGUSR2" }, []).dumpOn).toBe("SIGUSR2");
    expect(parseEnv({}, []).dumpOn).toBeUndefined();
    for (const bad of ["USR2", "SIGFOO", "SIGKILL", "sigusr2"]) {
      const e = parseEnv({ TASKLET_DUMP_ON: bad }, []);
      expect(e.dumpOn).toBeUndefined();
      expect(e.warnings).toEqual([`TASKLET_DUMP_ON=${JSON.stringify(bad)} is not a signal a listener can catch (use a name such as "SIGUSR2"); it is ignored`]);
    }
  });

  it("unset, no listener is ever installed", async () => {
    await run(function* () {
      yield* sleep(1);
      expect(dumpSignalInstalled()).toBe(false);
    }, { clock: "virtual" });
  });

  it.each(BACKENDS)("prints the tree on the signal while a run is active, then removes its listener (%s backend)", async (backend) => {
    const { stdout, stderr } = await promisify(execFile)("node", ["test/fixtures/dump-on-signal.mjs"], {
      env: { ...process.env, TASKLET_DUMP_ON: "SIGUSR2", TASKLET_BACKEND: backend },
      timeout: 30_000,
    });
    // The process exited by itself (execFile resolved), with its listener gone.
    expect(stdout.trim()).toBe("listeners before=0 during=1 after=0");
    expect(stderr).toMatch(/^tasklet: 1 run, 2 live tasks\n {2}#\d+ "main" parked: sleep, deadline in \d+ ms \(age \d+ ms\)\n {4}#\d+ "waiter" parked: recv on jobs \(unbuffered\) \(age \d+ ms\)\n$/);
  });
});

describe("the birth log", () => {
  it("never makes a task younger than it is, and is exact for recent tasks, however many notes it thins", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 3000 }), (steps) => {
        const log = new BirthLog();
        const notes: [number, number][] = [];
        let id = 1;
        let time = 0;
        for (const [ids, dt] of steps) {
          time += dt;
          log.note(id, time);
          notes.push([id, time]);
          id += ids;
        }
        expect(log.size).toBeLessThanOrEqual(513);
        for (let i = 0; i < notes.length; i++) {
          const [first, t] = notes[i]!;
          const lastId = i + 1 < notes.length ? notes[i + 1]![0] - 1 : first;
          for (const x of [first, lastId]) {
            const born = log.bornAt(x);
            expect(born).toBeLessThanOrEqual(t);
            if (i >= notes.length - 200) expect(born).toBe(t);
          }
        }
        expect(log.bornAt(0)).toBeNaN();
      }),
      { numRuns: 40 },
    );
  });
});
