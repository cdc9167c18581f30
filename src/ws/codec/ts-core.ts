/**
 * The TypeScript twin of the Wasm frame core (assembly/ws/index.ts): the
 * same algorithm, step for step, writing the same records. A run parses
 * every frame header in the buffer, checks the RFC 6455 rules, unmasks
 * payloads in place, checks the UTF-8 of uncompressed text as it goes, and
 * records START / DATA / END (or ERROR) for the driver. Its UTF-8 check is
 * the automaton of utf8.ts alone; the Wasm core puts a vector block check in
 * front of the same automaton, with the same answers and offsets.
 */
import { DecoderState, FrameError, Layout, Message, RecordKind, Utf8State } from "./constants.js";
import type { DecoderIO, FrameCore } from "./frame-core.js";
import { keyOf, maskTs, rotateKey, unmaskInPlace } from "./mask.js";
import { isUtf8Ts, utf8RejectAt, utf8Scan } from "./utf8.js";

const TWO_32 = 4294967296;

/** The TypeScript core. Its run buffer is its own, so unmasking in place never touches a caller's chunk. */
export class TsFrameCore implements FrameCore {
  readonly records = new Int32Array(Layout.RECORD_CAPACITY);
  recordWords = 0;
  source: Uint8Array = new Uint8Array(Layout.INITIAL_INPUT);
  private words: Int32Array = new Int32Array(this.source.buffer);

  load(pending: Uint8Array | null, pendingLength: number, chunk: Uint8Array): number {
    const len = pendingLength + chunk.length;
    if (len > this.source.length) {
      let cap = this.source.length;
      while (cap < len) cap *= 2;
      this.source = new Uint8Array(cap);
      this.words = new Int32Array(this.source.buffer);
    }
    if (pendingLength !== 0) this.source.set(pending!.subarray(0, pendingLength), 0);
    this.source.set(chunk, pendingLength);
    return len;
  }

  run(from: number, end: number, io: DecoderIO): number {
    const b = this.source, rec = this.records;
    let w = 0, p = from;
    let state = io.state, msg = io.message, mask = io.mask, phase = io.phase, utf8 = io.utf8, remaining = io.remaining;
    let more = false;
    // ERROR record fields, when a rule breaks
    let err = FrameError.OK as number, errAt = 0, detail = 0;
    for (;;) {
      if (state === DecoderState.PAYLOAD) {
        const avail = end - p;
        const n = remaining < avail ? remaining : avail;
        if (n > 0) {
          if (mask !== 0) unmaskInPlace(b, this.words, p, p + n, rotateKey(mask, phase));
          phase = (phase + n) & 3;
          if ((msg & Message.FRAME_VALIDATE) !== 0) {
            utf8 = utf8Scan(b, p, p + n, utf8);
            if (utf8 === Utf8State.REJECT) {
              err = FrameError.INVALID_UTF8;
              errAt = utf8RejectAt;
              break;
            }
          }
          rec[w] = RecordKind.DATA;
          rec[w + 1] = p;
          rec[w + 2] = p + n;
          rec[w + 3] = 0;
          w += 4;
          p += n;
          remaining -= n;
        }
        if (remaining !== 0) break; // the buffer ends inside this payload
        if ((msg & Message.FRAME_FIN) !== 0 && utf8 !== Utf8State.ACCEPT) {
          err = FrameError.INVALID_UTF8; // a code point cut off by the end of the message
          errAt = p;
          break;
        }
        rec[w] = RecordKind.END;
        rec[w + 1] = 0;
        rec[w + 2] = 0;
        rec[w + 3] = 0;
        w += 4;
        state = DecoderState.HEADER;
        msg &= ~(Message.FRAME_VALIDATE | Message.FRAME_FIN);
      }
      // A frame header at p.
      if (w > Layout.RECORD_CAPACITY - Layout.RECORD_RESERVE) {
        more = true;
        break;
      }
      if (end - p < 2) break;
      const b0 = b[p], b1 = b[p + 1];
      const opcode = b0 & 0x0f, len7 = b1 & 0x7f;
      // The rules on the first two bytes, in the order the ws package checks them.
      if ((b0 & 0x30) !== 0) err = FrameError.RSV_BITS;
      else if ((b0 & 0x40) !== 0 && ((msg & Message.ALLOW_RSV1) === 0 || opcode === 0 || opcode > 7)) err = FrameError.UNEXPECTED_RSV1;
      else if (opcode === 0) {
        if ((msg & Message.OPCODE) === 0) err = FrameError.NO_MESSAGE_TO_CONTINUE;
      } else if (opcode <= 2) {
        if ((msg & Message.OPCODE) !== 0) err = FrameError.MESSAGE_INTERRUPTED;
      } else if (opcode >= 8 && opcode <= 10) {
        if ((b0 & 0x80) === 0) err = FrameError.CONTROL_FRAGMENTED;
        else if (len7 > 125) err = FrameError.CONTROL_TOO_LONG;
      } else err = FrameError.RESERVED_OPCODE;
      if (err === FrameError.OK && (b1 & 0x80) === 0 && (msg & Message.REQUIRE_MASK) !== 0) err = FrameError.UNMASKED;
      if (err !== FrameError.OK) {
        errAt = p;
        detail = err === FrameError.CONTROL_TOO_LONG ? len7 : opcode;
        break;
      }
      // The length is checked as soon as it is in, before the masking key.
      const ext = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
      if (end - p < 2 + ext) break; // kept by the driver, parsed again with the next read
      let q = p + 2, length = len7;
      if (len7 === 126) {
        length = (b[q] << 8) | b[q + 1];
        q += 2;
      } else if (len7 === 127) {
        const hi = ((b[q] << 24) | (b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3]) >>> 0;
        const lo = ((b[q + 4] << 24) | (b[q + 5] << 16) | (b[q + 6] << 8) | b[q + 7]) >>> 0;
        if (hi >= 0x80000000) {
          err = FrameError.LENGTH_TOP_BIT;
          errAt = p;
          break;
        }
        length = hi * TWO_32 + lo;
        q += 8;
      }
      if (length > io.maxFrame) {
        err = FrameError.FRAME_TOO_LARGE;
        errAt = p;
        break;
      }
      const hl = 2 + ext + (b1 >> 7) * 4;
      if (end - p < hl) break;
      mask = (b1 & 0x80) !== 0 ? keyOf(b, q) : 0;
      phase = 0;
      if (opcode === 1 || opcode === 2) {
        // A new data message: text without RSV1 is checked here; compressed text after inflating, by the protocol layer.
        const validate = opcode === 1 && (b0 & 0x40) === 0;
        utf8 = Utf8State.ACCEPT;
        if (validate) msg |= (b0 & 0x80) !== 0 ? Message.FRAME_VALIDATE | Message.FRAME_FIN : Message.FRAME_VALIDATE;
        if ((b0 & 0x80) === 0) msg |= opcode | (validate ? Message.VALIDATE : 0);
      } else if (opcode === 0) {
        if ((msg & Message.VALIDATE) !== 0) msg |= (b0 & 0x80) !== 0 ? Message.FRAME_VALIDATE | Message.FRAME_FIN : Message.FRAME_VALIDATE;
        if ((b0 & 0x80) !== 0) msg &= ~(Message.OPCODE | Message.VALIDATE);
      }
      rec[w] = RecordKind.START;
      rec[w + 1] = b0;
      rec[w + 2] = length % TWO_32;
      rec[w + 3] = (length / TWO_32) | 0;
      w += 4;
      p += hl;
      remaining = length;
      state = DecoderState.PAYLOAD;
    }
    if (err !== FrameError.OK) {
      rec[w] = RecordKind.ERROR;
      rec[w + 1] = err;
      rec[w + 2] = errAt;
      rec[w + 3] = detail;
      w += 4;
      state = DecoderState.ERROR;
    }
    io.state = state;
    io.message = msg;
    io.mask = mask;
    io.phase = phase;
    io.utf8 = utf8;
    io.remaining = remaining;
    io.more = more;
    this.recordWords = w;
    return p;
  }

  mask(src: Uint8Array, key: Uint8Array, dst: Uint8Array, at: number): void {
    maskTs(src, key, dst, at);
  }

  isUtf8(bytes: Uint8Array): boolean {
    return isUtf8Ts(bytes);
  }
}
