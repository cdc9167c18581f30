/**
 * `each`: a task loops over a Channel, a Queue, a Stream or an AsyncIterable
 * with `for...of` and `yield* each.next()`: order, the end of the stream,
 * break and errors that release the stream, nested loops, cancellation,
 * and the clear errors of misuse.
 */
import { describe, expect, it } from "vitest";
import { Channel, Queue, STREAM, each, sleep, spawn, withTimeout, type Operation, type Stream } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

/** A Stream of 0..n-1 that counts its next() calls and whether it was returned. */
function counting(n: number): Stream<number> & { pulled: number; returned: number } {
  const s = {
    pulled: 0,
    returned: 0,
    next(): Operation<IteratorResult<number, undefined>> {
      return {
        *[Symbol.iterator]() {
          yield* sleep(1);
          const i = s.pulled++;
          return i < n ? { done: false, value: i } : { done: true, value: undefined };
        },
      };
    },
    return() {
      s.returned++;
    },
  };
  return s;
}

describe.each(BACKENDS)("each on the %s backend", (backend) => {
  it("loops over a channel until it is closed and drained", async () => {
    const got = await vrun(backend, function* () {
      const ch = new Channel<number>(2);
      spawn(function* () {
        for (let i = 0; i < 10; i++) yield* ch.send(i);
        ch.close();
      });
      const got: number[] = [];
      for (const v of yield* each(ch)) {
        got.push(v);
        yield* each.next();
      }
      return got;
    });
    expect(got).toEqual([...Array(10).keys()]);
  });

  it("a closed empty channel gives an empty loop", async () => {
    const n = await vrun(backend, function* () {
      const ch = new Channel<number>();
      ch.close();
      let n = 0;
      for (const _ of yield* each(ch)) {
        n++;
        yield* each.next();
      }
      return n;
    });
    expect(n).toBe(0);
  });

  it("break leaves the rest in the channel; a queue's loop takes items as they come", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>(8);
      for (let i = 0; i < 5; i++) ch.trySend(i);
      for (const v of yield* each(ch)) {
        if (v === 1) break;
        yield* each.next();
      }
      const rest = [yield* ch.recv(), ch.size];
      const q = new Queue<string>();
      spawn(function* () {
        for (const s of ["a", "b", "c"]) {
          yield* sleep(3);
          yield* q.put(s);
        }
      });
      const got: string[] = [];
      for (const s of yield* each(q)) {
        got.push(s);
        q.taskDone();
        if (got.length === 3) break;
        yield* each.next();
      }
      return { rest, got };
    });
    expect(r).toEqual({ rest: [2, 2], got: ["a", "b", "c"] });
  });

  it("a stream is pulled once per item, never ahead, and returned on break but not at its end", async () => {
    const r = await vrun(backend, function* () {
      const a = counting(100);
      for (const v of yield* each(a)) {
        if (v === 3) break;
        yield* each.next();
      }
      const b = counting(2);
      for (const _ of yield* each(b)) yield* each.next();
      return { a: [a.pulled, a.returned], b: [b.pulled, b.returned] };
    });
    expect(r).toEqual({ a: [4, 1], b: [3, 0] });
  });

  it("nested loops: each.next() advances the innermost one", async () => {
    const pairs = await vrun(backend, function* () {
      const out: string[] = [];
      const outer = new Channel<string>(4);
      for (const s of ["x", "y"]) outer.trySend(s);
      outer.close();
      for (const o of yield* each(outer)) {
        const inner = new Channel<number>(4);
        for (const i of [1, 2]) inner.trySend(i);
        inner.close();
        for (const i of yield* each(inner)) {
          out.push(`${o}${i}`);
          yield* each.next();
        }
        yield* each.next();
      }
      return out;
    });
    expect(pairs).toEqual(["x1", "x2", "y1", "y2"]);
  });

  it("an AsyncIterable is pulled one item at a time and its finally runs on break", async () => {
    const log: string[] = [];
    async function* gen() {
      try {
        for (let i = 0; ; i++) {
          log.push(`make ${i}`);
          yield i;
        }
      } finally {
        log.push("finally");
      }
    }
    await vrun(backend, function* () {
      for (const v of yield* each(gen())) {
        log.push(`got ${v}`);
        if (v === 2) break;
        yield* each.next();
      }
    });
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(["make 0", "got 0", "make 1", "got 1", "make 2", "got 2", "finally"]);
  });

  it("cancelling the task while it waits in each.next() releases the stream", async () => {
    const s = counting(1000);
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>();
      try {
        yield* withTimeout(5, function* () {
          for (const _ of yield* each(ch)) yield* each.next();
        });
      } catch (e) {
        return (e as Error).name;
      }
      return "no timeout";
    });
    expect(r).toBe("TimeoutError");
    const r2 = await vrun(backend, function* () {
      try {
        yield* withTimeout(5, function* () {
          for (const _ of yield* each(s)) yield* each.next();
        });
      } catch {}
      return s.returned;
    });
    expect(r2).toBe(1);
  });

  it("an error thrown by the stream reaches the loop, and a body without each.next() gets a clear error", async () => {
    const r = await vrun(backend, function* () {
      const bad: Stream<number> = {
        next: () => ({
          *[Symbol.iterator]() {
            throw new Error("source broke");
          },
        }),
      };
      const errs: string[] = [];
      try {
        for (const _ of yield* each(bad)) yield* each.next();
      } catch (e) {
        errs.push((e as Error).message);
      }
      const ch = new Channel<number>(4);
      ch.trySend(1);
      ch.trySend(2);
      try {
        for (const _ of yield* each(ch)) {
          /* forgot each.next() */
        }
      } catch (e) {
        errs.push((e as Error).message);
      }
      try {
        yield* each.next();
      } catch (e) {
        errs.push((e as Error).message);
      }
      return errs;
    });
    expect(r[0]).toBe("source broke");
    expect(r[1]).toMatch(/each\(\): the loop body must end with `yield\* each.next\(\)`/);
    expect(r[2]).toMatch(/each.next\(\) was called outside/);
  });

  it("rejects what is not a stream, naming the function", () => {
    expect(() => each(42 as never)).toThrow(/each\(\) takes a Channel, a Queue, a Conn, a Stream or an AsyncIterable, got 42/);
  });

  it("a channel's [STREAM]() is the Stream each() uses", async () => {
    const r = await vrun(backend, function* () {
      const ch = new Channel<number>(1);
      ch.trySend(5);
      ch.close();
      const s = ch[STREAM]();
      return [yield* s.next(), yield* s.next()];
    });
    expect(r).toEqual([{ done: false, value: 5 }, { done: true, value: undefined }]);
  });
});
