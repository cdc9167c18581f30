/**
 * node's `stream_wrap` binding, the one door to Node's internals that the
 * direct read and write paths need: the `WriteWrap` request constructor and
 * the `streamBaseState` array that node's C++ fills on every read and write
 * (bytes read or the error, whether the last write had to wait). It comes
 * from `process.binding("stream_wrap")`, deprecated in the documentation
 * only (DEP0111).
 *
 * Feature check: the binding is used only where these paths were tested
 * (Linux, Node majors FIRST_MAJOR to LAST_MAJOR; the suite runs on 20, 22, 24
 * and 26, see scripts/test-nodes.mjs), when it has every part named below,
 * and not under `--pending-deprecation` (where the lookup prints a warning).
 * Elsewhere `streamBinding` is null and both paths take the public API.
 */
import { ENV } from "../../config/env.js";

/** The request object of a direct write (node's WriteWrap; the C++ side calls `oncomplete` when a write that waited is done). */
export interface WriteReq {
  oncomplete: (this: WriteReq, status: number) => void;
  /** Its length, handed to the owner when it completes. */
  bytes: number;
  /** Keeps the bytes alive while libuv still holds a pointer to them. */
  buffer: Uint8Array | null;
  /** Who to tell when it completes. */
  owner: unknown;
}

/** The parts of `stream_wrap` the direct paths use. */
export interface StreamBinding {
  WriteWrap: new () => WriteReq;
  /** Filled by node's C++ on every write and read: bytes read or error, whether the last write waits... */
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
  kReadBytesOrError: number;
}

/** The Node majors the direct paths were tested on (on Linux); later ones take the public path until tested. */
const FIRST_MAJOR = 20;
const LAST_MAJOR = 26;

/** Whether this process runs on a system and Node major where the direct paths were tested. */
function testedRuntime(): boolean {
  const major = Number(process.versions.node.split(".")[0]);
  return process.platform === "linux" && major >= FIRST_MAJOR && major <= LAST_MAJOR;
}

function loadBinding(): StreamBinding | null {
  if (!testedRuntime() || ENV.pendingDeprecation) return null;
  try {
    const b = (process as unknown as { binding(name: string): Record<string, unknown> }).binding("stream_wrap");
    if (
      typeof b.WriteWrap !== "function" ||
      !(b.streamBaseState instanceof Int32Array) ||
      typeof b.kLastWriteWasAsync !== "number" ||
      typeof b.kReadBytesOrError !== "number"
    ) {
      return null;
    }
    return b as unknown as StreamBinding;
  } catch {
    return null;
  }
}

/** node's stream binding, or null where this runtime is not one these paths were tested on. */
export const streamBinding: StreamBinding | null = loadBinding();

/** A handle class of node's (`TCP`, `Pipe`): what `instanceof` needs. */
type HandleClass = abstract new (...args: never[]) => object;

/**
 * The classes of the libuv handles the direct paths were tested on: node's
 * `TCP` and `Pipe` (from the `tcp_wrap` and `pipe_wrap` bindings, the same
 * door as stream_wrap). A socket whose handle is of another class (a
 * TLSSocket's `TLSWrap`, which also has `writeBuffer` and `useUserBuffer`
 * but encrypts underneath) takes the public paths. Null where the binding is
 * not used (every socket then takes them anyway).
 */
export const plainHandleClasses: readonly HandleClass[] | null = streamBinding === null ? null : loadHandleClasses();

function loadHandleClasses(): HandleClass[] | null {
  try {
    const b = process as unknown as { binding(name: string): Record<string, unknown> };
    const tcp = b.binding("tcp_wrap").TCP;
    const pipe = b.binding("pipe_wrap").Pipe;
    return typeof tcp === "function" && typeof pipe === "function" ? [tcp as HandleClass, pipe as HandleClass] : null;
  } catch {
    return null;
  }
}
