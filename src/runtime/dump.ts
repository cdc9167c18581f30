/**
 * Seeing inside a running program: the live task tree of every active run
 * (`dumpTasks`, `printTasks`), each task with its state, what it waits on
 * (its Suspend's `describe`, the same text deadlock reports use, plus the
 * park's deadline), its age and, under `run(..., { traceSpawns: true })`,
 * where it was spawned. `TASKLET_DUMP_ON=SIGUSR2` prints the tree on that
 * signal, as gevent's `print_run_info` and Go's SIGQUIT dump do; the
 * listener is installed while a run is active and removed after the last.
 *
 * Nothing here runs unless asked: the scheduler only tells this module when
 * a run starts and ends, and, with traceSpawns on, records spawn sites.
 */
import { ENV } from "../config/env.js";
import { TaskState } from "./constants.js";
import type { Task } from "./task.js";
import type { TaskStateName } from "./types.js";

/** What the dump needs of a run (the Scheduler). */
export interface DumpableRun {
  /** The root task; null before it exists. */
  readonly dumpRoot: Task | null;
  readonly backendName: string;
  readonly clockKind: "real" | "virtual";
  /** Now, on the run's clock. */
  now(): number;
  /** Deadline of `t`'s park (ms of the run's clock), Infinity when it has none. */
  parkDeadlineOf(t: Task): number;
  /** When `t` was first seen by the run loop (ms of the run's clock); NaN when unknown. */
  bornAt(t: Task): number;
}

/**
 * One task in the tree {@link dumpTasks} returns: plain data, safe to
 * `JSON.stringify`.
 *
 * @example
 * const [root] = dumpTasks();
 * console.log(root?.name, root?.state, root?.children.length);
 */
export interface TaskDump {
  readonly id: number;
  readonly name: string;
  readonly state: TaskStateName;
  /**
   * What the task waits on, as deadlock reports say it ("recv on jobs
   * (unbuffered)", "sleep", "read on 127.0.0.1:5123", "join of worker#3"),
   * with the park's deadline when it has one ("sleep, deadline in 500 ms");
   * for a finishing task, its children. Null when it is ready or running.
   */
  readonly waitingOn: string | null;
  /** Deadline of its park in ms of its run's clock, when it has one. */
  readonly deadline?: number;
  /** Time since the run loop first saw the task (within a scheduler tick), in ms of its run's clock. */
  readonly ageMs: number;
  /** Where it was spawned, `file:line:column` of the first frame outside tasklet; only under `run(..., { traceSpawns: true })`. */
  readonly spawnSite?: string;
  /** Its live children, in spawn order. */
  readonly children: TaskDump[];
}

/** The runs that have live tasks. */
const active = new Set<DumpableRun>();
/** Spawn sites, recorded only under traceSpawns: kept aside so that tasks carry no field for them. */
const sites = new WeakMap<Task, Error>();
let signalInstalled = false;

/** @internal A run has started (its root was spawned). */
export function runStarted(run: DumpableRun): void {
  active.add(run);
  if (ENV.dumpOn !== undefined && !signalInstalled) {
    process.on(ENV.dumpOn, onDumpSignal);
    signalInstalled = true;
  }
}

/** @internal A run has no live task left. */
export function runEnded(run: DumpableRun): void {
  active.delete(run);
  if (active.size === 0 && signalInstalled) {
    process.off(ENV.dumpOn!, onDumpSignal);
    signalInstalled = false;
  }
}

function onDumpSignal(): void {
  printTasks();
}

/** @internal Whether the dump signal's listener is installed (tests). */
export function dumpSignalInstalled(): boolean {
  return signalInstalled;
}

/** @internal Record where `t` is being spawned (traceSpawns): the stack is formatted only if a dump asks. */
export function recordSpawnSite(t: Task): void {
  sites.set(t, new Error());
}

/**
 * The live task tree of every active run, one root per run, as plain data:
 * each task's id, name, state, what it waits on, its age and, under
 * `run(..., { traceSpawns: true })`, its spawn site.
 *
 * @example
 * run(function* () {
 *   spawn(function* worker() { yield* sleep(1000); });
 *   yield* sleep(10);
 *   const [root] = dumpTasks();
 *   console.log(root!.children[0]!.waitingOn); // "sleep, deadline in 990 ms"
 * }, { clock: "virtual" });
 */
export function dumpTasks(): TaskDump[] {
  const out: TaskDump[] = [];
  for (const run of active) {
    const root = run.dumpRoot;
    if (root !== null && root._state < TaskState.Completed) out.push(dumpTree(run, root));
  }
  return out;
}

/** Dump `root` and its live descendants; an explicit stack rather than recursion, so a deep tree cannot overflow. */
function dumpTree(run: DumpableRun, root: Task): TaskDump {
  const now = run.now();
  const top = dumpOne(run, root, now);
  const stack: [Task, TaskDump][] = [[root, top]];
  while (stack.length > 0) {
    const [t, d] = stack.pop()!;
    const x = t._x;
    if (x === null) continue;
    for (let c = x.firstChild; c !== null; c = c._nextSib) {
      const cd = dumpOne(run, c, now);
      d.children.push(cd);
      stack.push([c, cd]);
    }
  }
  return top;
}

function dumpOne(run: DumpableRun, t: Task, now: number): TaskDump {
  let waitingOn: string | null = null;
  let deadline = Infinity;
  if (t._state === TaskState.Parked && t._wait !== null) {
    waitingOn = t._wait.describe(t);
    deadline = run.parkDeadlineOf(t);
    if (deadline !== Infinity) waitingOn += `, deadline in ${formatMs(Math.max(0, deadline - now))}`;
  } else if (t._state === TaskState.Finishing) {
    waitingOn = `its ${t.childCount()} children to finish`;
  }
  const born = run.bornAt(t);
  const d: { -readonly [K in keyof TaskDump]: TaskDump[K] } = {
    id: t.id,
    name: t.name,
    state: t.state,
    waitingOn,
    ageMs: Number.isNaN(born) ? 0 : Math.max(0, Math.round(now - born)),
    children: [],
  };
  if (deadline !== Infinity) d.deadline = deadline;
  const site = sites.get(t);
  if (site !== undefined) d.spawnSite = spawnSiteOf(site);
  return d;
}

/**
 * Print the live task tree of every active run (see {@link dumpTasks}) as
 * an indented list, to `out` (default `process.stderr`).
 *
 * @example
 * run(function* () {
 *   spawn(function* worker() { yield* sleep(1000); });
 *   yield* sleep(10);
 *   printTasks(process.stdout);
 * }, { clock: "virtual" });
 */
export function printTasks(out: { write(s: string): unknown } = process.stderr): void {
  out.write(formatTasks(dumpTasks()));
}

/** @internal The text printTasks writes. */
export function formatTasks(roots: readonly TaskDump[]): string {
  let count = 0;
  const lines: string[] = [];
  const stack: [TaskDump, number][] = roots.map((r) => [r, 0] as [TaskDump, number]).reverse();
  while (stack.length > 0) {
    const [d, depth] = stack.pop()!;
    count++;
    const pad = "  ".repeat(depth + 1);
    const wait = d.waitingOn === null ? "" : `: ${d.waitingOn}`;
    lines.push(`${pad}#${d.id} "${d.name}" ${d.state}${wait} (age ${formatMs(d.ageMs)})`);
    if (d.spawnSite !== undefined) lines.push(`${pad}    spawned at ${d.spawnSite}`);
    for (let i = d.children.length - 1; i >= 0; i--) stack.push([d.children[i]!, depth + 1]);
  }
  const runs = roots.length === 1 ? "1 run" : `${roots.length} runs`;
  return `tasklet: ${runs}, ${count} live task${count === 1 ? "" : "s"}\n${lines.map((l) => `${l}\n`).join("")}`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

/** Frames of tasklet's own code: the file this module is in (the bundle), or the src/ folder when run from source. */
const OWN_CODE = ownCodePrefix();

function ownCodePrefix(): string | null {
  const file = frameFile(new Error().stack?.split("\n")[1] ?? "");
  if (file === null) return null;
  const m = /^(.*[/\\]src[/\\])runtime[/\\][^/\\]+$/.exec(file);
  return m !== null ? m[1]! : file;
}

/** The file of a V8 stack frame line ("    at f (file:///x.js:1:2)"), without line and column. */
function frameFile(line: string): string | null {
  const m = /\(?((?:file:\/\/)?[^()\s]+?):\d+:\d+\)?$/.exec(line.trim());
  return m === null ? null : m[1]!.replace(/^file:\/\//, "");
}

/** The first frame of `site`'s stack outside tasklet and Node: "file:line:column". */
function spawnSiteOf(site: Error): string {
  const lines = (site.stack ?? "").split("\n").slice(1);
  for (const line of lines) {
    const file = frameFile(line);
    if (file === null || file.startsWith("node:") || (OWN_CODE !== null && file.startsWith(OWN_CODE))) continue;
    const m = /\(?([^()\s]+:\d+:\d+)\)?$/.exec(line.trim());
    if (m !== null) return m[1]!.replace(/^file:\/\//, "");
  }
  return "(unknown)";
}
