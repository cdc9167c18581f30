/**
 * The server's side of the frame format (RFC 6455 §5.2): frames built whole,
 * header and payload in one buffer, so that one `conn.write` puts a frame on
 * the wire in one piece whichever task sends; and the close frame's payload
 * (§5.5.1, §7.4): which codes may appear on the wire, and how a reason is
 * bounded. Server frames are never masked (§5.1).
 */
import { Opcode } from "./codec/codec-core.js";

/**
 * Close codes with a name (RFC 6455 §7.4.1, and the IANA registry).
 *
 * @example
 * if (ws.closeCode === CloseCode.TOO_BIG) console.log("the client sent too much");
 * yield* ws.close(CloseCode.POLICY_VIOLATION, "not allowed");
 */
export const CloseCode = {
  /** Normal closure. */
  NORMAL: 1000,
  /** The endpoint goes away: a server shutting down, a task cancelled, an idle peer. */
  GOING_AWAY: 1001,
  /** The peer broke the protocol. */
  PROTOCOL_ERROR: 1002,
  /** A data type the endpoint cannot accept. */
  UNSUPPORTED_DATA: 1003,
  /** No status code was in the close frame (never sent on the wire). */
  NO_STATUS: 1005,
  /** The connection closed without a close frame (never sent on the wire). */
  ABNORMAL: 1006,
  /** A text message that is not UTF-8, or data inconsistent with its type. */
  INVALID_DATA: 1007,
  /** A message that violates the endpoint's policy. */
  POLICY_VIOLATION: 1008,
  /** A message too big to process (maxMessageSize, maxFrameSize). */
  TOO_BIG: 1009,
  /** The client expected an extension the server did not negotiate. */
  MANDATORY_EXTENSION: 1010,
  /** The server met an unexpected condition (the handler threw). */
  INTERNAL_ERROR: 1011,
} as const;

/** Largest payload of a control frame (§5.5). */
export const MAX_CONTROL_PAYLOAD = 125;
/** Largest close reason in UTF-8 bytes: the control payload less the two bytes of the code. */
export const MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2;

/**
 * Whether `code` may appear in a close frame on the wire (§7.4): 1000-1003,
 * 1007-1014 (1012-1014 registered with IANA), and 3000-4999 (libraries,
 * applications). 1004, 1005, 1006 and 1015 are reserved and never sent;
 * the rest of 1016-2999 is unassigned; below 1000 and from 5000 unused.
 */
export function validWireCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** Bytes of the frame header for a payload of `n` bytes (server side: no mask key). */
function headerLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/** Write a header for a final frame of `opcode` and `n` payload bytes into `buf` at 0; returns its length. */
function writeHeader(buf: Buffer, opcode: number, n: number, rsv1: boolean): number {
  buf[0] = 0x80 | (rsv1 ? 0x40 : 0) | opcode;
  if (n < 126) {
    buf[1] = n;
    return 2;
  }
  if (n < 65536) {
    buf[1] = 126;
    buf.writeUInt16BE(n, 2);
    return 4;
  }
  buf[1] = 127;
  // Payloads fit in 2^53: the high word is small.
  buf.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 2);
  buf.writeUInt32BE(n >>> 0, 6);
  return 10;
}

/** A final frame with a text payload, UTF-8 encoded straight into the frame's buffer. */
export function textFrame(text: string): Buffer {
  const n = Buffer.byteLength(text, "utf8");
  const buf = Buffer.allocUnsafe(headerLength(n) + n);
  const at = writeHeader(buf, Opcode.TEXT, n, false);
  buf.utf8Write(text, at, n);
  return buf;
}

/** A final frame of `opcode` carrying a copy of `payload` (the caller may reuse its bytes as soon as this returns). */
export function bytesFrame(opcode: number, payload: Uint8Array, rsv1 = false): Buffer {
  const n = payload.length;
  const buf = Buffer.allocUnsafe(headerLength(n) + n);
  const at = writeHeader(buf, opcode, n, rsv1);
  buf.set(payload, at);
  return buf;
}

/** A final frame of `opcode` whose payload is several pieces (a compressed message's output), copied in order. */
export function piecesFrame(opcode: number, pieces: readonly Uint8Array[], n: number, rsv1: boolean): Buffer {
  const buf = Buffer.allocUnsafe(headerLength(n) + n);
  let at = writeHeader(buf, opcode, n, rsv1);
  for (const p of pieces) {
    buf.set(p, at);
    at += p.length;
  }
  return buf;
}

/** A close frame: no payload when `code` is undefined, else the code and the UTF-8 reason (already bounded). */
export function closeFrame(code: number | undefined, reason: string): Buffer {
  if (code === undefined) return Buffer.from([0x80 | Opcode.CLOSE, 0]);
  const n = 2 + Buffer.byteLength(reason, "utf8");
  const buf = Buffer.allocUnsafe(2 + n);
  buf[0] = 0x80 | Opcode.CLOSE;
  buf[1] = n;
  buf.writeUInt16BE(code, 2);
  buf.utf8Write(reason, 4, n - 2);
  return buf;
}

/** `reason` cut to at most MAX_CLOSE_REASON UTF-8 bytes, on a character boundary (for reasons made by the server). */
export function boundedReason(reason: string): string {
  if (Buffer.byteLength(reason, "utf8") <= MAX_CLOSE_REASON) return reason;
  let out = "";
  let n = 0;
  for (const ch of reason) {
    const len = Buffer.byteLength(ch, "utf8");
    if (n + len > MAX_CLOSE_REASON) break;
    out += ch;
    n += len;
  }
  return out;
}
