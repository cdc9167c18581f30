/**
 * The wire client's own checks, so a conformance verdict rests on a
 * client that is right: frames it encodes decode (by a reading of RFC 6455
 * §5.2 written here, unmasking by hand) to what was asked for, in every
 * length form; its server-frame decoder gives back the same frames whatever
 * the TCP cuts; it refuses what a server must never send; its
 * permessage-deflate answer parser refuses answers the offer did not allow.
 */
import zlib from "node:zlib";
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { deflateMessage, encodeFrame, parseDeflateAnswer, ServerFrameDecoder, WireViolation } from "../../support/ws-wire.js";

/** Read one client frame by hand: header fields and the unmasked payload. */
function readClientFrame(b: Buffer) {
  let len = b[1]! & 0x7f;
  let at = 2;
  let form = 7;
  if (len === 126) {
    len = b.readUInt16BE(2);
    at = 4;
    form = 16;
  } else if (len === 127) {
    len = Number(b.readBigUInt64BE(2));
    at = 10;
    form = 64;
  }
  const masked = (b[1]! & 0x80) !== 0;
  const key = masked ? b.subarray(at, at + 4) : null;
  if (key) at += 4;
  const payload = Buffer.from(b.subarray(at));
  if (key) for (let i = 0; i < payload.length; i++) payload[i]! ^= key[i % 4]!;
  return { fin: (b[0]! & 0x80) !== 0, rsv: (b[0]! >> 4) & 7, opcode: b[0]! & 0x0f, masked, form, len, payload };
}

/** A server frame, unmasked, minimal length form. */
function serverFrame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, n]) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (n >= 126) {
    head[0] = (fin ? 0x80 : 0) | opcode;
    if (n < 65536) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
  }
  return Buffer.concat([head, payload]);
}

describe("the wire client", () => {
  fcTest.prop([
    fc.integer({ min: 0, max: 15 }),
    fc.boolean(),
    fc.integer({ min: 0, max: 7 }),
    fc.uint8Array({ maxLength: 70_000 }),
    fc.constantFrom<7 | 16 | 64 | undefined>(7, 16, 64, undefined),
    fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined }),
    fc.boolean(),
  ])("encodes a frame that reads back as asked, in every length form", (opcode, fin, rsv, payload, lengthForm, key, unmasked) => {
    const form = lengthForm === 7 && payload.length > 125 ? 16 : lengthForm === 16 && payload.length > 65535 ? 64 : lengthForm;
    const b = encodeFrame({ opcode, fin, rsv, payload, lengthForm: form, mask: unmasked ? false : key });
    const f = readClientFrame(b);
    expect(f).toMatchObject({ fin, rsv, opcode, masked: !unmasked, len: payload.length });
    expect(f.form).toBe(form ?? (payload.length < 126 ? 7 : payload.length < 65536 ? 16 : 64));
    expect(f.payload.equals(Buffer.from(payload))).toBe(true);
    if (key && !unmasked) expect(b.subarray(b.length - payload.length - 4, b.length - payload.length).equals(Buffer.from(key))).toBe(true);
  });

  fcTest.prop([fc.array(fc.tuple(fc.constantFrom(1, 2, 9, 10), fc.uint8Array({ maxLength: 300 })), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 })])(
    "decodes server frames the same whatever the TCP cuts",
    (frames, cuts) => {
      const frames2 = frames.map(([op, p]) => [op, op >= 8 ? p.subarray(0, 125) : p] as const);
      const bytes = Buffer.concat(frames2.map(([op, p]) => serverFrame(op, p)));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const d = new ServerFrameDecoder();
      const got = [];
      let from = 0;
      for (const p of [...points, bytes.length]) {
        got.push(...d.push(bytes.subarray(from, p)));
        from = Math.max(from, p);
      }
      expect(got.map((f) => [f.opcode, Buffer.from(f.payload).toString("hex")])).toEqual(frames2.map(([op, p]) => [op, Buffer.from(p).toString("hex")]));
    },
  );

  it("refuses what a server must never send", () => {
    expect(() => new ServerFrameDecoder().push(encodeFrame({ opcode: 1, payload: "masked" }))).toThrow(WireViolation);
    expect(() => new ServerFrameDecoder().push(serverFrame(9, new Uint8Array(126)))).toThrow(/long control frame/);
    expect(() => new ServerFrameDecoder().push(serverFrame(9, new Uint8Array(3), false))).toThrow(/fragmented control frame/);
    const top = Buffer.from([0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]);
    expect(() => new ServerFrameDecoder().push(top)).toThrow(/top bit/);
  });

  it("checks a permessage-deflate answer against the offer", () => {
    expect(parseDeflateAnswer(undefined, "permessage-deflate")).toBeNull();
    expect(parseDeflateAnswer("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=12")).toMatchObject({ serverMaxWindowBits: 10 });
    expect(() => parseDeflateAnswer("permessage-deflate; server_max_window_bits=13", "permessage-deflate; server_max_window_bits=12")).toThrow(/above the offered/);
    expect(() => parseDeflateAnswer("permessage-deflate; client_max_window_bits=10", "permessage-deflate")).toThrow(/did not carry it/);
    expect(() => parseDeflateAnswer("permessage-deflate", "permessage-deflate; server_no_context_takeover")).toThrow(/dropped it/);
    expect(() => parseDeflateAnswer("permessage-deflate; x=1", "permessage-deflate")).toThrow(/unknown/);
    expect(() => parseDeflateAnswer("permessage-deflate", undefined)).toThrow(/without an offer/);
  });

  fcTest.prop([fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 9, max: 15 })])("compresses a message that inflates back (with the RFC 7692 tail added)", (data, bits) => {
    const z = deflateMessage(data, bits);
    const back = zlib.inflateRawSync(Buffer.concat([z, Buffer.from([0, 0, 0xff, 0xff])]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(back.equals(Buffer.from(data))).toBe(true);
  });
});
