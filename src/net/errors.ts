/**
 * NetError, the one error type of the green sockets, and its codes: what
 * every net operation throws, with the operation and the address in its
 * message.
 */
import { TaskletError } from "../runtime/errors.js";

/**
 * Codes of {@link NetError}. System codes keep Node's (errno) spelling so they
 * match `err.code` of node:net; the last three are tasklet's own.
 */
export const NetErrorCode = {
  /** Nothing listens at the address (connect). */
  ECONNREFUSED: "ECONNREFUSED",
  /** The peer reset the connection (RST), or vanished mid-transfer. */
  ECONNRESET: "ECONNRESET",
  /** Writing to a connection the peer has closed. */
  EPIPE: "EPIPE",
  /** The port is taken (listen). */
  EADDRINUSE: "EADDRINUSE",
  /** The address is not one of this host's (listen). */
  EADDRNOTAVAIL: "EADDRNOTAVAIL",
  /** Not allowed to bind that port (listen). */
  EACCES: "EACCES",
  /** A connect timeout passed (the `timeout` option of connect), or the kernel's own. */
  ETIMEDOUT: "ETIMEDOUT",
  /** The host name did not resolve. */
  ENOTFOUND: "ENOTFOUND",
  /** The socket or listener was closed by this side (`close()`), while or before the operation waited. */
  ECLOSED: "ECLOSED",
  /** The peer ended the stream before `readExactly`/`readUntil` got what it needed (some bytes had arrived). */
  EOF: "EOF",
  /** `readUntil` saw `maxBytes` bytes without the delimiter. */
  EMSGSIZE: "EMSGSIZE",
  /** Two tasks read the same connection at once (gevent's ConcurrentObjectUseError). */
  EBUSY: "EBUSY",
} as const;

/** A code from {@link NetErrorCode}, or another errno string Node reported. */
export type NetErrorCodeName = (typeof NetErrorCode)[keyof typeof NetErrorCode] | (string & {});

/**
 * Every failure of a green socket: `code` says what happened, the message
 * names the operation and the address (`connect to 127.0.0.1:9: connection
 * refused (ECONNREFUSED)`), and `cause` holds Node's original error if any.
 *
 * @example
 * try {
 *   yield* connect({ port: 9 });
 * } catch (e) {
 *   if (e instanceof NetError && e.code === "ECONNREFUSED") console.log("nobody home");
 * }
 */
export class NetError extends TaskletError {
  override name = "NetError";
  /** What happened; see {@link NetErrorCode}. */
  readonly code: NetErrorCodeName;
  /** The operation that failed: "connect", "listen", "read", "write", "accept"... */
  readonly operation: string;
  /** `host:port` the operation was about. */
  readonly address: string;
  constructor(code: NetErrorCodeName, operation: string, address: string, detail: string, cause?: unknown) {
    super(`${operation} ${PREPOSITION[operation] ?? "on"} ${address}: ${detail} (${code})`, cause === undefined ? undefined : { cause });
    this.code = code;
    this.operation = operation;
    this.address = address;
  }
}

/**
 * A TLS failure of a green socket: a certificate our client does not trust
 * (`DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`...), a
 * handshake the peer broke off or spoke wrongly (`ERR_SSL_WRONG_VERSION_NUMBER`
 * when a plain-HTTP client reaches a TLS port, `ECONNRESET`), or a handshake
 * that took longer than the server's `handshakeTimeout` (`ETIMEDOUT`). A
 * {@link NetError} (so `catch (e instanceof NetError)` sees it too) whose
 * `operation` is `"TLS handshake"`; `code` is node's (an OpenSSL verify code
 * or an `ERR_SSL_`/`ERR_TLS_` code) and `cause` node's own error.
 *
 * @example
 * try {
 *   yield* connect({ port: 8443, tls: { ca } });
 * } catch (e) {
 *   if (e instanceof TlsError) console.log(`no TLS with ${e.address}: ${e.code}`);
 * }
 */
export class TlsError extends NetError {
  override name = "TlsError";
}

/** What a TLS error's code means, where node's own message says too little. */
const TLS_DETAIL: Record<string, string> = {
  ECONNRESET: "the peer closed the connection during the handshake",
  EPIPE: "the peer closed the connection during the handshake",
  ERR_SSL_WRONG_VERSION_NUMBER: "the peer does not speak TLS (a plain-text client on a TLS port, or the reverse)",
  ERR_SSL_HTTP_REQUEST: "the peer sent a plain HTTP request to a TLS port",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the peer's certificate is self-signed and not trusted (pass its certificate or CA as `ca`)",
  SELF_SIGNED_CERT_IN_CHAIN: "a certificate in the peer's chain is self-signed and not trusted (pass the CA as `ca`)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the peer's certificate is signed by a CA that is not trusted (pass it as `ca`)",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the issuer of the peer's certificate is not trusted (pass it as `ca`)",
  CERT_HAS_EXPIRED: "the peer's certificate has expired",
  CERT_NOT_YET_VALID: "the peer's certificate is not valid yet",
};

/** @internal Wrap an error of node:tls met during a handshake with `address` as a TlsError. */
export function toTlsError(e: unknown, address: string): TlsError {
  if (e instanceof TlsError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const c = typeof code === "string" ? code : "ERR_TLS";
  // OpenSSL's own message names its source file and line; its `reason` ("wrong version number") is what a reader wants.
  const reason = (e as { reason?: unknown } | null)?.reason;
  const own = typeof reason === "string" ? reason : e instanceof Error ? e.message.trim() : String(e);
  return new TlsError(c, "TLS handshake", address, TLS_DETAIL[c] ?? own, e);
}

/** For messages: "read from 127.0.0.1:80", "connect to ...", "listen on ...". */
const PREPOSITION: Record<string, string> = {
  "TLS handshake": "with",
  read: "from",
  readInto: "from",
  readExactly: "from",
  readUntil: "from",
  write: "to",
  connect: "to",
  listen: "on",
  accept: "on",
};

const DETAIL: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset by peer",
  EPIPE: "broken pipe, the peer closed the connection",
  EADDRINUSE: "address already in use",
  EADDRNOTAVAIL: "address not available on this host",
  EACCES: "permission denied",
  ETIMEDOUT: "timed out",
  ENOTFOUND: "host not found",
};

/** @internal Wrap an error of node:net (or anything thrown) as a NetError. */
export function toNetError(e: unknown, operation: string, address: string): NetError {
  if (e instanceof NetError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const c = typeof code === "string" ? code : "EIO";
  const detail = DETAIL[c] ?? (e instanceof Error ? e.message : String(e));
  return new NetError(c, operation, address, detail, e);
}

/** @internal `host:port`, with brackets for IPv6; a Unix socket path (a "host" with a slash, no port) as it is. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  if (port === undefined && host !== undefined && host.includes("/")) return host;
  const h = host ?? "?";
  return `${h.includes(":") ? `[${h}]` : h}:${port ?? "?"}`;
}
