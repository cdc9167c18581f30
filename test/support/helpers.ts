import { wasmCoreError } from "../../src/core/wasm-core.js";
import net from "node:net";
import { run, listen, type Body, type BackendName, type Conn, type Instruction, type Listener, type RunOptions, type Task } from "../../src/index.js";

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

/**
 * Listen on a free port, connect a plain node:net client that never reads
 * (paused), and accept it: a peer whose buffers fill up. The caller closes
 * all three.
 */
export function* pausedPeer(): Generator<Instruction, { listener: Listener; raw: net.Socket; conn: Conn }, any> {
  const listener = yield* listen({ port: 0 });
  const raw = net.connect({ port: listener.port, host: "127.0.0.1" });
  raw.pause();
  const conn = yield* listener.accept();
  return { listener, raw, conn };
}

/** Deterministic bytes: a xorshift stream, so a lost, shifted or reordered chunk changes the digest. */
export function pattern(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
