/**
 * Exchange: one request and its response on a client connection. The
 * connection's parser sink fills it (head, body chunks, end, error) and
 * the response reads from it; it owns nothing but its queue. Body chunks
 * are views of the chunk a read returned, a fresh buffer per read that
 * nothing reuses (never the shared read buffer), so they are handed out
 * as they are.
 */
import type { ResponseHead } from "../http/parser/parser.js";
import { type Ownership, release } from "../runtime/kernel.js";
import type { Closable } from "../runtime/task.js";
import type { Instruction } from "../runtime/types.js";
import type { ClientHeaders } from "./headers.js";

/** What an exchange asks of its connection. */
export interface ExchangeHost {
  /** Read and parse until `ex` has a chunk, its end or an error (in a task). */
  fill(ex: Exchange): Generator<Instruction, void, unknown>;
  /** The same from plain async code. */
  fillOutside(ex: Exchange): Promise<void>;
  /** `ex` is abandoned before its end: the connection cannot be reused. */
  abandon(ex: Exchange, reason: unknown): void;
}

/** One request/response pair on a connection. */
export class Exchange implements Closable {
  /** The response head (retained), once received. */
  head: ResponseHead | null = null;
  /** Body chunks received and not taken yet, from `qi` on. */
  chunks: Uint8Array[] = [];
  qi = 0;
  /** The parser reported the end of the response. */
  ended = false;
  /** Trailer fields of a chunked body, if any. */
  trailers: ClientHeaders | null = null;
  /** What ended the exchange before its end, if anything. */
  error: unknown = null;
  /** Anything of the response arrived (a retry is then out of the question). */
  received = false;
  /** The hold of the task that asked: the exchange is abandoned when that task ends first. */
  hold: Ownership | null = null;
  /** Run once when the exchange is over (removes an abort listener). */
  onDone: (() => void) | null = null;
  /** The caller has taken the body's end (or given it up). */
  over = false;

  constructor(
    readonly host: ExchangeHost,
    readonly method: string,
    readonly url: string,
  ) {}

  /** A queued chunk, null at the end, undefined when more must be read; throws the error that ended it. */
  take(): Uint8Array | null | undefined {
    if (this.qi < this.chunks.length) {
      const c = this.chunks[this.qi]!;
      this.chunks[this.qi++] = undefined as never;
      if (this.qi === this.chunks.length) {
        this.chunks.length = 0;
        this.qi = 0;
      }
      return c;
    }
    if (this.error !== null) {
      this.done();
      throw this.error;
    }
    if (this.ended) {
      this.done();
      return null;
    }
    return undefined;
  }

  /** The exchange is over for its user: drop the hold and the listener. */
  done(): void {
    if (this.over) return;
    this.over = true;
    const h = this.hold;
    this.hold = null;
    if (h !== null) release(h);
    const d = this.onDone;
    this.onDone = null;
    if (d !== null) d();
  }

  /** The asking task ended (or the user gave the body up): a response not received to its end closes its connection. */
  close(): void {
    this.hold = null;
    if (!this.ended && this.error === null) this.host.abandon(this, null);
    this.chunks.length = 0;
    this.qi = 0;
    this.done();
  }
}
