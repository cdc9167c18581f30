/**
 * Segmentation-differential tests: however a request stream is cut into
 * reads, both parsers must report the same thing as for the stream in one
 * piece, and must agree with each other. Inputs: the llhttp corpus, body
 * cases of our own (Content-Length and chunked bodies, extensions, trailers,
 * empty and binary bodies, pipelining, ~70 KB bodies) and requests generated
 * by fast-check. Cuts: none, one byte at a time, two pieces at every offset,
 * and seeded random cuts.
 *
 * The sink keeps every body chunk as the view it was handed and every head
 * via retain(), and reads them only after the last execute (test/http/http-observe.ts):
 * the way the release that corrupted multi-read uploads was used, so that class
 * of bug fails here.
 */
import { readFileSync } from "node:fs";
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { ParserLimits } from "../../../src/http/parser/parser.js";
import { stream, streamBytes } from "../http-gen.js";
import { bodyText, observe, piecesOf, type Observed } from "../http-observe.js";

const SEED = 0x5e67;
/** Inputs up to this size are split in two at every offset; larger ones at a sample (see twoPieceCuts). */
const FULL_SPLIT_MAX = 4096;
/** For larger inputs: every offset within this distance of either end, plus this many evenly spaced. */
const EDGE = 256;
const SAMPLED_SPLITS = 64;

interface Case {
  name: string;
  input: Buffer;
  limits: Partial<ParserLimits>;
}

const CORPUS: { location: string; name: string; input_base64: string }[] = JSON.parse(readFileSync(new URL("../../fixtures/http-corpus/llhttp-requests.json", import.meta.url), "utf8"));

const b = (s: string) => Buffer.from(s, "latin1");

/** Deterministic bytes covering every value, CR/LF/0x00/0xFF and CRLF runs included. */
function binary(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = i % 97 === 0 ? 13 : i % 97 === 1 ? 10 : x >>> 24;
  }
  return out;
}

function withLength(head: string, body: Buffer): Buffer {
  return Buffer.concat([b(`${head}Content-Length: ${body.length}\r\n\r\n`), body]);
}

function chunked(head: string, chunks: { data: Uint8Array; ext?: string }[], tail = "0\r\n\r\n"): Buffer {
  const parts: Uint8Array[] = [b(`${head}Transfer-Encoding: chunked\r\n\r\n`)];
  for (const c of chunks) parts.push(b(`${c.data.length.toString(16)}${c.ext ?? ""}\r\n`), c.data, b("\r\n"));
  parts.push(b(tail));
  return Buffer.concat(parts);
}

const POST = "POST /upload HTTP/1.1\r\nHost: a\r\n";
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const TRICKY = Buffer.concat([b("\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n"), ALL_BYTES, b("\x00\xff\r\n")]);
const LARGE = 70 * 1024;

const OWN: Case[] = [
  { name: "Content-Length text body", input: withLength(POST, b("hello, world")), limits: {} },
  { name: "Content-Length binary body (every byte, CRLFs, a request line inside)", input: withLength(POST, TRICKY), limits: {} },
  { name: "Content-Length: 0", input: withLength(POST, Buffer.alloc(0)), limits: {} },
  { name: "GET without a body", input: b("GET /x?y=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n"), limits: {} },
  {
    name: "chunked with extensions and trailers",
    input: chunked(POST, [{ data: b("Wiki"), ext: ";a=b" }, { data: b("pedia"), ext: ';name="q \\" x";flag' }, { data: b(" in\r\n\r\nchunks.") }], '0;last=1\r\nExpires: never\r\nX-Trailer: v \t\r\n\r\n'),
    limits: {},
  },
  { name: "chunked, no data, no trailers", input: chunked(POST, []), limits: {} },
  { name: "chunked, no data, a trailer", input: chunked(POST, [], "0\r\nX-Sum: 0\r\n\r\n"), limits: {} },
  { name: "chunked binary data (every byte, CRLFs)", input: chunked(POST, [{ data: TRICKY }, { data: ALL_BYTES.subarray(250) }, { data: b("\r") }, { data: b("\n") }]), limits: {} },
  {
    name: "pipelined: binary POST then GET",
    input: Buffer.concat([withLength(POST, TRICKY), b("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")]),
    limits: {},
  },
  {
    name: "pipelined: chunked POST then Content-Length PUT",
    input: Buffer.concat([chunked(POST, [{ data: b("abc") }, { data: b("\x00\xff") }], "0\r\nT: 1\r\n\r\n"), withLength("PUT /p HTTP/1.1\r\nHost: a\r\n", b("\r\n\r\n"))]),
    limits: {},
  },
  {
    name: "pipelined: HTTP/1.0 keep-alive with a body, then HTTP/1.1 with Connection: close",
    input: Buffer.concat([withLength("POST /a HTTP/1.0\r\nConnection: keep-alive\r\n", b("one")), withLength("POST /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n", b("two"))]),
    limits: {},
  },
  { name: "~70 KB Content-Length body", input: withLength(POST, binary(LARGE, 1)), limits: {} },
  {
    name: "~70 KB chunked body in uneven chunks",
    input: chunked(POST, [{ data: binary(0x8000, 2), ext: ";big" }, { data: binary(0x3000, 3) }, { data: binary(1, 4) }, { data: binary(LARGE - 0xb001, 5) }], "0\r\nDone: yes\r\n\r\n"),
    limits: {},
  },
  { name: "~70 KB body then a pipelined GET", input: Buffer.concat([withLength(POST, binary(LARGE, 6)), b("GET /after HTTP/1.1\r\nHost: a\r\n\r\n")]), limits: {} },
  {
    name: "a head over 1 KiB (re-parse gate) with a body",
    input: withLength(POST + Array.from({ length: 40 }, (_, i) => `X-Field-${i}: ${"v".repeat(30)}\r\n`).join(""), binary(300, 7)),
    limits: {},
  },
  { name: "chunk data not followed by CRLF (rejected after some body)", input: b(`${POST}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX3\r\nabc\r\n0\r\n\r\n`), limits: {} },
  { name: "data after Connection: close (rejected after a body)", input: Buffer.concat([withLength(`${POST}Connection: close\r\n`, b("body")), b("GET / HTTP/1.1\r\n\r\n")]), limits: {} },
  { name: "chunked body over maxBodySize (413 after the first chunk)", input: chunked(POST, [{ data: binary(60, 8) }, { data: binary(60, 9) }]), limits: { maxBodySize: 100 } },
  { name: "Upgrade: the bytes after the head belong to the new protocol", input: b("GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05hello\r\n\r\n"), limits: {} },
];

const CASES: Case[] = [
  ...CORPUS.map((c) => ({ name: `corpus ${c.location} ${c.name}`, input: Buffer.from(c.input_base64, "base64"), limits: { requireHost: false } })),
  ...OWN,
];

/** Offsets to split at, in two pieces: all of them, or for large inputs both ends in full and a sample between. */
function twoPieceCuts(n: number): number[] {
  const out: number[] = [];
  const stride = Math.ceil(n / SAMPLED_SPLITS);
  for (let i = 1; i < n; i++) if (n <= FULL_SPLIT_MAX || i < EDGE || i > n - EDGE || i % stride === 0) out.push(i);
  return out;
}

const oneByteCuts = (n: number) => Array.from({ length: Math.max(0, n - 1) }, (_, i) => i + 1);

/** `got` equals `want`; compared as JSON first so the common case stays cheap. */
function same(got: Observed, want: Observed, label: string): void {
  if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, label).toEqual(want);
}

/** Whole, both parsers agree; then every cut of `cutsList` on both parsers gives the whole result. */
function checkSegmentations(input: Buffer, limits: Partial<ParserLimits>, cutsList: number[][], label: string): Observed {
  const whole = observe("wasm", [Buffer.from(input)], limits);
  same(observe("ts", [Buffer.from(input)], limits), whole, `${label}: ts vs wasm, whole`);
  for (const cuts of cutsList) {
    const how = cuts.length > 3 ? `${cuts.length + 1} pieces` : `cut at ${cuts.join(",")}`;
    for (const kind of ["wasm", "ts"] as const) same(observe(kind, piecesOf(input, cuts), limits), whole, `${label}: ${kind}, ${how}`);
  }
  return whole;
}

/** Cuts for fast-check: up to 12 offsets inside an input of length n. */
const cutsFor = (n: number) => fc.array(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 12 });

describe("segmentation differential: corpus and body cases, wasm and ts parsers", () => {
  it(`covers the ${CORPUS.length} corpus requests and ${OWN.length} body cases of our own`, () => {
    expect(CORPUS).toHaveLength(134);
    // The body cases do what their names say (so the checks below are not vacuous).
    const byName = new Map(OWN.map((c) => [c.name, observe("ts", [c.input], c.limits)]));
    const large = byName.get("~70 KB chunked body in uneven chunks")!;
    expect(large.messages[0].body).toMatch(new RegExp(`^${LARGE} bytes, sha256 `));
    expect(large.messages[0].trailers).toEqual([["Done", "yes"]]);
    expect(byName.get("chunked with extensions and trailers")!.messages[0]).toMatchObject({ body: bodyText(b("Wikipedia in\r\n\r\nchunks.")), trailers: [["Expires", "never"], ["X-Trailer", "v"]] });
    expect(byName.get("Content-Length binary body (every byte, CRLFs, a request line inside)")!.messages.map((m) => m.body)).toEqual([bodyText(TRICKY)]);
    expect(byName.get("pipelined: chunked POST then Content-Length PUT")!.messages.map((m) => [m.method, m.complete])).toEqual([["POST", true], ["PUT", true]]);
    expect(byName.get("chunk data not followed by CRLF (rejected after some body)")!).toMatchObject({ error: { status: 400, code: "MISSING_CHUNK_CRLF" } });
    expect(byName.get("chunk data not followed by CRLF (rejected after some body)")!.messages[0].body).toBe(bodyText(b("hello")));
    expect(byName.get("chunked body over maxBodySize (413 after the first chunk)")!.error).toEqual({ status: 413, code: "BODY_TOO_LARGE" });
    expect(byName.get("data after Connection: close (rejected after a body)")!.error?.code).toBe("DATA_AFTER_CLOSE");
    expect(byName.get("Upgrade: the bytes after the head belong to the new protocol")!.upgradeAt).toBeGreaterThan(0);
    expect(byName.get("a head over 1 KiB (re-parse gate) with a body")!.messages[0].headers).toHaveLength(42);
  });

  // One test per case keeps a failure's name pointing at its input.
  it.each(CASES.map((c) => [c.name, c] as const))("%s: whole = byte by byte = every two-piece split", (label, c) => {
    checkSegmentations(c.input, c.limits, [oneByteCuts(c.input.length), ...twoPieceCuts(c.input.length).map((i) => [i])], label);
  });

  it("seeded random cuts (fast-check) of every case", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: CASES.length - 1 }).chain((i) => fc.tuple(fc.constant(i), cutsFor(CASES[i].input.length))),
        ([i, cuts]) => {
          checkSegmentations(CASES[i].input, CASES[i].limits, [cuts], CASES[i].name);
        },
      ),
      { seed: SEED, numRuns: 600 },
    );
  });
});

describe("segmentation differential: generated requests (fast-check, shrinks to the smallest failing input)", () => {
  it("valid and slightly malformed streams: every segmentation and both parsers report the same", () => {
    let rejected = 0, complete = 0, runs = 0;
    fc.assert(
      fc.property(stream.chain((s) => {
        const input = streamBytes(s);
        return fc.tuple(fc.constant(input), cutsFor(input.length), fc.boolean());
      }), ([input, cuts, requireHost]) => {
        const limits = { requireHost };
        const whole = checkSegmentations(input, limits, [cuts, oneByteCuts(input.length), ...twoPieceCuts(input.length).map((i) => [i])], JSON.stringify(input.toString("latin1")));
        runs++;
        if (whole.error) rejected++;
        complete += whole.messages.filter((m) => m.complete).length;
      }),
      { seed: SEED, numRuns: 200 },
    );
    // The generator makes both kinds of input in fair numbers (else the property says little).
    expect(rejected).toBeGreaterThan(runs / 10);
    expect(rejected).toBeLessThan(runs * 0.9);
    expect(complete).toBeGreaterThan(runs / 2);
  });
});
