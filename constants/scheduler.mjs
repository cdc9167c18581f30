// The numbers the Wasm scheduler core (assembly/scheduler/) and its binding
// (src/core/wasm-core.ts) must agree on: what JS writes into and reads from
// the core's memory. Written here once; scripts/gen-constants.mjs writes them
// into assembly/scheduler/constants.ts and src/core/constants.ts (run by
// `npm run build`). Numbers only one side needs live with the code that uses them.

/** @type {import("../scripts/gen-constants.mjs").ConstantsModule} */
export default {
  name: "scheduler",
  as: "assembly/scheduler/constants.ts",
  ts: "src/core/constants.ts",
  doc: "Numbers shared by the Wasm scheduler core (assembly/scheduler/) and its binding (src/core/wasm-core.ts).",
  items: [
    {
      name: "CORE_VERSION",
      value: 4,
      doc: "Layout version of the core's memory, commands and exports; src/core/wasm-core.ts refuses a core below it.",
    },
    {
      name: "CoreOp",
      doc: "Opcodes of the records of the command ring.",
      entries: {
        READY: [1, "Append a slot to the run queue. Never reaches Wasm: the run queue lives in JS (src/core/wasm-core.ts)."],
        ARM: [2, "Arm the slot's timer at the record's deadline (ms, f64)."],
        DISARM: [3, "Disarm the slot's timer."],
      },
    },
    {
      name: "Command",
      doc: "A record of the command ring (byte offsets): op i32, slot i32, deadline f64.",
      entries: {
        BYTES: [16, "Bytes of one record."],
        CAP: [1024, "Records the ring holds before JS must have them applied (one call per 1,024 commands at worst)."],
        OP: [0, "i32: a CoreOp."],
        SLOT: [4, "i32: the task slot."],
        DEADLINE: [8, "f64: the deadline of CoreOp.ARM, in ms of the run's clock."],
      },
    },
    {
      name: "Header",
      doc: "The header the core publishes after every call (byte offsets; JS reads it through typed views).",
      entries: {
        BYTES: [48, "Bytes of the header."],
        CMD: [0, "i32: byte offset of the command ring."],
        OUT: [4, "i32: byte offset of the ready ring (slots of the timers expired by the last call)."],
        CAP: [8, "i32: slot capacity of the task table."],
        TIMERS: [12, "i32: timers armed, as the core counts them."],
        LOW: [16, "f64: a lower bound of the earliest deadline (Infinity when none): JS skips `tick` while `now` is below it."],
        TIME: [24, "f64: the wheel's time (ms): every key below it has been handled."],
        OUT_CAP: [32, "i32: slots the ready ring holds."],
        FIRED: [36, "i32: timers the last `fireNext` fired into the ready ring."],
        TAGS: [40, "i32: byte offset of the tag table (one u32 tag per slot, CAP of them; it moves when slots are added)."],
        DIRECT: [44, "i32: wheel timers JS disarmed itself, by clearing their tags, since the last call; the core counts them in at its next call."],
      },
    },
    {
      name: "Tag",
      asType: "u32",
      doc: "A slot's tag: bits 0-1 say where its timer is; in state WHEEL the rest is the address of its wheel entry.",
      entries: {
        BYTES: [4, "Bytes of a tag.", "i32"],
        NONE: [0, "No timer armed."],
        WHEEL: [1, "In a wheel list or LIST_FAR, as an entry of a chunk list."],
        DUE: [2, "In LIST_DUE, linked through the task records."],
        STATE: [3, "Mask of the state bits (entries are 8-aligned, so an entry's address leaves them free)."],
      },
    },
    {
      name: "Slots",
      doc: "How the core's task table grows.",
      entries: {
        BLOCK: [1024, "Slots are added in blocks of this many (a power of two): the tag table's unit of growth."],
        MAX: [8388608, "Slots the task table can address (8,192 blocks)."],
      },
    },
  ],
};
