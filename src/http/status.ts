// Status codes: their reason phrases, which ones carry no body, and the
// checks of a status and reason phrase a handler sets.
import { STATUS_CODES } from "node:http";

/**
 * Reason phrases by status code: Node's table (`http.STATUS_CODES`), so a
 * client sees the same status line from this server as from node:http.
 */
export const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze(
  Object.fromEntries(Object.entries(STATUS_CODES).map(([code, text]) => [Number(code), text as string])),
);

/** Reason phrase of a status no table knows (node:http sends the same). */
export const UNKNOWN_STATUS_TEXT = "unknown";

/** Statuses whose responses never carry a body (RFC 9110 §6.4.1). */
export function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

/** Throws unless `status` is a status code a response can carry: an integer 100..999. */
export function checkStatus(status: unknown): number {
  if (typeof status !== "number") throw new TypeError(`status must be a number, got ${typeof status}`);
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RangeError(`status must be an integer from 100 to 999, got ${String(status)}`);
  }
  return status;
}

/**
 * A reason phrase is HTAB, SP, visible ASCII or obs-text (RFC 9112 §4):
 * no CR or LF (it would split the response), no other control character.
 */
const BAD_REASON = /[^\t\x20-\x7e\x80-\xff]/;

/** Throws unless `text` may stand as a reason phrase. */
export function checkStatusText(text: unknown): string {
  if (typeof text !== "string") throw new TypeError(`statusText must be a string, got ${typeof text}`);
  const bad = BAD_REASON.exec(text);
  if (bad !== null) {
    const code = bad[0].charCodeAt(0);
    throw new TypeError(
      `statusText ${JSON.stringify(text)} contains ${code > 0xff ? "a character beyond latin1" : `the control character 0x${code.toString(16).padStart(2, "0")}`} at ${bad.index}`,
    );
  }
  return text;
}
