/**
 * The request line and header block a request is sent with, built as one
 * latin1 string (one write with the body when the body is small). Names
 * and values are checked here, so a field that would split the head (a CR
 * or LF in a value) is a TypeError naming it, never bytes on the wire.
 */
import { describeValue } from "../config/options.js";

/** Header fields as the caller may give them. */
export type HeadersInit =
  | Record<string, string | number | readonly string[] | undefined>
  | Iterable<readonly [string, string]>
  | { forEach(fn: (value: string, name: string) => void): void };

/** A token (RFC 9110 §5.6.2): methods and field names. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible latin1, spaces and tabs; no CR, LF or NUL. */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** One checked field, name as given. */
export type Field = [name: string, value: string];

function checkField(name: string, value: string): Field {
  if (!TOKEN.test(name)) throw new TypeError(`request(): invalid header name ${JSON.stringify(name)}`);
  const v = value.trim();
  if (!VALUE.test(v)) throw new TypeError(`request(): header ${name} has an invalid value ${JSON.stringify(value)} (CR, LF, NUL or a character beyond latin1)`);
  return [name, v];
}

/** The caller's headers as checked pairs, in order. */
export function normalizeHeaders(init: HeadersInit | undefined): Field[] {
  const out: Field[] = [];
  if (init === undefined || init === null) return out;
  if (typeof init !== "object") throw new TypeError(`request(): headers must be an object, an array of pairs or a Headers, got ${describeValue(init)}`);
  if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const pair of init as Iterable<readonly [string, string]>) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`request(): each header pair must be [name, value], got ${describeValue(pair)}`);
      out.push(checkField(String(pair[0]), String(pair[1])));
    }
    return out;
  }
  if (typeof (init as { forEach?: unknown }).forEach === "function" && !(Object.getPrototypeOf(init) === Object.prototype)) {
    (init as { forEach(fn: (v: string, n: string) => void): void }).forEach((v, n) => out.push(checkField(n, v)));
    return out;
  }
  for (const [name, v] of Object.entries(init as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push(checkField(name, String(x)));
    else out.push(checkField(name, String(v)));
  }
  return out;
}

/** Index of the first field named `lower` (lower-case), or -1. */
export function findField(fields: readonly Field[], lower: string): number {
  for (let i = 0; i < fields.length; i++) if (fields[i]![0].toLowerCase() === lower) return i;
  return -1;
}

/** The fields without those named in `drop` (lower-case names). */
export function withoutFields(fields: readonly Field[], drop: readonly string[]): Field[] {
  return fields.filter((f) => !drop.includes(f[0].toLowerCase()));
}

/** Check a method: a token, upper-cased if it is one of the standard ones. */
export function checkMethod(m: unknown): string {
  if (m === undefined) return "GET";
  if (typeof m !== "string" || !TOKEN.test(m)) throw new TypeError(`request(): invalid method ${describeValue(m)}`);
  const up = m.toUpperCase();
  return up === "GET" || up === "HEAD" || up === "POST" || up === "PUT" || up === "DELETE" || up === "OPTIONS" || up === "PATCH" || up === "TRACE" ? up : m;
}

/** How the body is framed on the wire. */
export const enum Framing {
  /** No body and no Content-Length (GET, HEAD...). */
  None = 0,
  /** Content-Length: n (given by the caller or known). */
  Length = 1,
  /** Transfer-Encoding: chunked. */
  Chunked = 2,
}

/**
 * The head: request line, Host (unless given), the caller's fields, and
 * the body's framing field (unless given). `length` is the body's length
 * for Framing.Length when the caller gave none.
 */
export function buildHead(method: string, target: string, host: string, fields: readonly Field[], framing: Framing, length: number, hasLengthField: boolean): string {
  let s = `${method} ${target} HTTP/1.1\r\n`;
  if (findField(fields, "host") < 0) s += `host: ${host}\r\n`;
  for (const [n, v] of fields) s += `${n}: ${v}\r\n`;
  if (framing === Framing.Length && !hasLengthField) s += `content-length: ${length}\r\n`;
  else if (framing === Framing.Chunked) s += "transfer-encoding: chunked\r\n";
  return s + "\r\n";
}
