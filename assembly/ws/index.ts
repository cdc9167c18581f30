// The WebSocket frame codec core (entry of ws-codec.wasm).
//
// The same algorithm as the TypeScript twin (src/ws/codec/ts-core.ts), step
// for step, so both write the same record table and the driver
// (src/ws/codec/decoder.ts) serves both. What differs is speed: payloads are
// unmasked 64 and 16 bytes at a time (mask.ts), and the UTF-8 of text is
// checked in 16-byte blocks with the automaton only at their edges
// (utf8.ts), giving the same answers and the same offending offsets.
//
// JS copies a read into INPUT once (after the few bytes of a partial header
// it kept), writes the decoder's numbers into CONTROL, calls run(), and
// reads back RECORDS and CONTROL. No decoder state stays in here between
// calls, so one instance serves every connection.
//
// Memory layout (runtime "stub": nothing is allocated; regions are fixed and
// only INPUT grows, by whole pages):
//
//   0          TABLES           CONTROL        RECORDS          INPUT
//   ┌──────────┬────────────────┬──────────────┬────────────────┬──────────────────────┐
//   │ AS data  │ utf8 class[256]│ 64 B         │ 4096 i32       │ input bytes + 16 B   │
//   │          │ utf8 next[256] │              │ (4 per record) │ slack (grows)        │
//   └──────────┴────────────────┴──────────────┴────────────────┴──────────────────────┘
//
// CONTROL (Control in constants.ts):
//   ┌────────┬─────────┬────────┬────────┬────────┬────────┬─────────────┬──────┬───────────┬───────────┐
//   │ +0 i32 │ +4 i32  │ +8 i32 │ +12 i32│ +16 i32│ +20 i32│ +24 i32     │ +28  │ +32 f64   │ +40 f64   │
//   │ state  │ message │ mask   │ phase  │ utf8   │ more   │ recordWords │ —    │ remaining │ maxFrame  │
//   └────────┴─────────┴────────┴────────┴────────┴────────┴─────────────┴──────┴───────────┴───────────┘
//
// Records (RecordKind in constants.ts) hold offsets counted from INPUT.

import { Control, DecoderState, FrameError, LAYOUT_HASH, Layout, Message, RecordKind, Utf8State } from "./constants";
import { rotateKey, unmaskRange } from "./mask";
import { buildUtf8Tables, utf8RejectAt, utf8Scan } from "./utf8";

@inline const PAGE: usize = 65536;
@inline const TWO32: f64 = 4294967296.0;

buildUtf8Tables();

const CONTROL: usize = (__heap_base + 15) & ~15;
const RECORDS: usize = CONTROL + <usize>Control.BYTES;
const INPUT: usize = RECORDS + <usize>(Layout.RECORD_CAPACITY * 4);
reserve(Layout.INITIAL_INPUT);

/** Make INPUT hold at least `len` bytes (plus 16 of slack); returns its address. */
export function reserve(len: i32): usize {
  const need = INPUT + <usize>len + 16;
  const have = <usize>memory.size() * PAGE;
  if (need > have) {
    const pages = <i32>((need - have + PAGE - 1) / PAGE);
    if (memory.grow(pages) < 0) unreachable();
  }
  return INPUT;
}

/** Hash of the constants shared with JS this module was built with (constants.ts: LAYOUT_HASH). */
export function layoutHash(): i32 { return LAYOUT_HASH; }

export function control(): usize { return CONTROL; }
export function records(): usize { return RECORDS; }
export function input(): usize { return INPUT; }

@inline function at(p: i32): u32 {
  return <u32>load<u8>(INPUT + <usize>p);
}

@inline function record(w: i32, kind: i32, a: i32, b: i32, c: i32): void {
  const r = RECORDS + <usize>(w << 2);
  store<i32>(r, kind);
  store<i32>(r, a, 4);
  store<i32>(r, b, 8);
  store<i32>(r, c, 12);
}

/** Decode INPUT[from, end) for the decoder whose numbers are in CONTROL; returns the offset consumed up to. */
export function run(from: i32, end: i32): i32 {
  let state = load<i32>(CONTROL + Control.STATE);
  let msg = load<i32>(CONTROL + Control.MESSAGE);
  let mask = load<u32>(CONTROL + Control.MASK);
  let phase = load<i32>(CONTROL + Control.PHASE);
  let utf8 = load<i32>(CONTROL + Control.UTF8);
  let remaining = load<f64>(CONTROL + Control.REMAINING);
  const maxFrame = load<f64>(CONTROL + Control.MAX_FRAME);
  let more = 0;
  let w = 0, p = from;
  let err = FrameError.OK, errAt = 0, detail = 0;
  while (true) {
    if (state == DecoderState.PAYLOAD) {
      const avail = end - p;
      const n: i32 = remaining < <f64>avail ? <i32>remaining : avail;
      if (n > 0) {
        if (mask != 0) unmaskRange(INPUT + <usize>p, INPUT + <usize>(p + n), rotateKey(mask, phase));
        phase = (phase + n) & 3;
        if ((msg & Message.FRAME_VALIDATE) != 0) {
          utf8 = utf8Scan(INPUT + <usize>p, INPUT + <usize>(p + n), utf8);
          if (utf8 == Utf8State.REJECT) {
            err = FrameError.INVALID_UTF8;
            errAt = <i32>(utf8RejectAt - INPUT);
            break;
          }
        }
        record(w, RecordKind.DATA, p, p + n, 0);
        w += 4;
        p += n;
        remaining -= <f64>n;
      }
      if (remaining != 0) break; // the buffer ends inside this payload
      if ((msg & Message.FRAME_FIN) != 0 && utf8 != Utf8State.ACCEPT) {
        err = FrameError.INVALID_UTF8; // a code point cut off by the end of the message
        errAt = p;
        break;
      }
      record(w, RecordKind.END, 0, 0, 0);
      w += 4;
      state = DecoderState.HEADER;
      msg &= ~(Message.FRAME_VALIDATE | Message.FRAME_FIN);
    }
    // A frame header at p.
    if (w > Layout.RECORD_CAPACITY - Layout.RECORD_RESERVE) {
      more = 1;
      break;
    }
    if (end - p < 2) break;
    const b0 = at(p), b1 = at(p + 1);
    const opcode = <i32>(b0 & 0x0f), len7 = <i32>(b1 & 0x7f);
    // The rules on the first two bytes, in the order the ws package checks them.
    if ((b0 & 0x30) != 0) err = FrameError.RSV_BITS;
    else if ((b0 & 0x40) != 0 && ((msg & Message.ALLOW_RSV1) == 0 || opcode == 0 || opcode > 7)) err = FrameError.UNEXPECTED_RSV1;
    else if (opcode == 0) {
      if ((msg & Message.OPCODE) == 0) err = FrameError.NO_MESSAGE_TO_CONTINUE;
    } else if (opcode <= 2) {
      if ((msg & Message.OPCODE) != 0) err = FrameError.MESSAGE_INTERRUPTED;
    } else if (opcode >= 8 && opcode <= 10) {
      if ((b0 & 0x80) == 0) err = FrameError.CONTROL_FRAGMENTED;
      else if (len7 > 125) err = FrameError.CONTROL_TOO_LONG;
    } else err = FrameError.RESERVED_OPCODE;
    if (err == FrameError.OK && (b1 & 0x80) == 0 && (msg & Message.REQUIRE_MASK) != 0) err = FrameError.UNMASKED;
    if (err != FrameError.OK) {
      errAt = p;
      detail = err == FrameError.CONTROL_TOO_LONG ? len7 : opcode;
      break;
    }
    // The length is checked as soon as it is in, before the masking key.
    const ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    if (end - p < 2 + ext) break; // kept by the driver, parsed again with the next read
    let q = p + 2;
    let length = <f64>len7;
    if (len7 == 126) {
      length = <f64>((at(q) << 8) | at(q + 1));
      q += 2;
    } else if (len7 == 127) {
      const hi = bswap<u32>(load<u32>(INPUT + <usize>q));
      const lo = bswap<u32>(load<u32>(INPUT + <usize>q, 4));
      if (hi >= 0x80000000) {
        err = FrameError.LENGTH_TOP_BIT;
        errAt = p;
        break;
      }
      length = <f64>hi * TWO32 + <f64>lo;
      q += 8;
    }
    if (length > maxFrame) {
      err = FrameError.FRAME_TOO_LARGE;
      errAt = p;
      break;
    }
    const hl = 2 + ext + <i32>(b1 >> 7) * 4;
    if (end - p < hl) break;
    mask = (b1 & 0x80) != 0 ? load<u32>(INPUT + <usize>q) : 0;
    phase = 0;
    const fin = (b0 & 0x80) != 0;
    if (opcode == 1 || opcode == 2) {
      // A new data message: text without RSV1 is checked here; compressed text after inflating, by the protocol layer.
      const validate = opcode == 1 && (b0 & 0x40) == 0;
      utf8 = Utf8State.ACCEPT;
      if (validate) msg |= fin ? Message.FRAME_VALIDATE | Message.FRAME_FIN : Message.FRAME_VALIDATE;
      if (!fin) msg |= opcode | (validate ? Message.VALIDATE : 0);
    } else if (opcode == 0) {
      if ((msg & Message.VALIDATE) != 0) msg |= fin ? Message.FRAME_VALIDATE | Message.FRAME_FIN : Message.FRAME_VALIDATE;
      if (fin) msg &= ~(Message.OPCODE | Message.VALIDATE);
    }
    const hiWord = Math.floor(length / TWO32);
    record(w, RecordKind.START, <i32>b0, <i32><u32>(length - hiWord * TWO32), <i32>hiWord);
    w += 4;
    p += hl;
    remaining = length;
    state = DecoderState.PAYLOAD;
  }
  if (err != FrameError.OK) {
    record(w, RecordKind.ERROR, err, errAt, detail);
    w += 4;
    state = DecoderState.ERROR;
  }
  store<i32>(CONTROL + Control.STATE, state);
  store<i32>(CONTROL + Control.MESSAGE, msg);
  store<u32>(CONTROL + Control.MASK, mask);
  store<i32>(CONTROL + Control.PHASE, phase);
  store<i32>(CONTROL + Control.UTF8, utf8);
  store<i32>(CONTROL + Control.MORE, more);
  store<i32>(CONTROL + Control.RECORD_WORDS, w);
  store<f64>(CONTROL + Control.REMAINING, remaining);
  return p;
}

/** Whole-buffer kernel: XOR INPUT[0, len) in place with `key` (little-endian). */
export function maskInput(len: i32, key: u32): void {
  unmaskRange(INPUT, INPUT + <usize>len, key);
}

/** Whole-buffer kernel: 1 when INPUT[0, len) is UTF-8, else 0. */
export function utf8Input(len: i32): i32 {
  return utf8Scan(INPUT, INPUT + <usize>len, Utf8State.ACCEPT) == Utf8State.ACCEPT ? 1 : 0;
}
