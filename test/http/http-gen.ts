/**
 * fast-check arbitraries for raw HTTP/1.1 requests: mostly valid, some
 * slightly malformed (odd bytes in the method, target, names and values,
 * bare LF/CR line ends, obs-fold, wrong or conflicting framing, bad chunk
 * sizes and extensions, truncation). A request is kept as a structure and
 * turned into bytes by `requestBytes`, so fast-check shrinks a failure to
 * the smallest structure that still fails. Shared by the segmentation and
 * node-differential suites.
 */
import { fc } from "@fast-check/vitest";

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/** Bytes that break a part of a request somewhere (as latin1 chars). */
const ODD = ["\x00", "\x01", "\x7f", "\x80", "\xff", " ", "\t", "\r", "\n", ":", ";", ",", '"', "\\", "@", "(", "/", "="];
/** Visible ASCII, as request-target bytes. */
const TARGET_CHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));
/** field-value bytes: VCHAR, SP, HTAB and obs-text. */
const VALUE_CHARS = [...TARGET_CHARS, " ", "\t", "\x80", "\xe9", "\xff"];

/** How often a part gets an odd byte: 1 in ODD_ONE_IN. */
const ODD_ONE_IN = 40;

/** `base`, sometimes with one odd byte inserted (or a char replaced) somewhere. */
function withOdd(base: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const odd = fc.tuple(base, fc.nat(), fc.constantFrom(...ODD), fc.boolean()).map(([s, at, c, replace]) => {
    const i = s.length === 0 ? 0 : at % (s.length + 1);
    return s.slice(0, i) + c + s.slice(replace ? i + 1 : i);
  });
  return fc.oneof({ arbitrary: base, weight: ODD_ONE_IN - 1 }, { arbitrary: odd, weight: 1 });
}

const token = (max: number) => fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: max });

/** A line end: nearly always CRLF, sometimes a bare LF or a bare CR. */
const eol = fc.oneof({ arbitrary: fc.constant("\r\n"), weight: 150 }, { arbitrary: fc.constant("\n"), weight: 1 }, { arbitrary: fc.constant("\r"), weight: 1 });

const method = withOdd(
  fc.oneof(
    { arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "QUERY"), weight: 40 },
    { arbitrary: fc.constantFrom("CONNECT", "M-SEARCH", "PURGE", "get", "MKCOLA"), weight: 1 },
    { arbitrary: token(8), weight: 1 },
  ),
);

const target = withOdd(
  fc.oneof(
    { arbitrary: fc.constantFrom("/", "/index.html", "/a/b?c=d&e=f", "/%41%7e", "*", "http://example.com/x", "/p;q=1#f"), weight: 4 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...TARGET_CHARS), maxLength: 24 }).map((s) => "/" + s), weight: 2 },
    { arbitrary: fc.constantFrom("example.com:443", "foo", "//x", "http:/x"), weight: 1 },
  ),
);

const version = fc.oneof(
  { arbitrary: fc.constant("HTTP/1.1"), weight: 60 },
  { arbitrary: fc.constant("HTTP/1.0"), weight: 12 },
  { arbitrary: fc.constantFrom("HTTP/2.0", "HTTP/1.2", "http/1.1", "HTTP/1.1 ", "HTTP/11", "HTTP/0.9"), weight: 1 },
);

const fieldName = withOdd(
  fc.oneof(
    { arbitrary: fc.constantFrom("Accept", "User-Agent", "X-Custom", "Cookie", "Expect", "Upgrade", "Connection", "Trailer"), weight: 3 },
    { arbitrary: token(12), weight: 2 },
  ),
);

const fieldValue = withOdd(
  fc.oneof(
    { arbitrary: fc.constantFrom("", "*/*", "a b  c", "gzip, deflate", "v\tw", "\"quoted\"", "close", "keep-alive", "upgrade", "100-continue", "websocket"), weight: 2 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...VALUE_CHARS), maxLength: 30 }), weight: 3 },
  ),
);

export interface GenField {
  name: string;
  value: string;
  /** Space after the colon (OWS), and trailing whitespace. */
  pre: string;
  post: string;
  /** An obs-fold continuation line after this one, or null. */
  fold: string | null;
  eol: string;
}

const field: fc.Arbitrary<GenField> = fc.record({
  name: fieldName,
  value: fieldValue,
  pre: fc.constantFrom(" ", " ", " ", "", "\t", "  "),
  post: fc.constantFrom("", "", "", "", " ", "\t"),
  fold: fc.oneof({ arbitrary: fc.constant(null), weight: 60 }, { arbitrary: fc.constantFrom(" folded", "\tmore"), weight: 1 }),
  eol,
});

/** How the declared Content-Length relates to the body that follows. */
type LengthStyle = "exact" | "more" | "less" | "plus" | "list" | "space" | "two";
type SizeStyle = "exact" | "upper" | "space" | "0x" | "bad" | "long-zeros";

export interface GenChunk {
  data: Uint8Array;
  ext: string;
  size: SizeStyle;
}

export type GenFraming =
  | { kind: "none" }
  | { kind: "length"; body: Uint8Array; style: LengthStyle }
  | { kind: "chunked"; te: string; chunks: GenChunk[]; lastExt: string; trailers: GenField[]; alsoLength: boolean; dataEnd: string };

export interface GenRequest {
  lead: string;
  method: string;
  target: string;
  version: string;
  lineEol: string;
  host: string | null;
  fields: GenField[];
  framing: GenFraming;
  endEol: string;
}

const bodyBytes = (max: number) => fc.uint8Array({ maxLength: max });
const ext = fc.oneof(
  { arbitrary: fc.constant(""), weight: 16 },
  { arbitrary: fc.constantFrom(";a", ";a=b", ';a="x y"', ';q="\\"\\\\"', ";a=b;c", ";name=" + "v".repeat(12)), weight: 3 },
  { arbitrary: fc.constantFrom(";;", ";a=", " ;a", ";a =b", ';a="x', ";\x00"), weight: 1 },
);

const chunk: fc.Arbitrary<GenChunk> = fc.record({
  data: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  ext,
  size: fc.oneof({ arbitrary: fc.constant<SizeStyle>("exact"), weight: 40 }, { arbitrary: fc.constantFrom<SizeStyle>("upper", "long-zeros"), weight: 2 }, { arbitrary: fc.constantFrom<SizeStyle>("space", "0x", "bad"), weight: 1 }),
});

const framing: fc.Arbitrary<GenFraming> = fc.oneof(
  { arbitrary: fc.constant<GenFraming>({ kind: "none" }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant("length" as const),
      body: bodyBytes(64),
      style: fc.oneof({ arbitrary: fc.constant<LengthStyle>("exact"), weight: 30 }, { arbitrary: fc.constantFrom<LengthStyle>("more", "less", "plus", "list", "space", "two"), weight: 1 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("chunked" as const),
      te: fc.oneof({ arbitrary: fc.constant("chunked"), weight: 30 }, { arbitrary: fc.constantFrom("Chunked", "gzip, chunked", "chunked, chunked", "chunked;a=b", "identity", "chunked , ", ", chunked"), weight: 1 }),
      chunks: fc.array(chunk, { maxLength: 4 }),
      lastExt: ext,
      trailers: fc.array(field, { maxLength: 2 }),
      alsoLength: fc.oneof({ arbitrary: fc.constant(false), weight: 40 }, { arbitrary: fc.constant(true), weight: 1 }),
      dataEnd: fc.oneof({ arbitrary: fc.constant("\r\n"), weight: 60 }, { arbitrary: fc.constantFrom("\n", "", "x\r\n"), weight: 1 }),
    }),
    weight: 3,
  },
);

export const request: fc.Arbitrary<GenRequest> = fc.record({
  lead: fc.oneof({ arbitrary: fc.constant(""), weight: 40 }, { arbitrary: fc.constantFrom("\r\n", "\n", " "), weight: 1 }),
  method,
  target,
  version,
  lineEol: eol,
  host: fc.oneof({ arbitrary: fc.constant("example.com"), weight: 30 }, { arbitrary: fc.constantFrom("", "a:1"), weight: 1 }, { arbitrary: fc.constant(null), weight: 1 }),
  fields: fc.array(field, { maxLength: 6 }),
  framing,
  endEol: eol,
});

/** One to three requests back to back, sometimes cut short at the end. */
export const stream = fc.record({
  requests: fc.array(request, { minLength: 1, maxLength: 3 }),
  cut: fc.oneof({ arbitrary: fc.constant(null), weight: 8 }, { arbitrary: fc.nat(), weight: 1 }),
});

const latin1 = (s: string) => Buffer.from(s, "latin1");

function fieldBytes(f: GenField): string {
  return `${f.name}:${f.pre}${f.value}${f.post}${f.fold === null ? "" : f.eol + f.fold}${f.eol}`;
}

function sizeText(n: number, style: SizeStyle): string {
  const hex = n.toString(16);
  switch (style) {
    case "exact":
      return hex;
    case "upper":
      return hex.toUpperCase();
    case "long-zeros":
      return "000" + hex;
    case "space":
      return hex + " ";
    case "0x":
      return "0x" + hex;
    case "bad":
      return "g" + hex;
  }
}

function lengthText(n: number, style: LengthStyle): string {
  switch (style) {
    case "exact":
      return `Content-Length: ${n}\r\n`;
    case "more":
      return `Content-Length: ${n + 1}\r\n`;
    case "less":
      return `Content-Length: ${Math.max(0, n - 1)}\r\n`;
    case "plus":
      return `Content-Length: +${n}\r\n`;
    case "list":
      return `Content-Length: ${n}, ${n}\r\n`;
    case "space":
      return `Content-Length: ${n} 0\r\n`;
    case "two":
      return `Content-Length: ${n}\r\nContent-Length: ${n}\r\n`;
  }
}

/** The wire bytes of one request. */
export function requestBytes(r: GenRequest): Buffer {
  let head = `${r.lead}${r.method} ${r.target} ${r.version}${r.lineEol}`;
  if (r.host !== null) head += `Host: ${r.host}\r\n`;
  for (const f of r.fields) head += fieldBytes(f);
  const fr = r.framing;
  const parts: Buffer[] = [];
  if (fr.kind === "length") {
    head += lengthText(fr.body.length, fr.style);
    parts.push(latin1(head + r.endEol), Buffer.from(fr.body));
  } else if (fr.kind === "chunked") {
    head += `Transfer-Encoding: ${fr.te}\r\n`;
    if (fr.alsoLength) head += "Content-Length: 3\r\n";
    parts.push(latin1(head + r.endEol));
    for (const c of fr.chunks) {
      parts.push(latin1(`${sizeText(c.data.length, c.size)}${c.ext}\r\n`), Buffer.from(c.data), latin1(fr.dataEnd));
    }
    let tail = `0${fr.lastExt}\r\n`;
    for (const t of fr.trailers) tail += fieldBytes(t);
    parts.push(latin1(tail + "\r\n"));
  } else {
    parts.push(latin1(head + r.endEol));
  }
  return Buffer.concat(parts);
}

/** The wire bytes of a stream of requests (cut short when `cut` is set). */
export function streamBytes(s: { requests: GenRequest[]; cut: number | null }): Buffer {
  const all = Buffer.concat(s.requests.map(requestBytes));
  return s.cut === null || all.length === 0 ? all : all.subarray(0, s.cut % all.length);
}
