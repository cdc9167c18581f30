/**
 * What a tasklet parser makes of a byte stream fed in pieces, recorded the
 * way a long-lived consumer would: every head kept with `head.retain()`, every
 * body chunk kept as the view the parser handed out (no copy), and all of it
 * read only after the last execute. A parser that hands out views of memory
 * it reuses shows up here as corrupted bytes. Shared by the segmentation and
 * node-differential suites.
 */
import { createHash } from "node:crypto";
import { createParser, type HeaderList, type HttpParser, type ParserKind, type ParserLimits, type RequestHead } from "../../src/http/parser/parser.js";
import type { HttpParseError } from "../../src/http/parser/parse-error.js";

/** One request as observed. Strings are latin1 (one char per byte), as the parser decodes them. */
export interface ObservedMessage {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  /** The body bytes, de-chunked: hex (so a diff shows bytes), or a digest when long (see bodyText). */
  body: string;
  trailers: [string, string][] | null;
  complete: boolean;
  upgrade: boolean;
}

export interface Observed {
  messages: ObservedMessage[];
  /** The rejection, if any: status and code name (the offset depends on how the input was cut). */
  error: { status: number; code: string } | null;
  /** Offset in the whole input where another protocol starts, after CONNECT/Upgrade. */
  upgradeAt: number | null;
}

/**
 * One parser per kind and limits, shared by every feed (a parser serves any
 * number of connections; each feed gets its own). Sharing also means a view
 * into the parser's own buffer would be overwritten by later feeds.
 */
const parsers = new Map<string, HttpParser>();
function parserFor(kind: ParserKind, limits: Partial<ParserLimits>): HttpParser {
  const key = kind + JSON.stringify(limits);
  let p = parsers.get(key);
  if (p === undefined) parsers.set(key, (p = createParser(kind, limits)));
  return p;
}

/** Bodies up to this size are shown as hex; longer ones by length and SHA-256 (hex of 70 KB costs ms). */
const HEX_BODY_MAX = 1024;

/** How a body is shown and compared. */
export function bodyText(body: Uint8Array): string {
  if (body.length <= HEX_BODY_MAX) return Buffer.from(body.buffer, body.byteOffset, body.length).toString("hex");
  return `${body.length} bytes, sha256 ${createHash("sha256").update(body).digest("hex")}`;
}

const pairs = (h: HeaderList): [string, string][] => [...h.entries()];

/**
 * Copies of `input` cut at `cuts` (offsets, any order, duplicates ignored):
 * fresh Buffers the caller owns, which nobody mutates afterwards.
 */
export function piecesOf(input: Uint8Array, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.filter((c) => c > 0 && c < input.length))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const end of [...at, input.length]) {
    out.push(Buffer.from(input.subarray(start, end)));
    start = end;
  }
  return out;
}

/** Feed `pieces` in order to a fresh parser of `kind`; read everything kept only at the end. */
export function observe(kind: ParserKind, pieces: readonly Uint8Array[], limits: Partial<ParserLimits> = {}): Observed {
  const parser = parserFor(kind, limits);
  const conn = parser.createConnection();
  const heads: RequestHead[] = [];
  const bodies: Uint8Array[][] = [];
  const ends: ([string, string][] | null)[] = [];
  let error: HttpParseError | null = null;
  let upgradeAt: number | null = null;
  const sink = {
    onHead(h: RequestHead) {
      heads.push(h.retain());
      bodies.push([]);
    },
    onBody(chunk: Uint8Array) {
      bodies[bodies.length - 1].push(chunk); // kept as handed out: no copy
    },
    onEnd(t: HeaderList | null) {
      // Trailers are a view valid during the callback; the pairs are strings.
      ends.push(t === null ? null : pairs(t));
    },
    onError(e: HttpParseError) {
      error = e;
    },
  };
  let start = 0;
  for (const piece of pieces) {
    const used = parser.execute(conn, piece, sink);
    if (conn.upgraded && upgradeAt === null) upgradeAt = start + used;
    if (error !== null || conn.upgraded) break;
    start += piece.length;
  }
  const messages = heads.map((h, i): ObservedMessage => ({
    method: h.method,
    target: h.target,
    version: h.version,
    headers: pairs(h),
    body: bodyText(Buffer.concat(bodies[i])),
    trailers: i < ends.length ? ends[i] : null,
    complete: i < ends.length,
    upgrade: h.upgrade,
  }));
  const e = error as HttpParseError | null;
  return { messages, error: e === null ? null : { status: e.status, code: e.codeName }, upgradeAt };
}
