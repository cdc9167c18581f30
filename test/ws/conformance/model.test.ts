/**
 * Random frame sequences against a small model of RFC 6455 §5 written
 * here: what a conforming echo server must answer (pongs, echoes, or the
 * close code of the first error). fast-check makes sequences mostly of
 * valid frames with the odd broken one (reserved bit or opcode, long or
 * fragmented control frame, stray continuation, a new message inside a
 * fragmented one, bad UTF-8), and shrinks a mismatch to the shortest. Close
 * frames from the client are left to the close table (close.test.ts).
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { bytesOf, Op, type FrameSpec } from "../../support/ws-wire.js";
import { DEFAULT_CONFIG, playCase, verdict, type Expected, type Outcome, type WsCase } from "./runner.js";
import { serverCache, TARGETS } from "./targets.js";

/** Whether bytes, as the start of a text message, are already certain to be invalid UTF-8 (not just cut short). */
function doomed(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return false;
  } catch {
    return true;
  }
}

/** The model: the outcome(s) a conforming echo server allows for these frames (no close frames among them). */
export function modelOutcome(frames: FrameSpec[]): Outcome[] {
  const answers: Expected[] = [];
  let message: { opcode: number; parts: Uint8Array[] } | null = null;
  // A text message whose bytes are already invalid may be failed with 1007 at once (then nothing after
  // that frame is answered: `atDoom` is what was answered before it), or when it ends.
  let early1007 = false;
  let atDoom: Expected[] = [];
  const fail = (code: number): Outcome[] => {
    if (!early1007) return [{ fail: [code], before: answers }];
    return [{ fail: [1007], before: atDoom }, { fail: code !== 1007 ? [1007, code] : [code], before: answers }];
  };
  for (const f of frames) {
    const payload = bytesOf(f.payload);
    const fin = f.fin ?? true;
    if ((f.rsv ?? 0) !== 0) return fail(1002);
    if (f.opcode >= 8) {
      if (f.opcode !== Op.PING && f.opcode !== Op.PONG) return fail(1002);
      if (!fin || payload.length > 125) return fail(1002);
      if (f.opcode === Op.PING) answers.push({ pong: payload });
      continue;
    }
    if (f.opcode === Op.CONT) {
      if (message === null) return fail(1002);
    } else if (f.opcode === Op.TEXT || f.opcode === Op.BINARY) {
      if (message !== null) return fail(1002);
      message = { opcode: f.opcode, parts: [] };
    } else return fail(1002);
    message.parts.push(payload);
    const all = Buffer.concat(message.parts);
    if (message.opcode === Op.TEXT && !early1007 && doomed(all)) {
      early1007 = true;
      atDoom = [...answers];
    }
    if (!fin) continue;
    if (message.opcode === Op.TEXT) {
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
      let s: string;
      try {
        s = text.decode(all);
      } catch {
        return fail(1007);
      }
      answers.push({ text: s });
    } else answers.push({ binary: all });
    message = null;
    early1007 = false;
  }
  // An unfinished message at the end: the client's close cuts it off; the echoes so far, then close 1000.
  // If its bytes are already bad, the server may fail it with 1007 first, or answer the client's close with 1007
  // (its failure and the client's close cross on the wire).
  if (message !== null && early1007) {
    return [{ echo: answers }, ...[atDoom, answers].flatMap((before): Outcome[] => [{ fail: [1007], before }, { reply: [1007], before }])];
  }
  return [{ echo: answers }];
}

const payload = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary", maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s))) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 120, maxLength: 200 }) },
);
const frame: fc.Arbitrary<FrameSpec> = fc.record({
  opcode: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(Op.TEXT, Op.BINARY, Op.CONT, Op.PING, Op.PONG) }, { weight: 1, arbitrary: fc.constantFrom(3, 7, 11, 15) }),
  payload,
  fin: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  rsv: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
});

for (const target of TARGETS) {
  describe(`random frame sequences against the model: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());
    fcTest.prop([fc.array(frame, { minLength: 1, maxLength: 8 }), fc.constantFrom<WsCase["split"]>("frames", "whole", { every: 7 })], { numRuns: 60 })(
      "the server answers as the model says",
      async (frames, split) => {
        const c: WsCase = { id: "m.r", title: "random sequence", send: frames, split, expect: modelOutcome(frames) };
        const server = await servers.get(DEFAULT_CONFIG);
        expect(verdict(c, await playCase(c, server.port, server.path))).toBeNull();
      },
    );
  });
}
