/**
 * Serialising response heads: the status line, the handler's fields and
 * Date as bytes, kept in a small cache because a response usually looks like
 * the one before it; a whole small response (head, Content-Length,
 * Connection, body) written straight into a connection's output buffer,
 * with the last such response kept for reuse; and the few answers the
 * server gives on its own. response.ts and connection.ts decide what a
 * response says; this file only turns it into bytes.
 */
import { BIG_CHUNK, type OutputBuffer } from "./output.js";
import { STATUS_TEXT, UNKNOWN_STATUS_TEXT, checkStatus } from "./status.js";

/** The interim response that tells a client waiting on `Expect: 100-continue` to send its body. */
export const CONTINUE_HEAD = "HTTP/1.1 100 Continue\r\n\r\n";
/** The answer to a request not received in time: no body, and the connection closes. */
export const TIMEOUT_ANSWER = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/** Queue a plain-text answer after which the connection closes (to a request that could not be parsed). */
export function queueClosingAnswer(out: OutputBuffer, status: number, message: string): void {
  const body = `${message}\n`;
  out.queueLatin1(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? UNKNOWN_STATUS_TEXT}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
  );
  out.queueText(body);
}

/** A serialised head prefix and what it was made from. */
export interface HeadEntry {
  status: number;
  text: string | undefined;
  fields: string[] | null;
  date: string | null;
  /** `HTTP/1.1 <status> <text>\r\n`, the fields and Date: everything but framing, Connection and the blank line. */
  bytes: Uint8Array;
  /** A whole small response made with this head (head and body), and what it was made from. */
  whole: Uint8Array | null;
  wholeBody: string | null;
  wholeConn: string;
  wholeHead: boolean;
  /** Times `whole` was reused, and times it was made. */
  hits: number;
  misses: number;
}

const HEAD_CACHE_SIZE = 8;
const headCache: (HeadEntry | undefined)[] = new Array(HEAD_CACHE_SIZE);
let headCacheNext = 0;

const CONTENT_LENGTH = "Content-Length: ";
const CR = 13;
const LF = 10;
const DIGIT_0 = 48;
const MS_PER_SECOND = 1000;
/** String bodies up to this length are checked for ASCII and copied in JS. */
const SMALL_TEXT = 256;
/** Whole responses up to this size are remembered for reuse. */
const WHOLE_MAX = 1024;
/** A head whose whole responses were remade this often, and reused less often, stops remembering them (its bodies keep changing). */
const WHOLE_TRIES = 16;

let dateLine: string | null = null;
/**
 * `Date: <IMF-fixdate>\r\n`. Reading the clock for every response is
 * costly, so the line is kept and dropped by an unref'd timer at the start
 * of the next second.
 */
function dateHeader(): string {
  if (dateLine === null) {
    const now = Date.now();
    dateLine = `Date: ${new Date(now).toUTCString()}\r\n`;
    setTimeout(expireDate, MS_PER_SECOND - (now % MS_PER_SECOND)).unref();
  }
  return dateLine;
}

function expireDate(): void {
  dateLine = null;
  // Every cached head holds the old Date line: drop them all at once rather
  // than compare each one's Date with the new line on every response.
  headCache.fill(undefined);
  headCacheNext = 0;
}

/**
 * The head prefix for `status`, the reason phrase `text` (undefined: the
 * default for the status), the fields `fields` (triples: name as given, name
 * lower-cased, value; `connection` is left out, the server writes its own) and
 * a Date line unless `userDate` (the handler set its own). Found in the cache
 * when a recent response had the same: the names and values are mostly the
 * same string objects, so most comparisons are pointer checks.
 */
export function headEntry(status: number, text: string | undefined, fields: string[] | null, userDate: boolean): HeadEntry {
  if (!Number.isInteger(status) || status < 100 || status > 999) checkStatus(status);
  const date = userDate ? null : dateHeader();
  for (let i = 0; i < HEAD_CACHE_SIZE; i++) {
    const e = headCache[i];
    if (e !== undefined && e.status === status && e.text === text && e.date === date && sameStrings(e.fields, fields)) return e;
  }
  let head = `HTTP/1.1 ${status} ${text ?? STATUS_TEXT[status] ?? UNKNOWN_STATUS_TEXT}\r\n`;
  if (fields !== null) {
    for (let i = 0; i < fields.length; i += 3) {
      // Connection is the server's to write: it must say what the server does.
      if (fields[i + 1] !== "connection") head += `${fields[i]}: ${fields[i + 2]}\r\n`;
    }
  }
  if (date !== null) head += date;
  const e: HeadEntry = {
    status,
    text,
    fields: fields === null ? null : fields.slice(),
    date,
    bytes: Buffer.from(head, "latin1"),
    whole: null,
    wholeBody: null,
    wholeConn: "",
    wholeHead: false,
    hits: 0,
    misses: 0,
  };
  headCache[headCacheNext] = e;
  headCacheNext = (headCacheNext + 1) % HEAD_CACHE_SIZE;
  return e;
}

/**
 * Queue the whole response `e` last made for the same string `body`, the
 * same Connection line and the same HEAD-ness, if there is one: one copy.
 * Returns whether it did.
 */
export function queueCachedWhole(out: OutputBuffer, e: HeadEntry, body: string | Uint8Array, connLine: string, isHead: boolean): boolean {
  if (typeof body !== "string" || body !== e.wholeBody || connLine !== e.wholeConn || isHead !== e.wholeHead) return false;
  const w = e.whole!;
  const at = out.reserve(w.length);
  out.obuf!.set(w, at);
  out.commit(w.length);
  e.hits++;
  return true;
}

/**
 * Queue a whole response: the head prefix of `e`, Content-Length (unless the
 * handler set one, `given`, or the status has no body), `connLine`, the blank
 * line and the body (none for HEAD or `noBody`). Head and a small body go
 * straight into the output buffer, so that with pipelining many responses
 * leave in one write; a large body is queued as it is. Throws, before queueing
 * anything, when `given` does not match the body.
 */
export function queueWhole(
  out: OutputBuffer,
  e: HeadEntry,
  body: string | Uint8Array,
  connLine: string,
  isHead: boolean,
  noBody: boolean,
  given: string | null,
): void {
  // A short ASCII string body (the common case) is measured and later
  // copied in JS: cheaper than a call into C++ for each.
  const ascii = typeof body === "string" && body.length <= SMALL_TEXT && isAscii(body);
  const bodyLen = noBody ? 0 : typeof body !== "string" ? body.length : ascii ? body.length : Buffer.byteLength(body, "utf8");
  // A HEAD response may carry the Content-Length its GET would have (RFC 9110 §9.3.2) with no body.
  if (given !== null && !noBody && !(isHead && bodyLen === 0) && Number(given) !== bodyLen) {
    throw new Error(`Content-Length ${given} does not match the body (${bodyLen} bytes)`);
  }
  const prefix = e.bytes;
  const length = given !== null || noBody ? -1 : bodyLen;
  const sendBody = !noBody && !isHead && bodyLen > 0;
  const headLen = prefix.length + (length < 0 ? 0 : CONTENT_LENGTH.length + digits(length) + 2) + connLine.length + 2;
  const big = sendBody && bodyLen >= BIG_CHUNK && typeof body !== "string";
  const total = headLen + (sendBody && !big ? bodyLen : 0);
  const at = out.reserve(total);
  const buf = out.obuf!;
  buf.set(prefix, at);
  let p = at + prefix.length;
  if (length >= 0) {
    p = putAscii(buf, p, CONTENT_LENGTH);
    p = putDecimal(buf, p, length);
    buf[p++] = CR;
    buf[p++] = LF;
  }
  p = putAscii(buf, p, connLine);
  buf[p++] = CR;
  buf[p++] = LF;
  if (sendBody && !big) {
    if (typeof body !== "string") buf.set(body, p);
    else if (ascii) putAscii(buf, p, body);
    else buf.utf8Write(body, p, bodyLen);
  }
  out.commit(total);
  if (big) out.queueBytes(body as Uint8Array); // large: written as it is, not copied
  else if (ascii && total <= WHOLE_MAX && (e.misses < WHOLE_TRIES || e.hits > e.misses)) {
    // Remember the whole response: handlers often send the same one again.
    e.misses++;
    e.whole = Uint8Array.prototype.slice.call(buf, at, at + total);
    e.wholeBody = body as string;
    e.wholeConn = connLine;
    e.wholeHead = isHead;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Write `s` (latin1 by construction) at `at`; returns the end. */
function putAscii(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/** Decimal digits of `n`, an integer >= 0. */
export function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Write `n` (an integer >= 0) in decimal at `at`; returns the end. */
export function putDecimal(buf: Uint8Array, at: number, n: number): number {
  const end = at + digits(n);
  let p = end;
  do {
    const q = Math.floor(n / 10);
    buf[--p] = DIGIT_0 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

function sameStrings(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
