/**
 * Autobahn section 9 as data, plus the limit: large messages up to 16 MiB
 * whole and 4 MiB in fragments of many sizes, echoed exactly with a 16 MiB
 * `maxMessageSize`; and messages above a 1 MiB limit (one frame, many
 * fragments, a header alone that announces too much) failed with 1009.
 * A property plays random sizes around a small limit.
 */
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, describe, expect } from "vitest";
import { Op } from "../../support/ws-wire.js";
import { pattern } from "../../support/helpers.js";
import { binary, every, fragmented, playCase, text, verdict, type WsCase } from "./runner.js";
import { serverCache, suite, TARGETS } from "./targets.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const LIMIT = 1 * MiB;

// Made once per size: the table refers to the same payloads many times.
const memo = new Map<string, Uint8Array | string>();
const big = (n: number) => (memo.get(`b${n}`) ?? memo.set(`b${n}`, pattern(n, n)).get(`b${n}`)) as Uint8Array;
const bigText = (n: number) => (memo.get(`t${n}`) ?? memo.set(`t${n}`, "abcdefghijklmnopqrstuvwxyz0123456789".repeat(Math.ceil(n / 36)).slice(0, n)).get(`t${n}`)) as string;

const section9: WsCase[] = [];
// Sizes kept to what tells something (each runs on five servers): 16 MiB once, whole; the fragmented
// cases below stay at 4 MiB (16 MiB in fragments told nothing more and cost CI time).
for (const size of [64 * KiB, 1 * MiB, 16 * MiB]) {
  const label = size >= MiB ? `${size / MiB} MiB` : `${size / KiB} KiB`;
  if (size < 16 * MiB) {
    section9.push({ id: `9.1.${label}`, title: `text message of ${label} in one frame`, send: [text(bigText(size))], split: { every: 256 * KiB }, expect: { echo: [{ text: bigText(size) }] }, timeoutMs: 30_000 });
  }
  section9.push({ id: `9.2.${label}`, title: `binary message of ${label} in one frame`, send: [binary(big(size))], split: { every: 256 * KiB }, expect: { echo: [{ binary: big(size) }] }, timeoutMs: 30_000 });
}
// Autobahn 9.3/9.4: 4 MiB in fragments from 64 B to 4 MiB (a subset of its sizes).
for (const frag of [64, 1 * MiB]) {
  const size = 4 * MiB;
  section9.push(
    {
      id: `9.3.${frag}`,
      title: `text 4 MiB in ${frag}-byte fragments`,
      send: fragmented(Op.TEXT, bigText(size), every(frag, size)),
      split: { every: 256 * KiB },
      expect: { echo: [{ text: bigText(size) }] },
      timeoutMs: 30_000,
    },
    {
      id: `9.4.${frag}`,
      title: `binary 4 MiB in ${frag}-byte fragments`,
      send: fragmented(Op.BINARY, big(size), every(frag, size)),
      split: { every: 256 * KiB },
      expect: { echo: [{ binary: big(size) }] },
      timeoutMs: 30_000,
    },
  );
}
section9.push(
  {
    id: "9.5.2",
    title: "text 4 MiB in 64 KiB fragments, cut into odd TCP writes",
    send: fragmented(Op.TEXT, bigText(4 * MiB), every(64 * KiB, 4 * MiB)),
    split: { every: 99_991 },
    expect: { echo: [{ text: bigText(4 * MiB) }] },
    timeoutMs: 30_000,
  },
  {
    id: "9.6.1",
    title: "several 1 MiB messages back to back in one write",
    send: [binary(big(MiB)), text(bigText(MiB)), binary(big(MiB + 1))],
    split: "whole",
    expect: { echo: [{ binary: big(MiB) }, { text: bigText(MiB) }, { binary: big(MiB + 1) }] },
    timeoutMs: 30_000,
  },
);

// Above the limit: 1009.
const limited = { maxMessageSize: LIMIT };
section9.push(
  { id: "9.7.1", title: "binary exactly at the 1 MiB limit", send: [binary(big(LIMIT))], server: limited, expect: { echo: [{ binary: big(LIMIT) }] } },
  { id: "9.7.2", title: "binary one byte above the limit, one frame", send: [binary(big(LIMIT + 1))], server: limited, expect: { fail: [1009] } },
  { id: "9.7.3", title: "text one byte above the limit, one frame", send: [text(bigText(LIMIT + 1))], server: limited, expect: { fail: [1009] } },
  {
    id: "9.7.4",
    title: "binary one byte above the limit in 64 KiB fragments",
    send: fragmented(Op.BINARY, big(LIMIT + 1), every(64 * KiB, LIMIT + 1)),
    server: limited,
    expect: { fail: [1009] },
  },
  {
    id: "9.7.5",
    title: "text above the limit in 1-byte-last fragments",
    send: fragmented(Op.TEXT, bigText(LIMIT + 1), [LIMIT]),
    server: limited,
    expect: { fail: [1009] },
  },
  {
    id: "9.7.6",
    title: "a header announcing 16 MiB against the 1 MiB limit, 64 KiB of it sent",
    send: [binary(big(64 * KiB), { lengthForm: 64, length64: BigInt(16 * MiB) })],
    server: limited,
    expect: { fail: [1009] },
  },
  {
    id: "9.7.7",
    title: "a header announcing 2^40 bytes, no payload",
    send: [binary(new Uint8Array(0), { lengthForm: 64, length64: 1n << 40n })],
    server: limited,
    expect: { fail: [1009] },
  },
  {
    id: "9.7.8",
    title: "a valid message within the limit, then one above it",
    send: [binary(big(1000)), binary(big(LIMIT + 100))],
    server: limited,
    expect: { fail: [1009], before: [{ binary: big(1000) }] },
  },
);

suite("9 limits and large messages", section9);

// Random sizes around a small limit, in random fragments: echoed up to the limit, 1009 above.
const SMALL = 4096;
for (const target of TARGETS) {
  describe(`9.x random sizes around the limit: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());
    fcTest.prop([fc.integer({ min: SMALL - 64, max: SMALL + 64 }), fc.array(fc.integer({ min: 1, max: SMALL + 64 }), { maxLength: 6 }), fc.boolean()], { numRuns: 40 })(
      "echo at or under maxMessageSize, 1009 over it",
      async (size, cuts, isText) => {
        const payload = isText ? bigText(size) : big(size);
        const c: WsCase = {
          id: "9.r",
          title: "random size",
          send: fragmented(isText ? Op.TEXT : Op.BINARY, payload, cuts),
          expect: size <= SMALL ? { echo: [typeof payload === "string" ? { text: payload } : { binary: payload }] } : { fail: [1009] },
        };
        const server = await servers.get({ maxMessageSize: SMALL, deflate: false });
        expect(verdict(c, await playCase(c, server.port, server.path))).toBeNull();
      },
    );
  });
}
