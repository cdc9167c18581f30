/**
 * A request body as a stream for Promise-land consumers: a Node `Readable`
 * or a Web `ReadableStream<Uint8Array>`, both pulled from the green side.
 * A chunk the server has already received is handed out at once; otherwise
 * a pull spawns a short task, a child of the connection's task, that waits
 * for the next socket read (`req.read()`). Nothing is read from the socket
 * that no consumer asked for, so a slow consumer stops the socket (the
 * connection's read buffer fills to its high-water mark, then libuv stops
 * reading and TCP pushes back on the client).
 */
import { Readable } from "node:stream";
import { spawnChildGenerator } from "../runtime/kernel.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";

/**
 * What a body stream pulls from: the request (HttpRequest implements it;
 * named here so that this file does not import request.ts, which imports it).
 */
export interface PulledBody {
  /** Body chunks received and not yet read. */
  _chunks: Uint8Array[];
  /** The whole body has arrived. */
  _ended: boolean;
  /** The next chunk, waiting for the socket. */
  read(): Operation<Uint8Array | null>;
}

/** A request's stream state, kept aside (a WeakMap) so that requests nobody streams carry nothing for it. */
interface StreamState {
  /** The read in flight, if any. */
  pump: Task<void> | null;
  /** The handler is done with the request: streams may no longer read the socket. */
  detached: boolean;
}

const states = new WeakMap<PulledBody, StreamState>();

function stateOf(body: PulledBody): StreamState {
  let st = states.get(body);
  if (st === undefined) states.set(body, (st = { pump: null, detached: false }));
  return st;
}

/** The request was answered: a stream made from now on may not read the socket either. */
export function answeredBody(body: PulledBody): void {
  stateOf(body).detached = true;
}

/**
 * The connection is about to read and drop the rest of `body` (its handler
 * is done): streams may no longer read the socket, and a read in flight is
 * cancelled (it consumes nothing). Returns the operation that waits for that
 * cancellation, or null when no stream was ever taken.
 */
export function detachBodyStreams(body: PulledBody): Operation<void> | null {
  const st = states.get(body);
  if (st === undefined) return null;
  st.detached = true;
  return st.pump === null ? null : st.pump.cancel();
}

/** Why a stream read fails once its request was answered. */
function detachedError(): Error {
  return new Error("the request body stream was read after the request was answered; read it before the handler returns");
}

/**
 * The body of the short task that waits for one chunk. It settles the
 * stream's Promise itself and never fails: an error of the read (a client
 * that left, a malformed or too large body, a timeout) is the stream's, not
 * the connection task's. Cancelled (the connection moves on, the server
 * stops), it rejects the Promise too.
 */
function* readOne(body: PulledBody, st: StreamState, resolve: (c: Uint8Array | null) => void, reject: (e: unknown) => void): Generator<Instruction, void, any> {
  let settled = false;
  try {
    const c = yield* body.read();
    settled = true;
    resolve(c);
  } catch (e) {
    settled = true;
    reject(e);
  } finally {
    st.pump = null;
    if (!settled) reject(new Error("the request body stream was stopped: its request was answered or the server closed"));
  }
}

/**
 * The next chunk: at once when one is buffered (or the body ended), else a
 * Promise of it, read by a child task of `owner` (the connection's task).
 * One read at a time: a stream asks again only after the last answer.
 */
export function pullChunk(body: PulledBody, owner: Task): Uint8Array | null | Promise<Uint8Array | null> {
  // Detached only when the request was answered before its body had arrived: the rest was dropped.
  const st = stateOf(body);
  if (st.detached) return Promise.reject(detachedError());
  if (body._chunks.length > 0 || body._ended) return takeSync(body);
  if (st.pump !== null) return Promise.reject(new Error("the request body is being read by another stream"));
  if (owner.done) return Promise.reject(new Error("the request body stream was read after its connection's task ended"));
  return new Promise<Uint8Array | null>((resolve, reject) => {
    st.pump = spawnChildGenerator(owner, readOne(body, st, resolve, reject), "request body read");
  });
}

/** A buffered chunk, counted as read like `req.read()` counts it; null at the end. */
function takeSync(body: PulledBody): Uint8Array | null {
  // req.read() shifts and counts; its iterator returns at once when a chunk is there.
  const it = body.read()[Symbol.iterator]();
  const r = it.next();
  return r.done === true ? (r.value as Uint8Array | null) : null;
}

/** The request's body as a Web ReadableStream of bytes, pulled on demand (highWaterMark 0). */
export function bodyWebStream(body: PulledBody, owner: Task): ReadableStream<Uint8Array> {
  stateOf(body); // from now on the connection detaches it before reading on
  return new ReadableStream<Uint8Array>(
    {
      pull(controller): void | Promise<void> {
        const got = pullChunk(body, owner);
        if (got === null || !(got instanceof Promise)) {
          if (got === null) controller.close();
          else controller.enqueue(got);
          return;
        }
        return got.then((c) => {
          if (c === null) controller.close();
          else controller.enqueue(c);
        });
      },
      cancel(): void {
        // The rest of the body is read and dropped by the connection before its next request.
      },
    },
    { highWaterMark: 0 },
  );
}

/** The request's body as a Node Readable, pulled as Node asks (up to its highWaterMark, 16 KiB). */
export function bodyReadable(body: PulledBody, owner: Task): Readable {
  stateOf(body);
  return new Readable({
    read(): void {
      const got = pullChunk(body, owner);
      if (!(got instanceof Promise)) {
        this.push(got);
        return;
      }
      got.then(
        (c) => this.push(c),
        (e: unknown) => this.destroy(e as Error),
      );
    },
  });
}
