import { describe, expect, it } from "vitest";
import { Resume, TaskFlag, TaskState } from "../../src/runtime/constants.js";
import { Bits } from "../../src/runtime/task.js";

// Bits restates, as literals for the hot paths, numbers whose names live in
// src/runtime/constants.ts; this checks that the two agree.
describe("Task._bits layout (Bits)", () => {
  it("places state, resume mode and flags in disjoint fields", () => {
    expect(Bits.StateMask).toBe(7);
    expect(Bits.ModeMask).toBe(7 << Bits.ModeShift);
    expect(Bits.StateMask & Bits.ModeMask).toBe(0);
    expect(Bits.FlagShift).toBe(Bits.ModeShift + 3);
    for (const s of Object.values(TaskState)) expect(s & ~Bits.StateMask).toBe(0);
    for (const m of Object.values(Resume)) expect((m << Bits.ModeShift) & ~Bits.ModeMask).toBe(0);
  });

  it("has the states of TaskState", () => {
    expect(Bits.Ready).toBe(TaskState.Ready);
    expect(Bits.Running).toBe(TaskState.Running);
    expect(Bits.Parked).toBe(TaskState.Parked);
    expect(Resume.Next).toBe(0); // StateMode cleared reads Resume.Next
  });

  it("has the flags of TaskFlag, shifted into place", () => {
    const shifted = (f: number): number => f << Bits.FlagShift;
    expect(Bits.Started).toBe(shifted(TaskFlag.Started));
    expect(Bits.CancelRequested).toBe(shifted(TaskFlag.CancelRequested));
    expect(Bits.Cancelling).toBe(shifted(TaskFlag.Cancelling));
    expect(Bits.TimerArmed).toBe(shifted(TaskFlag.TimerArmed));
    expect(Bits.External).toBe(shifted(TaskFlag.External));
    expect(Bits.ErrPending).toBe(shifted(TaskFlag.ErrPending));
    expect(Bits.Generator).toBe(shifted(TaskFlag.Generator));
    expect(Bits.AutoName).toBe(shifted(TaskFlag.AutoName));
    expect(Bits.Racer).toBe(shifted(TaskFlag.Racer));
    expect(Bits.HoldsBody).toBe(shifted(TaskFlag.HoldsBody));
    expect(Bits.Interrupt).toBe(shifted(TaskFlag.CancelRequested | TaskFlag.ErrPending));
    expect(Bits.HotBits).toBe(shifted(TaskFlag.Started | TaskFlag.Generator));
    expect(Bits.HotMask).toBe(Bits.StateMask | Bits.ModeMask | Bits.HotBits);
  });

  it("fits a small integer, as V8 keeps it unboxed", () => {
    const all = Object.values(TaskFlag).reduce((a, f) => a | f, 0);
    expect(all << Bits.FlagShift).toBeLessThan(2 ** 30);
  });
});
