// The numbers the WebSocket frame codec's cores share: the AssemblyScript
// core (assembly/ws/), its binding (src/ws/codec/wasm-core.ts), the
// TypeScript twin and the driver (src/ws/codec/). Written here once;
// scripts/gen-constants.mjs writes them into assembly/ws/constants.ts and
// src/ws/codec/constants.ts (run by `npm run build`).

/** @type {import("../scripts/gen-constants.mjs").ConstantsModule} */
export default {
  name: "ws-codec",
  as: "assembly/ws/constants.ts",
  ts: "src/ws/codec/constants.ts",
  doc: "Numbers shared by the WebSocket frame codec's cores: the Wasm core (assembly/ws/), its binding, the TypeScript twin and the driver (src/ws/codec/).",
  items: [
    {
      name: "FrameError",
      type: "FrameErrorCode",
      doc: "Why a frame was refused. 0 is \"no error\". Close codes and messages live in frame-error.ts.",
      entries: {
        OK: [0, "No error."],
        RSV_BITS: [1, "RSV2 or RSV3 set: no negotiated extension defines them (RFC 6455 §5.2). 1002."],
        UNEXPECTED_RSV1: [2, "RSV1 set without permessage-deflate, on a continuation or on a control frame (RFC 7692 §6). 1002."],
        RESERVED_OPCODE: [3, "Opcode 3-7 or 11-15 (RFC 6455 §5.2). 1002."],
        CONTROL_FRAGMENTED: [4, "A control frame without FIN (RFC 6455 §5.5). 1002."],
        CONTROL_TOO_LONG: [5, "A control frame with more than 125 bytes of payload (RFC 6455 §5.5). 1002."],
        NO_MESSAGE_TO_CONTINUE: [6, "A continuation frame outside a fragmented message (RFC 6455 §5.4). 1002."],
        MESSAGE_INTERRUPTED: [7, "A text or binary frame inside a fragmented message (RFC 6455 §5.4). 1002."],
        UNMASKED: [8, "An unmasked frame from a client (RFC 6455 §5.1). 1002."],
        LENGTH_TOP_BIT: [9, "A 64-bit payload length with its most significant bit set (RFC 6455 §5.2). 1002."],
        FRAME_TOO_LARGE: [10, "A payload length above maxFrameSize. 1009."],
        INVALID_UTF8: [11, "A text message whose bytes are not UTF-8 (RFC 6455 §8.1). 1007."],
      },
    },
    {
      name: "DecoderState",
      doc: "Where a connection's decode stands between two calls.",
      entries: {
        HEADER: [0, "Expecting a frame header; a partial one is kept by the driver and parsed again from its first byte."],
        PAYLOAD: [1, "In a frame's payload; `remaining` bytes to go."],
        ERROR: [2, "A protocol error happened; the decoder refuses further input."],
      },
    },
    {
      name: "RecordKind",
      doc: [
        "Kinds of records in the table a core writes for one run. Every record is 4 words:",
        "",
        "```",
        "START : kind bits lengthLow lengthHigh   bits: opcode (0x0f), RSV1 (0x40), FIN (0x80) of the header's first byte",
        "DATA  : kind start end 0                 unmasked payload bytes [start, end) of the run's buffer",
        "END   : kind 0 0 0                       the frame's payload is complete",
        "ERROR : kind code offset detail          a FrameError at byte `offset`; detail is the opcode or 7-bit length",
        "```",
      ].join("\n"),
      entries: {
        START: [1, "A frame header."],
        DATA: [2, "A run of unmasked payload bytes."],
        END: [3, "The end of a frame."],
        ERROR: [4, "A protocol error; the run stops."],
      },
    },
    {
      name: "FrameBits",
      doc: "Bits of the first header byte, as the START record's `bits` word carries them.",
      entries: {
        OPCODE: [0x0f, "The opcode."],
        RSV3: [0x10, "Reserved bit 3."],
        RSV2: [0x20, "Reserved bit 2."],
        RSV1: [0x40, "Reserved bit 1 (permessage-deflate: a compressed message)."],
        FIN: [0x80, "The last frame of a message."],
      },
    },
    {
      name: "Message",
      doc: "Bits of the `message` word: the fragmented message in progress (0 when none) and what the current frame's payload gets.",
      entries: {
        OPCODE: [0x0f, "Opcode of the fragmented message in progress (1 or 2), 0 when none."],
        VALIDATE: [0x100, "The fragmented message is uncompressed text: its continuations are UTF-8 checked."],
        FRAME_VALIDATE: [0x200, "The current frame's payload is UTF-8 checked."],
        FRAME_FIN: [0x400, "The current frame ends a text message: its UTF-8 must be complete at its end."],
        REQUIRE_MASK: [0x10000, "Option: every frame must be masked."],
        ALLOW_RSV1: [0x20000, "Option: RSV1 may be set on the first frame of a data message."],
      },
    },
    {
      name: "Utf8State",
      doc: "States of the UTF-8 automaton: what the next byte must be. Carried across reads and fragments of one text message.",
      entries: {
        ACCEPT: [0, "Between code points."],
        TAIL1: [1, "One continuation byte (80-BF) to go."],
        TAIL2: [2, "Two continuation bytes to go."],
        TAIL3: [3, "Three continuation bytes to go."],
        AFTER_E0: [4, "After E0: A0-BF (no overlong), then one more."],
        AFTER_ED: [5, "After ED: 80-9F (no surrogate), then one more."],
        AFTER_F0: [6, "After F0: 90-BF (no overlong), then two more."],
        AFTER_F4: [7, "After F4: 80-8F (at most U+10FFFF), then two more."],
        REJECT: [8, "Not UTF-8; sticky."],
      },
    },
    {
      name: "Layout",
      doc: "Sizes of the record table and the input region.",
      entries: {
        RECORD_WORDS: [4, "Words per record."],
        RECORD_CAPACITY: [4096, "Capacity of the record table, in words."],
        RECORD_RESERVE: [16, "A run stops before a header (and is called again) when fewer words than this are free: one frame writes at most START, DATA, END or ERROR."],
        MAX_HEADER: [14, "Bytes of the longest frame header: 2 + 8 (length) + 4 (mask key)."],
        INITIAL_INPUT: [65536, "Bytes the Wasm core's input region holds at first; the binding doubles it as needed."],
      },
    },
    {
      name: "Control",
      doc: "The Wasm core's CONTROL block: a decoder's numbers, copied in before a run and out after it (byte offsets).",
      entries: {
        BYTES: [64, "Bytes of the block."],
        STATE: [0, "i32: the DecoderState."],
        MESSAGE: [4, "i32: Message bits."],
        MASK: [8, "i32: the current frame's masking key, its four bytes read little-endian (0 when unmasked)."],
        PHASE: [12, "i32: payload bytes of the current frame already unmasked, mod 4."],
        UTF8: [16, "i32: the Utf8State of the text message in progress."],
        MORE: [20, "i32: 1 when the run stopped early because the record table was full."],
        RECORD_WORDS: [24, "i32: words of the record table the run wrote."],
        REMAINING: [32, "f64: payload bytes of the current frame still to come."],
        MAX_FRAME: [40, "f64: the decoder's maxFrameSize."],
      },
    },
  ],
};
