/**
 * Checks of the header fields a handler sets on a response: a name must be a
 * token, a value must not split the response. Handlers set the same few
 * names and values over and over, so the answers are remembered (a bounded
 * number of them) and the string of the call before is a pointer check.
 */

/** A field name must be a token (RFC 9110 §5.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value must not contain CR, LF or NUL (response splitting), nor characters beyond latin1. */
const BAD_VALUE = /[\r\n\0]|[^\u0000-\u00ff]/;
/** Most names and values remembered; past it, new ones are checked every time. */
const KNOWN_MAX = 1024;
/** Values longer than this are not remembered (they are rarely sent twice). */
const KNOWN_VALUE_LENGTH = 64;

/** Names already checked, with their lower-case form. */
const knownNames = new Map<string, string>();
let lastName = "content-type";
let lastLower = "content-type";

/** The lower-case form of a valid field name, or null if `name` is not a token. */
export function lowerName(name: string): string | null {
  // Most calls pass the very string of the call before (a literal in the handler): a pointer check.
  if (name === lastName) return lastLower;
  const known = knownNames.get(name);
  if (known !== undefined) {
    lastName = name;
    lastLower = known;
    return known;
  }
  if (typeof name !== "string" || !TOKEN.test(name)) return null;
  const lower = name.toLowerCase();
  if (knownNames.size < KNOWN_MAX) knownNames.set(name, lower);
  lastName = name;
  lastLower = lower;
  return lower;
}

/** Short values already checked. */
const knownValues = new Set<string>();
let lastValue = "";

/** Whether `v` may stand as a field value. */
export function validValue(v: string): boolean {
  if (v === lastValue) return true;
  if (knownValues.has(v)) {
    lastValue = v;
    return true;
  }
  if (BAD_VALUE.test(v)) return false;
  if (v.length <= KNOWN_VALUE_LENGTH && knownValues.size < KNOWN_MAX) knownValues.add(v);
  lastValue = v;
  return true;
}

/** The error for a value of field `name` that {@link validValue} refused. */
export function badValue(name: string): TypeError {
  return new TypeError(`header ${name}: value contains CR, LF, NUL or a non-latin1 character`);
}
