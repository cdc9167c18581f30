/**
 * The conformance runner: a case is data (the frames to send, how to cut
 * them into TCP writes, the extension offer, and what the server must do),
 * and one function plays it over a WireClient against any echo server and
 * says, in words, what happened and whether that matches. The same table
 * runs against tasklet and against `ws` as a control (targets.ts).
 */
import { bytesOf, closePayload, deflateMessage, Op, Rsv, type FrameSpec, type Split, WireClient, type WireMessage } from "../../support/ws-wire.js";

/** What an echo server is started with. */
export interface ServerConfig {
  /** Largest message, in bytes (also the largest frame); 1009 above it. */
  maxMessageSize: number;
  /** Accept permessage-deflate offers. */
  deflate: boolean;
  /** Subprotocols the server speaks, in its order of preference (none by default). */
  protocols?: string[];
}

/** The default: 16 MiB messages, no compression. */
export const DEFAULT_CONFIG: ServerConfig = { maxMessageSize: 16 << 20, deflate: false };

/** A message or pong the server must send. */
export type Expected = { text: string } | { binary: Uint8Array } | { pong: Uint8Array | string };

/**
 * What the server must do, one of:
 * - `echo`: answer these, in order; then a close the client starts is
 *   answered with 1000 (or the client's own code) and the server closes TCP.
 * - `fail`: send `before` (default nothing), then fail the connection with a
 *   close code in the set, and close TCP. Messages that arrived in the same
 *   read as the error must be answered first: §7.1.7 would let a failing
 *   server drop them (Autobahn's "non-strict"), but both servers here answer
 *   them all, so the table holds them to the strict order.
 * - `reply`: the case's own frames end with a close; the server sends
 *   `before`, then answers with a close whose code is in the set (null: a
 *   close with no code), sends nothing else, and closes TCP. When that
 *   answer is an error code, the server failed the connection as the
 *   client's close crossed it.
 */
export type Outcome = { echo: Expected[] } | { fail: number[]; before?: Expected[] } | { reply: (number | null)[]; before?: Expected[] };

/** A frame of a case; `deflate` compresses its payload as negotiated and sets RSV1. */
export type CaseFrame = FrameSpec & { deflate?: boolean };

/** One conformance case. */
export interface WsCase {
  /** Autobahn-style number, e.g. "5.19". */
  id: string;
  title: string;
  send: CaseFrame[];
  /** How the bytes are cut into TCP writes; default one write per frame. */
  split?: Split;
  /** Sec-WebSocket-Extensions offer; when set the server must accept permessage-deflate. */
  offer?: string;
  server?: Partial<ServerConfig>;
  /** What the RFC requires; several when it allows more than one answer. */
  expect: Outcome | Outcome[];
  /** Why an alternative is allowed, or how ws differs. */
  note?: string;
  /** Bound on the whole case; default 10 s. */
  timeoutMs?: number;
}

/** What a case saw. */
export interface CaseResult {
  /** Data messages and pongs, in order, before the close. */
  got: Expected[];
  /** The server's close: its code (null: none) and reason, or null when it sent none. */
  serverClose: { code: number | null; reason: string } | null;
  /** The client sent a close before the server's close arrived. */
  clientClosedFirst: boolean;
  /** Something other than data, pongs and the close (a timeout, a violation, a ping). */
  trouble: string[];
  /** The TCP connection closed by the end of the case. */
  tcpClosed: boolean;
}

/** The config a case runs with. */
export function configOf(c: WsCase): ServerConfig {
  return { ...DEFAULT_CONFIG, ...(c.offer ? { deflate: true } : {}), ...c.server };
}

function toExpected(m: WireMessage): Expected | null {
  if (m.type === "text") return { text: m.data };
  if (m.type === "binary") return { binary: m.data };
  if (m.type === "pong") return { pong: m.data };
  return null;
}

/** Play a case against a server listening on `port` (at `path`). */
export async function playCase(c: WsCase, port: number, path: string): Promise<CaseResult> {
  const timeoutMs = c.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  const client = await WireClient.open({ port, path, extensions: c.offer });
  const r: CaseResult = { got: [], serverClose: null, clientClosedFirst: false, trouble: [], tcpClosed: false };
  try {
    if (c.offer && client.deflate === null) {
      r.trouble.push(`the server declined the offer "${c.offer}"`);
      return r;
    }
    const frames = c.send.map((f): FrameSpec => {
      if (!f.deflate) return f;
      const { deflate: _, ...rest } = f;
      return { ...rest, payload: deflateMessage(bytesOf(f.payload), client.deflate?.clientMaxWindowBits ?? 15), rsv: (f.rsv ?? 0) | Rsv.RSV1 };
    });
    const clientCloses = c.send.some((f) => f.opcode === Op.CLOSE);
    const alternatives = Array.isArray(c.expect) ? c.expect : [c.expect];
    const echoCounts = alternatives.filter((a) => "echo" in a).map((a) => (a as { echo: Expected[] }).echo.length);
    // Sending runs alongside reading: a server may answer (or fail) before the last byte.
    const sending = client.send(frames, c.split ?? "frames");
    let sentClose = clientCloses;
    for (;;) {
      if (!sentClose && echoCounts.includes(r.got.length)) {
        await within(sending, left());
        await within(client.send({ opcode: Op.CLOSE, payload: closePayload(1000) }), left());
        sentClose = true;
        r.clientClosedFirst = true;
      }
      const m = await client.message(left());
      const e = toExpected(m);
      if (e) {
        r.got.push(e);
        continue;
      }
      if (m.type === "close") {
        r.serverClose = { code: m.code, reason: m.reason };
        if (clientCloses) r.clientClosedFirst = true;
        if (!sentClose) {
          await within(client.send({ opcode: Op.CLOSE, payload: m.raw.length >= 2 ? m.raw.subarray(0, 2) : m.raw }), left());
        }
        break;
      }
      if (m.type === "ping") {
        r.trouble.push("the server sent a ping");
        continue;
      }
      if (m.type === "closed") r.trouble.push(`TCP ${m.how === "end" ? "closed" : "reset"} with no close frame`);
      else if (m.type === "timeout") r.trouble.push(`timed out after ${timeoutMs} ms waiting for the server`);
      else if (m.type === "violation") r.trouble.push(`violation: ${m.error.message}`);
      break;
    }
    await within(sending, left());
    r.tcpClosed = await client.waitClosed(Math.min(left(), 3000));
    // §1.4: nothing may follow a close frame.
    if (r.serverClose) {
      const after = await client.next(0);
      if (after.type === "frame") r.trouble.push(`the server sent opcode ${after.frame.opcode} after its close frame`);
    }
    return r;
  } finally {
    client.destroy();
  }
}

/** Wait for `p`, but at most `ms`: a server that stops reading cannot hang a case. */
function within(p: Promise<void>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<void>((resolve) => (t = setTimeout(resolve, ms)))]).finally(() => clearTimeout(t));
}

function sameExpected(a: Expected, b: Expected): boolean {
  if ("text" in a) return "text" in b && a.text === b.text;
  if ("binary" in a) return "binary" in b && Buffer.from(a.binary).equals(Buffer.from(b.binary));
  return "pong" in b && Buffer.from(bytesOf(a.pong)).equals(Buffer.from(bytesOf(b.pong)));
}

/**
 * Whether the server's answers match: the data messages in order and the
 * pongs in order, but a pong may come before or after the echo of a message
 * sent ahead of its ping: the RFC orders neither against the other, and a
 * server that answers pings as it decodes, before its handler echoes, does
 * this.
 */
function sameList(want: Expected[], got: Expected[]): boolean {
  const isPong = (e: Expected) => "pong" in e;
  const pairs = (f: (e: Expected) => boolean) => [want.filter(f), got.filter(f)] as const;
  return [pairs(isPong), pairs((e) => !isPong(e))].every(
    ([w, g]) => g.length === w.length && g.every((x, i) => sameExpected(w[i]!, x)),
  );
}

/** Whether a result satisfies one outcome; the reason when it does not. */
function check(o: Outcome, r: CaseResult): string | null {
  if (r.trouble.length > 0) return r.trouble.join("; ");
  if (!r.tcpClosed) return "the server did not close TCP after the close";
  if (r.serverClose === null) return "no close frame from the server";
  if ("echo" in o) {
    if (!sameList(o.echo, r.got)) return "other messages";
    if (!r.clientClosedFirst) return `the server closed first (${r.serverClose.code})`;
    return r.serverClose.code === 1000 ? null : `closed with ${r.serverClose.code}, not 1000`;
  }
  if (!sameList(o.before ?? [], r.got)) return "other messages";
  if ("fail" in o) {
    if (r.clientClosedFirst) return "the server did not fail the connection";
    return o.fail.includes(r.serverClose.code ?? -1) ? null : `closed with ${r.serverClose.code}, not ${o.fail.join(" or ")}`;
  }
  return o.reply.includes(r.serverClose.code) ? null : `answered the close with ${r.serverClose.code}, not ${o.reply.join(" or ")}`;
}

function describeExpected(e: Expected): string {
  if ("text" in e) return e.text.length <= 40 ? `text ${JSON.stringify(e.text)}` : `text(${Buffer.byteLength(e.text)} B)`;
  if ("binary" in e) return e.binary.length <= 16 ? `binary <${Buffer.from(e.binary).toString("hex")}>` : `binary(${e.binary.length} B)`;
  return `pong <${Buffer.from(bytesOf(e.pong)).toString("hex")}>`;
}

function describeOutcome(o: Outcome): string {
  if ("echo" in o) return `echo [${o.echo.map(describeExpected).join(", ")}] then close 1000`;
  const before = o.before?.length ? `[${o.before.map(describeExpected).join(", ")}] then ` : "";
  if ("fail" in o) return `${before}fail with ${o.fail.join("|")}`;
  return `${before}close reply ${o.reply.map((c) => c ?? "(no code)").join("|")}`;
}

/** The result in words, for failure messages and the lead's list. */
export function describeResult(r: CaseResult): string {
  const parts = [`got [${r.got.map(describeExpected).join(", ")}]`];
  parts.push(r.serverClose ? `server close ${r.serverClose.code ?? "(no code)"}${r.serverClose.reason ? ` "${r.serverClose.reason.slice(0, 60)}"` : ""}${r.clientClosedFirst ? " (answering ours)" : " (its own)"}` : "no server close");
  parts.push(r.tcpClosed ? "TCP closed" : "TCP open");
  if (r.trouble.length) parts.push(`trouble: ${r.trouble.join("; ")}`);
  return parts.join(", ");
}

/** Null when the result matches one of the case's outcomes; else a message saying expected and got. */
export function verdict(c: WsCase, r: CaseResult): string | null {
  const alternatives = Array.isArray(c.expect) ? c.expect : [c.expect];
  const reasons: string[] = [];
  for (const o of alternatives) {
    const why = check(o, r);
    if (why === null) return null;
    reasons.push(why);
  }
  return `case ${c.id} (${c.title}): expected ${alternatives.map(describeOutcome).join(" OR ")}; ${describeResult(r)} (${reasons.join(" / ")})`;
}

// Builders, so the tables read as data.

/** A text frame (whole message unless fin is given). */
export const text = (payload: string | Uint8Array, more: Partial<CaseFrame> = {}): CaseFrame => ({ opcode: Op.TEXT, payload, ...more });
/** A binary frame. */
export const binary = (payload: Uint8Array, more: Partial<CaseFrame> = {}): CaseFrame => ({ opcode: Op.BINARY, payload, ...more });
/** A ping frame. */
export const ping = (payload: string | Uint8Array = "", more: Partial<CaseFrame> = {}): CaseFrame => ({ opcode: Op.PING, payload, ...more });
/** A pong frame. */
export const pong = (payload: string | Uint8Array = "", more: Partial<CaseFrame> = {}): CaseFrame => ({ opcode: Op.PONG, payload, ...more });
/** A close frame with a code (and reason), or with no payload when code is undefined. */
export const close = (code?: number, reason: string | Uint8Array = "", more: Partial<CaseFrame> = {}): CaseFrame => ({
  opcode: Op.CLOSE,
  payload: code === undefined ? new Uint8Array(0) : closePayload(code, reason),
  ...more,
});

/**
 * A data message cut into frames at the given byte offsets (a first frame
 * with the opcode, then continuations, FIN on the last). With `deflate` the
 * whole message is compressed first and the compressed bytes are cut, RSV1
 * on the first frame only (RFC 7692 §6.1); with a 9-bit window by default,
 * which every agreement allows.
 */
export function fragmented(opcode: number, payload: Uint8Array | string, cuts: number[], opts: { deflate?: boolean; windowBits?: number } = {}): CaseFrame[] {
  const bytes = opts.deflate ? deflateMessage(bytesOf(payload), opts.windowBits ?? 9) : bytesOf(payload);
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  const edges = [0, ...points, bytes.length];
  const frames: CaseFrame[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    frames.push({
      opcode: i === 0 ? opcode : Op.CONT,
      payload: bytes.subarray(edges[i], edges[i + 1]),
      fin: i + 2 === edges.length,
      rsv: opts.deflate && i === 0 ? Rsv.RSV1 : 0,
    });
  }
  return frames;
}

/** Cut offsets every `size` bytes up to `length`. */
export function every(size: number, length: number): number[] {
  const out: number[] = [];
  for (let i = size; i < length; i += size) out.push(i);
  return out;
}

/** Compressible text of n bytes (ASCII), different for each seed. */
export function prose(n: number, seed = 0): string {
  const words = ["green", "thread", "socket", "frame", "wasm", "deflate", "message", "echo", "task", "window"];
  let s = "";
  let x = seed * 7919 + 1;
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += words[x % words.length] + (x & 8 ? " " : ", ");
  }
  return s.slice(0, n);
}
