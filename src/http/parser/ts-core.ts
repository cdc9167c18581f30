/**
 * The pure-TypeScript twin of the Wasm request parser (assembly/http/index.ts).
 *
 * Same algorithm, same states, same event and header tables, so the common
 * driver in parser.ts cannot tell the two apart. Where the Wasm core uses
 * `v128` to find the end of a target or a value, this one walks a lookup
 * table byte by byte.
 *
 * Heads are parsed all at once or not at all: when a head is cut short, the
 * core reports "need more" and the driver keeps the partial head, which is
 * parsed again from its start once more bytes arrive (picohttpparser's
 * approach). Bytes seen so far are still checked, so an invalid byte is
 * rejected as soon as it arrives. The only state kept between calls is the
 * few numbers of {@link CoreIO}, which is what makes an idle connection cheap.
 *
 * Response mode (`runResponse`) shares everything after the first line: a
 * status-line instead of a request-line, framing by RFC 9112 §6.3 for
 * responses (no body after HEAD, 1xx, 204, 304; read-until-close), and the
 * requests waited on, which decide the framing, handed in with each call.
 */
import { EventKind, HeadFlag, Layout, Method, METHODS, ParseError, ParserState } from "./constants.js";
import type { CoreIO, ParserCore, ParserLimits, ResponseIO } from "./parser-core.js";

const CR = 13, LF = 10, SP = 32, HT = 9, COLON = 58, SEMI = 59, EQ = 61, DQUOTE = 34, BSLASH = 92, COMMA = 44;
const SLASH = 47, STAR = 42, QUESTION = 63, HASH = 35, AT = 64, DIGIT_0 = 48, DIGIT_9 = 57, LOWER_A = 97, LOWER_Z = 122;
/** The ASCII case bit: `c | LOWER` lower-cases a letter. */
const LOWER = 0x20;
/** Hex digits a chunk size may have, at most: bounds what is kept while its line is cut short. */
const MAX_CHUNK_SIZE_DIGITS = 16;
const NEED = -1, FAIL = -2;
/** Response mode: a head arrived for a request beyond those handed to this call (the call stops early). */
const STOP = -3;
const TWO32 = 4294967296;

/** tchar (RFC 9110 §5.6.2): 1 for token bytes. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;
/** Request-target bytes: visible ASCII (0x21-0x7E), as llhttp's strict URL states. */
const TARGET = new Uint8Array(256);
for (let i = 0x21; i < 0x7f; i++) TARGET[i] = 1;
/** field-vchar, SP and HTAB (RFC 9110 §5.5); CR, LF and other controls end the scan. */
const VALUE = new Uint8Array(256);
for (let i = 0x20; i < 0x100; i++) VALUE[i] = i === 0x7f ? 0 : 1;
VALUE[HT] = 1;
/** Hex digit values, -1 for other bytes. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;
/** qdtext (RFC 9110 §5.6.4) for quoted chunk-extension values. */
const QDTEXT = new Uint8Array(256);
for (let i = 0x20; i < 0x100; i++) QDTEXT[i] = i === DQUOTE || i === BSLASH || i === 0x7f ? 0 : 1;
QDTEXT[HT] = 1;

const METHOD_BYTES = METHODS.map((m) => Uint8Array.from(m, (c) => c.charCodeAt(0)));

/** Method id of buf[s, e), or 0. */
function methodId(buf: Uint8Array, s: number, e: number): number {
  const len = e - s, b0 = buf[s];
  // The two methods of nearly every request, without the table walk.
  if (len === 3 && b0 === 71 && buf[s + 1] === 69 && buf[s + 2] === 84) return Method.GET;
  if (len === 4 && b0 === 80 && buf[s + 1] === 79 && buf[s + 2] === 83 && buf[s + 3] === 84) return Method.POST;
  outer: for (let id = 1; id < METHOD_BYTES.length; id++) {
    const m = METHOD_BYTES[id];
    if (m.length !== len || m[0] !== b0) continue;
    for (let i = 1; i < len; i++) if (m[i] !== buf[s + i]) continue outer;
    return id;
  }
  return 0;
}

/** buf[s, e) is the start of some method of the table. */
function methodPrefix(buf: Uint8Array, s: number, e: number): boolean {
  const len = e - s;
  outer: for (let id = 1; id < METHOD_BYTES.length; id++) {
    const m = METHOD_BYTES[id];
    if (m.length < len) continue;
    for (let i = 0; i < len; i++) if (m[i] !== buf[s + i]) continue outer;
    return true;
  }
  return false;
}

/**
 * The request-target has one of the four forms of RFC 9112 §3.2:
 * origin-form ("/" ...), asterisk-form ("*" alone), absolute-form
 * (scheme ":" ..., scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )),
 * or, for CONNECT only, authority-form. With `partial`, [ts, te) is the
 * start of a target still arriving: true while it can still become one.
 */
function targetForm(buf: Uint8Array, ts: number, te: number, method: number, partial: boolean): boolean {
  const b = buf[ts];
  if (b === SLASH) return true;
  if (b === STAR) return te - ts === 1;
  if (method === Method.CONNECT) return authorityForm(buf, ts, te, partial);
  if ((b | LOWER) < LOWER_A || (b | LOWER) > LOWER_Z) return false;
  for (let i = ts + 1; i < te; i++) {
    const c = buf[i];
    if (c === COLON) return authorityOk(buf, ts, i + 1, te, partial);
    const l = c | 0x20;
    if (!((l >= LOWER_A && l <= LOWER_Z) || (c >= DIGIT_0 && c <= DIGIT_9) || c === 43 || c === 45 || c === 46)) return false; // + - .
  }
  return partial; // a scheme still waiting for its ":"
}

/**
 * After "scheme:" of an absolute-form: when an authority follows ("//"), its
 * bytes up to "/", "?", "#" or the end are RFC 3986 §3.2 ones (unreserved,
 * pct-encoded, sub-delims, ":", "@", "[", "]"). The target scan already
 * allowed only visible ASCII; of that, these are not: " < > \ ^ ` { | }.
 * An http or https URI must name a host (RFC 9110 §4.2.1, §4.2.2):
 * `http:///x` and `http://:80/` are invalid once their authority is whole.
 */
function authorityOk(buf: Uint8Array, ts: number, p: number, te: number, partial: boolean): boolean {
  if (te - p < 2 || buf[p] !== SLASH || buf[p + 1] !== SLASH) return true;
  let host = p + 2;
  let i = host;
  for (; i < te; i++) {
    const c = buf[i];
    if (c === SLASH || c === QUESTION || c === HASH) break;
    if (c === 34 || c === 60 || c === 62 || c === 92 || c === 94 || c === 96 || c === 123 || c === 124 || c === 125) return false;
    if (c === AT) host = i + 1; // after userinfo "@"
  }
  if ((i === te && partial) || !httpScheme(buf, ts, p - 1)) return true;
  return host < i && buf[host] !== COLON;
}

/**
 * CONNECT's authority-form (RFC 9112 §3.2.3): uri-host ":" port, with the
 * host's bytes those of RFC 3986 §3.2.2 (reg-name, IPv4, or an IP literal in
 * brackets) and the port digits. With `partial`, true while it can still be.
 */
function authorityForm(buf: Uint8Array, ts: number, te: number, partial: boolean): boolean {
  let colon = -1;
  for (let i = ts; i < te; i++) {
    const c = buf[i];
    if (c === COLON) colon = i;
    else if (!hostByte(c)) return false;
  }
  if (partial) return true;
  if (colon <= ts) return false;
  for (let i = colon + 1; i < te; i++) if (buf[i] < DIGIT_0 || buf[i] > DIGIT_9) return false;
  return true;
}

/** A byte of a host (RFC 3986 §3.2.2): unreserved, sub-delims, "%" of pct-encoded, and the brackets of an IP literal. */
function hostByte(c: number): boolean {
  const l = c | 0x20;
  if ((l >= LOWER_A && l <= LOWER_Z) || (c >= DIGIT_0 && c <= DIGIT_9)) return true;
  // - . _ ~ ! $ & ' ( ) * + , ; = % [ ]
  return c === 45 || c === 46 || c === 95 || c === 126 || c === 33 || c === 36 || (c >= 38 && c <= 44) || c === 59 || c === 61 || c === 37 || c === 91 || c === 93;
}

/** buf[s, e) is "http" or "https", in any case. */
function httpScheme(buf: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n !== 4 && n !== 5) return false;
  if ((buf[s] | 0x20) !== 104 || (buf[s + 1] | 0x20) !== 116 || (buf[s + 2] | 0x20) !== 116 || (buf[s + 3] | 0x20) !== 112) return false;
  return n === 4 || (buf[s + 4] | 0x20) === 115;
}

/** buf[vs, ve) holds a list element: a byte other than SP, HTAB and comma (RFC 9110 §5.6.1 lets lists have empty elements). */
function hasListElement(buf: Uint8Array, vs: number, ve: number): boolean {
  for (let i = vs; i < ve; i++) {
    const c = buf[i];
    if (c !== SP && c !== HT && c !== COMMA) return true;
  }
  return false;
}

/** buf[s, e) equals `lower` ignoring ASCII case (fine for token bytes: `| 0x20` only maps letters onto letters there). */
function eqLower(buf: Uint8Array, s: number, e: number, lower: string): boolean {
  if (e - s !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((buf[s + i] | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** The TypeScript core: parses in place in the caller's bytes (or a joined copy when a partial head was kept). */
export class TsParserCore implements ParserCore {
  readonly events = new Int32Array(Layout.EVENT_CAPACITY);
  eventWords = 0;
  readonly headers: Int32Array;
  source: Buffer = Buffer.alloc(0);
  private readonly headerCapacity: number;
  private headerCount = 0;
  // Limits, unpacked for speed.
  private readonly maxLine: number;
  private readonly maxHead: number;
  private readonly maxHeaders: number;
  private readonly maxExt: number;
  private readonly maxBody: number;
  private readonly requireHost: boolean;
  // Error of the last FAIL.
  private errCode = 0;
  private errAt = 0;
  // Results of the head being parsed (valid after parseHead returns > 0).
  private hFlags = 0;
  private hCL = -1;
  // Response mode: the requests of this call (see ResponseIO), and how many messages ended in it.
  private response = false;
  private expects: number[] = [];
  private expectFrom = 0;
  private expectCount = 0;
  private expectMore = false;
  private ended = 0;

  constructor(limits: ParserLimits) {
    this.maxLine = limits.maxRequestLine;
    this.maxHead = limits.maxHeaderSize;
    this.maxHeaders = limits.maxHeaders;
    this.maxExt = limits.maxChunkExtension;
    this.maxBody = limits.maxBodySize;
    this.requireHost = limits.requireHost;
    this.headerCapacity = Math.max(Layout.MIN_HEADER_ROWS, 4 * limits.maxHeaders + 4);
    this.headers = new Int32Array(this.headerCapacity * Layout.HEADER_WORDS);
  }

  load(pending: Uint8Array | null, chunk: Uint8Array): number {
    if (pending === null || pending.length === 0) {
      // A Buffer view (no copy) so the driver can use Buffer's native latin1 decoder.
      this.source = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else {
      const joined = Buffer.allocUnsafe(pending.length + chunk.length);
      joined.set(pending, 0);
      joined.set(chunk, pending.length);
      this.source = joined;
    }
    return this.source.length;
  }

  private fail(code: number, at: number): number {
    this.errCode = code;
    this.errAt = at;
    return FAIL;
  }

  /** Write a small record (EventKind; RECORD_WORDS.SMALL_WORDS words). */
  private small(kind: number, a: number, b: number): void {
    const ev = this.events, w = this.eventWords;
    ev[w] = kind;
    ev[w + 1] = a;
    ev[w + 2] = b;
    this.eventWords = w + 3;
  }

  run(from: number, end: number, io: CoreIO): number {
    this.response = false;
    return this.loop(from, end, io);
  }

  runResponse(from: number, end: number, io: ResponseIO): number {
    this.response = true;
    this.expects = io.expects;
    this.expectFrom = io.expectFrom;
    const waiting = io.expects.length - io.expectFrom;
    this.expectCount = Math.min(waiting, Layout.EXPECT_CAPACITY);
    this.expectMore = waiting > Layout.EXPECT_CAPACITY;
    return this.loop(from, end, io);
  }

  private loop(from: number, end: number, io: CoreIO): number {
    const buf = this.source;
    this.ended = 0;
    this.eventWords = 0;
    this.headerCount = 0;
    io.more = false;
    let p = from;
    let state = io.state;
    for (;;) {
      if (this.eventWords + Layout.EVENT_RESERVE > Layout.EVENT_CAPACITY || this.headerCount + this.maxHeaders + 1 > this.headerCapacity) {
        if (p < end) io.more = true;
        break;
      }
      if (state === ParserState.HEAD && this.response) {
        if (p >= end) break;
        const first = this.headerCount;
        const r = this.parseStatusHead(buf, p, end);
        if (r === NEED || r === STOP) {
          this.headerCount = first;
          p = this.errAt;
          if (r === STOP) io.more = true;
          break;
        }
        if (r === FAIL) { state = this.error(io); break; }
        const f = this.hFlags;
        p = r;
        if ((f & HeadFlag.INFORMATIONAL) !== 0) continue; // the final response follows
        io.flags = f;
        io.bodySoFar = 0;
        if ((f & HeadFlag.NO_BODY) !== 0) {
          state = this.endMessage(io, p);
          if (state === ParserState.UPGRADED) break;
        } else if ((f & HeadFlag.CHUNKED) !== 0) {
          state = ParserState.CHUNK_SIZE;
        } else if ((f & HeadFlag.UNTIL_CLOSE) !== 0) {
          state = ParserState.BODY_UNTIL_CLOSE;
        } else if (this.hCL > 0) {
          io.remaining = this.hCL;
          state = ParserState.BODY_LENGTH;
        } else {
          state = this.endMessage(io, p);
        }
      } else if (state === ParserState.HEAD) {
        if (p >= end) break;
        const first = this.headerCount;
        const r = this.parseHead(buf, p, end);
        if (r === NEED) {
          this.headerCount = first;
          p = this.errAt; // the head start, after skipped empty lines
          break;
        }
        if (r === FAIL) { state = this.error(io); break; }
        const f = this.hFlags;
        io.flags = f;
        io.bodySoFar = 0;
        p = r;
        if ((f & HeadFlag.CONNECT) !== 0) {
          state = this.endMessage(io, p);
        } else if ((f & HeadFlag.CHUNKED) !== 0) {
          state = ParserState.CHUNK_SIZE;
        } else if (this.hCL > 0) {
          io.remaining = this.hCL;
          state = ParserState.BODY_LENGTH;
        } else {
          state = this.endMessage(io, p);
        }
        if (state === ParserState.UPGRADED) break;
      } else if (state === ParserState.BODY_LENGTH || state === ParserState.CHUNK_DATA) {
        if (p >= end) break;
        const n = Math.min(io.remaining, end - p);
        this.small(EventKind.BODY, p, p + n);
        p += n;
        io.remaining -= n;
        if (io.remaining === 0) {
          if (state === ParserState.CHUNK_DATA) {
            state = ParserState.CHUNK_DATA_END;
          } else {
            state = this.endMessage(io, p);
            if (state === ParserState.UPGRADED) break;
          }
        }
      } else if (state === ParserState.CHUNK_SIZE) {
        const r = this.parseChunkSize(buf, p, end, io);
        if (r === NEED) break;
        if (r === FAIL) { state = this.error(io); break; }
        p = r;
        if (io.remaining === 0) {
          state = ParserState.TRAILERS;
        } else {
          state = ParserState.CHUNK_DATA;
        }
      } else if (state === ParserState.CHUNK_DATA_END) {
        if (p >= end) break;
        if (buf[p] !== CR) { this.fail(ParseError.MISSING_CHUNK_CRLF, p); state = this.error(io); break; }
        if (p + 1 >= end) break;
        if (buf[p + 1] !== LF) { this.fail(ParseError.MISSING_CHUNK_CRLF, p + 1); state = this.error(io); break; }
        p += 2;
        state = ParserState.CHUNK_SIZE;
      } else if (state === ParserState.TRAILERS) {
        if (p >= end) break;
        const first = this.headerCount;
        const r = this.parseFields(buf, p, end, p, false);
        if (r === NEED) {
          this.headerCount = first;
          if (end - p > this.maxHead) { this.fail(ParseError.HEADERS_TOO_LARGE, p); state = this.error(io); }
          break;
        }
        if (r === FAIL) { state = this.error(io); break; }
        p = r;
        state = this.endMessage(io, p, first, this.headerCount - first);
        if (state === ParserState.UPGRADED) break;
      } else if (state === ParserState.BODY_UNTIL_CLOSE) {
        if (p >= end) break;
        const room = this.maxBody - io.bodySoFar;
        if (end - p > room) {
          // The bytes up to the limit are reported first, as when they arrive on their own.
          const stop = p + Math.floor(room);
          if (stop > p) this.small(EventKind.BODY, p, stop);
          this.fail(ParseError.BODY_TOO_LARGE, stop);
          state = this.error(io);
          break;
        }
        this.small(EventKind.BODY, p, end);
        io.bodySoFar += end - p;
        p = end;
      } else if (state === ParserState.CLOSED) {
        // A response stream may end in stray empty lines, as llhttp allows; a request stream may not.
        if (this.response) while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
        if (p < end) { this.fail(ParseError.DATA_AFTER_CLOSE, p); state = this.error(io); }
        break;
      } else {
        break; // UPGRADED or ERROR: nothing more to parse
      }
    }
    io.state = state;
    return p;
  }

  private error(io: CoreIO): number {
    this.small(EventKind.ERROR, this.errCode, this.errAt);
    io.state = ParserState.ERROR;
    return ParserState.ERROR;
  }

  /** Emit END (and UPGRADE); return the state that follows the message. */
  private endMessage(io: CoreIO, p: number, firstTrailer = 0, trailerCount = 0): number {
    this.small(EventKind.END, firstTrailer, trailerCount);
    this.ended++;
    const f = io.flags;
    if ((f & HeadFlag.UPGRADE) !== 0) {
      this.small(EventKind.UPGRADE, p, 0);
      return ParserState.UPGRADED;
    }
    return (f & HeadFlag.KEEP_ALIVE) !== 0 ? ParserState.HEAD : ParserState.CLOSED;
  }

  /**
   * One request head from `start`. Returns the offset after its blank line,
   * NEED (errAt = where the head starts, after skipped empty lines) or FAIL.
   */
  private parseHead(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    // RFC 9112 §2.2: a server SHOULD ignore empty lines received before a request-line.
    // Like llhttp, any CR or LF byte there is skipped: they belong to no message.
    while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
    if (p >= end) { this.errAt = p; return NEED; }
    const hs = p;
    const maxLine = this.maxLine;
    // method
    while (p < end && TOKEN[buf[p]] === 1) p++;
    if (p >= end) {
      // Reject a method that cannot become a known one without waiting for its end (as llhttp does).
      if (!methodPrefix(buf, hs, p)) return this.fail(ParseError.UNKNOWN_METHOD, hs);
      return this.needHead(hs, end, true);
    }
    if (buf[p] !== SP) {
      if (!methodPrefix(buf, hs, p)) return this.fail(ParseError.UNKNOWN_METHOD, hs); // the same answer as when cut here
      const b = buf[p];
      return this.fail(p > hs && (b === CR || b === LF || b === HT) ? ParseError.INVALID_REQUEST_LINE : ParseError.INVALID_METHOD, p);
    }
    if (p === hs) return this.fail(ParseError.INVALID_METHOD, p);
    const method = methodId(buf, hs, p);
    if (method === 0) return this.fail(ParseError.UNKNOWN_METHOD, hs);
    p++;
    // request-target
    const ts = p;
    while (p < end && TARGET[buf[p]] === 1) p++;
    if (p - hs > maxLine) return this.fail(ParseError.REQUEST_LINE_TOO_LONG, hs + maxLine);
    if (p >= end) {
      // What has come of the target must be able to start one of its forms: a bad byte is refused when it arrives.
      if (p > ts && !targetForm(buf, ts, p, method, true)) return this.fail(ParseError.INVALID_TARGET, ts);
      return this.needHead(hs, end, true);
    }
    let b = buf[p];
    if (b !== SP) {
      if (p === ts) return this.fail(ParseError.INVALID_REQUEST_LINE, p);
      // The same verdict as when the input was cut right here.
      if (!targetForm(buf, ts, p, method, true)) return this.fail(ParseError.INVALID_TARGET, ts);
      // "GET /" + CRLF is an HTTP/0.9 request-line (no version).
      if (b === CR || b === LF) return this.fail(ParseError.UNSUPPORTED_VERSION, p);
      return this.fail(ParseError.INVALID_TARGET, p);
    }
    if (p === ts) return this.fail(ParseError.INVALID_REQUEST_LINE, p);
    const te = p;
    if (!targetForm(buf, ts, te, method, false)) return this.fail(ParseError.INVALID_TARGET, ts);
    p++;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT, then CRLF (10 bytes); checked byte by byte so a partial
    // line fails early. Byte values are literals in this loop of every request: 48-57 digits, 46 ".".
    const vs = p;
    const avail = Math.min(end - vs, 10);
    for (let i = 0; i < avail; i++) {
      const c = buf[vs + i];
      let ok: boolean;
      if (i < 5) ok = c === "HTTP/".charCodeAt(i);
      else if (i === 5 || i === 7) ok = c >= 48 && c <= 57;
      else if (i === 6) ok = c === 46;
      else if (i === 8) {
        if (c !== CR) return this.fail(c === LF ? ParseError.INVALID_LINE_ENDING : ParseError.INVALID_VERSION, vs + i);
        ok = true;
      } else {
        if (c !== LF) return this.fail(ParseError.INVALID_LINE_ENDING, vs + i);
        ok = true;
      }
      if (!ok) return this.fail(ParseError.INVALID_VERSION, vs + i);
      if (i === 7) {
        const major = buf[vs + 5] - 48, minor = c - 48;
        if (major !== 1 || minor > 1) return this.fail(ParseError.UNSUPPORTED_VERSION, vs + 5);
      }
    }
    if (vs + 8 - hs > maxLine) return this.fail(ParseError.REQUEST_LINE_TOO_LONG, hs + maxLine);
    if (avail < 10) return this.needHead(hs, end, false);
    const version = 10 + buf[vs + 7] - 48;
    p = vs + 10;
    // fields
    const firstHeader = this.headerCount;
    this.hFlags = 0;
    this.hCL = -1;
    const r = this.parseFields(buf, p, end, hs, true);
    if (r === NEED) return this.needHead(hs, end, false);
    if (r === FAIL) return FAIL;
    p = r;
    // Framing and connection semantics (RFC 9112 §6.3, §9.3).
    let f = this.hFlags;
    if ((f & HeadFlag.HAS_TRANSFER_ENCODING) !== 0) {
      if ((f & HeadFlag.CONTENT_LENGTH) !== 0) return this.fail(ParseError.TE_WITH_CONTENT_LENGTH, p);
      if ((f & HeadFlag.CHUNKED) === 0) return this.fail(ParseError.INVALID_TRANSFER_ENCODING, p);
      if ((f & HeadFlag.OTHER_CODING) !== 0) return this.fail(ParseError.UNSUPPORTED_TRANSFER_CODING, p);
    }
    if (version === 11) {
      if (this.requireHost && (f & HeadFlag.HAS_HOST) === 0) return this.fail(ParseError.MISSING_HOST, p);
      if ((f & HeadFlag.CONNECTION_CLOSE) === 0) f |= HeadFlag.KEEP_ALIVE;
      // RFC 9110 §7.8: Upgrade needs the upgrade connection option; it is ignored in HTTP/1.0.
      if ((f & (HeadFlag.CONNECTION_UPGRADE | HeadFlag.HAS_UPGRADE)) === (HeadFlag.CONNECTION_UPGRADE | HeadFlag.HAS_UPGRADE)) f |= HeadFlag.UPGRADE;
    } else {
      if ((f & (HeadFlag.CONNECTION_KEEP_ALIVE | HeadFlag.CONNECTION_CLOSE)) === HeadFlag.CONNECTION_KEEP_ALIVE) f |= HeadFlag.KEEP_ALIVE;
      // RFC 9112 §6.1: chunked in HTTP/1.0 is faulty framing; close after this message.
      if ((f & HeadFlag.CHUNKED) !== 0) f &= ~HeadFlag.KEEP_ALIVE;
    }
    if (method === Method.CONNECT) f |= HeadFlag.CONNECT | HeadFlag.UPGRADE;
    if (method === Method.PRI) f |= HeadFlag.UPGRADE; // the HTTP/2 connection preface: hand over
    if (this.hCL > this.maxBody) return this.fail(ParseError.BODY_TOO_LARGE, p);
    this.hFlags = f;
    this.headRecord(hs, p, method, ts, te, version, f, firstHeader);
    return p;
  }

  /** A head was cut short: report NEED unless it is already over a limit. */
  private needHead(hs: number, end: number, inRequestLine: boolean): number {
    if (inRequestLine && end - hs > this.maxLine) return this.fail(ParseError.REQUEST_LINE_TOO_LONG, hs + this.maxLine);
    if (end - hs > this.maxHead) return this.fail(ParseError.HEADERS_TOO_LARGE, hs + this.maxHead);
    this.errAt = hs;
    return NEED;
  }

  /**
   * Response mode: one response head from `start` (RFC 9112 §4), for the
   * request `this.ended` places after the oldest one waiting. Returns the
   * offset after its blank line, NEED or STOP (errAt = where the head
   * starts, after skipped empty lines) or FAIL. Bytes are checked in order,
   * each against the prefix before it, so a head cut anywhere fails with the
   * same error as when whole.
   */
  private parseStatusHead(buf: Uint8Array, start: number, end: number): number {
    let p = start;
    // Empty lines before a head are skipped, as in request mode (RFC 9112 §2.2).
    while (p < end && (buf[p] === CR || buf[p] === LF)) p++;
    if (p >= end) { this.errAt = p; return NEED; }
    const hs = p;
    if (this.ended >= this.expectCount) {
      if (!this.expectMore) return this.fail(ParseError.UNEXPECTED_RESPONSE, hs);
      this.errAt = hs;
      return STOP;
    }
    const method = this.expects[this.expectFrom + this.ended];
    const maxLine = this.maxLine;
    // "HTTP/" DIGIT "." DIGIT SP 3DIGIT: 12 bytes, each checked as it arrives.
    const avail = Math.min(end - hs, 12);
    for (let i = 0; i < avail; i++) {
      if (i >= maxLine) return this.fail(ParseError.STATUS_LINE_TOO_LONG, hs + maxLine);
      const c = buf[hs + i];
      if (i < 5) {
        if (c !== "HTTP/".charCodeAt(i)) return this.fail(ParseError.INVALID_VERSION, hs + i);
      } else if (i === 5 || i === 7) {
        if (c < DIGIT_0 || c > DIGIT_9) return this.fail(ParseError.INVALID_VERSION, hs + i);
        if (i === 7 && (buf[hs + 5] !== 49 || c > 49)) return this.fail(ParseError.UNSUPPORTED_VERSION, hs + 5);
      } else if (i === 6) {
        if (c !== 46) return this.fail(ParseError.INVALID_VERSION, hs + i);
      } else if (i === 8) {
        if (c !== SP) return this.fail(ParseError.INVALID_STATUS_LINE, hs + i);
      } else if (c < DIGIT_0 || c > DIGIT_9 || (i === 9 && c === DIGIT_0)) {
        return this.fail(ParseError.INVALID_STATUS, hs + i);
      }
    }
    if (avail < 12) return this.needHead(hs, end, true);
    const version = 10 + buf[hs + 7] - DIGIT_0;
    const status = (buf[hs + 9] - DIGIT_0) * 100 + (buf[hs + 10] - DIGIT_0) * 10 + (buf[hs + 11] - DIGIT_0);
    p = hs + 12;
    if (p >= end) return this.needHead(hs, end, true);
    // SP reason-phrase, or no SP and no reason (accepted, as llhttp does).
    let b = buf[p];
    if (b === SP) p++;
    else if (b === LF) return this.fail(ParseError.INVALID_LINE_ENDING, p);
    else if (b !== CR) return this.fail(ParseError.INVALID_STATUS, p);
    const rs = p;
    while (p < end && VALUE[buf[p]] === 1) p++;
    if (p - hs > maxLine) return this.fail(ParseError.STATUS_LINE_TOO_LONG, hs + maxLine);
    if (p >= end) return this.needHead(hs, end, true);
    b = buf[p];
    if (b !== CR) return this.fail(b === LF ? ParseError.INVALID_LINE_ENDING : ParseError.INVALID_STATUS_LINE, p);
    if (p + 1 >= end) return this.needHead(hs, end, false);
    if (buf[p + 1] !== LF) return this.fail(ParseError.INVALID_LINE_ENDING, p + 1);
    const re = p;
    p += 2;
    const firstHeader = this.headerCount;
    this.hFlags = 0;
    this.hCL = -1;
    const r = this.parseFields(buf, p, end, hs, true);
    if (r === NEED) return this.needHead(hs, end, false);
    if (r === FAIL) return FAIL;
    p = r;
    // Framing (RFC 9112 §6.3) and persistence (§9.3) of a response.
    let f = this.hFlags;
    let suspect = false;
    if ((f & HeadFlag.HAS_TRANSFER_ENCODING) !== 0) {
      // Transfer-Encoding overrides Content-Length (item 3), but the sender is suspect: close after it.
      suspect = (f & HeadFlag.CONTENT_LENGTH) !== 0;
      f &= ~HeadFlag.CONTENT_LENGTH;
      this.hCL = -1;
      if ((f & HeadFlag.CHUNKED) === 0) f |= HeadFlag.UNTIL_CLOSE; // item 4
    } else if ((f & HeadFlag.CONTENT_LENGTH) === 0) {
      f |= HeadFlag.UNTIL_CLOSE; // item 8
    }
    if (version === 11) {
      if ((f & HeadFlag.CONNECTION_CLOSE) === 0) f |= HeadFlag.KEEP_ALIVE;
    } else {
      if ((f & (HeadFlag.CONNECTION_KEEP_ALIVE | HeadFlag.CONNECTION_CLOSE)) === HeadFlag.CONNECTION_KEEP_ALIVE) f |= HeadFlag.KEEP_ALIVE;
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing; close after it.
      if ((f & HeadFlag.HAS_TRANSFER_ENCODING) !== 0) f &= ~HeadFlag.KEEP_ALIVE;
    }
    // Items 1 and 2: no body after HEAD, a 1xx, 204 or 304, and none before a switch of protocols.
    if (status === 101 || (method === Method.CONNECT && status >= 200 && status < 300)) {
      f = (f & ~HeadFlag.UNTIL_CLOSE) | HeadFlag.UPGRADE | HeadFlag.NO_BODY;
    } else if (status < 200) {
      f = (f & ~HeadFlag.UNTIL_CLOSE) | HeadFlag.INFORMATIONAL | HeadFlag.NO_BODY;
    } else if (method === Method.HEAD || status === 204 || status === 304) {
      f = (f & ~HeadFlag.UNTIL_CLOSE) | HeadFlag.NO_BODY;
    }
    if ((f & HeadFlag.UNTIL_CLOSE) !== 0 || suspect) f &= ~HeadFlag.KEEP_ALIVE;
    if ((f & HeadFlag.NO_BODY) === 0 && this.hCL > this.maxBody) return this.fail(ParseError.BODY_TOO_LARGE, p);
    this.hFlags = f;
    this.headRecord(hs, p, status, rs, re, version, f, firstHeader);
    return p;
  }

  /** Write a HEAD record, at the literal offsets of HEAD_RECORD (parser-core.ts). */
  private headRecord(hs: number, p: number, method: number, ts: number, te: number, version: number, f: number, firstHeader: number): void {
    const ev = this.events, w = this.eventWords;
    ev[w] = EventKind.HEAD;
    ev[w + 1] = hs; // START
    ev[w + 2] = p; // END
    ev[w + 3] = method;
    ev[w + 4] = ts; // TARGET_START
    ev[w + 5] = te; // TARGET_END
    ev[w + 6] = version;
    ev[w + 7] = f; // FLAGS
    const cl = this.hCL;
    if (cl < 0) {
      ev[w + 8] = -1; // CL_LOW
      ev[w + 9] = -1; // CL_HIGH
    } else {
      ev[w + 8] = cl % TWO32;
      ev[w + 9] = Math.floor(cl / TWO32);
    }
    ev[w + 10] = firstHeader; // FIRST_HEADER
    ev[w + 11] = this.headerCount - firstHeader; // HEADER_COUNT
    this.eventWords = w + Layout.HEAD_WORDS;
  }

  /**
   * Field lines from `p` up to and including the blank line. `head` says
   * whether these are a head's fields (framing fields are interpreted) or
   * trailers. `hs` is where the size limit is counted from.
   */
  private parseFields(buf: Uint8Array, p: number, end: number, hs: number, head: boolean): number {
    const maxHead = this.maxHead, hdr = this.headers;
    let count = 0;
    for (;;) {
      if (p >= end) return NEED;
      let b = buf[p];
      if (b === CR) {
        if (p + 1 >= end) return NEED;
        if (buf[p + 1] !== LF) return this.fail(ParseError.INVALID_LINE_ENDING, p + 1);
        p += 2;
        if (p - hs > maxHead) return this.fail(ParseError.HEADERS_TOO_LARGE, hs + maxHead);
        return p;
      }
      if (b === LF) return this.fail(ParseError.INVALID_LINE_ENDING, p);
      if (b === SP || b === HT) return this.fail(ParseError.OBS_FOLD, p);
      const ns = p;
      while (p < end && TOKEN[buf[p]] === 1) p++;
      if (p >= end) return NEED;
      b = buf[p];
      if (b !== COLON) {
        if (b === SP || b === HT) return this.fail(ParseError.SPACE_BEFORE_COLON, p);
        return this.fail(ParseError.INVALID_HEADER_NAME, p);
      }
      if (p === ns) return this.fail(ParseError.INVALID_HEADER_NAME, p);
      const ne = p;
      p++;
      while (p < end && (buf[p] === SP || buf[p] === HT)) p++;
      const vs = p;
      while (p < end && VALUE[buf[p]] === 1) p++;
      if (p >= end) return NEED;
      b = buf[p];
      if (b !== CR) return this.fail(b === LF ? ParseError.INVALID_LINE_ENDING : ParseError.INVALID_HEADER_VALUE, p);
      if (p + 1 >= end) return NEED;
      if (buf[p + 1] !== LF) return this.fail(ParseError.INVALID_LINE_ENDING, p + 1);
      let ve = p;
      while (ve > vs && (buf[ve - 1] === SP || buf[ve - 1] === HT)) ve--;
      p += 2;
      if (p - hs > maxHead) return this.fail(ParseError.HEADERS_TOO_LARGE, hs + maxHead);
      if (++count > this.maxHeaders) return this.fail(ParseError.TOO_MANY_HEADERS, ns);
      const h = this.headerCount++ * 4;
      hdr[h] = ns;
      hdr[h + 1] = ne;
      hdr[h + 2] = vs;
      hdr[h + 3] = ve;
      if (head && this.special(buf, ns, ne, vs, ve) === FAIL) return FAIL;
    }
  }

  /** Interpret the fields that decide framing and connection semantics. */
  private special(buf: Uint8Array, ns: number, ne: number, vs: number, ve: number): number {
    const len = ne - ns;
    switch (len) {
      case 4:
        if (!this.response && eqLower(buf, ns, ne, "host")) {
          if ((this.hFlags & HeadFlag.HAS_HOST) !== 0) return this.fail(ParseError.DUPLICATE_HOST, ns);
          this.hFlags |= HeadFlag.HAS_HOST;
        }
        return 0;
      case 6:
        if (eqLower(buf, ns, ne, "expect")) {
          this.hFlags |= eqLower(buf, vs, ve, "100-continue") ? HeadFlag.EXPECT_CONTINUE : HeadFlag.EXPECT_OTHER;
        }
        return 0;
      case 7:
        // Upgrade = #protocol (RFC 9110 §7.8): an empty list proposes nothing to switch to.
        if (eqLower(buf, ns, ne, "upgrade") && hasListElement(buf, vs, ve)) this.hFlags |= HeadFlag.HAS_UPGRADE;
        return 0;
      case 10:
        if (eqLower(buf, ns, ne, "connection")) this.connection(buf, vs, ve);
        return 0;
      case 14:
        if (eqLower(buf, ns, ne, "content-length")) return this.contentLength(buf, vs, ve);
        return 0;
      case 17:
        if (eqLower(buf, ns, ne, "transfer-encoding")) return this.transferEncoding(buf, vs, ve);
        return 0;
    }
    return 0;
  }

  /** Content-Length = 1*DIGIT (RFC 9110 §8.6), one field line only. */
  private contentLength(buf: Uint8Array, vs: number, ve: number): number {
    // A response may repeat it with the same value (RFC 9112 §6.3 item 5); a request may not.
    const again = (this.hFlags & HeadFlag.CONTENT_LENGTH) !== 0;
    if (again && !this.response) return this.fail(ParseError.DUPLICATE_CONTENT_LENGTH, vs);
    // Refused as soon as both are seen, not at the end of the head (as llhttp does); a response's TE wins instead.
    if ((this.hFlags & HeadFlag.HAS_TRANSFER_ENCODING) !== 0 && !this.response) return this.fail(ParseError.TE_WITH_CONTENT_LENGTH, vs);
    if (vs === ve) return this.fail(ParseError.INVALID_CONTENT_LENGTH, vs);
    let n = 0;
    for (let i = vs; i < ve; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) return this.fail(ParseError.INVALID_CONTENT_LENGTH, i);
      n = n * 10 + d;
      if (n > Number.MAX_SAFE_INTEGER) return this.fail(ParseError.INVALID_CONTENT_LENGTH, i);
    }
    if (again && n !== this.hCL) return this.fail(ParseError.DUPLICATE_CONTENT_LENGTH, vs);
    this.hFlags |= HeadFlag.CONTENT_LENGTH;
    this.hCL = n;
    return 0;
  }

  /** Transfer-Encoding = #transfer-coding; chunked must come last, once (RFC 9112 §6.1). */
  private transferEncoding(buf: Uint8Array, p: number, ve: number): number {
    if ((this.hFlags & HeadFlag.CONTENT_LENGTH) !== 0 && !this.response) return this.fail(ParseError.TE_WITH_CONTENT_LENGTH, p);
    this.hFlags |= HeadFlag.HAS_TRANSFER_ENCODING;
    for (;;) {
      while (p < ve && (buf[p] === SP || buf[p] === HT || buf[p] === COMMA)) p++;
      if (p >= ve) return 0;
      const s = p;
      while (p < ve && TOKEN[buf[p]] === 1) p++;
      if (p === s) return this.badCoding(p);
      // A coding after chunked means chunked is not final, or appears twice: a request is refused;
      // a response is read until the connection closes (RFC 9112 §6.3 item 4), unless chunked comes last again.
      if ((this.hFlags & HeadFlag.CHUNKED) !== 0) {
        if (!this.response) return this.fail(ParseError.INVALID_TRANSFER_ENCODING, s);
        this.hFlags &= ~HeadFlag.CHUNKED;
      }
      if (eqLower(buf, s, p, "chunked")) this.hFlags |= HeadFlag.CHUNKED;
      else this.hFlags |= HeadFlag.OTHER_CODING;
      while (p < ve && (buf[p] === SP || buf[p] === HT)) p++;
      if (p < ve && buf[p] === SEMI) {
        // chunked takes no parameters (RFC 9112 §7); other codings are refused with 501 anyway.
        if ((this.hFlags & HeadFlag.CHUNKED) !== 0) return this.badCoding(p);
        // transfer-parameters (";" name=value) are skipped up to the next comma.
        while (p < ve && buf[p] !== COMMA) {
          const c = buf[p];
          if (c !== SP && c !== HT && c !== SEMI && c !== EQ && c !== DQUOTE && TOKEN[c] === 0) return this.badCoding(p);
          p++;
        }
      } else if (p < ve && buf[p] !== COMMA) {
        return this.badCoding(p); // e.g. "chunked chunked"
      }
    }
  }

  /**
   * A malformed Transfer-Encoding at `p`: a request is refused; in a response
   * chunked is then not known to be the final coding, so the body is read
   * until the connection closes (RFC 9112 §6.3 item 4), as llhttp does.
   */
  private badCoding(p: number): number {
    if (!this.response) return this.fail(ParseError.INVALID_TRANSFER_ENCODING, p);
    this.hFlags = (this.hFlags & ~HeadFlag.CHUNKED) | HeadFlag.OTHER_CODING;
    return 0;
  }

  /** Connection = #connection-option: close, keep-alive and upgrade are what matter here. */
  private connection(buf: Uint8Array, p: number, ve: number): void {
    while (p < ve) {
      while (p < ve && (buf[p] === SP || buf[p] === HT || buf[p] === COMMA)) p++;
      const s = p;
      while (p < ve && buf[p] !== COMMA) p++;
      let e = p;
      while (e > s && (buf[e - 1] === SP || buf[e - 1] === HT)) e--;
      const len = e - s;
      if (len === 5 && eqLower(buf, s, e, "close")) this.hFlags |= HeadFlag.CONNECTION_CLOSE;
      else if (len === 10 && eqLower(buf, s, e, "keep-alive")) this.hFlags |= HeadFlag.CONNECTION_KEEP_ALIVE;
      else if (len === 7 && eqLower(buf, s, e, "upgrade")) this.hFlags |= HeadFlag.CONNECTION_UPGRADE;
    }
  }

  /**
   * chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1). Sets io.remaining to the
   * size; returns the offset after the CRLF, NEED or FAIL. No whitespace is
   * accepted around the size or the extensions (as llhttp in strict mode).
   */
  private parseChunkSize(buf: Uint8Array, start: number, end: number, io: CoreIO): number {
    let p = start, size = 0;
    while (p < end) {
      const d = HEX[buf[p]];
      if (d < 0) break;
      size = size * 16 + d;
      if (size > Number.MAX_SAFE_INTEGER) return this.fail(ParseError.INVALID_CHUNK_SIZE, p);
      p++;
    }
    // At most 16 hex digits: bounds the bytes kept while the line is incomplete.
    if (p - start > MAX_CHUNK_SIZE_DIGITS) return this.fail(ParseError.INVALID_CHUNK_SIZE, start + MAX_CHUNK_SIZE_DIGITS);
    if (p >= end) return NEED;
    if (p === start) return this.fail(ParseError.INVALID_CHUNK_SIZE, p);
    const xs = p;
    while (buf[p] === SEMI) {
      p++;
      const ns = p;
      while (p < end && TOKEN[buf[p]] === 1) p++;
      if (p >= end) break;
      if (p === ns) return this.fail(ParseError.INVALID_CHUNK_EXTENSION, p);
      if (buf[p] === EQ) {
        p++;
        if (p >= end) break;
        if (buf[p] === DQUOTE) {
          p++;
          for (;;) {
            if (p >= end) break;
            const c = buf[p];
            if (c === DQUOTE) { p++; break; }
            if (c === BSLASH) {
              if (p + 1 >= end) { p = end; break; }
              if (VALUE[buf[p + 1]] === 0) return this.fail(ParseError.INVALID_CHUNK_EXTENSION, p + 1);
              p += 2;
            } else if (QDTEXT[c] === 1) {
              p++;
            } else {
              return this.fail(ParseError.INVALID_CHUNK_EXTENSION, p);
            }
          }
        } else {
          const vs = p;
          while (p < end && TOKEN[buf[p]] === 1) p++;
          if (p === vs && p < end) return this.fail(ParseError.INVALID_CHUNK_EXTENSION, p);
        }
      }
      if (p - xs > this.maxExt) return this.fail(ParseError.CHUNK_EXTENSION_TOO_LONG, xs + this.maxExt);
      if (p >= end) break;
    }
    if (p - xs > this.maxExt) return this.fail(ParseError.CHUNK_EXTENSION_TOO_LONG, xs + this.maxExt);
    if (p >= end) return NEED;
    const b = buf[p];
    if (b !== CR) {
      if (b === LF) return this.fail(ParseError.INVALID_LINE_ENDING, p);
      return this.fail(p === xs ? ParseError.INVALID_CHUNK_SIZE : ParseError.INVALID_CHUNK_EXTENSION, p);
    }
    if (p + 1 >= end) return NEED;
    if (buf[p + 1] !== LF) return this.fail(ParseError.INVALID_LINE_ENDING, p + 1);
    if (io.bodySoFar + size > this.maxBody) return this.fail(ParseError.BODY_TOO_LARGE, start);
    io.bodySoFar += size;
    io.remaining = size;
    return p + 2;
  }
}
