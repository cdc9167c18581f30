/**
 * The codec's shared numbers are generated from one source,
 * constants/ws-codec.mjs, into assembly/ws/constants.ts and
 * src/ws/codec/constants.ts. These tests check that the committed files are
 * what the source makes, that the built ws-codec.wasm was compiled from the
 * same numbers, that the tables are well formed, and that every error code
 * has a close code and a message.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { WsProtocolError } from "../../../src/ws/codec/codec-core.js";
import { Control, DecoderState, FrameBits, FrameError, LAYOUT_HASH, Layout, Message, RecordKind, Utf8State } from "../../../src/ws/codec/constants.js";
import { frameError } from "../../../src/ws/codec/frame-error.js";
import { instantiateWasm } from "../../../src/wasm/load.js";

describe("constants shared by the Wasm and TS frame cores", () => {
  it("are generated files that match their source", () => {
    const r = spawnSync(process.execPath, ["scripts/gen-constants.mjs", "--check", "ws-codec"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("are the ones the built ws-codec.wasm was compiled with", () => {
    const ex = instantiateWasm("ws-codec").exports as { layoutHash(): number };
    expect(ex.layoutHash(), "dist/ws-codec.wasm is stale: run `npm run build:wasm`").toBe(LAYOUT_HASH);
  });

  it("have distinct values in every enumeration and single bits in the bit tables", () => {
    for (const table of [FrameError, DecoderState, RecordKind, Utf8State]) {
      const values = Object.values(table);
      expect(new Set(values).size).toBe(values.length);
    }
    for (const [name, bit] of Object.entries(Message)) if (name !== "OPCODE") expect(bit & (bit - 1), name).toBe(0);
    for (const [name, bit] of Object.entries(FrameBits)) if (name !== "OPCODE") expect(bit & (bit - 1), name).toBe(0);
    // Message bits do not overlap the opcode they carry.
    for (const [name, bit] of Object.entries(Message)) if (name !== "OPCODE") expect(bit & Message.OPCODE, name).toBe(0);
  });

  it("lay out CONTROL with aligned, disjoint fields inside it", () => {
    const f64: number[] = [Control.REMAINING, Control.MAX_FRAME];
    const taken = new Set<number>();
    for (const [name, at] of Object.entries(Control)) {
      if (name === "BYTES") continue;
      const size = f64.includes(at) ? 8 : 4;
      expect(at % size, name).toBe(0);
      expect(at + size, name).toBeLessThanOrEqual(Control.BYTES);
      for (let b = at; b < at + size; b++) {
        expect(taken.has(b), `${name} overlaps`).toBe(false);
        taken.add(b);
      }
    }
  });

  it("leave room in the record table for one frame's records after the reserve check", () => {
    // A header is parsed only with more than RECORD_RESERVE words free; it writes START, DATA, END or ERROR at most.
    expect(Layout.RECORD_RESERVE).toBeGreaterThanOrEqual(4 * Layout.RECORD_WORDS);
    expect(Layout.RECORD_CAPACITY % Layout.RECORD_WORDS).toBe(0);
  });

  it("give every FrameError but OK a close code and a message", () => {
    for (const [name, code] of Object.entries(FrameError)) {
      if (code === FrameError.OK) continue;
      const e = frameError(code, 3, 100);
      expect(e, name).toBeInstanceOf(WsProtocolError);
      expect([1002, 1007, 1009], name).toContain(e.code);
      expect(e.message.length, name).toBeGreaterThan(10);
    }
    expect(frameError(FrameError.INVALID_UTF8, 0, 1).code).toBe(1007);
    expect(frameError(FrameError.FRAME_TOO_LARGE, 0, 1).code).toBe(1009);
    expect(() => frameError(99, 0, 1)).toThrow(/unknown frame error 99/);
  });
});
