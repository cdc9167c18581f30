import { instantiateWasm } from "../wasm/load.js";
import type { SchedulerCore } from "./scheduler-core.js";

/**
 * The WebAssembly scheduler core. Not yet implemented: the module built from
 * assembly/scheduler.ts only exposes its layout version so far.
 */
export function createWasmCore(): SchedulerCore {
  const why = wasmCoreError();
  throw new Error(`the "wasm" scheduler backend is unavailable: ${why}`);
}

let cachedError: string | null | undefined;

/** Why the Wasm core cannot be used, or null when it can. */
export function wasmCoreError(): string | null {
  if (cachedError === undefined) {
    try {
      const inst = instantiateWasm("scheduler");
      const version = (inst.exports.coreVersion as () => number)();
      cachedError = version >= 1 ? null : "not implemented in this build yet";
    } catch (e) {
      cachedError = (e as Error).message;
    }
  }
  return cachedError;
}
