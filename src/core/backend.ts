import type { BackendName } from "./constants.js";
import type { SchedulerCore } from "./scheduler-core.js";
import { TsCore } from "./ts-core.js";
import { createWasmCore, wasmCoreError } from "./wasm-core.js";

let warnedFallback = false;

/**
 * The one place a scheduler core is chosen (../shared/STYLE.md, item 9).
 * Order: the `backend` option, else env `TASKLET_BACKEND`, else the best
 * available (Wasm when its module loads, TypeScript otherwise, said once on
 * stderr).
 */
export function createCore(requested?: BackendName): SchedulerCore {
  const name = requested ?? envBackend();
  if (name === "ts") return new TsCore();
  if (name === "wasm") return createWasmCore(); // throws a clear error if it cannot load
  if (name !== undefined) {
    throw new TypeError(`backend must be "ts" or "wasm", got ${JSON.stringify(name)}`);
  }
  const why = wasmCoreError();
  if (why === null) return createWasmCore();
  if (!warnedFallback) {
    warnedFallback = true;
    process.emitWarning(`tasklet: using the TypeScript scheduler core because the Wasm core is unavailable: ${why}`, "TaskletWarning");
  }
  return new TsCore();
}

/**
 * The scheduler backend `run` uses when none is given: env `TASKLET_BACKEND`
 * if set, else the best available.
 *
 * @example
 * console.log(`scheduler core: ${defaultBackend()}`); // "wasm" or "ts"
 */
export function defaultBackend(): BackendName {
  const env = envBackend();
  if (env === "ts" || env === "wasm") return env;
  return wasmCoreError() === null ? "wasm" : "ts";
}

function envBackend(): BackendName | undefined {
  const v = process.env.TASKLET_BACKEND;
  if (v === undefined || v === "") return undefined;
  if (v !== "ts" && v !== "wasm") {
    throw new TypeError(`TASKLET_BACKEND must be "ts" or "wasm", got ${JSON.stringify(v)}`);
  }
  return v;
}
