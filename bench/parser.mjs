// HTTP/1.1 request parser benchmark: tasklet's Wasm parser and its TS twin
// against Node's native parser (llhttp's binding: process.binding("http_parser")
// on Node 20 and 22; from Node 24 on that is gone and node:http's own
// `_http_common` module, which exports the same class, is used; where neither
// exists the column is left out with a note) and http-parser-js, on two requests, one request per call and 16 pipelined per
// call. Every parser reads the same things per request: method, path and two
// headers. Runs are interleaved (ABAB...) after a warm-up round; the table
// gives medians over the rounds and ratios against Node's parser.
//
//   npm run bench -- parser [--quick] [--rounds=N] [--ms=N]
//   node --expose-gc bench/parser.mjs
//
// Writes bench/results/parser.md.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createParser } from "../dist/index.js";
import { intArg, parseCli } from "../scripts/_args.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** A browser-style GET: 9 header fields, 518 bytes. */
function browserRequest() {
  const lines = [
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1",
    "Host: www.kittyhell.com",
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_8; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3",
    "Accept-Encoding: gzip,deflate",
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7",
    "Keep-Alive: 115",
    "Connection: keep-alive",
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit=",
  ];
  return pad(lines, 518);
}

/** The TechEmpower plaintext request (as wrk sends it): 164 bytes. */
function plaintextRequest() {
  const lines = [
    "GET /plaintext HTTP/1.1",
    "Host: localhost",
    "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7",
    "Connection: keep-alive",
  ];
  return pad(lines, 164);
}

/** Join lines into a head and stretch the last field value to exactly `size` bytes. */
function pad(lines, size) {
  let text = lines.join("\r\n") + "\r\n\r\n";
  const short = size - text.length;
  if (short < 0) throw new Error(`request is ${text.length} bytes, more than ${size}`);
  lines[lines.length - 1] += "x".repeat(short);
  text = lines.join("\r\n") + "\r\n\r\n";
  return Buffer.from(text, "latin1");
}

const REQUESTS = {
  browser: { bytes: browserRequest(), headers: ["host", "user-agent"], label: "browser GET, 9 headers, 518 B" },
  plaintext: { bytes: plaintextRequest(), headers: ["host", "accept"], label: "TechEmpower plaintext, 164 B" },
};

// ------------------------------------------------------------ contestants
// Each returns a function `parse(chunk)` that parses the chunk, reads method,
// path and two headers of every request in it, and returns how many requests
// it saw (checked against the expected count so no parser can skip work).

let sinkValue = 0;
function consume(method, path, a, b) {
  sinkValue = (sinkValue + method.length + path.length + (a ? a.length : 0) + (b ? b.length : 0)) | 0;
}

function tasklet(kind, names) {
  const parser = createParser(kind);
  const conn = parser.createConnection();
  let n = 0;
  const [h1, h2] = names;
  const sink = {
    onHead(head) {
      consume(head.method, head.target, head.headers.get(h1), head.headers.get(h2));
      n++;
    },
    onBody() {},
    onEnd() {},
    onError(e) {
      throw e;
    },
  };
  return (chunk) => {
    n = 0;
    parser.execute(conn, chunk, sink);
    return n;
  };
}

/** Node's llhttp binding and where it was found, or null where this Node offers it nowhere (both are internals). */
export function findNativeParser() {
  try {
    const b = process.binding("http_parser");
    if (typeof b?.HTTPParser === "function" && Array.isArray(b.methods)) return { HTTPParser: b.HTTPParser, methods: b.methods, via: 'process.binding("http_parser")' };
  } catch {}
  try {
    const c = require("_http_common");
    if (typeof c?.HTTPParser === "function" && Array.isArray(c.methods)) return { HTTPParser: c.HTTPParser, methods: c.methods, via: 'require("_http_common")' };
  } catch {}
  return null;
}

function nodeNative(native, names) {
  const { HTTPParser, methods } = native;
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {});
  let n = 0;
  const [h1, h2] = names;
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url) => {
    let a, b;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      if (a === undefined && name === h1) a = headers[i + 1];
      else if (b === undefined && name === h2) b = headers[i + 1];
    }
    consume(methods[method], url, a, b);
    n++;
    return 0;
  };
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {};
  parser[HTTPParser.kOnExecute] = () => {};
  return (chunk) => {
    n = 0;
    const r = parser.execute(chunk);
    if (r instanceof Error) throw r;
    return n;
  };
}

function httpParserJs(names) {
  const { HTTPParser } = require("http-parser-js");
  const parser = new HTTPParser(HTTPParser.REQUEST);
  let n = 0;
  const [h1, h2] = names;
  parser[HTTPParser.kOnHeadersComplete] = (info) => {
    const headers = info.headers;
    let a, b;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      if (a === undefined && name === h1) a = headers[i + 1];
      else if (b === undefined && name === h2) b = headers[i + 1];
    }
    consume(HTTPParser.methods[info.method], info.url, a, b);
    n++;
    return 0;
  };
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {};
  return (chunk) => {
    n = 0;
    const r = parser.execute(chunk);
    if (r instanceof Error) throw r;
    return n;
  };
}

const NODE_NATIVE = "node native (llhttp)";

function contestants(native) {
  const all = {
    "tasklet wasm": (names) => tasklet("wasm", names),
    "tasklet ts": (names) => tasklet("ts", names),
    [NODE_NATIVE]: (names) => nodeNative(native, names),
    "http-parser-js": (names) => httpParserJs(names),
  };
  if (native === null) delete all[NODE_NATIVE];
  return all;
}

// ------------------------------------------------------------ measuring

/** Parse `chunk` (holding `perCall` requests) for about `ms` milliseconds; returns requests per second. */
export function measure(parse, chunk, perCall, ms) {
  // Calibrate a batch so the clock is read rarely.
  let batch = 64;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) parse(chunk);
    if (performance.now() - t0 > 5 || batch > 1 << 22) break;
    batch *= 2;
  }
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < batch; i++) {
      if (parse(chunk) !== perCall) throw new Error(`parser saw the wrong number of requests`);
    }
    calls += batch;
    t = performance.now();
  }
  return (calls * perCall * 1000) / (t - t0);
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

let lastProgress = 0;
export function progress(text) {
  if (process.stderr.isTTY) {
    process.stderr.write(`\r${text.padEnd(lastProgress)}`);
    lastProgress = text.length;
  } else {
    process.stderr.write(text + "\n");
  }
}

export const fmt = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

export function machine() {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? model;
  } catch {}
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {}
  return { model, nproc, node: process.version };
}

/** The 1-minute load average: the machine is shared, so the absolute figures depend on it (the ratios much less). */
export function load() {
  try {
    return readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  } catch {
    return "?";
  }
}

export async function main(args = []) {
  const { values: flags } = parseCli({
    name: "bench parser",
    usage: "npm run bench -- parser [--quick] [--rounds=N] [--ms=N]",
    options: {
      quick: { type: "boolean", help: "smaller sizes, fewer rounds (a sanity run)" },
      rounds: { type: "string", value: "N", help: "interleaved rounds (default 7, 3 with --quick)" },
      ms: { type: "string", value: "N", help: "milliseconds per parser and scenario (default 300, 100 with --quick)" },
    },
    args,
  });
  const quick = flags.quick === true;
  const rounds = intArg("bench parser", "--rounds", flags.rounds, { min: 1 }) ?? (quick ? 3 : 7);
  const ms = intArg("bench parser", "--ms", flags.ms, { min: 1 }) ?? (quick ? 100 : 300);
  // process.binding is deprecated; this benchmark uses it on purpose, as the issue asks.
  const emit = process.emitWarning;
  process.emitWarning = (w, ...rest) => {
    if (String(w?.message ?? w).includes("process.binding")) return;
    return emit.call(process, w, ...rest);
  };

  const native = findNativeParser();
  const note =
    native === null
      ? `Node ${process.version} offers llhttp's parser neither through process.binding("http_parser") nor through node:http's _http_common: the "${NODE_NATIVE}" column is left out.`
      : `Node's parser taken through ${native.via}.`;
  if (native === null) console.error(`parser: ${note}`);
  const CONTESTANTS = contestants(native);

  const loadBefore = load();
  const scenarios = [];
  for (const [key, req] of Object.entries(REQUESTS)) {
    for (const perCall of [1, 16]) {
      const chunk = Buffer.concat(Array.from({ length: perCall }, () => req.bytes));
      scenarios.push({ key, req, perCall, chunk, name: `${req.label}, ${perCall === 1 ? "1 per call" : "16 pipelined per call"}` });
    }
  }
  const names = Object.keys(CONTESTANTS);
  const results = [];
  for (const sc of scenarios) {
    const parsers = Object.fromEntries(names.map((n) => [n, CONTESTANTS[n](sc.req.headers)]));
    for (const n of names) if (parsers[n](sc.chunk) !== sc.perCall) throw new Error(`${n} does not parse the ${sc.key} request`);
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = -1; r < rounds; r++) {
      for (const n of names) {
        progress(`parser: ${sc.name}: ${r < 0 ? "warm-up" : `round ${r + 1}/${rounds}`}: ${n}`);
        const rate = measure(parsers[n], sc.chunk, sc.perCall, ms);
        if (r >= 0) samples[n].push(rate);
      }
    }
    const med = Object.fromEntries(names.map((n) => [n, median(samples[n])]));
    results.push({ sc, med });
  }
  progress("parser: done");
  if (process.stderr.isTTY) process.stderr.write("\n");

  const node = native === null ? null : NODE_NATIVE;
  const lines = [];
  const m = machine();
  lines.push("# HTTP request parser benchmark", "");
  lines.push(`Command: \`npm run bench -- parser${args.length ? " " + args.join(" ") : ""}\` (${rounds} interleaved rounds of ${ms} ms per parser and scenario, after a warm-up round; medians).`, "");
  lines.push(`Machine: ${m.model}, nproc ${m.nproc}, Node ${m.node}; 1-minute load average ${loadBefore} at start, ${load()} at end (a shared machine: absolute rates fall with load, ratios between parsers measured in the same rounds much less).`, "");
  lines.push("Every parser reads method, path and two header values of every request (Node's parsers build all strings anyway).", "");
  lines.push(note, "");
  for (const { sc, med } of results) {
    lines.push(`## ${sc.name}`, "");
    if (node !== null) lines.push("| parser | requests/s | MB/s | vs node native | vs tasklet ts |", "| --- | ---: | ---: | ---: | ---: |");
    else lines.push("| parser | requests/s | MB/s | vs tasklet ts |", "| --- | ---: | ---: | ---: |");
    for (const n of names) {
      const rate = med[n];
      const mbs = (rate * sc.req.bytes.length) / 1e6;
      const vsNode = node !== null ? ` ${fmt(rate / med[node], 2)}x |` : "";
      lines.push(`| ${n} | ${fmt(rate)} | ${fmt(mbs, 1)} |${vsNode} ${fmt(rate / med["tasklet ts"], 2)}x |`);
    }
    lines.push("");
  }
  const text = lines.join("\n");
  console.log(text);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "parser.md"), text + "\n");
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
