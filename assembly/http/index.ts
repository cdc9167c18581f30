// The HTTP/1.1 request parser core (entry of http-parser.wasm).
//
// The same algorithm as the TypeScript twin (src/http/parser/ts-core.ts),
// state for state, so both write the same event and header tables; the driver
// in src/http/parser/parser.ts serves both. What differs is speed: the two long scans
// of a request (the request-target and each field value) look at 16 bytes at
// a time with v128 compares and a bitmask.
//
// JS copies a connection's bytes into INPUT once, writes the connection's few
// numbers into CONTROL, calls run() (or runResponse(), for the response mode
// of a client: status-lines, response framing, and the requests waited on,
// one byte each in CONTROL's EXPECT), and reads back events, headers and
// CONTROL. No state stays in here between calls, so one instance serves every
// connection (10,000 idle ones cost nothing in linear memory).
//
// Memory layout (runtime "stub": nothing is allocated; regions are fixed and
// only INPUT grows, by whole pages):
//
//   0          TABLES         HEAP                 +128       +128+16K        INPUT
//   ┌──────────┬──────────────┬────────────────────┬──────────┬──────────────┬──────────────────────┐
//   │ AS data  │ class[256]   │ CONTROL            │ EVENTS   │ HEADERS      │ input bytes + 16 B   │
//   │ (strings)│ hex[256]     │ (128 B)            │ 4096 i32 │ cap * 4 i32  │ slack for v128 loads │
//   │          │ methods[37*] │                    │          │              │ (grows)              │
//   └──────────┴──────────────┴────────────────────┴──────────┴──────────────┴──────────────────────┘
//
// CONTROL (Control in constants.ts):
//   ┌────────┬────────┬────────────────┬────────────────┬────────┬────────────┬─────────────┬─────────────┬─────────┬──────────────────┐
//   │ +0 i32 │ +4 i32 │ +8 f64         │ +16 f64        │ +24 i32│ +28 i32    │ +32 i32     │ +36 i32     │ +40..63 │ +64 u8[64]       │
//   │ state  │ flags  │ remaining      │ bodySoFar      │ more   │ eventWords │ expectCount │ expectMore  │ unused  │ EXPECT: method   │
//   │        │        │                │                │        │            │ (responses) │ (responses) │         │ ids, oldest first│
//   └────────┴────────┴────────────────┴────────────────┴────────┴────────────┴─────────────┴─────────────┴─────────┴──────────────────┘
//
// Records of EVENTS and HEADERS are described in constants.ts (EventKind,
// HeadRecord, Layout); offsets count from the start of INPUT.

import { Control, EventKind, HeadFlag, HeadRecord, LAYOUT_HASH, Layout, Method, METHOD_COUNT, METHODS, ParseError, ParserState } from "./constants";

@inline const CR: u32 = 13;
@inline const LF: u32 = 10;
@inline const SP: u32 = 32;
@inline const HT: u32 = 9;
@inline const COLON: u32 = 58;
@inline const SEMI: u32 = 59;
@inline const EQ: u32 = 61;
@inline const DQUOTE: u32 = 34;
@inline const BSLASH: u32 = 92;
@inline const COMMA: u32 = 44;
@inline const SLASH: u32 = 47;
@inline const STAR: u32 = 42;
@inline const QUESTION: u32 = 63;
@inline const HASH: u32 = 35;
@inline const AT: u32 = 64;
@inline const DOT: u32 = 46;
@inline const DIGIT_0: u32 = 48;
@inline const DIGIT_1: u32 = 49;
@inline const DIGIT_9: u32 = 57;
@inline const LOWER_A: u32 = 97;
@inline const LOWER_Z: u32 = 122;
/** The ASCII case bit: `c | LOWER` lower-cases a letter. */
@inline const LOWER: u32 = 0x20;
/** Bytes of "HTTP/x.y", and with its CRLF. */
@inline const VERSION_BYTES: i32 = 8;
@inline const VERSION_LINE: i32 = 10;
/** Hex digits a chunk size may have, at most: bounds what is kept while its line is cut short. */
@inline const MAX_CHUNK_SIZE_DIGITS: i32 = 16;
@inline const NEED: i32 = -1;
@inline const FAIL: i32 = -2;
/** Response mode: a head arrived for a request beyond those in EXPECT (the call stops early). */
@inline const STOP: i32 = -3;
/** Bytes of "HTTP/x.y SP 3DIGIT", the fixed start of a status-line. */
@inline const STATUS_PREFIX: i32 = 12;
@inline const MAX_SAFE: f64 = 9007199254740991.0;
@inline const TWO32: f64 = 4294967296.0;
@inline const PAGE: usize = 65536;

// Byte classes, one bit each (RFC 9110 §5.6.2 tchar, §5.5 field-vchar, §5.6.4 qdtext).
@inline const C_TOKEN: u8 = 1;
@inline const C_TARGET: u8 = 2;
@inline const C_VALUE: u8 = 4;
@inline const C_QDTEXT: u8 = 8;

// Method table: per id, 1 length byte then up to 15 name bytes.
@inline const METHOD_SLOT: usize = 16;

const CLASS: usize = memory.data(256);
const HEX: usize = memory.data(256);
const METHOD_TABLE: usize = memory.data(<i32>METHOD_SLOT * METHOD_COUNT);

// --- lookup tables, built once at instantiation -------------------------------
function buildTables(): void {
  const tokens = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let i = 0; i < tokens.length; i++) store<u8>(CLASS + <usize>tokens.charCodeAt(i), C_TOKEN);
  for (let c: u32 = 0; c < 256; c++) {
    let k = load<u8>(CLASS + c);
    if (c > 0x20 && c < 0x7f) k |= C_TARGET;
    if ((c >= 0x20 && c != 0x7f) || c == HT) k |= C_VALUE;
    if (((c >= 0x20 && c != 0x7f) || c == HT) && c != DQUOTE && c != BSLASH) k |= C_QDTEXT;
    store<u8>(CLASS + c, k);
    let h: i32 = -1;
    if (c >= 48 && c <= 57) h = <i32>c - 48;
    else if (c >= 65 && c <= 70) h = <i32>c - 55;
    else if (c >= 97 && c <= 102) h = <i32>c - 87;
    store<i8>(HEX + c, <i8>h);
  }
  // "GET HEAD ..." -> slot 1, 2, ...; slot 0 stays empty (unknown).
  let id: usize = 1, n: usize = 0;
  for (let i = 0; i <= METHODS.length; i++) {
    const c = i < METHODS.length ? METHODS.charCodeAt(i) : 32;
    if (c == 32) {
      store<u8>(METHOD_TABLE + id * METHOD_SLOT, <u8>n);
      id++;
      n = 0;
    } else {
      n++;
      store<u8>(METHOD_TABLE + id * METHOD_SLOT + n, <u8>c);
    }
  }
}
buildTables();

// --- regions and limits -------------------------------------------------------
let CONTROL: usize = 0;
let EVENTS: usize = 0;
let HEADERS: usize = 0;
let INPUT: usize = 0;
let inputCap: usize = 0;
let headerCapacity: i32 = 0;

let maxLine: i32 = 8192;
let maxHead: i32 = 16384;
let maxHeaders: i32 = 100;
let maxExt: i32 = 4096;
let maxBody: f64 = 1048576.0;
let requireHost: bool = true;

// Per-run outputs.
let eventWords: i32 = 0;
let headerCount: i32 = 0;
let errCode: i32 = 0;
let errAt: i32 = 0;
let hFlags: i32 = 0;
let hCL: f64 = -1.0;
let remaining: f64 = 0.0;
let bodySoFar: f64 = 0.0;
let ioFlags: i32 = 0;
// Response mode: set by runResponse for its call; `ended` counts the messages ended in a call.
let response: bool = false;
let expectCount: i32 = 0;
let expectMore: bool = false;
let ended: i32 = 0;

/** Set the limits and lay out the regions. Call once, before anything else. */
export function configure(line: i32, head: i32, headers: i32, ext: i32, body: f64, host: i32): void {
  maxLine = line;
  maxHead = head;
  maxHeaders = headers;
  maxExt = ext;
  maxBody = body;
  requireHost = host != 0;
  headerCapacity = max<i32>(Layout.MIN_HEADER_ROWS, 4 * headers + 4);
  CONTROL = (__heap_base + 15) & ~15;
  EVENTS = CONTROL + Control.BYTES;
  HEADERS = EVENTS + <usize>(Layout.EVENT_CAPACITY * 4);
  INPUT = HEADERS + <usize>(headerCapacity * Layout.HEADER_WORDS * 4);
  inputCap = 0;
  reserve(Layout.INITIAL_INPUT);
}

/** Make INPUT hold at least `len` bytes (plus 16 of slack for v128 loads); returns its address. */
export function reserve(len: i32): usize {
  const need = INPUT + <usize>len + 16;
  const have = <usize>memory.size() * PAGE;
  if (need > have) {
    const pages = <i32>((need - have + PAGE - 1) / PAGE);
    if (memory.grow(pages) < 0) unreachable();
  }
  inputCap = <usize>len;
  return INPUT;
}

/** Hash of the constants shared with JS this module was built with (constants.ts: LAYOUT_HASH). */
export function layoutHash(): i32 { return LAYOUT_HASH; }

export function control(): usize { return CONTROL; }
export function events(): usize { return EVENTS; }
export function headers(): usize { return HEADERS; }
export function input(): usize { return INPUT; }

// --- helpers ------------------------------------------------------------------
@inline function at(p: i32): u32 {
  return <u32>load<u8>(INPUT + <usize>p);
}
@inline function cls(p: i32): u8 {
  return load<u8>(CLASS + <usize>load<u8>(INPUT + <usize>p));
}
@inline function fail(code: i32, where: i32): i32 {
  errCode = code;
  errAt = where;
  return FAIL;
}
/** Write a small record: kind, a, b (EventKind). */
@inline function small(kind: i32, a: i32, b: i32): void {
  const e = EVENTS + <usize>(eventWords << 2);
  store<i32>(e, kind);
  store<i32>(e, a, 4);
  store<i32>(e, b, 8);
  eventWords += Layout.SMALL_WORDS;
}

// Case-insensitive matches of the few names and tokens the parser interprets,
// a word at a time against little-endian constants (the caller checks the
// length). `| 0x20` lower-cases letters and keeps the other bytes these words
// hold ('-', digits); the only other bytes it maps onto them are controls,
// which never reach a name or a value. A word compare is much cheaper than
// walking a string, for the few names every request has.
@inline function lc8(p: i32): u32 { return at(p) | 0x20; }
@inline function lc16(p: i32): u32 { return <u32>load<u16>(INPUT + <usize>p) | 0x2020; }
@inline function lc32(p: i32): u32 { return load<u32>(INPUT + <usize>p) | 0x20202020; }
@inline function lc64(p: i32): u64 { return load<u64>(INPUT + <usize>p) | 0x2020202020202020; }
@inline function isHost(p: i32): bool { return lc32(p) == 0x74736f68; }
@inline function isExpect(p: i32): bool { return lc32(p) == 0x65707865 && lc16(p + 4) == 0x7463; }
@inline function isUpgrade(p: i32): bool { return lc32(p) == 0x72677075 && lc16(p + 4) == 0x6461 && lc8(p + 6) == 0x65; }
@inline function isConnection(p: i32): bool { return lc64(p) == 0x697463656e6e6f63 && lc16(p + 8) == 0x6e6f; }
@inline function isContentLength(p: i32): bool { return lc64(p) == 0x2d746e65746e6f63 && lc32(p + 8) == 0x676e656c && lc16(p + 12) == 0x6874; }
@inline function isTransferEncoding(p: i32): bool { return lc64(p) == 0x726566736e617274 && lc64(p + 8) == 0x6e69646f636e652d && lc8(p + 16) == 0x67; }
@inline function is100Continue(p: i32): bool { return lc64(p) == 0x746e6f632d303031 && lc32(p + 8) == 0x65756e69; }
@inline function isClose(p: i32): bool { return lc32(p) == 0x736f6c63 && lc8(p + 4) == 0x65; }
@inline function isKeepAlive(p: i32): bool { return lc64(p) == 0x696c612d7065656b && lc16(p + 8) == 0x6576; }
@inline function isChunked(p: i32): bool { return lc32(p) == 0x6e756863 && lc16(p + 4) == 0x656b && lc8(p + 6) == 0x64; }

/** First offset in [p, end) holding a byte outside 0x21-0x7E (end if none): the end of a request-target. */
@inline function scanTarget(p: i32, end: i32): i32 {
  const lo = i8x16.splat(0x21);
  const hi = i8x16.splat(0x7e);
  while (p < end) {
    const v = v128.load(INPUT + <usize>p);
    const bad = v128.or(i8x16.lt_u(v, lo), i8x16.gt_u(v, hi));
    const m = i8x16.bitmask(bad);
    if (m != 0) {
      p += ctz<i32>(m);
      return p < end ? p : end;
    }
    p += 16;
  }
  return end;
}

/** First offset in [p, end) holding a control byte other than HTAB (end if none): the end of a field value. */
@inline function scanValue(p: i32, end: i32): i32 {
  const sp = i8x16.splat(0x20);
  const ht = i8x16.splat(0x09);
  const del = i8x16.splat(0x7f);
  while (p < end) {
    const v = v128.load(INPUT + <usize>p);
    const bad = v128.or(v128.and(i8x16.lt_u(v, sp), i8x16.ne(v, ht)), i8x16.eq(v, del));
    const m = i8x16.bitmask(bad);
    if (m != 0) {
      p += ctz<i32>(m);
      return p < end ? p : end;
    }
    p += 16;
  }
  return end;
}

/**
 * The request-target has one of the four forms of RFC 9112 §3.2:
 * origin-form ("/" ...), asterisk-form ("*" alone), absolute-form
 * (scheme ":" ..., scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )),
 * or, for CONNECT only, authority-form. With `partial`, [ts, te) is the
 * start of a target still arriving: true while it can still become one.
 */
function targetForm(ts: i32, te: i32, method: i32, partial: bool): bool {
  const b = at(ts);
  if (b == SLASH) return true;
  if (b == STAR) return te - ts == 1;
  if (method == Method.CONNECT) return authorityForm(ts, te, partial);
  if ((b | LOWER) < LOWER_A || (b | LOWER) > LOWER_Z) return false;
  for (let i = ts + 1; i < te; i++) {
    const c = at(i);
    if (c == COLON) return authorityOk(ts, i + 1, te, partial);
    const l = c | 0x20;
    if (!((l >= LOWER_A && l <= LOWER_Z) || (c >= DIGIT_0 && c <= DIGIT_9) || c == 43 || c == 45 || c == 46)) return false; // + - .
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
function authorityOk(ts: i32, p: i32, te: i32, partial: bool): bool {
  if (te - p < 2 || at(p) != SLASH || at(p + 1) != SLASH) return true;
  let host = p + 2;
  let i = host;
  for (; i < te; i++) {
    const c = at(i);
    if (c == SLASH || c == QUESTION || c == HASH) break;
    if (c == 34 || c == 60 || c == 62 || c == 92 || c == 94 || c == 96 || c == 123 || c == 124 || c == 125) return false;
    if (c == AT) host = i + 1; // after userinfo "@"
  }
  if ((i == te && partial) || !httpScheme(ts, p - 1)) return true;
  return host < i && at(host) != COLON;
}

/**
 * CONNECT's authority-form (RFC 9112 §3.2.3): uri-host ":" port, with the
 * host's bytes those of RFC 3986 §3.2.2 (reg-name, IPv4, or an IP literal in
 * brackets) and the port digits. With `partial`, true while it can still be.
 */
function authorityForm(ts: i32, te: i32, partial: bool): bool {
  let colon = -1;
  for (let i = ts; i < te; i++) {
    const c = at(i);
    if (c == COLON) colon = i;
    else if (!hostByte(c)) return false;
  }
  if (partial) return true;
  if (colon <= ts) return false;
  for (let i = colon + 1; i < te; i++) {
    const c = at(i);
    if (c < DIGIT_0 || c > DIGIT_9) return false;
  }
  return true;
}

/** A byte of a host (RFC 3986 §3.2.2): unreserved, sub-delims, "%" of pct-encoded, and the brackets of an IP literal. */
function hostByte(c: u32): bool {
  const l = c | 0x20;
  if ((l >= LOWER_A && l <= LOWER_Z) || (c >= DIGIT_0 && c <= DIGIT_9)) return true;
  // - . _ ~ ! $ & ' ( ) * + , ; = % [ ]
  return c == 45 || c == 46 || c == 95 || c == 126 || c == 33 || c == 36 || (c >= 38 && c <= 44) || c == 59 || c == 61 || c == 37 || c == 91 || c == 93;
}

/** [s, e) is "http" or "https", in any case. */
function httpScheme(s: i32, e: i32): bool {
  const n = e - s;
  if (n != 4 && n != 5) return false;
  if ((at(s) | 0x20) != 104 || (at(s + 1) | 0x20) != 116 || (at(s + 2) | 0x20) != 116 || (at(s + 3) | 0x20) != 112) return false;
  return n == 4 || (at(s + 4) | 0x20) == 115;
}

/** [s, e) is the start of some method of the table (only asked when a head is cut inside its method). */
function methodPrefix(s: i32, e: i32): bool {
  const len = e - s;
  for (let id = 1; id < METHOD_COUNT; id++) {
    const slot = METHOD_TABLE + <usize>id * METHOD_SLOT;
    if (<i32>load<u8>(slot) < len) continue;
    let i = 0;
    while (i < len && <u32>load<u8>(slot + 1 + <usize>i) == at(s + i)) i++;
    if (i == len) return true;
  }
  return false;
}

/** Method id of [s, e), or 0. */
function methodId(s: i32, e: i32): i32 {
  const len = e - s;
  const w = load<u32>(INPUT + <usize>s);
  // GET and POST without the table walk: "GET " and "POST" as little-endian words.
  if (len == 3 && w == 0x20544547) return Method.GET;
  if (len == 4 && w == 0x54534f50) return Method.POST;
  for (let id = 1; id < METHOD_COUNT; id++) {
    const slot = METHOD_TABLE + <usize>id * METHOD_SLOT;
    if (<i32>load<u8>(slot) != len) continue;
    let i = 0;
    while (i < len && <u32>load<u8>(slot + 1 + <usize>i) == at(s + i)) i++;
    if (i == len) return id;
  }
  return 0;
}

// --- the parser -----------------------------------------------------------------

/** Parse INPUT[from, end) for the connection whose numbers are in CONTROL; returns the consumed offset. */
export function run(from: i32, end: i32): i32 {
  response = false;
  return loop(from, end);
}

/** The same in response mode, for the requests in CONTROL's EXPECT. */
export function runResponse(from: i32, end: i32): i32 {
  response = true;
  expectCount = load<i32>(CONTROL, Control.EXPECT_COUNT);
  expectMore = load<i32>(CONTROL, Control.EXPECT_MORE) != 0;
  return loop(from, end);
}

function loop(from: i32, end: i32): i32 {
  let state = load<i32>(CONTROL, Control.STATE);
  ioFlags = load<i32>(CONTROL, Control.FLAGS);
  remaining = load<f64>(CONTROL, Control.REMAINING);
  bodySoFar = load<f64>(CONTROL, Control.BODY_SO_FAR);
  let more = 0;
  eventWords = 0;
  headerCount = 0;
  ended = 0;
  let p = from;
  while (true) {
    if (eventWords + Layout.EVENT_RESERVE > Layout.EVENT_CAPACITY || headerCount + maxHeaders + 1 > headerCapacity) {
      if (p < end) more = 1;
      break;
    }
    if (state == ParserState.HEAD && response) {
      if (p >= end) break;
      const first = headerCount;
      const r = parseStatusHead(p, end);
      if (r == NEED || r == STOP) {
        headerCount = first;
        p = errAt;
        if (r == STOP) more = 1;
        break;
      }
      if (r == FAIL) { state = error(); break; }
      const f = hFlags;
      p = r;
      if ((f & HeadFlag.INFORMATIONAL) != 0) continue; // the final response follows
      ioFlags = f;
      bodySoFar = 0;
      if ((f & HeadFlag.NO_BODY) != 0) {
        state = endMessage(p, 0, 0);
        if (state == ParserState.UPGRADED) break;
      } else if ((f & HeadFlag.CHUNKED) != 0) {
        state = ParserState.CHUNK_SIZE;
      } else if ((f & HeadFlag.UNTIL_CLOSE) != 0) {
        state = ParserState.BODY_UNTIL_CLOSE;
      } else if (hCL > 0) {
        remaining = hCL;
        state = ParserState.BODY_LENGTH;
      } else {
        state = endMessage(p, 0, 0);
      }
    } else if (state == ParserState.HEAD) {
      if (p >= end) break;
      const first = headerCount;
      const r = parseHead(p, end);
      if (r == NEED) {
        headerCount = first;
        p = errAt;
        break;
      }
      if (r == FAIL) { state = error(); break; }
      const f = hFlags;
      ioFlags = f;
      bodySoFar = 0;
      p = r;
      if ((f & HeadFlag.CONNECT) != 0) {
        state = endMessage(p, 0, 0);
      } else if ((f & HeadFlag.CHUNKED) != 0) {
        state = ParserState.CHUNK_SIZE;
      } else if (hCL > 0) {
        remaining = hCL;
        state = ParserState.BODY_LENGTH;
      } else {
        state = endMessage(p, 0, 0);
      }
      if (state == ParserState.UPGRADED) break;
    } else if (state == ParserState.BODY_LENGTH || state == ParserState.CHUNK_DATA) {
      if (p >= end) break;
      const avail = <f64>(end - p);
      const n = <i32>(remaining < avail ? remaining : avail);
      small(EventKind.BODY, p, p + n);
      p += n;
      remaining -= <f64>n;
      if (remaining == 0) {
        if (state == ParserState.CHUNK_DATA) {
          state = ParserState.CHUNK_DATA_END;
        } else {
          state = endMessage(p, 0, 0);
          if (state == ParserState.UPGRADED) break;
        }
      }
    } else if (state == ParserState.CHUNK_SIZE) {
      const r = parseChunkSize(p, end);
      if (r == NEED) break;
      if (r == FAIL) { state = error(); break; }
      p = r;
      state = remaining == 0 ? ParserState.TRAILERS : ParserState.CHUNK_DATA;
    } else if (state == ParserState.CHUNK_DATA_END) {
      if (p >= end) break;
      if (at(p) != CR) { fail(ParseError.MISSING_CHUNK_CRLF, p); state = error(); break; }
      if (p + 1 >= end) break;
      if (at(p + 1) != LF) { fail(ParseError.MISSING_CHUNK_CRLF, p + 1); state = error(); break; }
      p += 2;
      state = ParserState.CHUNK_SIZE;
    } else if (state == ParserState.TRAILERS) {
      if (p >= end) break;
      const first = headerCount;
      const r = parseFields(p, end, p, false);
      if (r == NEED) {
        headerCount = first;
        if (end - p > maxHead) { fail(ParseError.HEADERS_TOO_LARGE, p); state = error(); }
        break;
      }
      if (r == FAIL) { state = error(); break; }
      p = r;
      state = endMessage(p, first, headerCount - first);
      if (state == ParserState.UPGRADED) break;
    } else if (state == ParserState.BODY_UNTIL_CLOSE) {
      if (p >= end) break;
      const room = maxBody - bodySoFar;
      if (<f64>(end - p) > room) {
        // The bytes up to the limit are reported first, as when they arrive on their own.
        const stop = p + <i32>room;
        if (stop > p) small(EventKind.BODY, p, stop);
        fail(ParseError.BODY_TOO_LARGE, stop);
        state = error();
        break;
      }
      small(EventKind.BODY, p, end);
      bodySoFar += <f64>(end - p);
      p = end;
    } else if (state == ParserState.CLOSED) {
      // A response stream may end in stray empty lines, as llhttp allows; a request stream may not.
      if (response) while (p < end && (at(p) == CR || at(p) == LF)) p++;
      if (p < end) { fail(ParseError.DATA_AFTER_CLOSE, p); state = error(); }
      break;
    } else {
      break; // UPGRADED or ERROR: nothing more to parse
    }
  }
  store<i32>(CONTROL, state, Control.STATE);
  store<i32>(CONTROL, ioFlags, Control.FLAGS);
  store<f64>(CONTROL, remaining, Control.REMAINING);
  store<f64>(CONTROL, bodySoFar, Control.BODY_SO_FAR);
  store<i32>(CONTROL, more, Control.MORE);
  store<i32>(CONTROL, eventWords, Control.EVENT_WORDS);
  return p;
}

function error(): i32 {
  small(EventKind.ERROR, errCode, errAt);
  return ParserState.ERROR;
}

/** Emit END (and UPGRADE); return the state that follows the message. */
function endMessage(p: i32, firstTrailer: i32, trailerCount: i32): i32 {
  small(EventKind.END, firstTrailer, trailerCount);
  ended++;
  const f = ioFlags;
  if ((f & HeadFlag.UPGRADE) != 0) {
    small(EventKind.UPGRADE, p, 0);
    return ParserState.UPGRADED;
  }
  return (f & HeadFlag.KEEP_ALIVE) != 0 ? ParserState.HEAD : ParserState.CLOSED;
}

/** A head was cut short: NEED (errAt = head start) unless it is already over a limit. */
function needHead(hs: i32, end: i32, inRequestLine: bool): i32 {
  if (inRequestLine && end - hs > maxLine) return fail(ParseError.REQUEST_LINE_TOO_LONG, hs + maxLine);
  if (end - hs > maxHead) return fail(ParseError.HEADERS_TOO_LARGE, hs + maxHead);
  errAt = hs;
  return NEED;
}

/**
 * One request head from `start`: the offset after its blank line, NEED or FAIL.
 * States, in order (RFC 9112 §3, §5): empty lines, method, SP, request-target,
 * SP, HTTP-version, CRLF, field lines, CRLF. A partial head is re-parsed from
 * its start on the next call, so every state checks the bytes it has and
 * reports NEED only when the data runs out.
 */
function parseHead(start: i32, end: i32): i32 {
  let p = start;
  // RFC 9112 §2.2: a server SHOULD ignore empty lines received before a request-line.
  // Like llhttp, any CR or LF byte there is skipped: they belong to no message.
  while (p < end && (at(p) == CR || at(p) == LF)) p++;
  if (p >= end) { errAt = p; return NEED; }
  const hs = p;
  // method = token
  while (p < end && (cls(p) & C_TOKEN) != 0) p++;
  if (p >= end) {
    // Reject a method that cannot become a known one without waiting for its end (as llhttp does).
    if (!methodPrefix(hs, p)) return fail(ParseError.UNKNOWN_METHOD, hs);
    return needHead(hs, end, true);
  }
  let b = at(p);
  if (b != SP) {
    if (!methodPrefix(hs, p)) return fail(ParseError.UNKNOWN_METHOD, hs); // the same answer as when cut here
    return fail(p > hs && (b == CR || b == LF || b == HT) ? ParseError.INVALID_REQUEST_LINE : ParseError.INVALID_METHOD, p);
  }
  if (p == hs) return fail(ParseError.INVALID_METHOD, p);
  const method = methodId(hs, p);
  if (method == 0) return fail(ParseError.UNKNOWN_METHOD, hs);
  p++;
  // request-target: visible ASCII only (RFC 9112 §3.2), found 16 bytes at a time.
  const ts = p;
  p = scanTarget(p, end);
  if (p - hs > maxLine) return fail(ParseError.REQUEST_LINE_TOO_LONG, hs + maxLine);
  if (p >= end) {
    // What has come of the target must be able to start one of its forms: a bad byte is refused when it arrives.
    if (p > ts && !targetForm(ts, p, method, true)) return fail(ParseError.INVALID_TARGET, ts);
    return needHead(hs, end, true);
  }
  b = at(p);
  if (b != SP) {
    if (p == ts) return fail(ParseError.INVALID_REQUEST_LINE, p);
    // The same verdict as when the input was cut right here.
    if (!targetForm(ts, p, method, true)) return fail(ParseError.INVALID_TARGET, ts);
    // "GET /" + CRLF is an HTTP/0.9 request-line (no version).
    if (b == CR || b == LF) return fail(ParseError.UNSUPPORTED_VERSION, p);
    return fail(ParseError.INVALID_TARGET, p);
  }
  if (p == ts) return fail(ParseError.INVALID_REQUEST_LINE, p);
  const te = p;
  if (!targetForm(ts, te, method, false)) return fail(ParseError.INVALID_TARGET, ts);
  p++;
  // HTTP-version CRLF, byte by byte so a partial line fails as early as it can.
  const vs = p;
  const avail = min<i32>(end - vs, VERSION_LINE);
  if (avail == VERSION_LINE && load<u32>(INPUT + <usize>vs) == 0x50545448 && load<u16>(INPUT + <usize>vs + 4) == 0x312f
      && at(vs + 6) == DOT && (at(vs + 7) == DIGIT_1 || at(vs + 7) == DIGIT_0) && load<u16>(INPUT + <usize>vs + 8) == 0x0a0d) {
    // the common case: "HTTP/1.1\r\n" or "HTTP/1.0\r\n"
  } else {
    for (let i = 0; i < avail; i++) {
      const c = at(vs + i);
      let ok = true;
      if (i < 5) ok = c == <u32>"HTTP/".charCodeAt(i);
      else if (i == 5 || i == 7) ok = c >= DIGIT_0 && c <= DIGIT_9;
      else if (i == 6) ok = c == DOT;
      else if (i == 8) {
        if (c != CR) return fail(c == LF ? ParseError.INVALID_LINE_ENDING : ParseError.INVALID_VERSION, vs + i);
      } else {
        if (c != LF) return fail(ParseError.INVALID_LINE_ENDING, vs + i);
      }
      if (!ok) return fail(ParseError.INVALID_VERSION, vs + i);
      if (i == 7) {
        if (at(vs + 5) != DIGIT_1 || c > DIGIT_1) return fail(ParseError.UNSUPPORTED_VERSION, vs + 5);
      }
    }
  }
  if (vs + VERSION_BYTES - hs > maxLine) return fail(ParseError.REQUEST_LINE_TOO_LONG, hs + maxLine);
  if (avail < VERSION_LINE) return needHead(hs, end, false);
  const version = 10 + <i32>(at(vs + 7) - DIGIT_0); // 10 * major + minor, major being 1
  p = vs + VERSION_LINE;
  // field lines
  const firstHeader = headerCount;
  hFlags = 0;
  hCL = -1.0;
  const r = parseFields(p, end, hs, true);
  if (r == NEED) return needHead(hs, end, false);
  if (r == FAIL) return FAIL;
  p = r;
  // Framing and connection semantics (RFC 9112 §6.3, §9.3).
  let f = hFlags;
  if ((f & HeadFlag.HAS_TRANSFER_ENCODING) != 0) {
    if ((f & HeadFlag.CONTENT_LENGTH) != 0) return fail(ParseError.TE_WITH_CONTENT_LENGTH, p);
    if ((f & HeadFlag.CHUNKED) == 0) return fail(ParseError.INVALID_TRANSFER_ENCODING, p);
    if ((f & HeadFlag.OTHER_CODING) != 0) return fail(ParseError.UNSUPPORTED_TRANSFER_CODING, p);
  }
  if (version == 11) {
    if (requireHost && (f & HeadFlag.HAS_HOST) == 0) return fail(ParseError.MISSING_HOST, p);
    if ((f & HeadFlag.CONNECTION_CLOSE) == 0) f |= HeadFlag.KEEP_ALIVE;
    // RFC 9110 §7.8: Upgrade needs the upgrade connection option; it is ignored in HTTP/1.0.
    const both = HeadFlag.CONNECTION_UPGRADE | HeadFlag.HAS_UPGRADE;
    if ((f & both) == both) f |= HeadFlag.UPGRADE;
  } else {
    if ((f & (HeadFlag.CONNECTION_KEEP_ALIVE | HeadFlag.CONNECTION_CLOSE)) == HeadFlag.CONNECTION_KEEP_ALIVE) f |= HeadFlag.KEEP_ALIVE;
    // RFC 9112 §6.1: chunked in HTTP/1.0 is faulty framing; close after this message.
    if ((f & HeadFlag.CHUNKED) != 0) f &= ~HeadFlag.KEEP_ALIVE;
  }
  if (method == Method.CONNECT) f |= HeadFlag.CONNECT | HeadFlag.UPGRADE;
  if (method == Method.PRI) f |= HeadFlag.UPGRADE; // the HTTP/2 connection preface: hand over
  if (hCL > maxBody) return fail(ParseError.BODY_TOO_LARGE, p);
  hFlags = f;
  headRecord(hs, p, method, ts, te, version, f, firstHeader);
  return p;
}

/**
 * Response mode: one response head from `start` (RFC 9112 §4), for the
 * request `ended` places after the oldest one waiting. The offset after its
 * blank line, NEED or STOP (errAt = where the head starts, after skipped
 * empty lines) or FAIL. Bytes are checked in order, each against the prefix
 * before it, so a head cut anywhere fails as it does whole.
 */
function parseStatusHead(start: i32, end: i32): i32 {
  let p = start;
  // Empty lines before a head are skipped, as in request mode (RFC 9112 §2.2).
  while (p < end && (at(p) == CR || at(p) == LF)) p++;
  if (p >= end) { errAt = p; return NEED; }
  const hs = p;
  if (ended >= expectCount) {
    if (!expectMore) return fail(ParseError.UNEXPECTED_RESPONSE, hs);
    errAt = hs;
    return STOP;
  }
  const method = <i32>load<u8>(CONTROL + <usize>Control.EXPECT + <usize>ended);
  // "HTTP/" DIGIT "." DIGIT SP 3DIGIT, each byte checked as it arrives.
  const avail = min<i32>(end - hs, STATUS_PREFIX);
  for (let i = 0; i < avail; i++) {
    if (i >= maxLine) return fail(ParseError.STATUS_LINE_TOO_LONG, hs + maxLine);
    const c = at(hs + i);
    if (i < 5) {
      if (c != <u32>"HTTP/".charCodeAt(i)) return fail(ParseError.INVALID_VERSION, hs + i);
    } else if (i == 5 || i == 7) {
      if (c < DIGIT_0 || c > DIGIT_9) return fail(ParseError.INVALID_VERSION, hs + i);
      if (i == 7 && (at(hs + 5) != DIGIT_1 || c > DIGIT_1)) return fail(ParseError.UNSUPPORTED_VERSION, hs + 5);
    } else if (i == 6) {
      if (c != DOT) return fail(ParseError.INVALID_VERSION, hs + i);
    } else if (i == 8) {
      if (c != SP) return fail(ParseError.INVALID_STATUS_LINE, hs + i);
    } else if (c < DIGIT_0 || c > DIGIT_9 || (i == 9 && c == DIGIT_0)) {
      return fail(ParseError.INVALID_STATUS, hs + i);
    }
  }
  if (avail < STATUS_PREFIX) return needHead(hs, end, true);
  const version = 10 + <i32>(at(hs + 7) - DIGIT_0);
  const status = <i32>(at(hs + 9) - DIGIT_0) * 100 + <i32>(at(hs + 10) - DIGIT_0) * 10 + <i32>(at(hs + 11) - DIGIT_0);
  p = hs + STATUS_PREFIX;
  if (p >= end) return needHead(hs, end, true);
  // SP reason-phrase, or no SP and no reason (accepted, as llhttp does).
  let b = at(p);
  if (b == SP) p++;
  else if (b == LF) return fail(ParseError.INVALID_LINE_ENDING, p);
  else if (b != CR) return fail(ParseError.INVALID_STATUS, p);
  const rs = p;
  p = scanValue(p, end);
  if (p - hs > maxLine) return fail(ParseError.STATUS_LINE_TOO_LONG, hs + maxLine);
  if (p >= end) return needHead(hs, end, true);
  b = at(p);
  if (b != CR) return fail(b == LF ? ParseError.INVALID_LINE_ENDING : ParseError.INVALID_STATUS_LINE, p);
  if (p + 1 >= end) return needHead(hs, end, false);
  if (at(p + 1) != LF) return fail(ParseError.INVALID_LINE_ENDING, p + 1);
  const re = p;
  p += 2;
  const firstHeader = headerCount;
  hFlags = 0;
  hCL = -1.0;
  const r = parseFields(p, end, hs, true);
  if (r == NEED) return needHead(hs, end, false);
  if (r == FAIL) return FAIL;
  p = r;
  // Framing (RFC 9112 §6.3) and persistence (§9.3) of a response.
  let f = hFlags;
  let suspect = false;
  if ((f & HeadFlag.HAS_TRANSFER_ENCODING) != 0) {
    // Transfer-Encoding overrides Content-Length (item 3), but the sender is suspect: close after it.
    suspect = (f & HeadFlag.CONTENT_LENGTH) != 0;
    f &= ~HeadFlag.CONTENT_LENGTH;
    hCL = -1.0;
    if ((f & HeadFlag.CHUNKED) == 0) f |= HeadFlag.UNTIL_CLOSE; // item 4
  } else if ((f & HeadFlag.CONTENT_LENGTH) == 0) {
    f |= HeadFlag.UNTIL_CLOSE; // item 8
  }
  if (version == 11) {
    if ((f & HeadFlag.CONNECTION_CLOSE) == 0) f |= HeadFlag.KEEP_ALIVE;
  } else {
    if ((f & (HeadFlag.CONNECTION_KEEP_ALIVE | HeadFlag.CONNECTION_CLOSE)) == HeadFlag.CONNECTION_KEEP_ALIVE) f |= HeadFlag.KEEP_ALIVE;
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing; close after it.
    if ((f & HeadFlag.HAS_TRANSFER_ENCODING) != 0) f &= ~HeadFlag.KEEP_ALIVE;
  }
  // Items 1 and 2: no body after HEAD, a 1xx, 204 or 304, and none before a switch of protocols.
  if (status == 101 || (method == Method.CONNECT && status >= 200 && status < 300)) {
    f = (f & ~HeadFlag.UNTIL_CLOSE) | HeadFlag.UPGRADE | HeadFlag.NO_BODY;
  } else if (status < 200) {
    f = (f & ~HeadFlag.UNTIL_CLOSE) | HeadFlag.INFORMATIONAL | HeadFlag.NO_BODY;
  } else if (method == Method.HEAD || status == 204 || status == 304) {
    f = (f & ~HeadFlag.UNTIL_CLOSE) | HeadFlag.NO_BODY;
  }
  if ((f & HeadFlag.UNTIL_CLOSE) != 0 || suspect) f &= ~HeadFlag.KEEP_ALIVE;
  if ((f & HeadFlag.NO_BODY) == 0 && hCL > maxBody) return fail(ParseError.BODY_TOO_LARGE, p);
  hFlags = f;
  headRecord(hs, p, status, rs, re, version, f, firstHeader);
  return p;
}

/** Write a HEAD record (HeadRecord); in response mode `method` is the status and [ts, te) the reason. */
function headRecord(hs: i32, p: i32, method: i32, ts: i32, te: i32, version: i32, f: i32, firstHeader: i32): void {
  const e = EVENTS + <usize>(eventWords << 2);
  store<i32>(e, EventKind.HEAD, HeadRecord.KIND << 2);
  store<i32>(e, hs, HeadRecord.START << 2);
  store<i32>(e, p, HeadRecord.END << 2);
  store<i32>(e, method, HeadRecord.METHOD << 2);
  store<i32>(e, ts, HeadRecord.TARGET_START << 2);
  store<i32>(e, te, HeadRecord.TARGET_END << 2);
  store<i32>(e, version, HeadRecord.VERSION << 2);
  store<i32>(e, f, HeadRecord.FLAGS << 2);
  if (hCL < 0) {
    store<i32>(e, -1, HeadRecord.CL_LOW << 2);
    store<i32>(e, -1, HeadRecord.CL_HIGH << 2);
  } else {
    const hi = Math.floor(hCL / TWO32);
    store<i32>(e, <i32><u32>(hCL - hi * TWO32), HeadRecord.CL_LOW << 2);
    store<i32>(e, <i32>hi, HeadRecord.CL_HIGH << 2);
  }
  store<i32>(e, firstHeader, HeadRecord.FIRST_HEADER << 2);
  store<i32>(e, headerCount - firstHeader, HeadRecord.HEADER_COUNT << 2);
  eventWords += Layout.HEAD_WORDS;
}

/**
 * Field lines from `p` up to and including the blank line; `head` says
 * whether framing fields are interpreted (a head) or not (trailers). The
 * size limit counts from `hs`. Rejects, per RFC 9112 §5: whitespace before
 * the colon, obs-fold (a line starting with SP/HTAB), bare CR or LF, and
 * control bytes in values. Trailing whitespace is not part of a value.
 */
function parseFields(start: i32, end: i32, hs: i32, head: bool): i32 {
  let p = start;
  let count = 0;
  while (true) {
    if (p >= end) return NEED;
    let b = at(p);
    if (b == CR) {
      if (p + 1 >= end) return NEED;
      if (at(p + 1) != LF) return fail(ParseError.INVALID_LINE_ENDING, p + 1);
      p += 2;
      if (p - hs > maxHead) return fail(ParseError.HEADERS_TOO_LARGE, hs + maxHead);
      return p;
    }
    if (b == LF) return fail(ParseError.INVALID_LINE_ENDING, p);
    if (b == SP || b == HT) return fail(ParseError.OBS_FOLD, p);
    const ns = p;
    while (p < end && (cls(p) & C_TOKEN) != 0) p++;
    if (p >= end) return NEED;
    b = at(p);
    if (b != COLON) {
      if (b == SP || b == HT) return fail(ParseError.SPACE_BEFORE_COLON, p);
      return fail(ParseError.INVALID_HEADER_NAME, p);
    }
    if (p == ns) return fail(ParseError.INVALID_HEADER_NAME, p);
    const ne = p;
    p++;
    while (p < end && (at(p) == SP || at(p) == HT)) p++;
    const vs = p;
    p = scanValue(p, end);
    if (p >= end) return NEED;
    b = at(p);
    if (b != CR) return fail(b == LF ? ParseError.INVALID_LINE_ENDING : ParseError.INVALID_HEADER_VALUE, p);
    if (p + 1 >= end) return NEED;
    if (at(p + 1) != LF) return fail(ParseError.INVALID_LINE_ENDING, p + 1);
    let ve = p;
    while (ve > vs && (at(ve - 1) == SP || at(ve - 1) == HT)) ve--;
    p += 2;
    if (p - hs > maxHead) return fail(ParseError.HEADERS_TOO_LARGE, hs + maxHead);
    if (++count > maxHeaders) return fail(ParseError.TOO_MANY_HEADERS, ns);
    const h = HEADERS + <usize>(headerCount << 4);
    headerCount++;
    store<i32>(h, ns);
    store<i32>(h, ne, 4);
    store<i32>(h, vs, 8);
    store<i32>(h, ve, 12);
    if (head && special(ns, ne, vs, ve) == FAIL) return FAIL;
  }
  return FAIL; // not reached
}

/** Interpret the fields that decide framing and connection semantics, found by length first. */
function special(ns: i32, ne: i32, vs: i32, ve: i32): i32 {
  const len = ne - ns;
  if (len == 4) {
    if (!response && isHost(ns)) {
      if ((hFlags & HeadFlag.HAS_HOST) != 0) return fail(ParseError.DUPLICATE_HOST, ns);
      hFlags |= HeadFlag.HAS_HOST;
    }
  } else if (len == 6) {
    if (isExpect(ns)) hFlags |= ve - vs == 12 && is100Continue(vs) ? HeadFlag.EXPECT_CONTINUE : HeadFlag.EXPECT_OTHER;
  } else if (len == 7) {
    // Upgrade = #protocol (RFC 9110 §7.8): an empty list proposes nothing to switch to.
    if (isUpgrade(ns) && hasListElement(vs, ve)) hFlags |= HeadFlag.HAS_UPGRADE;
  } else if (len == 10) {
    if (isConnection(ns)) connection(vs, ve);
  } else if (len == 14) {
    if (isContentLength(ns)) return contentLength(vs, ve);
  } else if (len == 17) {
    if (isTransferEncoding(ns)) return transferEncoding(vs, ve);
  }
  return 0;
}

/** [vs, ve) holds a list element: a byte other than SP, HTAB and comma (RFC 9110 §5.6.1 lets lists have empty elements). */
function hasListElement(vs: i32, ve: i32): bool {
  for (let i = vs; i < ve; i++) {
    const c = at(i);
    if (c != SP && c != HT && c != COMMA) return true;
  }
  return false;
}

/** Content-Length = 1*DIGIT (RFC 9110 §8.6), on one field line only. */
function contentLength(vs: i32, ve: i32): i32 {
  // A response may repeat it with the same value (RFC 9112 §6.3 item 5); a request may not.
  const again = (hFlags & HeadFlag.CONTENT_LENGTH) != 0;
  if (again && !response) return fail(ParseError.DUPLICATE_CONTENT_LENGTH, vs);
  // Refused as soon as both are seen, not at the end of the head (as llhttp does); a response's TE wins instead.
  if ((hFlags & HeadFlag.HAS_TRANSFER_ENCODING) != 0 && !response) return fail(ParseError.TE_WITH_CONTENT_LENGTH, vs);
  if (vs == ve) return fail(ParseError.INVALID_CONTENT_LENGTH, vs);
  let n: f64 = 0;
  for (let i = vs; i < ve; i++) {
    const d = <i32>at(i) - 48;
    if (d < 0 || d > 9) return fail(ParseError.INVALID_CONTENT_LENGTH, i);
    n = n * 10 + <f64>d;
    if (n > MAX_SAFE) return fail(ParseError.INVALID_CONTENT_LENGTH, i);
  }
  if (again && n != hCL) return fail(ParseError.DUPLICATE_CONTENT_LENGTH, vs);
  hFlags |= HeadFlag.CONTENT_LENGTH;
  hCL = n;
  return 0;
}

/** Transfer-Encoding = #transfer-coding; chunked must come last, once (RFC 9112 §6.1, §6.3). */
function transferEncoding(start: i32, ve: i32): i32 {
  let p = start;
  if ((hFlags & HeadFlag.CONTENT_LENGTH) != 0 && !response) return fail(ParseError.TE_WITH_CONTENT_LENGTH, p);
  hFlags |= HeadFlag.HAS_TRANSFER_ENCODING;
  while (true) {
    while (p < ve && (at(p) == SP || at(p) == HT || at(p) == COMMA)) p++;
    if (p >= ve) return 0;
    const s = p;
    while (p < ve && (cls(p) & C_TOKEN) != 0) p++;
    if (p == s) return badCoding(p);
    // A coding after chunked: chunked is not final, or appears twice. A request is refused; a response
    // is read until the connection closes (RFC 9112 §6.3 item 4), unless chunked comes last again.
    if ((hFlags & HeadFlag.CHUNKED) != 0) {
      if (!response) return fail(ParseError.INVALID_TRANSFER_ENCODING, s);
      hFlags &= ~HeadFlag.CHUNKED;
    }
    if (p - s == 7 && isChunked(s)) hFlags |= HeadFlag.CHUNKED;
    else hFlags |= HeadFlag.OTHER_CODING;
    while (p < ve && (at(p) == SP || at(p) == HT)) p++;
    if (p < ve && at(p) == SEMI) {
      // chunked takes no parameters (RFC 9112 §7); other codings are refused with 501 anyway.
      if ((hFlags & HeadFlag.CHUNKED) != 0) return badCoding(p);
      // transfer-parameters (";" name=value) are skipped up to the next comma.
      while (p < ve && at(p) != COMMA) {
        const c = at(p);
        if (c != SP && c != HT && c != SEMI && c != EQ && c != DQUOTE && (cls(p) & C_TOKEN) == 0) return badCoding(p);
        p++;
      }
    } else if (p < ve && at(p) != COMMA) {
      return badCoding(p); // e.g. "chunked chunked"
    }
  }
  return 0; // not reached
}

/**
 * A malformed Transfer-Encoding at `p`: a request is refused; in a response
 * chunked is then not known to be the final coding, so the body is read
 * until the connection closes (RFC 9112 §6.3 item 4), as llhttp does.
 */
function badCoding(p: i32): i32 {
  if (!response) return fail(ParseError.INVALID_TRANSFER_ENCODING, p);
  hFlags = (hFlags & ~HeadFlag.CHUNKED) | HeadFlag.OTHER_CODING;
  return 0;
}

/** Connection = #connection-option: close, keep-alive and upgrade are what matter here. */
function connection(start: i32, ve: i32): void {
  let p = start;
  while (p < ve) {
    while (p < ve && (at(p) == SP || at(p) == HT || at(p) == COMMA)) p++;
    const s = p;
    while (p < ve && at(p) != COMMA) p++;
    let e = p;
    while (e > s && (at(e - 1) == SP || at(e - 1) == HT)) e--;
    const len = e - s;
    if (len == 5 && isClose(s)) hFlags |= HeadFlag.CONNECTION_CLOSE;
    else if (len == 10 && isKeepAlive(s)) hFlags |= HeadFlag.CONNECTION_KEEP_ALIVE;
    else if (len == 7 && isUpgrade(s)) hFlags |= HeadFlag.CONNECTION_UPGRADE;
  }
}

/**
 * chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1, §7.1.1). Sets `remaining` to
 * the size; returns the offset after the CRLF, NEED or FAIL. No whitespace is
 * accepted around the size or the extensions (as llhttp in strict mode), and
 * at most 16 hex digits, which bounds what is kept while the line is cut short.
 */
function parseChunkSize(start: i32, end: i32): i32 {
  let p = start;
  let size: f64 = 0;
  while (p < end) {
    const d = <i32>load<i8>(HEX + <usize>at(p));
    if (d < 0) break;
    size = size * 16 + <f64>d;
    if (size > MAX_SAFE) return fail(ParseError.INVALID_CHUNK_SIZE, p);
    p++;
  }
  if (p - start > MAX_CHUNK_SIZE_DIGITS) return fail(ParseError.INVALID_CHUNK_SIZE, start + MAX_CHUNK_SIZE_DIGITS);
  if (p >= end) return NEED;
  if (p == start) return fail(ParseError.INVALID_CHUNK_SIZE, p);
  const xs = p;
  while (at(p) == SEMI) {
    p++;
    const ns = p;
    while (p < end && (cls(p) & C_TOKEN) != 0) p++;
    if (p >= end) break;
    if (p == ns) return fail(ParseError.INVALID_CHUNK_EXTENSION, p);
    if (at(p) == EQ) {
      p++;
      if (p >= end) break;
      if (at(p) == DQUOTE) {
        p++;
        while (true) {
          if (p >= end) break;
          const c = at(p);
          if (c == DQUOTE) { p++; break; }
          if (c == BSLASH) {
            if (p + 1 >= end) { p = end; break; }
            if ((cls(p + 1) & C_VALUE) == 0) return fail(ParseError.INVALID_CHUNK_EXTENSION, p + 1);
            p += 2;
          } else if ((cls(p) & C_QDTEXT) != 0) {
            p++;
          } else {
            return fail(ParseError.INVALID_CHUNK_EXTENSION, p);
          }
        }
      } else {
        const vs = p;
        while (p < end && (cls(p) & C_TOKEN) != 0) p++;
        if (p == vs && p < end) return fail(ParseError.INVALID_CHUNK_EXTENSION, p);
      }
    }
    if (p - xs > maxExt) return fail(ParseError.CHUNK_EXTENSION_TOO_LONG, xs + maxExt);
    if (p >= end) break;
  }
  if (p - xs > maxExt) return fail(ParseError.CHUNK_EXTENSION_TOO_LONG, xs + maxExt);
  if (p >= end) return NEED;
  const b = at(p);
  if (b != CR) {
    if (b == LF) return fail(ParseError.INVALID_LINE_ENDING, p);
    return fail(p == xs ? ParseError.INVALID_CHUNK_SIZE : ParseError.INVALID_CHUNK_EXTENSION, p);
  }
  if (p + 1 >= end) return NEED;
  if (at(p + 1) != LF) return fail(ParseError.INVALID_LINE_ENDING, p + 1);
  if (bodySoFar + size > maxBody) return fail(ParseError.BODY_TOO_LARGE, start);
  bodySoFar += size;
  remaining = size;
  return p + 2;
}
