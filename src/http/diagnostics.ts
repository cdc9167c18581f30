/**
 * The HTTP server's events on `node:diagnostics_channel`, named like
 * undici's (`undici:request:create`, `undici:request:headers`...):
 * `tasklet:http:request:start`, `tasklet:http:request:end` and
 * `tasklet:http:error`. The connection task tests `hasSubscribers` before
 * building anything, so a server nobody observes pays one property read per
 * request. An access log or tracing spans are built from them.
 */
import diagnostics_channel from "node:diagnostics_channel";
import { performance } from "node:perf_hooks";
import type { HttpRequest } from "./request.js";
import type { HttpResponse } from "./response.js";

/** Published when a request's handler is about to run. */
export const httpRequestStartChannel = diagnostics_channel.channel("tasklet:http:request:start");
/** Published when a request's response is complete (queued for writing), or the handler failed. */
export const httpRequestEndChannel = diagnostics_channel.channel("tasklet:http:request:end");
/** Published when the server answers an error of its own: a malformed request, a timeout, a handler's failure. */
export const httpErrorChannel = diagnostics_channel.channel("tasklet:http:error");

/**
 * The message of `tasklet:http:request:start`. The same `request` object
 * comes in the matching end message, so a subscriber can key a span on it.
 *
 * @example
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("tasklet:http:request:start", (m: unknown) => {
 *   const { request, remoteAddress } = m as HttpRequestStartMessage;
 *   console.log(`${remoteAddress} -> ${request.method} ${request.target}`);
 * });
 */
export interface HttpRequestStartMessage {
  readonly request: HttpRequest;
  /** The response the handler will write. */
  readonly response: HttpResponse;
  /** The client's address, "127.0.0.1:5123". */
  readonly remoteAddress: string;
}

/**
 * The message of `tasklet:http:request:end`.
 *
 * @example
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("tasklet:http:request:end", (m: unknown) => {
 *   const { request, status, bytesWritten, durationMs } = m as HttpRequestEndMessage;
 *   console.log(`${request.method} ${request.target} ${status} ${bytesWritten} ${durationMs.toFixed(1)}ms`);
 * });
 */
export interface HttpRequestEndMessage {
  readonly request: HttpRequest;
  readonly response: HttpResponse;
  readonly remoteAddress: string;
  /** The status sent (500 when the handler threw before sending its head). */
  readonly status: number;
  /** Bytes of the response (head and body, with chunked framing) queued for writing. */
  readonly bytesWritten: number;
  /** From the start message to the end of the response, in ms (performance.now()). */
  readonly durationMs: number;
}

/** Where the server met an error it answered itself. */
export type HttpErrorPhase = "parse" | "handler" | "timeout" | "connection" | "overload";

/**
 * The message of `tasklet:http:error`.
 *
 * @example
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("tasklet:http:error", (m: unknown) => {
 *   const { phase, error, remoteAddress } = m as HttpErrorMessage;
 *   console.error(`${remoteAddress}: ${phase} error`, error);
 * });
 */
export interface HttpErrorMessage {
  /** What went wrong: an HttpParseError (phase "parse"), a TimeoutError ("timeout"), what the handler threw ("handler"), an OverloadedError for a request answered 503 by admission control ("overload"). */
  readonly error: unknown;
  /** The request it concerns, when one was parsed. */
  readonly request: HttpRequest | null;
  readonly phase: HttpErrorPhase;
  readonly remoteAddress: string;
}

/** @internal A request being observed: its start message, and what its end message is measured from. */
export class RequestTrace {
  readonly start: HttpRequestStartMessage;
  private readonly t0 = performance.now();
  constructor(
    request: HttpRequest,
    response: HttpResponse,
    remoteAddress: string,
    /** Bytes the connection had queued before this response. */
    private readonly bytes0: number,
  ) {
    this.start = { request, response, remoteAddress };
    if (httpRequestStartChannel.hasSubscribers) httpRequestStartChannel.publish(this.start);
  }

  /** Publish the end message; `bytesNow` is the connection's count of bytes queued so far. */
  end(bytesNow: number): void {
    if (!httpRequestEndChannel.hasSubscribers) return;
    const { request, response, remoteAddress } = this.start;
    const m: HttpRequestEndMessage = {
      request,
      response,
      remoteAddress,
      status: response.status,
      bytesWritten: bytesNow - this.bytes0,
      durationMs: performance.now() - this.t0,
    };
    httpRequestEndChannel.publish(m);
  }
}

/** Whether a request should be traced: someone listens to its start or its end. */
export function tracingRequests(): boolean {
  return httpRequestStartChannel.hasSubscribers || httpRequestEndChannel.hasSubscribers;
}

/** Publish `tasklet:http:error` (the caller checked `hasSubscribers`). */
export function publishHttpError(error: unknown, request: HttpRequest | null, phase: HttpErrorPhase, remoteAddress: string): void {
  httpErrorChannel.publish({ error, request, phase, remoteAddress } satisfies HttpErrorMessage);
}
