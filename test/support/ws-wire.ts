/**
 * A raw WebSocket client for tests (RFC 6455, RFC 7692): it speaks the wire
 * byte for byte over node:net, so a test can send what no real client would
 * (reserved bits and opcodes, non-minimal lengths, bad UTF-8, frames split
 * into TCP writes at chosen points) and see exactly what the server answers:
 * each frame, the close code and reason, and whether the TCP connection
 * closed. Its decoder of server frames is written here from the RFC, on
 * purpose independent of the codec under test. Every wait is bounded.
 */
import { createHash, randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import zlib from "node:zlib";

/** Frame opcodes (RFC 6455 §5.2), plus the reserved ones tests send on purpose. */
export const Op = {
  CONT: 0,
  TEXT: 1,
  BINARY: 2,
  CLOSE: 8,
  PING: 9,
  PONG: 10,
} as const;

/** RSV bits as the `rsv` field of a frame spec takes them. */
export const Rsv = { RSV1: 4, RSV2: 2, RSV3: 1 } as const;

/** One frame as a test wants it on the wire. */
export interface FrameSpec {
  opcode: number;
  /** Payload; a string is sent as its UTF-8 bytes. */
  payload?: Uint8Array | string;
  /** FIN bit; default true. */
  fin?: boolean;
  /** RSV1..3 as three bits (RSV1 = 4); default 0. */
  rsv?: number;
  /** Masking key; default a fresh random one; `false` sends the frame unmasked. */
  mask?: Uint8Array | false;
  /** Length encoding; default the minimal one. 16 and 64 may be non-minimal on purpose. */
  lengthForm?: 7 | 16 | 64;
  /** Write this 64-bit length field instead of the real length (form 64 only): a lying or top-bit-set length. */
  length64?: bigint;
}

const utf8 = new TextEncoder();

/** The bytes of a payload given as text or bytes. */
export function bytesOf(p: Uint8Array | string | undefined): Uint8Array {
  if (p === undefined) return new Uint8Array(0);
  return typeof p === "string" ? utf8.encode(p) : p;
}

/** Encode one client frame (masked unless asked otherwise). */
export function encodeFrame(f: FrameSpec): Buffer {
  const payload = bytesOf(f.payload);
  const n = payload.length;
  const form = f.lengthForm ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  if (form === 7 && n > 125) throw new RangeError(`a 7-bit length cannot hold ${n}`);
  if (form === 16 && n > 65535) throw new RangeError(`a 16-bit length cannot hold ${n}`);
  const mask = f.mask === false ? null : (f.mask ?? randomBytes(4));
  const headLen = 2 + (form === 16 ? 2 : form === 64 ? 8 : 0) + (mask ? 4 : 0);
  // The payload starts 4-byte aligned in its ArrayBuffer, so large payloads mask a word at a time.
  const pad = (4 - (headLen % 4)) % 4;
  const out = Buffer.from(new ArrayBuffer(pad + headLen + n), pad, headLen + n);
  out[0] = ((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) & 7) << 4 | (f.opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  let at = 2;
  if (form === 7) out[1] = maskBit | n;
  else if (form === 16) {
    out[1] = maskBit | 126;
    out.writeUInt16BE(n, 2);
    at = 4;
  } else {
    out[1] = maskBit | 127;
    out.writeBigUInt64BE(f.length64 ?? BigInt(n), 2);
    at = 10;
  }
  if (mask) {
    out.set(mask, at);
    at += 4;
    out.set(payload, at);
    const words = new Uint32Array(out.buffer, pad + at, n >>> 2);
    const key = new Uint32Array(Uint8Array.from(mask).buffer)[0]!;
    for (let i = 0; i < words.length; i++) words[i]! ^= key;
    for (let i = words.length * 4; i < n; i++) out[at + i]! ^= mask[i & 3]!;
  } else out.set(payload, at);
  return out;
}

/** A close frame's payload: the code in two bytes, then the reason. */
export function closePayload(code: number, reason: Uint8Array | string = ""): Buffer {
  const r = bytesOf(reason);
  const out = Buffer.allocUnsafe(2 + r.length);
  out.writeUInt16BE(code, 0);
  out.set(r, 2);
  return out;
}

/** One frame the server sent. `payload` is a fresh copy. */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/** The server broke the framing rules (RFC 6455 §5.1-5.2 for a server's frames). */
export class WireViolation extends Error {
  override name = "WireViolation";
}

/**
 * Decodes the frames a server sends (unmasked, §5.1). Bytes of an
 * incomplete frame are kept for the next push. Throws WireViolation on a
 * masked server frame, a long or fragmented control frame, or a length with
 * the top bit set.
 */
export class ServerFrameDecoder {
  // Received bytes not yet decoded, as a list: a 16 MiB frame arriving in
  // 64 KiB reads is joined once, when whole, not once per read.
  private chunks: Buffer[] = [];
  private have = 0;
  /** Bytes the frame at the front needs in all, once its header is known. */
  private need = 0;

  push(chunk: Uint8Array): ServerFrame[] {
    this.chunks.push(Buffer.from(chunk));
    this.have += chunk.length;
    const frames: ServerFrame[] = [];
    while (this.have >= Math.max(2, this.need)) {
      if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
      const b = this.chunks[0]!;
      const frame = this.decodeOne(b);
      if (frame === null) break;
      frames.push(frame.frame);
      this.chunks = frame.used < b.length ? [b.subarray(frame.used)] : [];
      this.have -= frame.used;
      this.need = 0;
    }
    return frames;
  }

  /** The frame at the start of b, or null (and this.need set) when b is too short. */
  private decodeOne(b: Buffer): { frame: ServerFrame; used: number } | null {
    const fin = (b[0]! & 0x80) !== 0;
    const rsv = (b[0]! >> 4) & 7;
    const opcode = b[0]! & 0x0f;
    if (b[1]! & 0x80) throw new WireViolation("the server sent a masked frame");
    let len = b[1]! & 0x7f;
    let at = 2;
    if (len === 126) {
      if (b.length < 4) return (this.need = 4), null;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return (this.need = 10), null;
      const big = b.readBigUInt64BE(2);
      if (big >> 63n) throw new WireViolation("the server sent a 64-bit length with the top bit set");
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireViolation(`the server sent an absurd length ${big}`);
      len = Number(big);
      at = 10;
    }
    if (opcode >= 8 && (len > 125 || !fin)) throw new WireViolation(`the server sent a ${fin ? "long" : "fragmented"} control frame (opcode ${opcode}, ${len} bytes)`);
    if (b.length < at + len) return (this.need = at + len), null;
    return { frame: { fin, rsv, opcode, payload: Buffer.from(b.subarray(at, at + len)) }, used: at + len };
  }
}

/** A permessage-deflate agreement as the server's answer states it (RFC 7692 §7.1). */
export interface DeflateAgreement {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/**
 * Parse a server's Sec-WebSocket-Extensions answer for permessage-deflate.
 * Returns null when it did not accept the extension; throws WireViolation
 * when the answer is malformed or grants what the offer did not allow.
 */
export function parseDeflateAnswer(answer: string | undefined, offer: string | undefined): DeflateAgreement | null {
  if (answer === undefined || answer.trim() === "") return null;
  const exts = answer.split(",").map((e) => e.trim());
  if (exts.length !== 1) throw new WireViolation(`the server accepted ${exts.length} extensions: ${answer}`);
  const [name, ...params] = exts[0]!.split(";").map((p) => p.trim());
  if (name !== "permessage-deflate") throw new WireViolation(`the server accepted an extension never offered: ${name}`);
  if (offer === undefined || !/permessage-deflate/.test(offer)) throw new WireViolation("the server accepted permessage-deflate without an offer");
  const offered = new Map(
    offer.split(";").slice(1).map((p) => {
      const [k, v] = p.trim().split("=");
      return [k!.trim(), v?.trim()] as const;
    }),
  );
  const a: DeflateAgreement = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  const seen = new Set<string>();
  for (const p of params) {
    const [k, raw] = p.split("=").map((s) => s.trim());
    const v = raw?.replace(/^"(.*)"$/, "$1");
    if (seen.has(k!)) throw new WireViolation(`the server repeated ${k}`);
    seen.add(k!);
    const bits = () => {
      const n = Number(v);
      if (!/^\d+$/.test(v ?? "") || n < 8 || n > 15) throw new WireViolation(`bad ${k} value ${raw}`);
      return n;
    };
    if (k === "server_no_context_takeover" && v === undefined) a.serverNoContextTakeover = true;
    else if (k === "client_no_context_takeover" && v === undefined) a.clientNoContextTakeover = true;
    else if (k === "server_max_window_bits") {
      a.serverMaxWindowBits = bits();
      const cap = offered.get("server_max_window_bits");
      if (cap !== undefined && a.serverMaxWindowBits > Number(cap)) throw new WireViolation(`server_max_window_bits=${v} above the offered ${cap}`);
    } else if (k === "client_max_window_bits") {
      if (!offered.has("client_max_window_bits")) throw new WireViolation("client_max_window_bits answered though the offer did not carry it");
      a.clientMaxWindowBits = bits();
      const cap = offered.get("client_max_window_bits");
      if (cap !== undefined && a.clientMaxWindowBits > Number(cap)) throw new WireViolation(`client_max_window_bits=${v} above the offered ${cap}`);
    } else throw new WireViolation(`unknown or malformed permessage-deflate parameter ${p}`);
  }
  if (offered.has("server_no_context_takeover") && !a.serverNoContextTakeover) throw new WireViolation("the offer asked for server_no_context_takeover and the server dropped it");
  const offeredServerBits = offered.get("server_max_window_bits");
  if (offeredServerBits !== undefined && !seen.has("server_max_window_bits")) throw new WireViolation("the offer limited server_max_window_bits and the server did not answer it");
  return a;
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Compress one message as permessage-deflate sends it (no context kept: always valid, §7.2.1). */
export function deflateMessage(data: Uint8Array, windowBits = 15): Buffer {
  // zlib refuses a raw window of 8 bits; 9 is what it would use anyway.
  const out = zlib.deflateRawSync(data, { windowBits: Math.max(9, windowBits), finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.length >= 4 && out.subarray(out.length - 4).equals(TAIL) ? out.subarray(0, out.length - 4) : out;
}

/** Inflates a server's compressed messages, keeping the window between them unless told not to. */
class MessageInflater {
  private stream: zlib.InflateRaw | null = null;
  constructor(private readonly keepContext: boolean) {}

  inflate(data: Buffer): Promise<Buffer> {
    if (!this.keepContext || this.stream === null) {
      this.stream?.close();
      this.stream = zlib.createInflateRaw({ windowBits: 15 });
    }
    const s = this.stream;
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      const onData = (d: Buffer) => parts.push(d);
      const onError = (e: Error) => {
        s.off("data", onData);
        reject(new WireViolation(`the server's compressed message does not inflate: ${e.message}`));
      };
      s.on("data", onData);
      s.once("error", onError);
      s.write(Buffer.concat([data, TAIL]));
      s.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        s.off("data", onData);
        s.off("error", onError);
        resolve(Buffer.concat(parts));
      });
    });
  }

  close(): void {
    this.stream?.close();
    this.stream = null;
  }
}

/** What the client saw next. */
export type WireEvent =
  | { type: "frame"; frame: ServerFrame }
  | { type: "closed"; how: "end" | "reset" }
  | { type: "timeout" }
  | { type: "violation"; error: WireViolation };

/** A whole message (fragments joined and inflated), or a control frame, or how the exchange ended. */
export type WireMessage =
  | { type: "text"; data: string; compressed: boolean }
  | { type: "binary"; data: Buffer; compressed: boolean }
  | { type: "ping" | "pong"; data: Buffer }
  | { type: "close"; code: number | null; reason: string; raw: Buffer }
  | { type: "closed"; how: "end" | "reset" }
  | { type: "timeout" }
  | { type: "violation"; error: WireViolation };

/** How to open the connection. */
export interface WireOptions {
  port: number;
  host?: string;
  path?: string;
  /** Sec-WebSocket-Extensions offer. */
  extensions?: string;
  /** Sec-WebSocket-Protocol offer. */
  protocols?: string;
  /** Extra or replacing request headers (lower-case names); a value of null drops a default header. */
  headers?: Record<string, string | null>;
  /** Bound on the handshake; default 5 s. */
  timeoutMs?: number;
  /** Bytes (frames) sent in the same write as the request, before any answer. */
  early?: Uint8Array;
}

/** The server's answer to an upgrade request. */
export interface HandshakeAnswer {
  status: number;
  headers: Map<string, string>;
  /** The connection closed (after the answer's bytes, if any). */
  closed: boolean;
  /** Bytes received after the head. */
  rest: Buffer;
}

/** The Sec-WebSocket-Accept value for a key (§4.2.2). */
export function acceptFor(key: string): string {
  return createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
}

function requestText(o: WireOptions, key: string): string {
  const h: Record<string, string | null> = {
    host: `127.0.0.1:${o.port}`,
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": key,
    "sec-websocket-version": "13",
  };
  if (o.extensions !== undefined) h["sec-websocket-extensions"] = o.extensions;
  if (o.protocols !== undefined) h["sec-websocket-protocol"] = o.protocols;
  Object.assign(h, o.headers ?? {});
  let s = `GET ${o.path ?? "/"} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) s += `${k}: ${v}\r\n`;
  return s + "\r\n";
}

/**
 * Send an upgrade request (or any request bytes) and read the answer's head:
 * for handshakes a test breaks on purpose. Waits at most `timeoutMs` for the
 * head, then at most `settleMs` for the server to close.
 */
export function rawHandshake(port: number, request: string | Buffer, timeoutMs = 5000, settleMs = 300): Promise<HandshakeAnswer> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    let head: { status: number; headers: Map<string, string>; end: number } | null = null;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (head === null) {
        if (closed) resolve({ status: 0, headers: new Map(), closed, rest: buf });
        else reject(new Error(`no answer to the upgrade request within ${timeoutMs} ms`));
      } else resolve({ status: head.status, headers: head.headers, closed, rest: buf.subarray(head.end) });
    };
    let timer = setTimeout(() => finish(false), timeoutMs);
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (head === null) {
        head = parseHead(buf);
        // Once the head is here, wait only a little for a close.
        if (head !== null) {
          clearTimeout(timer);
          timer = setTimeout(() => finish(false), settleMs);
        }
      }
    });
    sock.on("end", () => finish(true));
    sock.on("close", () => finish(true));
    sock.on("error", () => finish(true));
    sock.on("connect", () => sock.write(request));
  });
}

function parseHead(buf: Buffer): { status: number; headers: Map<string, string>; end: number } | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString("latin1").split("\r\n");
  const m = /^HTTP\/1\.1 (\d{3})/.exec(lines[0]!);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    if (i > 0) {
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      headers.set(k, headers.has(k) ? `${headers.get(k)}, ${v}` : v);
    }
  }
  return { status: m ? Number(m[1]) : 0, headers, end: end + 4 };
}

/** Where to cut the bytes of a send into TCP writes. */
export type Split =
  /** One write per frame (the default). */
  | "frames"
  /** All frames in one write. */
  | "whole"
  /** One write per byte. */
  | "bytes"
  /** Writes of this many bytes. */
  | { every: number }
  /** Cut at these offsets into the concatenated bytes. */
  | { at: number[] };

/** An open WebSocket connection at the wire level. */
export class WireClient {
  private readonly decoder = new ServerFrameDecoder();
  private readonly frames: ServerFrame[] = [];
  private closedHow: "end" | "reset" | null = null;
  private violation: WireViolation | null = null;
  private wake: (() => void) | null = null;
  private fragments: Buffer[] = [];
  private fragOpcode = -1;
  private fragRsv1 = false;
  private inflater: MessageInflater | null = null;
  /** Everything the server sent, frame by frame, for the test's messages. */
  readonly log: ServerFrame[] = [];

  private constructor(
    private readonly sock: Socket,
    /** The handshake's answer. */
    readonly answer: HandshakeAnswer,
    /** The permessage-deflate agreement, or null. */
    readonly deflate: DeflateAgreement | null,
  ) {
    if (deflate) this.inflater = new MessageInflater(!deflate.serverNoContextTakeover);
    sock.on("data", (d: Buffer) => this.take(d));
    sock.on("end", () => this.markClosed("end"));
    sock.on("close", () => this.markClosed("end"));
    sock.on("error", () => this.markClosed("reset"));
    if (answer.rest.length > 0) this.take(answer.rest);
  }

  /**
   * Connect and complete the opening handshake; throws when the server does
   * not answer 101 with the right Sec-WebSocket-Accept, or gives a bad
   * permessage-deflate answer.
   */
  static open(o: WireOptions): Promise<WireClient> {
    const key = randomBytes(16).toString("base64");
    const timeoutMs = o.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const sock = connect(o.port, o.host ?? "127.0.0.1");
      sock.setNoDelay(true);
      let buf = Buffer.alloc(0);
      const fail = (e: Error) => {
        clearTimeout(timer);
        sock.destroy();
        reject(e);
      };
      const timer = setTimeout(() => fail(new Error(`no handshake answer within ${timeoutMs} ms`)), timeoutMs);
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const head = parseHead(buf);
        if (head === null) return;
        clearTimeout(timer);
        sock.off("data", onData);
        sock.off("error", onError);
        sock.off("close", onClose);
        const answer: HandshakeAnswer = { status: head.status, headers: head.headers, closed: false, rest: buf.subarray(head.end) };
        if (head.status !== 101) return fail(new Error(`the upgrade was answered ${head.status}, not 101`));
        if (head.headers.get("sec-websocket-accept") !== acceptFor(key)) return fail(new Error(`wrong Sec-WebSocket-Accept ${head.headers.get("sec-websocket-accept")}`));
        if (head.headers.get("upgrade")?.toLowerCase() !== "websocket") return fail(new Error(`Upgrade header is ${head.headers.get("upgrade")}`));
        let deflate: DeflateAgreement | null;
        try {
          deflate = parseDeflateAnswer(head.headers.get("sec-websocket-extensions"), o.extensions);
        } catch (e) {
          return fail(e as Error);
        }
        resolve(new WireClient(sock, answer, deflate));
      };
      const onError = (e: Error) => fail(new Error(`handshake failed: ${e.message}`));
      const onClose = () => fail(new Error("the server closed the connection during the handshake"));
      sock.on("data", onData);
      sock.on("error", onError);
      sock.on("close", onClose);
      sock.on("connect", () => sock.write(Buffer.concat([Buffer.from(requestText(o, key)), o.early ?? new Uint8Array(0)])));
    });
  }

  private take(d: Buffer): void {
    if (this.violation) return;
    try {
      for (const f of this.decoder.push(d)) {
        this.frames.push(f);
        this.log.push(f);
      }
    } catch (e) {
      this.violation = e as WireViolation;
    }
    this.notify();
  }

  private markClosed(how: "end" | "reset"): void {
    if (this.closedHow === null) this.closedHow = how;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** The TCP connection has closed (by either side). */
  get closed(): boolean {
    return this.closedHow !== null;
  }

  /**
   * Write frames, cut into TCP writes as `split` says, each write waited for
   * (so separate writes usually leave as separate segments). Stops quietly
   * once the connection is closed: a server that fails the connection early
   * may not read the rest.
   */
  async send(frames: FrameSpec | FrameSpec[] | Uint8Array, split: Split = "frames"): Promise<void> {
    const list = frames instanceof Uint8Array ? [frames] : Array.isArray(frames) ? frames.map(encodeFrame) : [encodeFrame(frames)];
    let writes: Uint8Array[];
    if (split === "frames") writes = list;
    else {
      const all = Buffer.concat(list);
      const cuts: number[] = [];
      if (split === "whole") cuts.push(all.length);
      else if (split === "bytes") for (let i = 1; i <= all.length; i++) cuts.push(i);
      else if ("every" in split) for (let i = split.every; i < all.length + split.every; i += split.every) cuts.push(Math.min(i, all.length));
      else cuts.push(...split.at.filter((c) => c > 0 && c < all.length).sort((a, b) => a - b), all.length);
      writes = [];
      let from = 0;
      for (const c of cuts) {
        if (c > from) writes.push(all.subarray(from, c));
        from = Math.max(from, c);
      }
    }
    for (const w of writes) {
      if (this.closed || this.sock.destroyed) return;
      await new Promise<void>((resolve) => this.sock.write(w, () => resolve()));
    }
  }

  /** The next thing from the server, waiting at most `timeoutMs`. */
  async next(timeoutMs: number): Promise<WireEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return { type: "frame", frame: f };
      if (this.violation) return { type: "violation", error: this.violation };
      if (this.closedHow) return { type: "closed", how: this.closedHow };
      const left = deadline - Date.now();
      if (left <= 0) return { type: "timeout" };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /**
   * The next whole message or control frame: fragments joined, compressed
   * messages inflated, text decoded strictly (bad UTF-8 from the server is a
   * violation). Waits at most `timeoutMs` in all.
   */
  async message(timeoutMs: number): Promise<WireMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ev = await this.next(Math.max(0, deadline - Date.now()));
      if (ev.type !== "frame") return ev;
      const f = ev.frame;
      const violation = (msg: string): WireMessage => ({ type: "violation", error: (this.violation = new WireViolation(msg)) });
      if (f.opcode >= 8) {
        if (f.rsv !== 0) return violation(`the server set RSV bits ${f.rsv} on a control frame`);
        if (f.opcode === Op.PING || f.opcode === Op.PONG) return { type: f.opcode === Op.PING ? "ping" : "pong", data: f.payload };
        if (f.opcode !== Op.CLOSE) return violation(`the server sent reserved opcode ${f.opcode}`);
        if (f.payload.length === 1) return violation("the server sent a 1-byte close payload");
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
        const reason = decodeStrict(f.payload.subarray(2));
        if (reason === null) return violation("the server's close reason is not UTF-8");
        return { type: "close", code, reason, raw: f.payload };
      }
      if (f.opcode === Op.CONT) {
        if (this.fragOpcode < 0) return violation("the server sent a continuation with no message started");
        if (f.rsv !== 0) return violation("the server set RSV bits on a continuation frame");
      } else if (f.opcode === Op.TEXT || f.opcode === Op.BINARY) {
        if (this.fragOpcode >= 0) return violation("the server started a message inside a fragmented one");
        if (f.rsv & ~Rsv.RSV1 || (f.rsv & Rsv.RSV1 && !this.deflate)) return violation(`the server set RSV bits ${f.rsv} without an extension`);
        this.fragOpcode = f.opcode;
        this.fragRsv1 = (f.rsv & Rsv.RSV1) !== 0;
      } else return violation(`the server sent reserved opcode ${f.opcode}`);
      this.fragments.push(f.payload);
      if (!f.fin) continue;
      let data: Buffer = Buffer.concat(this.fragments);
      const opcode = this.fragOpcode;
      const compressed = this.fragRsv1;
      this.fragments = [];
      this.fragOpcode = -1;
      if (compressed) {
        try {
          data = await this.inflater!.inflate(data);
        } catch (e) {
          return violation((e as Error).message);
        }
      }
      if (opcode === Op.BINARY) return { type: "binary", data, compressed };
      const text = decodeStrict(data);
      if (text === null) return violation("the server sent a text message that is not UTF-8");
      return { type: "text", data: text, compressed };
    }
  }

  /** Wait until the TCP connection closes; true if it did within `timeoutMs`. Frames still arriving are kept. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return true;
  }

  /** Half-close our side (TCP FIN) without destroying. */
  end(): void {
    this.sock.end();
  }

  /** Close the socket at once and free the inflater. */
  destroy(): void {
    this.sock.destroy();
    this.inflater?.close();
  }
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decode UTF-8 strictly; null when the bytes are not UTF-8. */
export function decodeStrict(b: Uint8Array): string | null {
  try {
    return strictDecoder.decode(b);
  } catch {
    return null;
  }
}
