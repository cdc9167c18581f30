// HTTP/1.1 response parser benchmark (the parser's response mode, for
// clients): tasklet's Wasm core and its TS twin against Node's own parser
// (llhttp in response mode, through node:http's `_http_common`, as
// bench/parser.mjs finds it). Every parser reads the status, the reason and
// two header values of every response and counts its body bytes. Scenarios:
// a small API response one per call and 16 pipelined per call, a chunked
// response, and a 1 MiB download fed in 64 KiB reads. Runs are interleaved
// after a warm-up round; the table gives medians and ratios.
//
//   npm run bench -- rparser [--quick] [--rounds=N] [--ms=N]
//
// Writes bench/results/rparser.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createResponseParser } from "../dist/index.js";
import { intArg, parseCli } from "../scripts/_args.mjs";
import { findNativeParser, fmt, load, machine, measure, median, progress } from "./parser.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const latin1 = (s) => Buffer.from(s, "latin1");

/** A small JSON API response as servers send it: 8 header fields, 27-byte body. */
const API = latin1(
  [
    "HTTP/1.1 200 OK",
    "Date: Mon, 07 Dec 2026 15:00:00 GMT",
    "Content-Type: application/json; charset=utf-8",
    "Content-Length: 27",
    "Connection: keep-alive",
    "Cache-Control: no-store",
    "Vary: Accept-Encoding",
    "X-Request-Id: 5f0c2a7e-8d1b-4a3c-9e2f-1b6d7c8e9f00",
    "Server: tasklet",
    "",
    '{"ok":true,"items":[1,2,3]}',
  ].join("\r\n"),
);

/** A chunked HTML response: 4 chunks of 256 bytes and a trailer. */
function chunkedResponse() {
  const parts = ["HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\nServer: tasklet\r\n\r\n"];
  for (let i = 0; i < 4; i++) parts.push(`100\r\n${String.fromCharCode(97 + i).repeat(256)}\r\n`);
  parts.push("0\r\nX-Checksum: abc\r\n\r\n");
  return latin1(parts.join(""));
}

/** A 1 MiB download with Content-Length, as 64 KiB reads. */
function download() {
  const body = Buffer.alloc(1 << 20, 120);
  const whole = Buffer.concat([latin1(`HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
  const reads = [];
  for (let i = 0; i < whole.length; i += 65536) reads.push(whole.subarray(i, i + 65536));
  return reads;
}

let sinkValue = 0;
const consume = (status, reason, a, b) => {
  sinkValue = (sinkValue + status + reason.length + (a ? a.length : 0) + (b ? b.length : 0)) | 0;
};

/** tasklet's response parser of `kind`: parse(reads) returns the responses completed. */
function tasklet(kind, names) {
  const parser = createResponseParser(kind);
  const [h1, h2] = names;
  let done = 0;
  let bytes = 0;
  const sink = {
    onHead(head) {
      consume(head.status, head.reason, head.headers.get(h1), head.headers.get(h2));
    },
    onBody(chunk) {
      bytes += chunk.length;
    },
    onEnd() {
      done++;
    },
    onError(e) {
      throw e;
    },
  };
  return (reads, perCall) => {
    const conn = parser.createConnection();
    for (let i = 0; i < perCall; i++) conn.expect("GET");
    done = 0;
    for (const r of reads) parser.execute(conn, r, sink);
    sinkValue = (sinkValue + bytes) | 0;
    return done;
  };
}

/** Node's llhttp in response mode. A fresh parser per run of a connection, as a client has one per socket. */
function nodeNative(native, names) {
  const { HTTPParser } = native;
  const [h1, h2] = names;
  const parser = new HTTPParser();
  let done = 0;
  let bytes = 0;
  parser.initialize(HTTPParser.RESPONSE, {});
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, status, reason) => {
    let a, b;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i].toLowerCase();
      if (a === undefined && name === h1) a = headers[i + 1];
      else if (b === undefined && name === h2) b = headers[i + 1];
    }
    consume(status, reason, a, b);
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk) => {
    bytes += chunk.length;
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    done++;
  };
  parser[HTTPParser.kOnExecute] = () => {};
  parser[HTTPParser.kOnHeaders] = () => {};
  return (reads) => {
    parser.initialize(HTTPParser.RESPONSE, {});
    done = 0;
    for (const r of reads) {
      const e = parser.execute(r);
      if (e instanceof Error) throw e;
    }
    sinkValue = (sinkValue + bytes) | 0;
    return done;
  };
}

const NODE_NATIVE = "node native (llhttp)";

export async function main(args = []) {
  const { values: flags } = parseCli({
    name: "bench rparser",
    usage: "npm run bench -- rparser [--quick] [--rounds=N] [--ms=N]",
    options: {
      quick: { type: "boolean", help: "fewer rounds (a sanity run)" },
      rounds: { type: "string", value: "N", help: "interleaved rounds (default 7, 3 with --quick)" },
      ms: { type: "string", value: "N", help: "milliseconds per parser and scenario (default 300, 100 with --quick)" },
    },
    args,
  });
  const quick = flags.quick === true;
  const rounds = intArg("bench rparser", "--rounds", flags.rounds, { min: 1 }) ?? (quick ? 3 : 7);
  const ms = intArg("bench rparser", "--ms", flags.ms, { min: 1 }) ?? (quick ? 100 : 300);
  const native = findNativeParser();
  const note = native === null ? `Node ${process.version} does not expose llhttp's parser: the "${NODE_NATIVE}" column is left out.` : `Node's parser taken through ${native.via}.`;

  const api16 = Buffer.concat(Array.from({ length: 16 }, () => API));
  const chunked = chunkedResponse();
  const dl = download();
  const scenarios = [
    { name: "API response, 8 fields, 27 B body, 1 per call", reads: [API], perCall: 1, bytes: API.length, headers: ["content-type", "x-request-id"] },
    { name: "API response, 16 pipelined per call", reads: [api16], perCall: 16, bytes: API.length, headers: ["content-type", "x-request-id"] },
    { name: "chunked HTML, 4 x 256 B chunks and a trailer", reads: [chunked], perCall: 1, bytes: chunked.length, headers: ["content-type", "server"] },
    { name: "1 MiB download, Content-Length, 64 KiB reads", reads: dl, perCall: 1, bytes: dl.reduce((n, r) => n + r.length, 0), headers: ["content-type", "content-length"] },
  ];
  const makers = {
    "tasklet wasm": (h) => tasklet("wasm", h),
    "tasklet ts": (h) => tasklet("ts", h),
  };
  if (native !== null) makers[NODE_NATIVE] = (h) => nodeNative(native, h);
  const names = Object.keys(makers);
  const loadBefore = load();
  const results = [];
  for (const sc of scenarios) {
    const parsers = Object.fromEntries(names.map((n) => [n, makers[n](sc.headers)]));
    const runs = Object.fromEntries(names.map((n) => [n, (reads) => parsers[n](reads, sc.perCall)]));
    for (const n of names) if (runs[n](sc.reads) !== sc.perCall) throw new Error(`${n} does not parse: ${sc.name}`);
    const samples = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = -1; r < rounds; r++) {
      for (const n of names) {
        progress(`rparser: ${sc.name}: ${r < 0 ? "warm-up" : `round ${r + 1}/${rounds}`}: ${n}`);
        const rate = measure(runs[n], sc.reads, sc.perCall, ms);
        if (r >= 0) samples[n].push(rate);
      }
    }
    results.push({ sc, med: Object.fromEntries(names.map((n) => [n, median(samples[n])])) });
  }
  progress("rparser: done");
  if (process.stderr.isTTY) process.stderr.write("\n");

  const m = machine();
  const lines = ["# HTTP response parser benchmark", ""];
  lines.push(`Command: \`npm run bench -- rparser${args.length ? " " + args.join(" ") : ""}\` (${rounds} interleaved rounds of ${ms} ms per parser and scenario, after a warm-up round; medians).`, "");
  lines.push(`Machine: ${m.model}, nproc ${m.nproc}, Node ${m.node}; 1-minute load average ${loadBefore} at start, ${load()} at end.`, "");
  lines.push("Every parser reads status, reason and two header values of every response and counts its body bytes.", "", note, "");
  const base = native !== null ? NODE_NATIVE : "tasklet ts";
  for (const { sc, med } of results) {
    lines.push(`## ${sc.name}`, "", `| parser | responses/s | MB/s | vs ${base} |`, "| --- | ---: | ---: | ---: |");
    for (const n of names) lines.push(`| ${n} | ${fmt(med[n])} | ${fmt((med[n] * sc.bytes) / 1e6, 1)} | ${fmt(med[n] / med[base], 2)}x |`);
    lines.push("");
  }
  const text = lines.join("\n");
  console.log(text);
  mkdirSync(join(here, "results"), { recursive: true });
  writeFileSync(join(here, "results", "rparser.md"), text + "\n");
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
