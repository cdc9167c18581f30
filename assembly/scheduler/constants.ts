// Numbers with names shared by the files of the Wasm scheduler core
// (../shared/STYLE.md, items 5 and 8). The opcodes mirror `CoreOp` of
// src/constants.ts; test/core-constants.test.ts checks that both sides agree
// through the values re-exported by scheduler.ts.

/** Layout version of memory, commands and exports; the JS side refuses a core below 4 (2: tags, `fireNext`; 3: disarms by JS; 4: one tag table). */
@inline export const CORE_VERSION: i32 = 4;

// ---------------------------------------------------------------- opcodes

/** Append a slot to the run queue. Never reaches Wasm: the run queue lives in JS (see src/core/wasm-core.ts). */
@inline export const OP_READY: i32 = 1;
/** Arm the slot's timer at the command's deadline. */
@inline export const OP_ARM: i32 = 2;
/** Disarm the slot's timer. */
@inline export const OP_DISARM: i32 = 3;

// ------------------------------------------------------- command records

/** Bytes of one command record: op i32, slot i32, deadline f64. */
@inline export const CMD_BYTES: i32 = 16;
/** Records the command ring holds before JS must flush it (one call per 1,024 commands at worst). */
@inline export const CMD_CAP: i32 = 1024;

// ---------------------------------------------------------- task records

/** Bytes of a slot's tag (task-table.ts): what the timer path reads per timer, so it gets a dense array of its own. */
@inline export const TAG_BYTES: i32 = 4;
/** Tag bits 0-1: where the slot's timer is. No timer armed. */
@inline export const TAG_NONE: u32 = 0;
/** Tag state: in a wheel slot or LIST_FAR, as an entry of a chunk list (the rest of the tag is that entry's address). */
@inline export const TAG_WHEEL: u32 = 1;
/** Tag state: in LIST_DUE, linked through the records. */
@inline export const TAG_DUE: u32 = 2;
/** Mask of the tag's state bits (entries are 8-aligned, so an entry's address leaves them free). */
@inline export const TAG_STATE: u32 = 3;

/** Bytes of one task record, the cold part of a slot: used only for LIST_DUE and LIST_FAR. A multiple of 8: the f64 stays aligned. */
@inline export const REC_BYTES: i32 = 16;
/** f64: deadline of the armed timer, in ms of the run's clock; written only when it goes to LIST_DUE or LIST_FAR. */
@inline export const REC_DEADLINE: i32 = 0;
/** i32: next slot in LIST_DUE, or NONE. */
@inline export const REC_NEXT: i32 = 8;
/** i32: previous slot in LIST_DUE, or NONE. */
@inline export const REC_PREV: i32 = 12;

/** Slots per block of records, and the unit the tag table grows by: a power of two, so a slot's block is a shift. */
@inline export const BLOCK_SLOTS: i32 = 1024;
@inline export const BLOCK_SHIFT: i32 = 10;
/** Bytes of a block of records (16 KiB), taken only when one of its slots first needs a record. */
@inline export const REC_BLOCK_BYTES: i32 = BLOCK_SLOTS * REC_BYTES;
/** Blocks the record directory can address: 8,192 x 1,024 = 8,388,608 slots. */
@inline export const MAX_BLOCKS: i32 = 8192;

/** Slots the ready ring holds at first; it doubles when a tick expires more. */
@inline export const OUT_INITIAL: i32 = 1024;

/** "No slot". */
@inline export const NONE: i32 = -1;

// ----------------------------------------------------------- chunk lists

/** Bytes of a chunk: the unit timer lists grow by, and the arena's unit. 1 KiB: 64 chunks per page. */
@inline export const CHUNK_BYTES: i32 = 1024;
/** "No chunk" (address 0 is static data, never a chunk). */
@inline export const NO_CHUNK: usize = 0;

// ----------------------------------------------------------------- header

/** Bytes of the header JS reads after every call that may move memory. */
@inline export const HDR_BYTES: i32 = 48;
/** i32: byte offset of the command ring. */
@inline export const HDR_CMD: i32 = 0;
/** i32: byte offset of the ready ring (ids of the timers expired by the last tick). */
@inline export const HDR_OUT: i32 = 4;
/** i32: slot capacity of the task table. */
@inline export const HDR_CAP: i32 = 8;
/** i32: timers armed, as the core counts them. */
@inline export const HDR_TIMERS: i32 = 12;
/** f64: a lower bound of the earliest deadline (Infinity when none): JS skips `tick` while `now` is below it. */
@inline export const HDR_LOW: i32 = 16;
/** f64: the wheel's time (ms): every key below it has been handled. */
@inline export const HDR_TIME: i32 = 24;
/** i32: slots the ready ring holds. */
@inline export const HDR_OUT_CAP: i32 = 32;
/** i32: timers the last `fireNext` fired into the ready ring. */
@inline export const HDR_FIRED: i32 = 36;
/** i32: byte offset of the tag table (task-table.ts), HDR_CAP tags: JS disarms a wheel timer through a view on it. */
@inline export const HDR_TAGS: i32 = 40;
/** i32: wheel timers JS disarmed itself, by clearing their tags, since the last call; the core counts them in at its next call. */
@inline export const HDR_DIRECT: i32 = 44;
