/**
 * What the WebSocket suites share: a server pool (each test's servers are
 * closed after it), a `ws` package client with bounded waits, and a raw
 * client for the bytes no well-behaved client sends (masked frames made by
 * hand, a reader of the server's unmasked frames).
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import WebSocket from "ws";
import { type Handler, type ServeOptions, type UpgradeOptions, upgrade } from "../../src/index.js";
import { serverPool } from "../http/http-helpers.js";

export { COMBOS } from "../http/http-helpers.js";
export { WebSocket };

/** The longest any single wait of these helpers lasts before it fails the test. */
export const WAIT_MS = 5_000;

export type Combo = { parser: "wasm" | "ts"; backend: "ts" | "wasm" };

/** A pool of servers for a test file (register `afterEach(pool.closeAll)`). */
export function wsPool(): {
  start: (combo: Combo, handler: Handler, options?: ServeOptions) => Promise<{ port: number; url: string; close: (timeout?: number) => Promise<void>; connections: () => number }>;
  closeAll: () => Promise<void>;
} {
  const pool = serverPool();
  return {
    async start(combo, handler, options) {
      const s = await pool.start(combo, handler, options);
      return { port: s.port, url: `ws://127.0.0.1:${s.port}/`, close: (timeout = 1000) => s.close({ timeout }).then(() => undefined), connections: () => s.connections };
    },
    closeAll: pool.closeAll,
  };
}

/** A promise that fails after WAIT_MS with `what`, so no test hangs. */
export function bounded<T>(p: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const inboxes = new WeakMap<WebSocket, Inbox>();

/** The inbox of a client made by openClient: it collects from before the open, so no early message is missed. */
export function inboxOf(ws: WebSocket): Inbox {
  return inboxes.get(ws)!;
}

/** A `ws` client, open (its messages are collected from the start: see inboxOf). */
export function openClient(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions): Promise<WebSocket> {
  const ws = new WebSocket(url, protocols, options);
  inboxes.set(ws, new Inbox(ws));
  return bounded(
    new Promise<WebSocket>((resolve, reject) => {
      ws.once("open", () => resolve(ws));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
    }),
    "the client to open",
  );
}

/** Messages as a `ws` client receives them, and its close, collected from the start. */
export class Inbox {
  readonly messages: { data: Buffer; binary: boolean }[] = [];
  private waiters: (() => void)[] = [];
  close: { code: number; reason: string } | null = null;
  pongs: Buffer[] = [];
  pings: Buffer[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, binary: boolean) => {
      this.messages.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as unknown as Buffer[]), binary });
      this.poke();
    });
    ws.on("pong", (d: Buffer) => {
      this.pongs.push(d);
      this.poke();
    });
    ws.on("ping", (d: Buffer) => {
      this.pings.push(d);
      this.poke();
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.close = { code, reason: reason.toString() };
      this.poke();
    });
    ws.on("error", () => {}); // the close event reports the outcome
  }
  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Wait until `cond` holds. */
  until(cond: () => boolean, what: string, ms?: number): Promise<void> {
    return bounded(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (cond()) resolve();
          else this.waiters.push(check);
        };
        check();
      }),
      what,
      ms,
    );
  }
  /** Wait for the `n`th message (1-based) and return it. */
  async nth(n: number): Promise<{ data: Buffer; binary: boolean }> {
    await this.until(() => this.messages.length >= n, `message ${n}`);
    return this.messages[n - 1]!;
  }
  async closed(ms?: number): Promise<{ code: number; reason: string }> {
    await this.until(() => this.close !== null, "the close", ms);
    return this.close!;
  }
}

// ------------------------------------------------------------ raw client

/** A frame as the server sent it. */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Buffer;
}

/** A client frame, masked with a random key: `fin`, `opcode`, payload, optional RSV bits and a forced "unmasked". */
export function clientFrame(opcode: number, payload: Uint8Array | string, opts: { fin?: boolean; rsv?: number; mask?: boolean } = {}): Buffer {
  const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
  const { fin = true, rsv = 0, mask = true } = opts;
  const n = data.length;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const m = mask ? 0x80 : 0;
  if (n < 126) head.push(m | n);
  else if (n < 65536) head.push(m | 126, n >> 8, n & 0xff);
  else {
    head.push(m | 127, 0, 0, 0, 0);
    head.push((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = data[i]! ^ key[i & 3]!;
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** A close frame's payload: code and reason. */
export function closePayload(code: number, reason: string | Buffer = ""): Buffer {
  const r = typeof reason === "string" ? Buffer.from(reason) : reason;
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

/** A handshake request for `path`, with extra header lines. */
export function handshakeRequest(port: number, extra: Record<string, string | null> = {}, requestLine = "GET / HTTP/1.1"): string {
  const fields: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  let s = `${requestLine}\r\n`;
  for (const [k, v] of Object.entries(fields)) if (v !== null) s += `${k}: ${v}\r\n`;
  return `${s}\r\n`;
}

/**
 * A raw socket to a WebSocket server: send bytes, read the HTTP answer,
 * then the server's frames, and see the close, each wait bounded.
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;
  private constructor(readonly sock: net.Socket) {
    sock.on("data", (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.poke();
    });
    const end = (): void => {
      this.ended = true;
      this.poke();
    };
    sock.on("end", end);
    sock.on("close", end);
    sock.on("error", end);
  }
  static connect(port: number): Promise<RawClient> {
    const sock = net.connect(port, "127.0.0.1");
    return bounded(
      new Promise<RawClient>((resolve, reject) => {
        sock.once("connect", () => resolve(new RawClient(sock)));
        sock.once("error", reject);
      }),
      "a raw connection",
    );
  }
  /** Connect and complete a handshake (sending `first` bytes right after it, in the same write, if given). */
  static async open(port: number, extra: Record<string, string | null> = {}, first?: Buffer): Promise<RawClient> {
    const c = await RawClient.connect(port);
    const req = Buffer.from(handshakeRequest(port, extra), "latin1");
    c.write(first === undefined ? req : Buffer.concat([req, first]));
    const head = await c.head();
    if (!head.startsWith("HTTP/1.1 101")) throw new Error(`handshake refused: ${head}`);
    return c;
  }
  private poke(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  private wait(cond: () => boolean, what: string): Promise<void> {
    return bounded(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (cond()) resolve();
          else this.waiters.push(check);
        };
        check();
      }),
      what,
    );
  }
  write(b: Buffer | string): void {
    this.sock.write(b);
  }
  /** The HTTP head the server answered (consumed from the stream). */
  async head(): Promise<string> {
    await this.wait(() => this.buf.indexOf("\r\n\r\n") >= 0 || this.ended, "the HTTP answer");
    const at = this.buf.indexOf("\r\n\r\n");
    if (at < 0) throw new Error(`no HTTP answer, got ${JSON.stringify(this.buf.toString("latin1"))}`);
    const head = this.buf.subarray(0, at + 4).toString("latin1");
    this.buf = this.buf.subarray(at + 4);
    return head;
  }
  /** Everything until the server closes (an HTTP answer with its body). */
  async rest(): Promise<string> {
    await this.wait(() => this.ended, "the server to close");
    return this.buf.toString("latin1");
  }
  /** The next frame from the server, or null if the connection ended first. */
  async frame(): Promise<ServerFrame | null> {
    await this.wait(() => parseFrame(this.buf) !== null || this.ended, "a frame");
    const f = parseFrame(this.buf);
    if (f === null) return null;
    this.buf = this.buf.subarray(f.size);
    return f.frame;
  }
  /** Frames until the connection ends. */
  async framesToEnd(): Promise<ServerFrame[]> {
    const out: ServerFrame[] = [];
    for (let f = await this.frame(); f !== null; f = await this.frame()) out.push(f);
    return out;
  }
  /** Wait until the server closes the TCP connection. */
  async closed(): Promise<void> {
    await this.wait(() => this.ended, "the server to close the connection");
  }
  destroy(): void {
    this.sock.destroy();
  }
}

function parseFrame(b: Buffer): { frame: ServerFrame; size: number } | null {
  if (b.length < 2) return null;
  const masked = (b[1]! & 0x80) !== 0;
  if (masked) throw new Error("the server sent a masked frame");
  let n = b[1]! & 0x7f;
  let at = 2;
  if (n === 126) {
    if (b.length < 4) return null;
    n = b.readUInt16BE(2);
    at = 4;
  } else if (n === 127) {
    if (b.length < 10) return null;
    n = b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6);
    at = 10;
  }
  if (b.length < at + n) return null;
  return { frame: { fin: (b[0]! & 0x80) !== 0, rsv: (b[0]! >> 4) & 7, opcode: b[0]! & 0x0f, payload: Buffer.from(b.subarray(at, at + n)) }, size: at + n };
}

/** The close code of a close frame's payload (1005 when it has none). */
export function codeOf(f: ServerFrame | null): number {
  if (f === null) throw new Error("expected a close frame, the connection ended");
  if (f.opcode !== 8) throw new Error(`expected a close frame, got opcode ${f.opcode}`);
  return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
}

/** An echo handler, with `options` for upgrade(). */
export function echoHandler(options?: UpgradeOptions): Handler {
  return function* (req) {
    const ws = yield* upgrade(req, options);
    for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
  };
}
