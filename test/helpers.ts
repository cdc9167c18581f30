import { wasmCoreError } from "../src/core/wasm-core.js";
import { run, type Body, type BackendName, type RunOptions, type Task } from "../src/index.js";

/**
 * Every scheduler suite runs on each backend listed here. The Wasm core is
 * included as soon as its module loads; until then only "ts" can run.
 */
export const BACKENDS: readonly BackendName[] = wasmCoreError() === null ? ["ts", "wasm"] : ["ts"];

/** `run` on a given backend with the virtual clock (no test sleeps for real). */
export function vrun<T>(backend: BackendName, body: Body<T>, options: RunOptions = {}): Task<T> {
  return run(body, { backend, clock: "virtual", ...options });
}

/** A log shared by the tasks of a test, to assert orderings. */
export function makeLog(): string[] & { add: (s: string) => void } {
  const log = [] as unknown as string[] & { add: (s: string) => void };
  // Not enumerable, so toEqual compares only the entries.
  Object.defineProperty(log, "add", { value: (s: string) => void log.push(s), enumerable: false });
  return log;
}
