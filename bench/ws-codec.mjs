// WebSocket frame codec benchmark: tasklet's Wasm core (SIMD) and its
// TypeScript twin, side by side with what the `ws` package uses: unmasking
// with `bufferutil` (native add-on) and ws's plain JS loop; UTF-8 validation
// with `buffer.isUtf8` (Node's simdutf) and `utf-8-validate` (add-on); and
// whole-decoder throughput (ws's Receiver as a reference row). Also the
// sizes where copying into Wasm memory starts to pay for maskBytes and
// isUtf8 (the thresholds in src/ws/codec/decoder.ts). Runs are interleaved
// (ABAB...) after a warm-up round; the tables give medians over the rounds.
//
// The codec is not part of the package's public API, so this bundles
// src/ws/codec/ with esbuild into build/bench/ (it finds dist/ws-codec.wasm
// from there): run `npm run build:wasm` first.
//
//   npm run bench -- ws-codec [--quick] [--rounds=N] [--ms=N]
//
// Writes bench/results/ws-codec.md.
import { createRequire } from "node:module";
import * as nodeBuffer from "node:buffer";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { buildSync } from "esbuild";
import { fmt, machine, median, progress, progressDone, table, writeResult } from "./lib.mjs";
import { intArg, parseCli } from "../scripts/_args.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const require = createRequire(import.meta.url);

/** Bundle the codec's sources (driver, both cores, the TS kernels) for this process. */
async function loadCodec() {
  const out = join(root, "build", "bench", "ws-codec.mjs");
  buildSync({
    stdin: {
      contents: [
        'export { createDecoder, isUtf8, maskBytes } from "./src/ws/codec/decoder.ts";',
        'export { WasmFrameCore } from "./src/ws/codec/wasm-core.ts";',
        'export { keyOf, maskTs, unmaskInPlace } from "./src/ws/codec/mask.ts";',
        'export { isUtf8Ts } from "./src/ws/codec/utf8.ts";',
      ].join("\n"),
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outfile: out,
    logLevel: "error",
  });
  return import(pathToFileURL(out).href);
}

/** Calls of `fn` per second, over at least `ms` milliseconds (batches doubled until one takes 1 ms, so the clock costs nothing). */
function rate(fn, ms) {
  let batch = 1, calls = 0, t = 0;
  const t0 = performance.now();
  do {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    t = performance.now() - t0;
    if (t < 1) batch *= 2;
  } while (t < ms);
  return calls / (t / 1000);
}

/** Interleaved rounds of every variant; medians of calls per second. */
function compare(label, variants, rounds, ms) {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -1; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      progress(`ws-codec: ${label}: ${r < 0 ? "warm-up" : `round ${r + 1}/${rounds}`}: ${n}`);
      // The warm-up runs three times as long: the 1 MiB rows get few calls in `ms`, and both JITs (V8's and Wasm's tier-up) need them.
      const x = rate(variants[n], r < 0 ? 3 * ms : ms);
      if (r >= 0) samples[n].push(x);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

function bytes(n, seed) {
  const out = Buffer.allocUnsafe(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Mixed text: mostly ASCII with 2-, 3- and 4-byte code points (about 1 in 4 bytes non-ASCII). */
function mixedText(n) {
  const block = Buffer.from("hello wörld naïve 日本語 €10 emoji 😀 plain ascii words ß ");
  const b = Buffer.allocUnsafe(n + block.length);
  for (let at = 0; at < n; at += block.length) block.copy(b, at);
  // cut back to a code point boundary at or below n
  let end = n;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}

/** ws's fallback (no add-on): the plain loop of ws/lib/buffer-util.js, written out here (that path is not exported). */
function wsJsUnmask(buffer, mask) {
  for (let i = 0; i < buffer.length; i++) buffer[i] ^= mask[i & 3];
}

/** Masked frames of `payload` each, one buffer. */
function frames(count, payload, opcode, key) {
  const parts = [];
  for (let i = 0; i < count; i++) {
    const n = payload.length;
    const head = n < 126 ? [0x80 | opcode, 0x80 | n] : n < 65536 ? [0x80 | opcode, 0xfe, n >> 8, n & 0xff] : [0x80 | opcode, 0xff, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
    const body = Buffer.allocUnsafe(n);
    for (let j = 0; j < n; j++) body[j] = payload[j] ^ key[j & 3];
    parts.push(Buffer.from([...head, ...key]), body);
  }
  return Buffer.concat(parts);
}

const SIZES = [
  ["32 B", 32],
  ["1 KiB", 1024],
  ["16 KiB", 16 * 1024],
  ["1 MiB", 1024 * 1024],
];

export async function main(args = []) {
  const { values: flags } = parseCli({
    name: "bench ws-codec",
    usage: "npm run bench -- ws-codec [--quick] [--rounds=N] [--ms=N]",
    options: {
      quick: { type: "boolean", help: "fewer rounds, shorter runs (a sanity run)" },
      rounds: { type: "string", value: "N", help: "interleaved rounds (default 5, 2 with --quick)" },
      ms: { type: "string", value: "N", help: "milliseconds per variant and row (default 80, 20 with --quick)" },
    },
    args,
  });
  const quick = flags.quick === true;
  const rounds = intArg("bench ws-codec", "--rounds", flags.rounds, { min: 1 }) ?? (quick ? 2 : 5);
  const ms = intArg("bench ws-codec", "--ms", flags.ms, { min: 1 }) ?? (quick ? 20 : 80);
  const codec = await loadCodec();
  const bufferutil = require("bufferutil");
  const utf8Validate = require("utf-8-validate");
  const nativeIsUtf8 = nodeBuffer.isUtf8; // Node 18.14+
  const { Receiver } = require("ws");
  const wasm = new codec.WasmFrameCore();
  const KEY = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const key32 = codec.keyOf(KEY);
  const startMachine = machine();
  const out = [];
  const t0 = performance.now();

  // --- unmasking ---------------------------------------------------------------
  out.push("## Unmasking (in place unless noted), GB/s", "");
  out.push("`wasm kernel` is the decoder's path (payload already in Wasm memory); `wasm maskBytes` adds the copies in and out that `maskBytes(..., \"wasm\")` pays for a buffer outside Wasm memory.", "");
  const maskRows = [];
  for (const [label, n] of SIZES) {
    const buf = bytes(n, n);
    const aligned = new Uint8Array(n);
    aligned.set(buf);
    const words = new Int32Array(aligned.buffer, 0, n >> 2);
    const dst = Buffer.allocUnsafe(n);
    wasm.mask(buf, KEY, dst, 0); // makes the input region hold n bytes
    const variants = {
      // the module's export itself (the binding's private `x`), on bytes already in Wasm memory
      "wasm kernel": () => wasm.x.maskInput(n, key32),
      "wasm maskBytes": () => wasm.mask(buf, KEY, dst, 0),
      "ts twin": () => codec.unmaskInPlace(aligned, words, 0, n, key32),
      bufferutil: () => bufferutil.unmask(buf, KEY),
      "ws JS loop": () => wsJsUnmask(buf, KEY),
    };
    const med = compare(`unmask ${label}`, variants, rounds, ms);
    maskRows.push([label, ...Object.values(med).map((r) => fmt((r * n) / 1e9, 2)), `${fmt(med["wasm kernel"] / med.bufferutil, 2)}x`]);
  }
  out.push(table(["size", "wasm kernel", "wasm maskBytes", "ts twin", "bufferutil", "ws JS loop", "wasm kernel / bufferutil"], maskRows), "");

  // --- UTF-8 ------------------------------------------------------------------
  out.push("## UTF-8 validation, GB/s", "");
  out.push("`wasm` is `isUtf8(b, \"wasm\")`'s kernel with its copy into Wasm memory; `buffer.isUtf8` is Node's (simdutf).", "");
  const utfRows = [];
  for (const kind of ["ASCII", "mixed"]) {
    for (const [label, n] of SIZES) {
      const text = kind === "ASCII" ? Buffer.alloc(n, "the quick brown fox ") : mixedText(n);
      const variants = {
        wasm: () => wasm.isUtf8(text),
        "ts twin": () => codec.isUtf8Ts(text),
        "buffer.isUtf8": () => nativeIsUtf8(text),
        "utf-8-validate": () => utf8Validate(text),
      };
      for (const [name, f] of Object.entries(variants)) if (f() !== true) throw new Error(`${name} rejects the ${kind} text`);
      const med = compare(`utf8 ${kind} ${label}`, variants, rounds, ms);
      utfRows.push([`${kind} ${label}`, ...Object.values(med).map((r) => fmt((r * text.length) / 1e9, 2)), `${fmt(med.wasm / med["ts twin"], 2)}x`]);
    }
  }
  out.push(table(["text", "wasm", "ts twin", "buffer.isUtf8", "utf-8-validate", "wasm / ts"], utfRows), "");

  // --- where Wasm pays for the whole-buffer helpers -------------------------------
  out.push("## Whole-buffer helpers: TypeScript vs Wasm with its copies, ns per call", "");
  out.push("Where `maskBytes` and `isUtf8` of kind \"wasm\" switch to the Wasm kernel (MASK_WASM_MIN, UTF8_WASM_MIN in src/ws/codec/decoder.ts).", "");
  const crossRows = [];
  for (const n of [16, 32, 64, 128, 256, 512, 1024]) {
    const src = bytes(n, 3);
    const dst = Buffer.allocUnsafe(n);
    const text = mixedText(n);
    const med = compare(`crossover ${n} B`, {
      "mask ts": () => codec.maskTs(src, KEY, dst, 0),
      "mask wasm": () => wasm.mask(src, KEY, dst, 0),
      "utf8 ts": () => codec.isUtf8Ts(text),
      "utf8 wasm": () => wasm.isUtf8(text),
    }, rounds, ms);
    crossRows.push([`${n} B`, ...Object.values(med).map((r) => fmt(1e9 / r, 0))]);
  }
  out.push(table(["size", "mask ts", "mask wasm", "utf8 ts (mixed)", "utf8 wasm (mixed)"], crossRows), "");

  // --- whole decoder ------------------------------------------------------------
  out.push("## Whole decoder", "");
  out.push("One `execute` per read; the sink counts frames (payloads are copied out by the driver, as always). ws's Receiver (server mode, bufferutil loaded) gets a fresh copy of each read, since it unmasks in place.", "");
  const decRows = [];
  const small = [
    ["64 x 32 B binary frames per read", frames(64, bytes(32, 1), 2, KEY), 64, 1],
    ["64 x 32 B text frames per read", frames(64, Buffer.alloc(32, "hello, world! "), 1, KEY), 64, 1],
  ];
  const large = frames(1, bytes(1 << 20, 2), 2, KEY);
  const largeReads = [];
  for (let at = 0; at < large.length; at += 65536) largeReads.push(large.subarray(at, at + 65536));
  const scenarios = [...small.map(([label, chunk, count]) => [label, [chunk], count, chunk.length]), ["one 1 MiB binary frame in 64 KiB reads", largeReads, 1, large.length]];
  for (const [label, reads, count, total] of scenarios) {
    let seen = 0;
    const sink = { start() {}, data() {}, end() { seen++; } };
    const decoders = { wasm: codec.createDecoder("wasm", { maxFrameSize: 1 << 21, allowRsv1: false, requireMask: true }), ts: codec.createDecoder("ts", { maxFrameSize: 1 << 21, allowRsv1: false, requireMask: true }) };
    const receiver = new Receiver({ isServer: true, maxPayload: 1 << 21 });
    receiver.on("message", () => seen++);
    receiver.on("error", (e) => { throw e; });
    const variants = {
      "tasklet wasm": () => { for (const r of reads) decoders.wasm.execute(r, sink); },
      "tasklet ts": () => { for (const r of reads) decoders.ts.execute(r, sink); },
      "ws Receiver": () => { for (const r of reads) receiver._write(Buffer.from(r), "buffer", () => {}); },
    };
    for (const f of Object.values(variants)) {
      seen = 0;
      f();
      if (seen !== count) throw new Error(`${label}: ${seen} frames seen, ${count} expected`);
    }
    const med = compare(label, variants, rounds, ms);
    decRows.push([label, ...Object.values(med).map((r) => `${fmt(r * count)} msg/s, ${fmt((r * total) / 1e6, 0)} MB/s`), `${fmt(med["tasklet wasm"] / med["tasklet ts"], 2)}x`, `${fmt(med["tasklet wasm"] / med["ws Receiver"], 2)}x`]);
  }
  out.push(table(["input", "tasklet wasm", "tasklet ts", "ws Receiver", "wasm / ts", "wasm / ws"], decRows), "");
  progressDone();

  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  const text = [
    "# WebSocket frame codec benchmark",
    "",
    `Command: \`npm run bench -- ws-codec${args.length ? " " + args.join(" ") : ""}\` (${rounds} interleaved rounds of ${ms} ms per variant and row, after a warm-up round of ${3 * ms} ms; medians; ${secs} s in all).`,
    "",
    `Machine: ${startMachine}. A shared machine: absolute rates fall with load; ratios measured in the same rounds much less.`,
    "",
    ...out,
  ].join("\n");
  console.log(text);
  writeResult("ws-codec.md", text + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
