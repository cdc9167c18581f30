/**
 * A connection's output: the bytes of its responses, gathered so that a
 * small response (or a batch of pipelined ones) leaves in one write, and the
 * writes themselves. Knows bytes and chunked framing, not HTTP semantics:
 * response-head.ts serialises heads into it, response.ts decides what goes.
 */
import type { Conn } from "../net/conn.js";
import type { Suspend } from "../runtime/suspend.js";
import type { Instruction } from "../runtime/types.js";
import { ParserConnection } from "./parser/parser.js";

/** Bytes of responses gathered before they are written even though more pipelined requests wait. */
export const FLUSH_AT = 64 * 1024;
/**
 * First size of an output buffer of a connection's own (when the shared one
 * is lent out, see `spare`): room for one small response, or, when
 * pipelined requests wait behind it, for about 16 (just under half of
 * Node's 8 KiB pool slab, the largest size the pool serves). The socket
 * keeps such a buffer until it is sent: sizing it to need keeps the churn of
 * pool slabs down.
 */
const OBUF_ONE = 512;
const OBUF_MANY = 4000;
/** Body chunks this large are written as they are, not copied into the gathering buffer. */
export const BIG_CHUNK = 16 * 1024;
/**
 * Size of the shared gathering buffer: room for a batch of small pipelined
 * responses (larger output moves to a buffer of its own as it grows). Kept
 * small because a write the socket cannot pass on keeps the whole buffer
 * until the peer reads: a client that stops reading pins at most this much.
 */
export const SPARE_BYTES = 16 * 1024;
/** The end of a chunked body: the last chunk, no trailer fields. */
const LAST_CHUNK = "0\r\n\r\n";

/**
 * One gathering buffer shared by every connection of the process, lent to
 * one connection at a time: from its first queued byte until its write.
 * A write that the kernel takes whole (nothing left queued in the socket,
 * the common case) leaves no reference to it, so it goes back for the next
 * response; otherwise the socket keeps it and a new one is made on next
 * use. A connection that finds it lent out (another one's handler is
 * parked mid-response) uses a buffer of its own from Node's pool: so a
 * response costs no allocation, and an idle or parked connection holds no
 * buffer.
 */
let spare: Buffer | null = null;
/** The output the spare is lent to, or null when it is free. */
let spareHolder: OutputBuffer | null = null;

/**
 * The output half of an HTTP connection. Small pieces (heads, small bodies,
 * chunk framing) are copied into `obuf`; a large body is kept as its own
 * chunk. `chunks` holds what is sealed, in order. A write hands the buffers
 * to the socket, which keeps them until sent, so each write starts a new
 * `obuf`: the shared one when it is free (see `spare`), else one from Node's
 * pool.
 *
 * It extends ParserConnection, and HttpConnection extends it, so that a
 * connection's parser state, output and task state are one object: one
 * object fewer for each of thousands of idle keep-alive connections.
 * HttpConnection is its one subclass, so the calls into it stay monomorphic.
 */
export class OutputBuffer extends ParserConnection {
  /** The socket the output goes to. */
  readonly conn: Conn;
  /** The gathering buffer: bytes `[0, olen)` are queued. Null until the first byte after a write. */
  obuf: Buffer | null = null;
  private olen = 0;
  private chunks: Uint8Array[] | null = null;
  /** Bytes queued and not yet written (in `obuf` and `chunks`). */
  protected outBytes = 0;
  /** Bytes taken out for writing so far (added once per write, not per queued piece): with `outBytes`, what request diagnostics measure. */
  private takenBytes = 0;
  /**
   * Requests parsed whose responses are still to come (the connection keeps
   * the count): while any wait, a finished response is gathered with the
   * next ones rather than written at once.
   */
  protected pendingCount = 0;

  constructor(conn: Conn) {
    super();
    this.conn = conn;
  }

  /** Make room for `n` more bytes in `obuf`; returns the offset to write them at. Call `commit(n)` after. */
  reserve(n: number): number {
    const buf = this.obuf;
    if (buf === null) {
      if (spareHolder === null && n <= SPARE_BYTES) {
        spareHolder = this;
        this.obuf = spare ??= Buffer.allocUnsafeSlow(SPARE_BYTES);
      } else {
        const start = this.pendingCount > 0 ? OBUF_MANY : OBUF_ONE;
        this.obuf = Buffer.allocUnsafe(n < start ? start : n);
      }
    } else if (this.olen + n > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, this.olen + n));
      buf.copy(bigger, 0, 0, this.olen);
      this.obuf = bigger;
      if (buf === spare && spareHolder === this) spareHolder = null; // copied out: free again
    }
    return this.olen;
  }

  /** `n` bytes were written at the offset `reserve(n)` returned. */
  commit(n: number): void {
    this.olen += n;
    this.outBytes += n;
  }

  /** Queue text that is latin1 by construction (status lines, header fields, chunk framing). */
  queueLatin1(s: string): void {
    const at = this.reserve(s.length);
    this.obuf!.latin1Write(s, at, s.length);
    this.commit(s.length);
  }

  /** Queue text as UTF-8 (error messages). */
  queueText(s: string): void {
    const n = Buffer.byteLength(s, "utf8");
    const at = this.reserve(n);
    this.obuf!.utf8Write(s, at, n);
    this.commit(n);
  }

  /** Queue bytes: copied when small, else kept as a chunk of their own (no copy). */
  queueBytes(b: Uint8Array): void {
    if (b.length < BIG_CHUNK) {
      const at = this.reserve(b.length);
      this.obuf!.set(b, at);
      this.commit(b.length);
      return;
    }
    this.seal();
    (this.chunks ??= []).push(b);
    this.outBytes += b.length;
  }

  /** Queue `b` (not empty: an empty chunk would end the body) as one chunk of a chunked body: size line, bytes, CRLF. */
  queueChunk(b: Uint8Array): void {
    this.queueLatin1(`${b.length.toString(16)}\r\n`);
    this.queueBytes(b);
    this.queueLatin1("\r\n");
  }

  /** Queue the end of a chunked body. */
  queueLastChunk(): void {
    this.queueLatin1(LAST_CHUNK);
  }

  /** Close the gathering buffer into a chunk. */
  private seal(): void {
    if (this.olen > 0) {
      (this.chunks ??= []).push(this.obuf!.subarray(0, this.olen));
      this.obuf = null;
      this.olen = 0;
    }
  }

  /** Take what is queued (the caller writes it). */
  private takeOut(): Uint8Array | Uint8Array[] {
    this.takenBytes += this.outBytes;
    this.outBytes = 0;
    if (this.chunks === null) {
      // The common case: all of it is in the gathering buffer; one view of it, no array.
      const out = this.obuf!.subarray(0, this.olen);
      this.obuf = null;
      this.olen = 0;
      return out;
    }
    this.seal();
    const c = this.chunks;
    this.chunks = null;
    return c.length === 1 ? c[0]! : c;
  }

  /** Bytes of output queued on this connection since it opened (written or not). */
  bytesQueued(): number {
    return this.takenBytes + this.outBytes;
  }

  /** Write what is queued; waits while the socket's buffer is full. */
  *flush(): Generator<Instruction, void, any> {
    if (this.outBytes === 0) return;
    try {
      yield* this.conn.write(this.takeOut());
    } finally {
      this.wrote();
    }
  }

  /**
   * After a write, or its failure: give back the shared buffer if it was
   * in this write and the socket kept none of it (the kernel copied the
   * bytes); if the socket still holds bytes, it keeps the buffer, and the
   * next user makes a new one.
   */
  private wrote(): void {
    if (spareHolder !== this) return;
    spareHolder = null;
    if (this.conn._retainedLength !== 0) spare = null;
  }

  /** The output will never be written (the connection closes): forget the shared buffer rather than reason about it. */
  protected dropSpare(): void {
    if (spareHolder !== this) return;
    spareHolder = null;
    spare = null;
  }

  /**
   * After a response is complete: write now if no parsed request waits behind
   * it (or much has gathered), else leave it for one write with the next
   * responses. Returns null when done, or the Suspend to park on while the
   * socket's buffer drains.
   */
  writeIfDone(): Suspend | null {
    if (this.outBytes === 0 || (this.outBytes < FLUSH_AT && this.pendingCount > 0)) return null;
    let drained: boolean;
    try {
      if (this.chunks === null) {
        // All of it in the gathering buffer: no view of it needed when the bytes are gathered.
        const buf = this.obuf!;
        const n = this.olen;
        this.obuf = null;
        this.olen = 0;
        this.takenBytes += n;
        this.outBytes = 0;
        drained = this.conn._writeFrom(buf, n);
      } else {
        drained = this.conn._write(this.takeOut());
      }
    } finally {
      this.wrote();
    }
    return drained ? null : this.conn._parkWriter();
  }
}
