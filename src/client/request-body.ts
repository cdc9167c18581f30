/**
 * A request's body: what the caller may pass, how it is framed, and how it
 * is written. Bytes and strings go with a Content-Length, in the head's
 * write when small; an iterable, a Stream, an AsyncIterable or a Node
 * Readable is streamed: chunked, or raw when the caller gave a
 * Content-Length (then the count is checked, as a server would).
 */
import { describeValue } from "../config/options.js";
import type { Conn } from "../net/conn.js";
import { streamOf } from "../ops/each.js";
import { STREAM, type Stream, type Streamable } from "../runtime/stream.js";
import type { Instruction } from "../runtime/types.js";
import { HttpClientError } from "./errors.js";

/** A request body: bytes, a string (UTF-8), or chunks streamed from an iterable, a Stream, an AsyncIterable or a Node Readable. */
export type RequestBody =
  | string
  | Uint8Array
  | ArrayBuffer
  | Iterable<Uint8Array | string>
  | Stream<Uint8Array | string>
  | Streamable<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>;

/** A body with every byte known now (replayable: a retry or a 307 can send it again). */
export interface FixedBody {
  readonly fixed: true;
  readonly bytes: Uint8Array;
}

/** A body produced while it is sent (sent once). */
export interface StreamedBody {
  readonly fixed: false;
  readonly source: RequestBody;
}

export type BodyPlan = FixedBody | StreamedBody | null;

/** Sort the caller's body into bytes known now or a stream. */
export function planBody(body: unknown): BodyPlan {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return { fixed: true, bytes: Buffer.from(body, "utf8") };
  if (body instanceof Uint8Array) return { fixed: true, bytes: body };
  if (body instanceof ArrayBuffer) return { fixed: true, bytes: new Uint8Array(body) };
  if (typeof body === "object") {
    const o = body as Record<string | symbol, unknown>;
    if (typeof o[STREAM] === "function" || typeof o[Symbol.asyncIterator] === "function" || typeof o[Symbol.iterator] === "function" || typeof o.next === "function") {
      return { fixed: false, source: body as RequestBody };
    }
  }
  throw new TypeError(`request(): body must be a string, a Uint8Array, an iterable, a Stream, an AsyncIterable or a Readable, got ${describeValue(body)}`);
}

const CRLF = Buffer.from("\r\n");
/** A chunk up to this size is framed in one new buffer (the size the outbox gathers, less the framing). */
const SMALL_CHUNK = 4000;
const LAST_CHUNK = Buffer.from("0\r\n\r\n");

function toBytes(url: string, x: unknown): Uint8Array {
  if (x instanceof Uint8Array) return x;
  if (typeof x === "string") return Buffer.from(x, "utf8");
  throw new HttpClientError("BODY_LENGTH", url, `a request body chunk must be a Uint8Array or a string, got ${describeValue(x)}`);
}

/** A sync iterable's iterator as a Stream (its next() never waits). */
function syncStream(it: Iterator<unknown>): Stream<unknown> {
  return {
    next() {
      return {
        *[Symbol.iterator](): Generator<Instruction, IteratorResult<unknown, undefined>, unknown> {
          const r = it.next();
          return r.done === true ? { done: true, value: undefined } : r;
        },
      };
    },
    return() {
      it.return?.();
    },
  };
}

/**
 * Write a streamed body after its head: chunked, or raw when `declared`
 * (a Content-Length the caller gave, -1 if none) is known; then a count
 * other than `declared` is an HttpClientError (the connection is not
 * reusable: the caller closes it).
 */
export function* writeStreamed(conn: Conn, url: string, source: RequestBody, declared: number): Generator<Instruction, void, unknown> {
  const o = source as unknown as Record<string | symbol, unknown>;
  const s: Stream<unknown> =
    typeof o[STREAM] !== "function" && typeof o[Symbol.asyncIterator] !== "function" && typeof o[Symbol.iterator] === "function"
      ? syncStream((source as Iterable<unknown>)[Symbol.iterator]())
      : (streamOf("request() body", source as Stream<unknown>) as Stream<unknown>);
  let sent = 0;
  let done = false;
  try {
    for (;;) {
      const r = yield* s.next();
      if (r.done === true) break;
      const b = toBytes(url, r.value);
      if (b.length === 0) continue;
      sent += b.length;
      if (declared >= 0) {
        if (sent > declared) throw new HttpClientError("BODY_LENGTH", url, `the request body is longer than its Content-Length ${declared}`);
        yield* conn.write(b);
      } else if (b.length <= SMALL_CHUNK) {
        // One buffer of bytes: gathered with the tick's other small writes (a string or a list would take node's stream path).
        const size = b.length.toString(16);
        const framed = Buffer.allocUnsafe(size.length + 4 + b.length);
        framed.write(size, 0, "latin1");
        framed[size.length] = 13;
        framed[size.length + 1] = 10;
        framed.set(b, size.length + 2);
        framed[framed.length - 2] = 13;
        framed[framed.length - 1] = 10;
        yield* conn.write(framed);
      } else yield* conn.write([Buffer.from(`${b.length.toString(16)}\r\n`, "latin1"), b, CRLF]);
    }
    done = true;
  } finally {
    if (!done) s.return?.();
  }
  if (declared >= 0) {
    if (sent !== declared) throw new HttpClientError("BODY_LENGTH", url, `the request body ended after ${sent} of its Content-Length ${declared} bytes`);
  } else yield* conn.write(LAST_CHUNK);
}
