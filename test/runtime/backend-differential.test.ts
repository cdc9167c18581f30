import { describe, expect, it } from "vitest";
import {
  Channel,
  Event,
  type Operation,
  type Task,
  current,
  run,
  select,
  sleep,
  spawn,
  withTimeout,
  yieldNow,
} from "../../src/index.js";
import { prng } from "../support/core-helpers.js";
import { BACKENDS } from "../support/helpers.js";

/**
 * Differential test of the two scheduler backends at the runtime level: the
 * same seeded random programs (spawns, sleeps, channel traffic, select,
 * cancellations, timeouts, errors) must produce the same event trace,
 * stamped with virtual time, on both.
 */


type Step =
  | { op: "sleep"; ms: number }
  | { op: "yield" }
  | { op: "send"; ch: number; v: number; timeout: number }
  | { op: "recv"; ch: number; timeout: number }
  | { op: "select"; a: number; b: number; timeout: number }
  | { op: "child"; ms: number; fail: boolean }
  | { op: "cancel"; target: number }
  | { op: "set"; ev: number }
  | { op: "wait"; ev: number; timeout: number }
  | { op: "throw"; caught: boolean }
  | { op: "close"; ch: number };

interface Program {
  channels: number[]; // capacities
  events: number;
  workers: Step[][];
}

/** A random program, as data, so both backends run exactly the same script. */
function makeProgram(seed: number): Program {
  const r = prng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const channels = Array.from({ length: 1 + int(3) }, () => int(3));
  const events = 1 + int(2);
  const nWorkers = 3 + int(6);
  const workers: Step[][] = [];
  for (let w = 0; w < nWorkers; w++) {
    const steps: Step[] = [];
    const n = 3 + int(8);
    for (let s = 0; s < n; s++) {
      const k = int(100);
      const timeout = 1 + int(25);
      if (k < 15) steps.push({ op: "sleep", ms: int(12) });
      else if (k < 22) steps.push({ op: "yield" });
      else if (k < 40) steps.push({ op: "send", ch: int(channels.length), v: w * 100 + s, timeout });
      else if (k < 58) steps.push({ op: "recv", ch: int(channels.length), timeout });
      else if (k < 65) steps.push({ op: "select", a: int(channels.length), b: int(channels.length), timeout });
      else if (k < 73) steps.push({ op: "child", ms: int(15), fail: int(4) === 0 });
      else if (k < 79) steps.push({ op: "cancel", target: int(nWorkers) });
      else if (k < 84) steps.push({ op: "set", ev: int(events) });
      else if (k < 91) steps.push({ op: "wait", ev: int(events), timeout });
      else if (k < 97) steps.push({ op: "throw", caught: int(2) === 0 });
      else steps.push({ op: "close", ch: int(channels.length) });
    }
    workers.push(steps);
  }
  return { channels, events, workers };
}

/** Run a program on one backend; returns its trace and the root's outcome. */
async function execute(p: Program, backend: (typeof BACKENDS)[number]): Promise<string[]> {
  const trace: string[] = [];
  const root = run(function* main() {
    const sched = current()._sched;
    const log = (who: string, what: string) => trace.push(`${sched.now()} ${who} ${what}`);
    const errName = (e: unknown) => (e instanceof Error ? `${e.name}: ${e.message.replace(/#\d+/g, "#")}` : String(e));
    const chans = p.channels.map((cap, i) => new Channel<number>(cap, `c${i}`));
    const evs = Array.from({ length: p.events }, (_, i) => new Event(`e${i}`));
    const tasks: Task[] = [];
    const timed = <T>(ms: number, op: Operation<T>) => withTimeout(ms, op);

    function* worker(w: number): Generator<any, string, any> {
      const who = `w${w}`;
      try {
        for (const [i, s] of p.workers[w]!.entries()) {
          const tag = `${i}:${s.op}`;
          try {
            switch (s.op) {
              case "sleep":
                yield* sleep(s.ms);
                break;
              case "yield":
                yield* yieldNow();
                break;
              case "send":
                yield* timed(s.timeout, chans[s.ch]!.send(s.v));
                break;
              case "recv":
                log(who, `${tag} got ${yield* timed(s.timeout, chans[s.ch]!.recv())}`);
                continue;
              case "select": {
                const res = yield* timed(s.timeout, select(chans[s.a]!.recv(), chans[s.b]!.send(-s.a)));
                log(who, `${tag} case ${res.index} ${String(res.value)}`);
                continue;
              }
              case "child": {
                spawn(function* child() {
                  try {
                    yield* sleep(s.ms);
                    if (s.fail) throw new Error(`child of ${who} failed`);
                    log(`${who}.child`, "done");
                  } finally {
                    log(`${who}.child`, "cleanup");
                  }
                });
                break;
              }
              case "cancel":
                tasks[s.target]?.cancel(`by ${who}`);
                break;
              case "set":
                evs[s.ev]!.set();
                break;
              case "wait":
                yield* timed(s.timeout, evs[s.ev]!.wait());
                break;
              case "throw":
                if (s.caught) throw new Error(`caught in ${who}`);
                log(who, `${tag} throws`);
                throw new RangeError(`uncaught in ${who}`);
              case "close":
                chans[s.ch]!.close();
                break;
            }
            log(who, `${tag} ok`);
          } catch (e) {
            if (e instanceof RangeError) throw e;
            log(who, `${tag} ${errName(e)}`);
          }
        }
        return "finished";
      } finally {
        log(who, "finally");
        yield* sleep(1); // cleanup that waits
        log(who, "finally done");
      }
    }

    for (let w = 0; w < p.workers.length; w++) tasks.push(spawn(() => worker(w), { name: `w${w}` }));
    for (const [w, t] of tasks.entries()) {
      try {
        log("main", `join w${w}: ${yield* t}`);
      } catch (e) {
        log("main", `join w${w}: ${errName(e)}`);
      }
    }
    return "main done";
  }, { backend, clock: "virtual" });
  try {
    trace.push(`root: ${await root}`);
  } catch (e) {
    trace.push(`root failed: ${(e as Error).name}`);
  }
  return trace;
}

describe("differential: the same random programs on both backends", () => {
  it.runIf(BACKENDS.length === 2)("produce identical event traces (80 seeded programs)", async () => {
    const all: string[] = [];
    for (let seed = 1; seed <= 80; seed++) {
      const p = makeProgram(seed);
      const ts = await execute(p, "ts");
      const wasm = await execute(p, "wasm");
      expect(wasm, `seed ${seed}`).toEqual(ts);
      all.push(...ts);
    }
    // The programs really exercise what they are meant to.
    const count = (re: RegExp) => all.filter((l) => re.test(l)).length;
    expect(all.length).toBeGreaterThan(2000);
    for (const re of [/TimeoutError/, /ChannelClosedError/, /CancelledError/, /RangeError/, / got \d+/, /case [01] /, /child done/, /child of w\d+ failed/, /root failed: DeadlockError|root: main done/]) {
      expect(count(re), String(re)).toBeGreaterThan(0);
    }
  });

  it("are deterministic on each backend (same seed, same trace)", async () => {
    for (const backend of BACKENDS) {
      for (const seed of [3, 17, 42]) {
        const p = makeProgram(seed);
        expect(await execute(p, backend), `${backend} seed ${seed}`).toEqual(await execute(p, backend));
      }
    }
  });
});
