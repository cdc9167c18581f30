import { describe, expect, it } from "vitest";
import { CoreOp } from "../../src/core/constants.js";
import { WasmLayout } from "../../src/core/wasm-core.js";
import { instantiateWasm } from "../../src/wasm/load.js";

// The numbers JS and AssemblyScript must agree on (../shared/DESIGN.md: one
// table on each side, and a test that checks them).
describe("constants shared by src/ and assembly/", () => {
  const ex = instantiateWasm("scheduler").exports as Record<string, WebAssembly.Global | unknown>;
  const value = (name: string): number => (ex[name] as WebAssembly.Global).value as number;

  it("has the same core opcodes", () => {
    expect(value("OP_READY")).toBe(CoreOp.Ready);
    expect(value("OP_ARM")).toBe(CoreOp.Arm);
    expect(value("OP_DISARM")).toBe(CoreOp.Disarm);
  });

  it("has the same memory layout", () => {
    expect(value("CMD_CAP")).toBe(WasmLayout.CmdCap);
    expect(value("CMD_BYTES")).toBe(WasmLayout.CmdBytes);
    expect(value("REC_BYTES")).toBe(WasmLayout.RecBytes);
    expect(value("HDR_CMD")).toBe(WasmLayout.HdrCmd * 4);
    expect(value("HDR_OUT")).toBe(WasmLayout.HdrOut * 4);
    expect(value("HDR_CAP")).toBe(WasmLayout.HdrCap * 4);
    expect(value("HDR_TIMERS")).toBe(WasmLayout.HdrTimers * 4);
    expect(value("HDR_LOW")).toBe(WasmLayout.HdrLow * 8);
    expect(value("HDR_TIME")).toBe(WasmLayout.HdrTime * 8);
    expect(value("HDR_OUT_CAP")).toBe(WasmLayout.HdrOutCap * 4);
    expect(value("HDR_FIRED")).toBe(WasmLayout.HdrFired * 4);
    expect(value("HDR_BYTES")).toBe(WasmLayout.HdrBytes);
    expect(value("HDR_TAGS")).toBe(WasmLayout.HdrTags * 4);
    expect(value("HDR_DIRECT")).toBe(WasmLayout.HdrDirect * 4);
    expect(value("TAG_STATE")).toBe(WasmLayout.TagState);
    expect(value("TAG_WHEEL")).toBe(WasmLayout.TagWheel);
  });

  it("reports layout version 4", () => {
    expect((ex.coreVersion as () => number)()).toBe(4);
  });
});
