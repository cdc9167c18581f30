/**
 * The comparison behind the node-differential test and `npm run fuzz`:
 * generated request streams (test/http/http-gen.ts) go to node:http through
 * NodeOracle and to both tasklet parsers; wasm and ts must agree exactly,
 * and tasklet and node must agree on accept/reject and, when both accept,
 * on every message. The differences that are tasklet being right by RFC
 * 9112/9110 are in KNOWN_DIFFERENCES, each with its clause (the same list
 * is in docs/http-conformance.md); anything else is a disagreement.
 */
import { fc } from "@fast-check/vitest";
import { stream, streamBytes } from "./http-gen.js";
import { observe, type Observed } from "./http-observe.js";
import type { NodeOracle, NodeVerdict } from "./node-oracle.js";

/** Tasklet's verdict with the limits the oracle runs node with (no Host rule, see node-oracle.ts). */
export const LIMITS = { requireHost: false } as const;

/** How the two sides' outcomes relate, when they differ. */
export type Kind = string;

/** node's code for "the input ended inside a message": not a rejection of the bytes sent. */
const EOF_CODE = "HPE_INVALID_EOF_STATE";

export interface Case {
  input: Buffer;
  ours: Observed;
  node: NodeVerdict;
}

/**
 * A known, justified difference. `applies` recognises its signature in a
 * case; when `normalize` is given, the difference counts as explained only
 * if the normalized input (the one feature removed) makes both sides agree,
 * so the entry cannot hide anything else in the same input.
 */
export interface KnownDifference {
  /** Why tasklet is right (or the node-side defect), with the RFC clause. */
  clause: string;
  applies(c: Case): boolean;
  normalize?(input: string): string;
}

const text = (c: Case) => c.input.toString("latin1");
const oursCode = (c: Case) => c.ours.error?.code ?? null;
const field = (headers: [string, string][] | null, name: string) => (headers ?? []).filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);

/** llhttp's RTSP methods that are no HTTP method. */
const RTSP_ONLY = ["DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER", "REDIRECT", "RECORD", "FLUSH"];

/** Apply `f` to each line (split at CRLF) that matches `re`. */
const eachLine = (s: string, re: RegExp, f: (line: string) => string) => s.split("\r\n").map((l) => (re.test(l) ? f(l) : l)).join("\r\n");
/** A request-line: a line ending in an HTTP-version (body bytes of the message before may share its line). */
const REQUEST_LINE = / HTTP\/\d\.\d\r?$/;

export const KNOWN_DIFFERENCES: Record<string, KnownDifference> = {
  "absolute-form that llhttp's URL parser refuses (`http:/x`, `example.com:443`)": {
    clause:
      "RFC 9112 §3.2.2: absolute-form = absolute-URI (RFC 3986 §4.3): scheme = ALPHA *( ALPHA / DIGIT / \"+\" / \"-\" / \".\" ) and a hier-part that may be path-absolute or path-rootless, so `http:/x` and `example.com:443` are well-formed. llhttp's URL states need `scheme://`. tasklet accepts them.",
    applies: (c) => c.node.error === "HPE_INVALID_URL",
    // The scheme of such a target (or a partial one the input ends in) becomes `http://h/`.
    normalize: (s) => s.replace(/ [A-Za-z][A-Za-z0-9+.-]*:(?!\/\/)(?=[!-~]*( |$))/g, " http://h/").replace(/( [A-Za-z][A-Za-z0-9+.-]*)$/, " /"),
  },
  "an http or https absolute-form with an empty host (`http:///x`)": {
    clause: "RFC 9110 §4.2.1 (and §4.2.2 for https): a sender must not generate an http URI with an empty host identifier, and a recipient that processes one MUST reject it as invalid. tasklet answers 400; llhttp accepts it.",
    applies: (c) => oursCode(c) === "INVALID_TARGET" && c.node.error === null,
    // The empty host (after any userinfo) becomes `h`.
    normalize: (s) => s.replace(/( [Hh][Tt][Tt][Pp][Ss]?:\/\/)([^/?# ]*@)?(?=[:/?# ]|$)/g, "$1h"),
  },
  "HTTP/2.0 or HTTP/0.9 in an HTTP/1 request-line": {
    clause: "RFC 9110 §15.6.6 and RFC 9112 §2.3: a server may refuse a major version it does not speak with 505; an HTTP/1.1 parser does not speak HTTP/2 or HTTP/0.9 (RFC 9112 §3 requires HTTP-version). llhttp accepts both.",
    applies: (c) => oursCode(c) === "UNSUPPORTED_VERSION",
    normalize: (s) => eachLine(s, REQUEST_LINE, (l) => l.replace(/ HTTP\/(2\.0|0\.9)(?=\r?$)/, " HTTP/1.1")),
  },
  "a transfer coding other than chunked": {
    clause: "RFC 9112 §6.1: a server that receives a transfer coding it does not understand SHOULD respond with 501. tasklet does not decode gzip/deflate; node passes the coded bytes through as the body.",
    applies: (c) => oursCode(c) === "UNSUPPORTED_TRANSFER_CODING",
    normalize: (s) => s.replace(/(\ntransfer-encoding:[ \t]*)(gzip|deflate|identity|compress), /gi, "$1"),
  },
  "a chunk extension with an empty value (`;a=`)": {
    clause: "RFC 9112 §7.1.1: chunk-ext-val = token / quoted-string, so `=` must be followed by at least one byte; llhttp accepts an empty value.",
    applies: (c) => oursCode(c) === "INVALID_CHUNK_EXTENSION",
    normalize: (s) => eachLine(s, /^[0-9a-fA-F]+;/, (l) => l.replace(/=(?=;|$)/g, "=v")),
  },
  "Connection: close in a trailer section": {
    clause: "RFC 9110 §6.5.1: fields that control the connection cannot be processed outside the header section, and a recipient must not merge a trailer field into the header section unless its definition allows it (Connection's does not, RFC 9110 §7.6.1). node closes on a trailer `Connection: close`; tasklet keeps the connection as the header section said.",
    applies: (c) => c.node.error === "HPE_CLOSED_CONNECTION" && c.node.messages.some((m) => field(m.trailers, "connection").some((v) => /close/i.test(v))),
  },
  "asterisk-form followed by more bytes (`*(`)": {
    clause: "RFC 9112 §3.2.4: asterisk-form is exactly `*`; `*(` is none of the four request-target forms (§3.2), so 400. llhttp accepts any URL bytes after `*`.",
    applies: (c) => oursCode(c) === "INVALID_TARGET",
    // Also when the input ends inside the version.
    normalize: (s) => s.replace(/ \*[!-~]+ (?=H)/g, " * "),
  },
  "more than one SP between the parts of the request-line": {
    clause: "RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single SPs; §3 and §11.2 warn that lenient whitespace parsing of the request-line invites request smuggling. tasklet rejects; llhttp skips extra spaces.",
    applies: (c) => ["INVALID_VERSION", "INVALID_REQUEST_LINE", "INVALID_TARGET"].includes(oursCode(c) ?? ""),
    normalize: (s) => eachLine(s, REQUEST_LINE, (l) => l.replace(/ {2,}/g, " ")),
  },
  "empty elements in the Transfer-Encoding list (`chunked , `)": {
    clause: "RFC 9110 §5.6.1.2: a recipient MUST accept empty list elements (`#rule`), and Transfer-Encoding = #transfer-coding (RFC 9112 §6.1), so `chunked , ` is `chunked`. llhttp rejects it.",
    applies: (c) => c.node.error === "HPE_INVALID_TRANSFER_ENCODING",
    normalize: (s) => eachLine(s, /^transfer-encoding:/i, (l) => `${l.slice(0, l.indexOf(":") + 1)} ${l.slice(l.indexOf(":") + 1).split(",").map((e) => e.trim()).filter((e) => e !== "").join(", ")}`),
  },
  "an Upgrade request with content": {
    clause: "RFC 9112 §6.3: a request's content is delimited by its Content-Length or Transfer-Encoding, and Upgrade does not change that (RFC 9110 §7.8 switches protocols after the message). tasklet reads the content, then hands over; node hands over at the end of the head, giving the content to the upgrade handler.",
    applies: (c) => {
      const last = c.node.messages.at(-1);
      return last !== undefined && last.upgrade && last.method !== "CONNECT" && (field(last.headers, "transfer-encoding").length > 0 || field(last.headers, "content-length").some((v) => v !== "0"));
    },
  },
  "a method llhttp knows only from RTSP (`FLUSH`, `PLAY`, …)": {
    clause:
      "RFC 9110 §9.1: a server answers 501 to a method it does not recognise; RTSP methods (RFC 7826) are not HTTP ones. tasklet refuses one as soon as no HTTP method can match; llhttp, which also parses RTSP, waits for the rest of it.",
    applies: (c) => {
      const partial = /[A-Z_-]+$/.exec(text(c))?.[0];
      return oursCode(c) === "UNKNOWN_METHOD" && c.node.error === EOF_CODE && partial !== undefined && RTSP_ONLY.some((m) => m.startsWith(partial));
    },
  },
  "a CONNECT target that is not authority-form (`CONNECT foo`, `CONNECT http://h/`)": {
    clause: "RFC 9112 §3.2.3 and RFC 9110 §9.3.6: CONNECT's request-target is the authority-form, uri-host \":\" port, and a client MUST send that form. tasklet answers 400 to any other form but origin-form; llhttp accepts any URL bytes there.",
    applies: (c) => oursCode(c) === "INVALID_TARGET" && /(^|\n)CONNECT /.test(text(c)),
    // Each CONNECT's target becomes an authority-form one.
    normalize: (s) => s.replace(/(^|\n)CONNECT [!-~]*(?= |$)/g, "$1CONNECT h:1"),
  },
  "a malformed Transfer-Encoding on CONNECT": {
    clause:
      "RFC 9112 §6.3 item 4: a request whose Transfer-Encoding does not end in chunked (or is malformed) MUST be answered 400, whatever its method: the framing is unreliable, a request smuggling signal. llhttp skips the framing fields of CONNECT, which has no content (RFC 9110 §9.3.6).",
    applies: (c) => {
      const rejected = c.node.messages[c.ours.messages.filter((m) => m.complete).length];
      return ["INVALID_TRANSFER_ENCODING", "TE_WITH_CONTENT_LENGTH", "UNSUPPORTED_TRANSFER_CODING"].includes(oursCode(c) ?? "") && rejected?.method === "CONNECT" && field(rejected.headers, "transfer-encoding").length > 0;
    },
  },
  "Transfer-Encoding in an HTTP/1.0 request": {
    clause: "RFC 9112 §6.1: a server that receives an HTTP/1.0 message with Transfer-Encoding MUST treat its framing as faulty and close the connection after it. tasklet closes (bytes after it are DATA_AFTER_CLOSE); node keeps the connection alive.",
    applies: (c) => oursCode(c) === "DATA_AFTER_CLOSE" && c.node.messages.some((m) => m.version === "1.0" && field(m.headers, "transfer-encoding").length > 0),
  },
  "Upgrade in an HTTP/1.0 request": {
    clause: "RFC 9110 §7.8: a server MUST ignore an Upgrade header field received in an HTTP/1.0 request. tasklet parses on as HTTP; node hands the connection over.",
    applies: (c) => {
      const last = c.node.messages.at(-1);
      return last !== undefined && last.upgrade && last.version === "1.0" && last.method !== "CONNECT";
    },
  },
  // Last: the broadest normalization, tried when nothing more specific applies.
  "llhttp 9.3 misreads a Connection option followed by whitespace": {
    clause:
      "Node 20's llhttp 9.3 does not recognise `close`/`upgrade` in `Connection: close\\t` (fixed in llhttp 9.4.2, nodejs/llhttp#866, which the corpus reflects). RFC 9110 §5.5: a field value excludes leading and trailing whitespace, so tasklet closes or upgrades.",
    applies: (c) => /\nconnection:[^\r\n]*[ \t]\r\n/i.test(text(c)),
    normalize: (s) => s.replace(/(\nconnection:[^\r\n]*?)[ \t]+\r\n/gi, "$1\r\n"),
  },
};

/** Null when both sides agree, else what differs (a short class name, then details). */
export function compare(c: Case): { kind: Kind; detail: string } | null {
  const { ours, node } = c;
  if (node.timedOut) return { kind: "node timed out", detail: "" };
  const nodeRejected = node.error !== null && node.error !== EOF_CODE;
  const oursRejected = ours.error !== null;
  if (nodeRejected !== oursRejected) {
    const kind = oursRejected ? `tasklet rejects (${ours.error!.code}), node accepts` : `node rejects (${node.error}), tasklet accepts`;
    return { kind, detail: "" };
  }
  // Messages: what both saw, in order. After a rejection only the complete ones count
  // (where exactly a bad message stops being parsed is not part of the contract).
  const keep = <T extends { complete: boolean }>(ms: T[]) => (oursRejected ? ms.filter((m) => m.complete) : ms);
  const a = keep(ours.messages).map((m) => ({ method: m.method, target: m.target, version: m.version, headers: m.headers, body: m.body, trailers: m.trailers, complete: m.complete, upgrade: m.upgrade }));
  const b = keep(node.messages).map((m) => ({ ...m }));
  if (a.length !== b.length) return { kind: `message count differs${oursRejected ? " before a rejection" : ""}`, detail: `tasklet ${a.length}, node ${b.length}` };
  for (let i = 0; i < a.length; i++) {
    for (const key of ["method", "target", "version", "headers", "body", "trailers", "complete", "upgrade"] as const) {
      if (JSON.stringify(a[i][key]) !== JSON.stringify(b[i][key])) return { kind: `${key} differs`, detail: `message ${i}: tasklet ${JSON.stringify(a[i][key])}, node ${JSON.stringify(b[i][key])}` };
    }
  }
  if (!oursRejected && ours.upgradeAt !== node.upgradeAt) return { kind: "upgrade offset differs", detail: `tasklet ${ours.upgradeAt}, node ${node.upgradeAt}` };
  return null;
}

/** How many normalizations may be stacked on one input (several known differences can meet in one stream). */
const MAX_NORMALIZATIONS = 4;

/**
 * Which known differences explain `c`, if any: a recognising-only entry
 * that applies, or normalizations (each applying to the case at hand)
 * after which both sides agree.
 */
export async function explain(oracle: NodeOracle, c: Case): Promise<string[] | null> {
  const used: string[] = [];
  let cur = c;
  for (let round = 0; round < MAX_NORMALIZATIONS; round++) {
    let next: Case | null = null;
    for (const [name, k] of Object.entries(KNOWN_DIFFERENCES)) {
      if (used.includes(name) || !k.applies(cur)) continue;
      if (k.normalize === undefined) return [...used, name];
      const fixed = k.normalize(text(cur));
      if (fixed === text(cur)) continue;
      used.push(name);
      next = await runCase(oracle, Buffer.from(fixed, "latin1"));
      break;
    }
    if (next === null) return null;
    if (compare(next) === null) return used;
    cur = next;
  }
  return null;
}

export interface RunStats {
  cases: number;
  seconds: number;
  /** Both sides rejected / both accepted. */
  bothRejected: number;
  bothAccepted: number;
  /** Explained differences, by KNOWN_DIFFERENCES name (a case that needed two counts for both). */
  explained: Record<string, number>;
  /** Unexplained disagreements, by kind, with the first few inputs of each. */
  disagreements: Record<Kind, { count: number; examples: string[] }>;
}

/** How many inputs to keep per disagreement kind. */
const EXAMPLES_PER_KIND = 3;

/** Parse `input` with both tasklet parsers (which must agree exactly) and send it to node. */
export async function runCase(oracle: NodeOracle, input: Buffer): Promise<Case> {
  const ours = observe("wasm", [input], LIMITS);
  const ts = observe("ts", [input], LIMITS);
  if (JSON.stringify(ts) !== JSON.stringify(ours)) throw new Error(`wasm and ts parsers disagree on ${JSON.stringify(text({ input, ours, node: null! }))}: ${JSON.stringify(ours)} vs ${JSON.stringify(ts)}`);
  const node = await oracle.send(input);
  return { input, ours, node };
}

/** Run generated cases for `ms` (or `maxCases`) from `seed`; the stats say what agreed and what did not. */
export async function runDifferential(oracle: NodeOracle, opts: { seed: number; ms: number; maxCases?: number }): Promise<RunStats> {
  const t0 = performance.now();
  const stats: RunStats = { cases: 0, seconds: 0, bothRejected: 0, bothAccepted: 0, explained: {}, disagreements: {} };
  const maxCases = opts.maxCases ?? Number.MAX_SAFE_INTEGER;
  const batch = 200;
  for (let round = 0; stats.cases < maxCases && performance.now() - t0 < opts.ms; round++) {
    // Batches from seeds seed, seed+1, ...: the same seed gives the same cases in the same order.
    for (const s of fc.sample(stream, { seed: opts.seed + round, numRuns: batch })) {
      if (stats.cases >= maxCases || performance.now() - t0 >= opts.ms) break;
      const c = await runCase(oracle, streamBytes(s));
      stats.cases++;
      const diff = compare(c);
      if (diff === null) {
        if (c.ours.error !== null) stats.bothRejected++;
        else stats.bothAccepted++;
        continue;
      }
      const known = await explain(oracle, c);
      if (known !== null) {
        for (const name of known) stats.explained[name] = (stats.explained[name] ?? 0) + 1;
        continue;
      }
      const d = (stats.disagreements[diff.kind] ??= { count: 0, examples: [] });
      d.count++;
      if (d.examples.length < EXAMPLES_PER_KIND) d.examples.push(`${JSON.stringify(text(c))} ${diff.detail} (tasklet ${oursCode(c) ?? "ok"}, node ${c.node.error ?? "ok"})`);
    }
  }
  stats.seconds = Math.round((performance.now() - t0) / 100) / 10;
  return stats;
}
