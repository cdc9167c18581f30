/**
 * WsConn: one WebSocket connection (RFC 6455), server side, as a task sees
 * it: `receive()` a message, `send()` one, `ping()`, `close()`. Frames are
 * decoded by the codec (src/ws/codec/, Wasm or its TS twin) as they are
 * read, in the task that receives: there is no reader task of its own, so
 * an idle WebSocket is its handler's task parked in `receive()`, a socket
 * and this object. Pings are answered, the close handshake is run, and
 * protocol errors are closed with their code as frames are processed.
 */
import { describeValue } from "../config/options.js";
import type { Conn } from "../net/conn.js";
import { NetError } from "../net/errors.js";
import type { Handover } from "../http/upgrade-session.js";
import { currentTask } from "../runtime/current.js";
import { type Ownership, now, own, release } from "../runtime/kernel.js";
import { toAsyncIterable } from "../ops/iterables.js";
import { withDeadline } from "../runtime/op.js";
import { STREAM, STREAM_DONE, type Stream } from "../runtime/stream.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { Event } from "../sync/event.js";
import { type FrameDecoder, Opcode, type WsCodecKind, WsProtocolError } from "./codec/codec-core.js";
import { createDecoder, isUtf8 } from "./codec/decoder.js";
import { PerMessageDeflate } from "./deflate.js";
import { WsClosedError } from "./errors.js";
import { CloseCode, MAX_CLOSE_REASON, MAX_CONTROL_PAYLOAD, boundedReason, bytesFrame, closeFrame, piecesFrame, textFrame, validWireCode } from "./frames.js";
import type { Accepted } from "./handshake.js";
import type { UpgradeConfig } from "./ws-options.js";

/**
 * A message as `receive()` returns it: a text message as a string, a binary
 * one as a Uint8Array (a Node Buffer, a fresh copy the receiver may keep).
 *
 * @example
 * const m: WsMessage | null = yield* ws.receive();
 * if (typeof m === "string") console.log("text", m);
 * else if (m !== null) console.log("bytes", m.length);
 */
export type WsMessage = string | Uint8Array;

/**
 * What `send()` takes: a string goes as a text message, bytes as a binary one.
 *
 * @example
 * const reply: WsData = new Uint8Array([1, 2, 3]);
 * yield* ws.send(reply);
 */
export type WsData = string | Uint8Array | ArrayBuffer;

/** Where the connection is in its life. */
const enum State {
  /** Messages flow both ways. */
  Open,
  /** Our close frame is out; waiting for the peer's (messages may still arrive). */
  Closing,
  /** The close handshake is done, or the connection failed or ended: the socket is closed. */
  Closed,
}

/** A complete message received and not yet handed out: its opcode, whether compressed, its payload pieces. */
interface Received {
  readonly text: boolean;
  readonly compressed: boolean;
  readonly parts: Uint8Array[];
  readonly size: number;
}

/** Why a read's wait ended early. */
const WAIT_OVER = Symbol("tasklet.ws.wait");
const waitOver = (): unknown => WAIT_OVER;

const NO_PARTS: Uint8Array[] = [];

/**
 * A WebSocket connection, made by {@link upgrade} in an HTTP handler. The
 * handler's task is the WebSocket's: it owns it, and when the task ends the
 * WebSocket is closed (1000 when the handler returns, 1011 when it throws,
 * 1001 when it is cancelled or the server stops).
 *
 * **Receiving.** `receive()` returns the next message: a string for text,
 * a Buffer for binary (a fresh copy the caller may keep), or `null` once the
 * WebSocket is closed, for whatever reason: the peer's close, a protocol
 * error the server closed with (1002, 1007, 1009...), a timeout, or the
 * connection ending. `closeCode` and `closeReason` say which. Fragmented
 * messages are assembled; pings are answered with pongs as frames are
 * processed, which happens while a task waits in `receive()` (or
 * `close()`): one task receives at a time. `each(ws)` loops over the
 * messages.
 *
 * **Sending.** `send(data)` sends one message as one frame, written whole:
 * several tasks may send at once without their frames mixing. It waits
 * while the socket's buffer is above its high-water mark (a peer that does
 * not read parks the sender). After a close frame went out, `send` throws
 * {@link WsClosedError}.
 *
 * **Closing.** `close(code, reason)` sends a close frame, waits up to
 * `closeTimeout` for the peer's, then closes the socket.
 *
 * @example
 * serve({ port: 8080 }, function* (req) {
 *   const ws = yield* upgrade(req);
 *   for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
 * });
 */
// It is the codec's FrameSink and the HTTP connection's UpgradeSession by its shape only: those
// methods are left out of the published declarations, which therefore name neither interface.
export class WsConn {
  /** The subprotocol chosen in the handshake ("" for none). */
  readonly protocol: string;
  /** The extensions negotiated (the Sec-WebSocket-Extensions value sent back; "" for none). */
  readonly extensions: string;
  /**
   * The close code once closed, else null: the code of the peer's close
   * frame (1005 when it had none), or the code the server closed with on an
   * error (1002, 1007, 1009...), 1001 for an idle timeout or a stop, 1006
   * when the connection ended without a close frame.
   */
  closeCode: number | null = null;
  /** The reason that came with `closeCode` ("" when none). */
  closeReason = "";

  private readonly conn: Conn;
  private readonly cfg: UpgradeConfig;
  private readonly decoder: FrameDecoder;
  private readonly kind: WsCodecKind;
  private readonly deflate: PerMessageDeflate | null;
  private state = State.Open;
  /** Our close frame is out (or queued): no more data frames may follow it. */
  private sentClose = false;
  /** Bytes read past the upgrade request, decoded before the first read. */
  private rest: Uint8Array | null;
  /** A task is processing frames (in receive or close): one at a time. */
  private reading = false;
  /** Complete messages not yet handed out, oldest first. */
  private ready: Received[] | null = null;
  /** Outgoing control frames (pongs, the close reply) produced while decoding, written after. */
  private replies: Buffer[] | null = null;

  // The frame being decoded, and the data message being assembled.
  private frameOp = 0;
  private frameFin = false;
  /** The sink ignores frames: after a close frame or an error. */
  private ignoring = false;
  private msgText = false;
  private msgCompressed = false;
  private msgParts: Uint8Array[] = NO_PARTS;
  private msgSize = 0;
  private ctlParts: Uint8Array[] = NO_PARTS;
  /** A close frame arrived. */
  private gotClose = false;
  /** The peer's close code and reason (1005, "" when none). */
  private peerCode = 0;
  private peerReason = "";
  /** A protocol error to close with (0: none), and why. */
  private failCode = 0;
  private failReason = "";

  /** Clock time of the last bytes received, and of the heartbeat's ping still unanswered (-1: none). */
  private heard: number;
  private pingedAt = -1;
  /** Set when a reader leaves or the connection closes, for a close() that waits while another task reads. */
  private readerGone: Event | null = null;
  /** The owning task's hold (closes the WebSocket if that task ends first). */
  private hold: Ownership | null = null;

  /** @internal Made by upgrade() once the 101 is out. */
  constructor(h: Handover, cfg: UpgradeConfig, accepted: Accepted, owner: Task) {
    this.conn = h.conn;
    this.cfg = cfg;
    this.kind = h.kind;
    this.rest = h.rest;
    this.protocol = accepted.protocol;
    this.extensions = accepted.extensions;
    this.deflate = accepted.deflate === null ? null : new PerMessageDeflate(accepted.deflate);
    this.decoder = createDecoder(h.kind, { maxFrameSize: cfg.maxFrameSize, allowRsv1: accepted.deflate !== null, requireMask: true });
    this.heard = now(owner);
    // The connection's task ends the WebSocket itself (finish, abandon); any other upgrading task owns it.
    if (!h.byConnection) this.hold = own(owner, { close: () => this.abandon() });
    if (h.draining) this.serverStopping();
  }

  /** Whether the WebSocket is fully closed (its socket too). */
  get closed(): boolean {
    return this.state === State.Closed;
  }

  /** The peer's address, `host:port`. */
  get address(): string {
    return this.conn.address;
  }

  toString(): string {
    return `WsConn(${this.conn.address})`;
  }

  // ------------------------------------------------------------ receiving

  /**
   * The next message: a string (text) or a Buffer (binary); `null` once the
   * WebSocket is closed (see `closeCode`). Waits for it. Throws Error if
   * another task is receiving at the same time.
   *
   * @example
   * for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) console.log(m);
   */
  *receive(): Generator<Instruction, WsMessage | null, any> {
    this.enterReading("receive()");
    try {
      for (;;) {
        const r = this.ready;
        if (r !== null && r.length > 0) {
          const m = r.shift()!;
          // Uncompressed (the common case): no generator for the inflater's wait.
          if (!m.compressed) return valueOf(m.text, joined(m.parts, m.size));
          return yield* this.inflated(m);
        }
        if (this.state === State.Closed) {
          this.deflate?.dispose(); // every message handed out: zlib's memory can go
          return null;
        }
        if (this.rest !== null || this.cfg.idleTimeout !== Infinity || this.cfg.heartbeat !== null) {
          yield* this.pump(Infinity);
          continue;
        }
        // The plain wait for bytes, in this frame rather than pump's: an idle WebSocket is one generator fewer.
        let chunk: Uint8Array | null;
        try {
          chunk = yield* this.conn.read();
        } catch (e) {
          if (!(e instanceof NetError)) throw e;
          this.ended("the connection failed: " + e.message);
          continue;
        }
        if (chunk === null) {
          this.ended("the connection ended without a close frame");
          continue;
        }
        this.decode(chunk);
        if (this.replies !== null || this.failCode !== 0 || this.gotClose) yield* this.settle();
      }
    } finally {
      this.leaveReading();
    }
  }

  /**
   * The messages as a {@link Stream}, so that `each(ws)` loops over them
   * until the WebSocket closes.
   *
   * @example
   * for (const m of yield* each(ws)) { yield* ws.send(m); yield* each.next(); }
   */
  [STREAM](): Stream<WsMessage> {
    return { next: () => this.nextItem() };
  }

  /**
   * Receive from plain async code: `for await (const m of ws)` gives each
   * message until the WebSocket closes. The receives run in a task of their
   * own (see `toAsyncIterable`); a `break` stops receiving and leaves the
   * WebSocket open. The handler's task still owns the WebSocket: keep it
   * running while the loop runs.
   *
   * @example
   * for await (const m of ws) console.log(m);
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<WsMessage, undefined, undefined> {
    return toAsyncIterable<WsMessage>(this);
  }

  private *nextItem(): Generator<Instruction, IteratorResult<WsMessage, undefined>, any> {
    const m = yield* this.receive();
    return m === null ? STREAM_DONE : { done: false, value: m };
  }

  private enterReading(what: string): void {
    if (this.reading) throw new Error(`${what}: another task is receiving from this WebSocket; one task receives at a time`);
    this.reading = true;
  }

  private leaveReading(): void {
    this.reading = false;
    // A close() waiting for this reader takes over (or sees the end).
    if (this.readerGone !== null) this.readerGone.set();
  }

  /** A compressed message's value, inflated (null when that fails: the WebSocket is then closed). */
  private *inflated(m: Received): Generator<Instruction, WsMessage | null, any> {
    let inflated: Buffer | null;
    try {
      inflated = yield* this.deflate!.inflate(m.parts, this.cfg.maxMessageSize);
    } catch (e) {
      // Not a deflate stream: the data is not what its frame said it was.
      this.fail(CloseCode.INVALID_DATA, `compressed message does not inflate: ${(e as Error).message}`);
      yield* this.afterFailure();
      return null;
    }
    if (inflated === null) {
      this.fail(CloseCode.TOO_BIG, `message inflates to more than maxMessageSize (${this.cfg.maxMessageSize} bytes)`);
      yield* this.afterFailure();
      return null;
    }
    if (m.text && !isUtf8(inflated, this.kind)) {
      this.fail(CloseCode.INVALID_DATA, "text message is not valid UTF-8");
      yield* this.afterFailure();
      return null;
    }
    return valueOf(m.text, inflated);
  }


  /**
   * Read one chunk (or take the bytes left from the upgrade) and decode it;
   * write the replies it calls for; act on a close frame or an error. The
   * wait gives up at `until` (a close's deadline) or when the idle timeout
   * or the heartbeat say so.
   */
  private *pump(until: number): Generator<Instruction, void, any> {
    let chunk = this.rest;
    if (chunk !== null) this.rest = null;
    else {
      // Without a deadline (no idle timeout, no heartbeat, not closing) a read is just a read: no clock.
      const timed = until !== Infinity || this.wakeAt() !== Infinity;
      for (;;) {
        const deadline = timed ? Math.min(until, this.wakeAt()) : Infinity;
        try {
          const read = this.conn.read();
          chunk = yield* deadline === Infinity ? read : withDeadline(read, Math.ceil(deadline), waitOver);
          break;
        } catch (e) {
          if (e instanceof NetError) return this.ended("the connection failed: " + e.message);
          if (e !== WAIT_OVER) throw e;
        }
        const t = now(currentTask("WsConn.receive"));
        if (t >= until) return; // the caller's deadline: it decides
        if (!(yield* this.timeUp(t))) return;
      }
      if (chunk === null) return this.ended("the connection ended without a close frame");
      if (timed) {
        this.heard = now(currentTask("WsConn.receive"));
        this.pingedAt = -1;
      }
    }
    this.decode(chunk);
    if (this.replies !== null || this.failCode !== 0 || this.gotClose) yield* this.settle();
  }

  /** After decoding: write the replies it called for, then act on an error or a close frame. */
  private *settle(): Generator<Instruction, void, any> {
    if (this.replies !== null) {
      const out = this.replies;
      this.replies = null;
      try {
        yield* this.conn.write(out.length === 1 ? out[0]! : out);
      } catch (e) {
        if (e instanceof NetError) return this.ended("the connection failed: " + e.message);
        throw e;
      }
    }
    if (this.failCode !== 0) return yield* this.afterFailure();
    if (this.gotClose) {
      // The close handshake is complete (our reply, if it was owed, is out): the server closes TCP first (§7.1.1).
      this.closeCode = this.peerCode;
      this.closeReason = this.peerReason;
      this.shut();
    }
  }

  /** When the wait for bytes must end for the idle timeout or the heartbeat (Infinity: never). */
  private wakeAt(): number {
    let at = this.heard + this.cfg.idleTimeout;
    const hb = this.cfg.heartbeat;
    if (hb !== null) at = Math.min(at, this.pingedAt >= 0 ? this.pingedAt + hb.timeout : this.heard + hb.interval);
    return at;
  }

  /** The idle timeout or the heartbeat's time came at `t`: act; false if the connection is over. */
  private *timeUp(t: number): Generator<Instruction, boolean, any> {
    if (t >= this.heard + this.cfg.idleTimeout) {
      // Idle: say why, and do not wait for an answer from a peer that says nothing.
      this.closeWith(CloseCode.GOING_AWAY, `idle for more than ${this.cfg.idleTimeout} ms`);
      return false;
    }
    const hb = this.cfg.heartbeat;
    if (hb === null) return true;
    if (this.pingedAt >= 0) {
      if (t >= this.pingedAt + hb.timeout) {
        // A dead peer would not read a close frame: the TCP connection is just closed.
        this.closeReason = `no answer to a heartbeat ping within ${hb.timeout} ms`;
        this.closeCode = CloseCode.ABNORMAL;
        this.shut();
        return false;
      }
      return true;
    }
    if (t >= this.heard + hb.interval) {
      this.pingedAt = t;
      try {
        yield* this.conn.write(bytesFrame(Opcode.PING, EMPTY));
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        this.ended("the connection failed: " + e.message);
        return false;
      }
    }
    return true;
  }

  /** Feed `chunk` to the decoder; a protocol error it finds becomes this connection's failure. */
  private decode(chunk: Uint8Array): void {
    try {
      this.decoder.execute(chunk, this);
    } catch (e) {
      if (!(e instanceof WsProtocolError)) throw e;
      this.fail(e.code, e.message);
    }
  }

  // ------------------------------------------------------------ the frame sink (called by the decoder)

  /** @internal */
  start(fin: boolean, rsv1: boolean, opcode: number, length: number): void {
    if (this.ignoring) return;
    this.frameOp = opcode;
    this.frameFin = fin;
    if (opcode >= Opcode.CLOSE) {
      this.ctlParts = [];
      return;
    }
    if (opcode !== Opcode.CONTINUATION) {
      this.msgText = opcode === Opcode.TEXT;
      this.msgCompressed = rsv1;
      this.msgParts = [];
      this.msgSize = 0;
    }
    const max = this.cfg.maxMessageSize;
    // A compressed message is bounded by its inflated size when it is opened; its wire size only loosely
    // (deflate can exceed its input by a few bytes per block), so that it cannot pile up unbounded either.
    const bound = this.msgCompressed ? max + max / 64 + 1024 : max;
    if (this.msgSize + length > bound) {
      this.fail(CloseCode.TOO_BIG, `message of more than ${this.msgSize + length} bytes exceeds maxMessageSize (${max} bytes)`);
    }
  }

  /** @internal */
  data(bytes: Uint8Array): void {
    if (this.ignoring) return;
    if (this.frameOp >= Opcode.CLOSE) this.ctlParts.push(bytes);
    else {
      this.msgParts.push(bytes);
      this.msgSize += bytes.length;
    }
  }

  /** @internal */
  end(): void {
    if (this.ignoring) return;
    const op = this.frameOp;
    if (op >= Opcode.CLOSE) {
      const parts = this.ctlParts;
      this.ctlParts = NO_PARTS;
      this.control(op, joined(parts, sizeOf(parts)));
      return;
    }
    if (!this.frameFin) return;
    (this.ready ??= []).push({ text: this.msgText, compressed: this.msgCompressed, parts: this.msgParts, size: this.msgSize });
    this.msgParts = NO_PARTS;
    this.msgSize = 0;
  }

  /** A control frame arrived whole. */
  private control(op: number, payload: Buffer): void {
    if (op === Opcode.PING) {
      if (!this.sentClose) (this.replies ??= []).push(bytesFrame(Opcode.PONG, payload));
      return;
    }
    if (op === Opcode.PONG) return; // liveness is any byte received; an unsolicited pong is allowed (§5.5.3)
    // Close (§5.5.1): no payload, or a code on the wire and a UTF-8 reason.
    let code: number = CloseCode.NO_STATUS;
    let reason = "";
    if (payload.length === 1) return this.fail(CloseCode.PROTOCOL_ERROR, "close frame with a 1-byte payload");
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!validWireCode(code)) return this.fail(CloseCode.PROTOCOL_ERROR, `close code ${code} is not valid on the wire`);
      const r = payload.subarray(2);
      if (!isUtf8(r, this.kind)) return this.fail(CloseCode.INVALID_DATA, "close reason is not valid UTF-8");
      reason = r.toString("utf8");
    }
    this.gotClose = true;
    this.ignoring = true; // nothing after a close frame counts (§5.5.1)
    this.peerCode = code;
    this.peerReason = reason;
    if (!this.sentClose) {
      this.sentClose = true;
      (this.replies ??= []).push(closeFrame(code === CloseCode.NO_STATUS ? CloseCode.NORMAL : code, reason));
    }
  }

  /** The peer broke the protocol: close with `code` once the current chunk is decoded. */
  private fail(code: number, reason: string): void {
    if (this.failCode !== 0) return;
    this.failCode = code;
    this.failReason = reason;
    this.ignoring = true;
  }

  /** After a failure: send its close frame (unless one went out already) and close the socket without waiting (§7.1.7). */
  private *afterFailure(): Generator<Instruction, void, any> {
    if (this.state === State.Closed) return;
    this.closeCode = this.failCode;
    this.closeReason = this.failReason;
    if (!this.sentClose) {
      this.sentClose = true;
      try {
        yield* this.conn.write(closeFrame(this.failCode, boundedReason(this.failReason)));
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
      }
    }
    this.shut();
  }

  /** The connection ended or failed without a close handshake. */
  private ended(why: string): void {
    if (this.state === State.Closed) return;
    if (this.closeCode === null) {
      this.closeCode = CloseCode.ABNORMAL;
      this.closeReason = why;
    }
    this.shut();
  }

  /** Closed for good: the socket closes (flushing what is queued), the owner lets go, waiters wake. */
  private shut(): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.ignoring = true;
    this.conn.close();
    // Compressed messages still to hand out need the inflater's context; else zlib's memory goes now.
    if (this.ready === null || this.ready.length === 0) this.deflate?.dispose();
    if (this.hold !== null) {
      release(this.hold);
      this.hold = null;
    }
    if (this.readerGone !== null) this.readerGone.set();
  }

  /** Send a close frame now, without waiting, and close (an idle timeout, a cancellation). */
  private closeWith(code: number, reason: string): void {
    if (this.state === State.Closed) return;
    if (!this.sentClose) {
      this.sentClose = true;
      try {
        this.conn._write(closeFrame(code, boundedReason(reason)));
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
      }
    }
    if (this.closeCode === null) {
      this.closeCode = code;
      this.closeReason = reason;
    }
    this.shut();
  }

  // ------------------------------------------------------------ sending

  /**
   * Send one message: a string as text, bytes as binary (copied: the
   * caller may reuse them at once). Waits while the socket's buffer is full.
   * Throws {@link WsClosedError} once the WebSocket is closing or closed.
   *
   * @example
   * yield* ws.send("hello");
   * yield* ws.send(new Uint8Array([1, 2, 3]));
   */
  *send(data: WsData): Generator<Instruction, void, any> {
    if (this.sentClose || this.state === State.Closed) throw this.closedError("send()");
    const d = this.deflate;
    let frame: Buffer;
    if (typeof data === "string") {
      if (d !== null && data.length >= d.threshold) return yield* this.sendCompressed(d, Opcode.TEXT, Buffer.from(data, "utf8"));
      frame = textFrame(data);
    } else {
      const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : badData(data);
      if (d !== null && bytes.length >= d.threshold) return yield* this.sendCompressed(d, Opcode.BINARY, bytes);
      frame = bytesFrame(Opcode.BINARY, bytes);
    }
    // Written here rather than through write(): one generator fewer per message.
    try {
      yield* this.conn.write(frame);
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.ended("the connection failed: " + e.message);
      throw this.closedError("send()", e);
    }
  }

  private *write(frame: Buffer): Generator<Instruction, void, any> {
    try {
      yield* this.conn.write(frame);
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.ended("the connection failed: " + e.message);
      throw this.closedError("send()", e);
    }
  }

  /** Compress and write holding the deflater's lock: with context takeover, frames must leave in the order they were compressed. */
  private *sendCompressed(d: PerMessageDeflate, opcode: number, bytes: Uint8Array): Generator<Instruction, void, any> {
    const self = this;
    yield* d.sendLock.withLock(function* () {
      const { pieces, size } = yield* d.deflate(bytes);
      // Compressing waited: the WebSocket may have closed meanwhile.
      if (self.sentClose || self.state === State.Closed) throw self.closedError("send()");
      yield* self.write(piecesFrame(opcode, pieces, size, true));
    });
  }

  /**
   * Send a ping (at most 125 bytes of payload) without waiting; the peer
   * answers with a pong, which `receive()` takes in passing. Throws
   * {@link WsClosedError} once closing or closed.
   *
   * @example
   * ws.ping("are you there?");
   */
  ping(data?: string | Uint8Array): void {
    if (this.sentClose || this.state === State.Closed) throw this.closedError("ping()");
    const payload = data === undefined ? EMPTY : typeof data === "string" ? Buffer.from(data, "utf8") : data;
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError(`ping(): the payload is ${payload.length} bytes; a control frame carries at most ${MAX_CONTROL_PAYLOAD}`);
    try {
      this.conn._write(bytesFrame(Opcode.PING, payload));
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.ended("the connection failed: " + e.message);
      throw this.closedError("ping()", e);
    }
  }

  /**
   * Close: send a close frame with `code` (1000 by default; 1000-1003,
   * 1007-1014 or 3000-4999) and `reason` (at most 123 UTF-8 bytes), wait up
   * to `closeTimeout` for the peer's close frame (messages arriving meanwhile
   * are dropped), then close the socket. Returns at once if closed already.
   * When another task is in `receive()`, that task processes the frames and
   * this one waits for it.
   *
   * @example
   * yield* ws.close(4000, "bye");
   */
  *close(code: number = CloseCode.NORMAL, reason = ""): Generator<Instruction, void, any> {
    if (!Number.isInteger(code) || !validWireCode(code)) throw new RangeError(`close(): code must be 1000-1003, 1007-1014 or 3000-4999, got ${String(code)}`);
    if (typeof reason !== "string") throw new TypeError(`close(): reason must be a string, got ${typeof reason}`);
    if (Buffer.byteLength(reason, "utf8") > MAX_CLOSE_REASON) throw new RangeError(`close(): reason is ${Buffer.byteLength(reason, "utf8")} bytes in UTF-8; at most ${MAX_CLOSE_REASON}`);
    yield* this.closeHandshake(code, reason);
  }

  private *closeHandshake(code: number, reason: string): Generator<Instruction, void, any> {
    if (this.state === State.Closed) return;
    if (!this.sentClose) {
      this.sentClose = true;
      this.state = State.Closing;
      try {
        yield* this.conn.write(closeFrame(code, reason));
      } catch (e) {
        if (!(e instanceof NetError)) throw e;
        return this.ended("the connection failed: " + e.message);
      }
    }
    const me = currentTask("WsConn.close");
    const until = now(me) + this.cfg.closeTimeout;
    while (!this.closed && now(me) < until) {
      if (this.reading) {
        // Another task decodes the frames: wait until it sees the peer's close, or leaves (then take over).
        const ev = (this.readerGone ??= new Event("WebSocket reader"));
        ev.clear();
        try {
          yield* withDeadline(ev.wait(), Math.ceil(until), waitOver);
        } catch (e) {
          if (e !== WAIT_OVER) throw e;
        }
        continue;
      }
      this.enterReading("close()");
      try {
        yield* this.pump(until);
        this.ready = null; // messages after our close are dropped
      } finally {
        this.leaveReading();
      }
    }
    if (!this.closed) {
      this.closeCode ??= CloseCode.ABNORMAL;
      if (this.closeReason === "") this.closeReason = `no close frame from the peer within ${this.cfg.closeTimeout} ms`;
      this.shut();
    }
    if (!this.reading && (this.ready === null || this.ready.length === 0)) this.deflate?.dispose();
  }

  private closedError(what: string, cause?: unknown): WsClosedError {
    const code = this.closeCode ?? CloseCode.NORMAL;
    const e = new WsClosedError(code, `${what}: the WebSocket to ${this.conn.address} is ${this.state === State.Closed ? "closed" : "closing"}${this.closeCode !== null ? ` (code ${this.closeCode}${this.closeReason ? `: ${this.closeReason}` : ""})` : ""}`);
    if (cause !== undefined) (e as { cause?: unknown }).cause = cause;
    return e;
  }

  // ------------------------------------------------------------ the session (the HTTP connection calls these)

  /** @internal UpgradeSession: the handler returned (close 1000) or threw (close 1011). */
  *finish(threw: boolean, _error?: unknown): Generator<Instruction, void, any> {
    yield* this.closeHandshake(threw ? CloseCode.INTERNAL_ERROR : CloseCode.NORMAL, threw ? "internal error" : "");
  }

  /** @internal */
  reportable(error: unknown): boolean {
    return !(error instanceof WsClosedError) && !(error instanceof NetError);
  }

  /** @internal The task ends without the handler finishing (cancelled): close 1001 now, without waiting. */
  abandon(): void {
    this.closeWith(CloseCode.GOING_AWAY, "");
    this.ready = null; // nobody will receive them now
    this.deflate?.dispose();
  }

  /** @internal The server stops: send close 1001; the handler's receive() sees the peer's answer and returns null. */
  serverStopping(): void {
    if (this.sentClose || this.state === State.Closed) return;
    this.sentClose = true;
    this.state = State.Closing;
    try {
      this.conn._write(closeFrame(CloseCode.GOING_AWAY, "server shutting down"));
    } catch (e) {
      if (!(e instanceof NetError)) throw e;
      this.ended("the connection failed: " + e.message);
    }
  }
}

const EMPTY = new Uint8Array(0);

function sizeOf(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** The pieces as one Buffer: the piece itself when there is one (the decoder's pieces are fresh copies), else a concatenation. */
function joined(parts: readonly Uint8Array[], size: number): Buffer {
  if (parts.length === 1) {
    const p = parts[0]!;
    return Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  }
  if (parts.length === 0) return Buffer.alloc(0);
  return Buffer.concat(parts, size);
}

function valueOf(text: boolean, bytes: Buffer): WsMessage {
  return text ? bytes.toString("utf8") : bytes;
}

function badData(data: unknown): never {
  throw new TypeError(`send(): data must be a string, a Uint8Array or an ArrayBuffer, got ${describeValue(data)}`);
}
