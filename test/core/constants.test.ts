/**
 * The numbers the Wasm scheduler core and its binding share are generated from
 * one source, constants/scheduler.mjs, into assembly/scheduler/constants.ts and
 * src/core/constants.ts. These tests check that the committed files are what
 * the source makes, that the built scheduler.wasm was compiled from the same
 * numbers, and that the layout they describe is sound.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CORE_VERSION, Command, CoreOp, Header, LAYOUT_HASH, Slots, Tag } from "../../src/core/constants.js";
import { instantiateWasm } from "../../src/wasm/load.js";

describe("constants shared by src/core and assembly/scheduler", () => {
  it("are generated files that match their source", () => {
    const r = spawnSync(process.execPath, ["scripts/gen-constants.mjs", "--check", "scheduler"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("are the ones the built scheduler.wasm was compiled with", () => {
    const ex = instantiateWasm("scheduler").exports as { coreVersion(): number; layoutHash(): number };
    expect(ex.layoutHash(), "dist/scheduler.wasm is stale: run `npm run build:wasm`").toBe(LAYOUT_HASH);
    expect(ex.coreVersion()).toBe(CORE_VERSION);
  });

  it("describe fields that are aligned, inside their record and apart", () => {
    const fields = (table: Record<string, number>, f64: string[], bytes: number): void => {
      const taken = new Set<number>();
      for (const [name, at] of Object.entries(table)) {
        if (name === "BYTES" || name === "CAP") continue;
        const size = f64.includes(name) ? 8 : 4;
        expect(at % size, `${name} is aligned`).toBe(0);
        expect(at + size, `${name} lies inside`).toBeLessThanOrEqual(bytes);
        for (let b = at; b < at + size; b++) {
          expect(taken.has(b), `${name} overlaps another field`).toBe(false);
          taken.add(b);
        }
      }
    };
    fields(Header, ["LOW", "TIME"], Header.BYTES);
    fields(Command, ["DEADLINE"], Command.BYTES);
    expect(Command.BYTES % 8).toBe(0);
    expect(Header.BYTES % 8).toBe(0);
  });

  it("give distinct opcodes and tag states that fit the state mask", () => {
    expect(new Set(Object.values(CoreOp)).size).toBe(Object.keys(CoreOp).length);
    for (const state of [Tag.NONE, Tag.WHEEL, Tag.DUE]) expect(state & ~Tag.STATE).toBe(0);
    expect(new Set([Tag.NONE, Tag.WHEEL, Tag.DUE]).size).toBe(3);
  });

  it("grow the task table by a power of two up to a whole number of blocks", () => {
    expect(Slots.BLOCK & (Slots.BLOCK - 1)).toBe(0);
    expect(Slots.MAX % Slots.BLOCK).toBe(0);
  });
});
