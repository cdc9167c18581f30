/**
 * offload() and WorkerPool: results against the same functions run in this
 * thread, transfers that detach the caller's buffer, errors that keep their
 * class and message, cancellation that never starts a queued job and stops
 * a running thread, a pool owned by the task that made it, and real child
 * processes for the shared pool's exit and the lazy load of piscina. Both
 * scheduler backends.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CancelledError, OffloadError, TimeoutError, WorkerPool, call, offload, race, run, sleep, spawn, withTimeout, type Instruction } from "../../src/index.js";
import { BACKENDS } from "../support/helpers.js";

const JOBS = new URL("../fixtures/offload/jobs.mjs", import.meta.url);
const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "tasklet-offload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Wait (bounded) until `ok()` holds, checking every few ms. */
function* until(ok: () => boolean, what: string, limitMs = 5000): Generator<Instruction, void, any> {
  for (let waited = 0; !ok(); waited += 5) {
    if (waited >= limitMs) throw new Error(`timed out waiting for ${what}`);
    yield* sleep(5);
  }
}

/**
 * Wait until cell 0 of `cells` stops moving (the thread that counts there
 * has stopped): unchanged over 50 ms, then unchanged 100 ms later. A thread
 * that was not terminated counts on and fails this after the bounded wait.
 */
function* stopsCounting(cells: Int32Array): Generator<Instruction, void, any> {
  let last = Atomics.load(cells, 0);
  let still = 0;
  yield* until(
    () => {
      const now = Atomics.load(cells, 0);
      still = now === last ? still + 1 : 0;
      last = now;
      return still >= 10;
    },
    "the worker thread to stop",
  );
  yield* sleep(100);
  expect(Atomics.load(cells, 0)).toBe(last);
}

const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

describe.each(BACKENDS)("offload on the %s backend", (backend) => {
  it("returns what the function returns, for any arguments (against the same function here)", async () => {
    const pool = new WorkerPool({ maxThreads: 2 });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 20 }), fc.uint8Array({ maxLength: 4096 }), async (xs, bytes) => {
          const [sum, hash, back] = await run(
            function* () {
              const a = yield* pool.run<{ sum: number }>(JOBS, "add", xs);
              const h = yield* offload<{ hex: string; length: number }>(JOBS, "sha256", [bytes]);
              const r = yield* pool.run<Uint8Array>(JOBS.href, "reverse", [bytes]);
              return [a.sum, h, r] as const;
            },
            { backend },
          );
          expect(sum).toBe(xs.reduce((a, b) => a + b, 0));
          expect(hash).toEqual({ hex: sha(bytes), length: bytes.byteLength });
          expect(Array.from(back)).toEqual(Array.from(bytes).reverse());
        }),
        { numRuns: 25 },
      );
      expect(pool.threads).toBeGreaterThan(0);
    } finally {
      pool.close();
    }
  });

  it("runs exports of node: builtins (gzip there, gunzip here)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 8192 }), async (bytes) => {
        const packed = await run(() => offload<Uint8Array>("node:zlib", "gzipSync", [bytes]), { backend });
        expect(Buffer.from(gunzipSync(packed)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it("moves transferred buffers (detached in the caller) and the worker sees them whole", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 1 << 16 }), async (bytes) => {
        const buf = Uint8Array.from(bytes);
        const before = sha(buf);
        const r = await run(function* () {
          return yield* offload<{ hex: string; length: number }>(JOBS, "sha256", [buf], { transfer: [buf.buffer] });
        }, { backend });
        expect(buf.byteLength).toBe(0);
        expect(buf.buffer.byteLength).toBe(0);
        expect(r).toEqual({ hex: before, length: bytes.byteLength });
      }),
      { numRuns: 15 },
    );
    // An ArrayBuffer passed and moved as itself.
    const ab = new Uint8Array(1 << 20).fill(9).buffer;
    const expected = sha(new Uint8Array(ab));
    const r = await run(() => offload<{ hex: string; length: number }>(JOBS, "sha256", [ab], { transfer: [ab] }), { backend });
    expect(ab.byteLength).toBe(0);
    expect(r).toEqual({ hex: expected, length: 1 << 20 });
  });

  it("throws what the function threw, with its class and message; async exports are awaited", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("Error", "TypeError", "RangeError"), fc.string({ maxLength: 60 }), async (kind, message) => {
        const e = await run(function* () {
          try {
            yield* offload(JOBS, "fail", [kind, message]);
          } catch (err) {
            return err;
          }
          throw new Error("no error");
        }, { backend });
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).constructor.name).toBe(kind);
        expect((e as Error).message).toBe(message);
        expect(e).not.toBeInstanceOf(OffloadError);
      }),
      { numRuns: 15 },
    );
    expect(await run(() => offload(JOBS, "later", ["v"]), { backend })).toBe("v");
  });

  it("reports a failure of the pool as an OffloadError that says what went wrong", async () => {
    const failure = (name: string, args: unknown[] = []) =>
      run(function* () {
        try {
          yield* offload(JOBS, name, args);
        } catch (e) {
          return e as Error;
        }
        throw new Error("no error");
      }, { backend });
    const missing = await failure("nope");
    expect(missing).toBeInstanceOf(OffloadError);
    expect(missing.message).toMatch(/no exported function named "nope" \(no such export; its exported functions: add, block/);
    expect((await failure("notAFunction")).message).toMatch(/"notAFunction" \(it is a number/);
    expect((await failure("exitThread")).message).toMatch(/worker exited with code: 3/);
    expect((await failure("unclonable")).message).toMatch(/could not be copied back/);
    expect((await failure("add", [() => 1])).message).toMatch(/could not be cloned/);
    const badModule = await run(function* () {
      try {
        yield* offload(new URL("../fixtures/offload/missing.mjs", import.meta.url), "f");
      } catch (e) {
        return e as Error;
      }
    }, { backend });
    expect(badModule).toBeInstanceOf(OffloadError);
    expect(badModule!.message).toMatch(/cannot import file:.*missing\.mjs in the worker thread/);
    // Bad calls are refused at once, in the caller.
    expect(() => offload("./jobs.mjs", "add")).toThrow(/module must be a file: URL, an absolute path or a node: builtin .*"\.\/jobs\.mjs"/);
    expect(() => offload(new URL("https://example.com/x.js"), "add")).toThrow(TypeError);
    expect(() => offload(JOBS, "")).toThrow(/name must be the name of an exported function/);
    expect(() => offload(JOBS, "add", 5 as never)).toThrow(/args must be an array/);
    expect(() => offload(JOBS, "add", [], { transfr: [] } as never)).toThrow(/unknown option "transfr"/);
    expect(() => new WorkerPool({ minThreads: 3, maxThreads: 2 })).toThrow(RangeError);
    expect(() => new WorkerPool({ maxThreads: 0 })).toThrow(RangeError);
  });

  it("cancelling the task terminates the thread of a running job", async () => {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    const file = join(dir, `spin-${backend}`);
    await run(function* () {
      const pool = new WorkerPool({ maxThreads: 1 });
      const job = spawn(() => pool.run(JOBS, "spin", [cells.buffer, file, 2 ** 31 - 1]));
      yield* until(() => Atomics.load(cells, 0) > 0, "the job to start");
      job.cancel("enough");
      const e = yield* call(job.then(() => null, (err: unknown) => err));
      expect(e).toBeInstanceOf(CancelledError);
      yield* stopsCounting(cells);
      expect(pool.threads).toBe(0);
      // The pool carries on with a new thread.
      expect((yield* pool.run<{ sum: number }>(JOBS, "add", [2, 3])).sum).toBe(5);
    }, { backend });
    expect(existsSync(file)).toBe(false);
  });

  it("withTimeout and a lost race abort a running job", async () => {
    for (const how of ["withTimeout", "race"] as const) {
      const cells = new Int32Array(new SharedArrayBuffer(8));
      await run(function* () {
        const pool = new WorkerPool({ maxThreads: 1 });
        const op = pool.run(JOBS, "spin", [cells.buffer, join(dir, `never-${how}`), 2 ** 31 - 1]);
        if (how === "withTimeout") {
          const e = yield* call(
            run(function* () {
              try {
                yield* withTimeout(80, op);
              } catch (err) {
                return err;
              }
            }, { backend }),
          );
          expect(e).toBeInstanceOf(TimeoutError);
        } else {
          const winner = yield* race([
            op,
            (function* () {
              yield* until(() => Atomics.load(cells, 0) > 0, "the job to start");
              return "probe";
            })(),
          ]);
          expect(winner).toBe("probe");
        }
        yield* stopsCounting(cells);
        pool.close();
      }, { backend });
    }
  });

  it("a job cancelled while queued never starts", async () => {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    await run(function* () {
      const pool = new WorkerPool({ maxThreads: 1 });
      const first = spawn(() => pool.run<string>(JOBS, "block", [cells.buffer]));
      yield* until(() => Atomics.load(cells, 0) === 1, "the first job to start");
      const queued = spawn(() => pool.run<string>(JOBS, "block", [cells.buffer]));
      yield* until(() => pool.queued === 1, "the second job to queue");
      queued.cancel();
      yield* call(queued.then(() => null, () => null));
      expect(pool.queued).toBe(0);
      Atomics.store(cells, 1, 1);
      Atomics.notify(cells, 1);
      expect(yield* first).toBe("released");
      // The same thread runs the next job: the cancelled one would have run before it.
      expect(yield* pool.run(JOBS, "block", [cells.buffer])).toBe("released");
      expect(Atomics.load(cells, 0)).toBe(2);
    }, { backend });
  });

  it("a pool made in a task is closed when the task ends; its threads go", async () => {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    let pool!: WorkerPool;
    let inner!: Promise<unknown>;
    await run(function* () {
      pool = new WorkerPool({ maxThreads: 2 });
      expect((yield* pool.run<{ sum: number }>(JOBS, "add", [1])).sum).toBe(1);
      expect(pool.threads).toBe(1);
      // A job of another run, still running on this pool when its owner ends.
      inner = run(() => pool.run(JOBS, "spin", [cells.buffer, join(dir, "owned"), 2 ** 31 - 1]), { backend }).then(
        () => null,
        (e: unknown) => e,
      );
      yield* until(() => Atomics.load(cells, 0) > 0, "the job to start");
    }, { backend });
    expect(pool.closed).toBe(true);
    expect(pool.threads).toBe(0);
    const e = await inner;
    expect(e).toBeInstanceOf(OffloadError);
    expect((e as Error).message).toMatch(/the worker pool was closed/);
    await run(function* () {
      yield* stopsCounting(cells);
      const late = yield* call(run(() => pool.run(JOBS, "add", [1]), { backend }).then(() => null, (x: unknown) => x));
      expect((late as Error).message).toMatch(/the worker pool is closed/);
    }, { backend });
    expect(existsSync(join(dir, "owned"))).toBe(false);
  });

  it("the shared pool does not keep the process alive", async () => {
    const { stdout } = await exec(process.execPath, ["test/fixtures/offload/exits.mjs", backend], { timeout: 8000 });
    expect(stdout.trim()).toBe("sum 42");
  });
});

describe("offload in the CommonJS build", () => {
  it("loads piscina only on the first offload", async () => {
    const { stdout } = await exec(process.execPath, ["test/fixtures/offload/lazy.cjs"], { timeout: 8000 });
    expect(stdout.trim().split("\n")).toEqual(["piscina before: false", "piscina after: true", "sum 3"]);
  });
});
