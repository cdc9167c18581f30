/**
 * The errors of the HTTP client that are neither the socket's (`NetError`,
 * `TlsError`), the parser's (`HttpParseError`) nor a timeout
 * (`TimeoutError`): a redirect loop, a body used twice, a client closed,
 * a connection the server dropped before answering.
 */
import { TaskletError } from "../runtime/errors.js";

/**
 * The causes of an {@link HttpClientError}, one name each.
 *
 * @example
 * try {
 *   yield* request(url, { redirect: "follow" });
 * } catch (e) {
 *   if (e instanceof HttpClientError && e.code === HttpClientErrorCode.TOO_MANY_REDIRECTS) console.log("loop");
 * }
 */
export const HttpClientErrorCode = {
  /** More redirects than `maxRedirects` (20) were followed. */
  TOO_MANY_REDIRECTS: "TOO_MANY_REDIRECTS",
  /** A redirect's Location is missing or not an http(s) URL. */
  BAD_REDIRECT: "BAD_REDIRECT",
  /** The response body was read already (or discarded). */
  BODY_USED: "BODY_USED",
  /** The client was closed before or while the request ran. */
  CLIENT_CLOSED: "CLIENT_CLOSED",
  /** The server closed the connection before a complete response head. */
  NO_RESPONSE: "NO_RESPONSE",
  /** The request body did not match its Content-Length. */
  BODY_LENGTH: "BODY_LENGTH",
  /** The server answered a request that was not asked yet, or a protocol this client does not speak (101). */
  PROTOCOL: "PROTOCOL",
} as const;

/** One of {@link HttpClientErrorCode}. */
export type HttpClientErrorCodeName = keyof typeof HttpClientErrorCode;

/**
 * A failure of the HTTP client itself. `code` says which
 * ({@link HttpClientErrorCode}); `url` is the request's URL.
 *
 * @example
 * try {
 *   yield* request("http://127.0.0.1:8080/loop", { redirect: "follow" });
 * } catch (e) {
 *   if (e instanceof HttpClientError && e.code === "TOO_MANY_REDIRECTS") console.log(e.message);
 * }
 */
export class HttpClientError extends TaskletError {
  override name = "HttpClientError";
  /** What went wrong. */
  readonly code: HttpClientErrorCodeName;
  /** The URL of the request. */
  readonly url: string;
  constructor(code: HttpClientErrorCodeName, url: string, detail: string, cause?: unknown) {
    super(`${detail} (${code}, ${url})`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.url = url;
  }
}
