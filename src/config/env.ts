/**
 * The environment, read once: every `TASKLET_*` switch (and the one Node
 * flag the socket paths care about) parsed into one frozen object, {@link ENV}.
 * Nothing else in src/ reads `process.env`. A value this module does not
 * know is reported (a warning for the diagnostic socket switches, which then
 * keep their default; an error at the first run for `TASKLET_BACKEND`, since
 * a scheduler core cannot be guessed).
 *
 * The switches:
 * - `TASKLET_BACKEND=ts|wasm`: the scheduler core of a run given no `backend`.
 * - `TASKLET_NET_READ=stream|data`: `stream` keeps node:net's own
 *   `onStreamRead` for every read (no direct reads, src/net/node/); `data`
 *   also gives up the shared read buffer for node:net's 'data' events.
 * - `TASKLET_NET_WRITE=stream|direct`: `stream` sends every write through
 *   `socket.write`; `direct` writes each one straight to the handle, none
 *   gathered for the end of the tick (where the direct path is on).
 * - `TASKLET_NET_GATHER=off|on`: `off` gathers no small writes (src/net/outbox.ts).
 * - `TASKLET_DUMP_ON=<signal>` (e.g. `SIGUSR2`): print the live task tree to
 *   stderr on that signal while a run is active (src/runtime/dump.ts).
 * - `TASKLET_WORKER=<slot>:<port>`: set by a primary for each worker process
 *   it forks (src/net/workers.ts): which worker this is (1..n, kept across
 *   restarts) and the port the primary resolved for the group. Not a user
 *   switch.
 */
import { constants as osConstants } from "node:os";

/** Scheduler cores (the same names as `BackendName` of src/runtime/types.ts). */
export type EnvBackend = "ts" | "wasm";

/** What the environment says, parsed. */
export interface EnvConfig {
  /** `TASKLET_BACKEND`; undefined when unset or empty (the best available core). */
  readonly backend: EnvBackend | undefined;
  /** Why `TASKLET_BACKEND` cannot be used (an unknown value), else undefined: the message a run throws. */
  readonly backendError: string | undefined;
  /** `TASKLET_NET_READ`: "auto" (straight from the handle where this Node allows it), "stream" or "data". */
  readonly netRead: "auto" | "stream" | "data";
  /** `TASKLET_NET_WRITE`: "auto" (the handle where allowed, small writes gathered), "stream" or "direct". */
  readonly netWrite: "auto" | "stream" | "direct";
  /** `TASKLET_NET_GATHER` is not "off". */
  readonly netGather: boolean;
  /** `TASKLET_DUMP_ON`: the signal that prints the live task tree; undefined when unset (or not a signal one can listen to). */
  readonly dumpOn: NodeJS.Signals | undefined;
  /**
   * Node runs with `--pending-deprecation` (in its arguments, in
   * `NODE_OPTIONS`, or `NODE_PENDING_DEPRECATION=1`): reaching node's
   * internal bindings would print a deprecation warning, so the socket
   * paths keep to the public API.
   */
  readonly pendingDeprecation: boolean;
  /** `TASKLET_WORKER`: this process is worker `slot` of a tasklet primary, to serve on `port`; undefined otherwise. */
  readonly worker: { readonly slot: number; readonly port: number } | undefined;
  /** One line per value not understood (besides `backendError`), for the warning. */
  readonly warnings: readonly string[];
}

/** The environment variables this module reads, as strings (`process.env` or a test's object). */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** The value of a socket switch, one of `values`; unset or `""` means the first (its default). */
function choice<T extends string>(env: EnvSource, key: string, values: readonly T[], warnings: string[]): T {
  const v = env[key];
  if (v === undefined || v === "") return values[0]!;
  if ((values as readonly string[]).includes(v)) return v as T;
  warnings.push(`${key}=${JSON.stringify(v)} is not known (use ${values.map((x) => JSON.stringify(x)).join(", ")} or leave it unset); it is ignored`);
  return values[0]!;
}

/** Signals a process cannot listen to. */
const UNCATCHABLE = new Set(["SIGKILL", "SIGSTOP"]);

/** `TASKLET_DUMP_ON`: a signal name this platform knows and a listener can catch; anything else is warned about and ignored. */
function dumpSignal(env: EnvSource, warnings: string[]): NodeJS.Signals | undefined {
  const v = env.TASKLET_DUMP_ON;
  if (v === undefined || v === "") return undefined;
  if (Object.hasOwn(osConstants.signals, v) && !UNCATCHABLE.has(v)) return v as NodeJS.Signals;
  warnings.push(`TASKLET_DUMP_ON=${JSON.stringify(v)} is not a signal a listener can catch (use a name such as "SIGUSR2"); it is ignored`);
  return undefined;
}

/** `TASKLET_WORKER`, "<slot>:<port>" as a primary writes it. */
function workerOf(env: EnvSource, warnings: string[]): EnvConfig["worker"] {
  const v = env.TASKLET_WORKER;
  if (v === undefined || v === "") return undefined;
  const m = /^(\d{1,6}):(\d{1,5})$/.exec(v);
  const slot = m === null ? 0 : Number(m[1]);
  const port = m === null ? -1 : Number(m[2]);
  if (slot < 1 || port < 0 || port > 65535) {
    warnings.push(`TASKLET_WORKER=${JSON.stringify(v)} is not "<worker number>:<port>" (a tasklet primary sets it for its workers); it is ignored`);
    return undefined;
  }
  return Object.freeze({ slot, port });
}

/** Parse `env` and Node's arguments `execArgv`: a pure function, for tests; {@link ENV} is its result for this process. */
export function parseEnv(env: EnvSource, execArgv: readonly string[]): EnvConfig {
  const warnings: string[] = [];
  const b = env.TASKLET_BACKEND;
  let backend: EnvBackend | undefined;
  let backendError: string | undefined;
  if (b === "ts" || b === "wasm") backend = b;
  else if (b !== undefined && b !== "") backendError = `TASKLET_BACKEND must be "ts" or "wasm", got ${JSON.stringify(b)}`;
  const gather = choice(env, "TASKLET_NET_GATHER", ["on", "off"] as const, warnings);
  const flag = "--pending-deprecation";
  return Object.freeze({
    backend,
    backendError,
    netRead: choice(env, "TASKLET_NET_READ", ["auto", "stream", "data"] as const, warnings),
    netWrite: choice(env, "TASKLET_NET_WRITE", ["auto", "stream", "direct"] as const, warnings),
    netGather: gather === "on",
    dumpOn: dumpSignal(env, warnings),
    worker: workerOf(env, warnings),
    pendingDeprecation: execArgv.includes(flag) || (env.NODE_OPTIONS ?? "").includes(flag) || env.NODE_PENDING_DEPRECATION === "1",
    warnings: Object.freeze(warnings),
  });
}

/** This process's environment, as it was when tasklet was loaded. */
export const ENV: EnvConfig = parseEnv(process.env, process.execArgv);

for (const w of ENV.warnings) process.emitWarning(`tasklet: ${w}`, "TaskletWarning");

/**
 * The core `TASKLET_BACKEND` names, or undefined (unset: the best
 * available). Throws a TypeError for a value it does not know: a run
 * cannot start on a core nobody can name.
 */
export function envBackend(): EnvBackend | undefined {
  if (ENV.backendError !== undefined) throw new TypeError(ENV.backendError);
  return ENV.backend;
}
