// What a handler may give as a response body, sorted once into: bytes known
// in full, a Blob (length known), or a source of chunks pulled one at a time
// (a Node Readable, a Web ReadableStream, an async or sync iterable). A
// source is pulled by the connection's task: each pull parks the task until
// the producer has a chunk (the Promise bridge of src/ops/call.ts), so the next
// chunk is asked for only once the socket took the last one. Internal: not
// exported from the package.
import { Readable } from "node:stream";
import { call } from "../ops/call.js";
import { describeValue } from "../config/options.js";
import type { Instruction, Operation } from "../runtime/types.js";

/** A chunk as a producer may give it. */
export type Chunk = string | Uint8Array;

/**
 * A producer of body chunks. `next` parks the task until the next chunk (or
 * null at the end); `close` stops the producer early so that it frees what it
 * holds (destroys a Readable, cancels a ReadableStream, returns an iterator).
 */
export interface ChunkSource {
  next(): Operation<Chunk | null>;
  close(): void;
  /**
   * The producer may reuse a chunk's memory once the next one is pulled (a
   * generator yielding one buffer over and over): such chunks are copied,
   * since the socket may still hold a large one when the next is pulled.
   * Readable and ReadableStream chunks belong to their reader by contract.
   */
  readonly lends: boolean;
}

/** A body sorted by kind. */
export type Body =
  | { kind: "bytes"; bytes: Chunk; type: string | null }
  | { kind: "blob"; blob: Blob; type: string }
  | { kind: "stream"; source: ChunkSource };

export const TEXT_TYPE = "text/plain; charset=utf-8";
export const BYTES_TYPE = "application/octet-stream";
export const JSON_TYPE = "application/json";

/**
 * Sort `body`. Text and bytes are sent as they are; plain objects, arrays,
 * numbers, booleans, null and objects with `toJSON` as JSON; anything else
 * not understood is a TypeError that names it.
 */
export function classifyBody(body: unknown): Body {
  if (body === undefined) return { kind: "bytes", bytes: "", type: null };
  if (typeof body === "string") return { kind: "bytes", bytes: body, type: TEXT_TYPE };
  if (body instanceof Uint8Array) return { kind: "bytes", bytes: body, type: BYTES_TYPE };
  if (body === null || typeof body === "number" || typeof body === "boolean") return json(body);
  if (typeof body === "object") {
    const bytes = bytesOf(body);
    if (bytes !== null) return { kind: "bytes", bytes, type: BYTES_TYPE };
    if (body instanceof Blob) return { kind: "blob", blob: body, type: body.type !== "" ? body.type : BYTES_TYPE };
    if (body instanceof Readable) return { kind: "stream", source: new ReadableSource(body) };
    if (body instanceof ReadableStream) return { kind: "stream", source: new WebStreamSource(body) };
    if (Array.isArray(body)) return json(body);
    const o = body as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown; toJSON?: unknown };
    if (typeof o[Symbol.asyncIterator] === "function") {
      return { kind: "stream", source: new AsyncIterSource((body as AsyncIterable<unknown>)[Symbol.asyncIterator]()) };
    }
    if (typeof o[Symbol.iterator] === "function") {
      return { kind: "stream", source: new IterSource((body as Iterable<unknown>)[Symbol.iterator]()) };
    }
    const proto = Object.getPrototypeOf(body);
    if (proto === Object.prototype || proto === null || typeof o.toJSON === "function") return json(body);
  }
  throw new TypeError(
    `cannot send ${describeValue(body)} as a response body: send text, bytes (Uint8Array, ArrayBuffer), a Blob, ` +
      "a Readable or ReadableStream, an (async) iterable of text or byte chunks, or a JSON value " +
      "(plain object, array, number, boolean, null)",
  );
}

function json(value: unknown): Body {
  return { kind: "bytes", bytes: JSON.stringify(value), type: JSON_TYPE };
}

/** The bytes of an ArrayBuffer or any ArrayBuffer view (no copy), else null. */
function bytesOf(v: object): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer)) return new Uint8Array(v);
  return null;
}

/** A chunk a producer gave, as text or bytes; a TypeError naming it otherwise. */
function toChunk(v: unknown, from: string): Chunk {
  if (typeof v === "string") return v;
  if (typeof v === "object" && v !== null) {
    const bytes = bytesOf(v);
    if (bytes !== null) return bytes;
  }
  throw new TypeError(`${from} produced ${describeValue(v)}; body chunks must be strings or bytes (Uint8Array, ArrayBuffer)`);
}

/** Ask a producer for its next step, parking the task until the promise settles. */
function nextOf<T>(step: () => T | PromiseLike<T>): Operation<Awaited<T>> {
  return call(step);
}

/** Swallow the outcome of a cleanup promise: the producer is being abandoned. */
function quietly(p: unknown): void {
  if (p !== null && typeof p === "object" && typeof (p as PromiseLike<unknown>).then === "function") {
    (p as PromiseLike<unknown>).then(undefined, () => {});
  }
}

/** A Node Readable, read through its async iterator; `close` destroys it (which also ends a pending read). */
class ReadableSource implements ChunkSource {
  readonly lends = false;
  private readonly it: AsyncIterator<unknown>;
  constructor(private readonly readable: Readable) {
    this.it = readable[Symbol.asyncIterator]();
  }
  *next(): Generator<Instruction, Chunk | null, any> {
    const r = yield* nextOf(() => this.it.next());
    return r.done ? null : toChunk(r.value, "the Readable body");
  }
  close(): void {
    this.readable.destroy();
  }
}

/** A Web ReadableStream, read with a reader of its own; `close` cancels it (its source's `cancel` runs). */
export class WebStreamSource implements ChunkSource {
  readonly lends = false;
  private readonly reader: ReadableStreamDefaultReader<unknown>;
  constructor(stream: ReadableStream<unknown>) {
    this.reader = stream.getReader();
  }
  *next(): Generator<Instruction, Chunk | null, any> {
    const r = yield* nextOf(() => this.reader.read());
    return r.done ? null : toChunk(r.value, "the ReadableStream body");
  }
  close(): void {
    try {
      quietly(this.reader.cancel());
    } catch {
      // released or errored already: nothing holds resources
    }
  }
}

/** An async iterable (an async generator, say); `close` calls its iterator's `return` (a generator's `finally` runs). */
class AsyncIterSource implements ChunkSource {
  readonly lends = true;
  constructor(private readonly it: AsyncIterator<unknown>) {}
  *next(): Generator<Instruction, Chunk | null, any> {
    const r = yield* nextOf(() => this.it.next());
    if (r === null || typeof r !== "object") throw new TypeError(`the async iterable body's iterator returned ${describeValue(r)} from next()`);
    return r.done ? null : toChunk(r.value, "the async iterable body");
  }
  close(): void {
    try {
      quietly(this.it.return?.());
    } catch {
      // the producer's own cleanup failed: it is abandoned either way
    }
  }
}

/** A sync iterable that is not an array (a generator, a Set of chunks); `close` calls its iterator's `return`. */
class IterSource implements ChunkSource {
  readonly lends = true;
  constructor(private readonly it: Iterator<unknown>) {}
  // A generator with no yield: a sync pull is an Operation like the others.
  *next(): Generator<Instruction, Chunk | null, any> {
    const r = this.it.next();
    return r.done ? null : toChunk(r.value, "the iterable body");
  }
  close(): void {
    try {
      this.it.return?.();
    } catch {
      // the producer's own cleanup failed: it is abandoned either way
    }
  }
}

/** A Blob too large to read whole: its bytes as a stream (cancelled if the response ends early). */
export class BlobSource extends WebStreamSource {
  constructor(blob: Blob) {
    super(blob.stream() as ReadableStream<unknown>);
  }
}
