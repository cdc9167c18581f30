/**
 * TLS for the green sockets, over node:tls: the handshake of each socket a
 * TLS listener accepts (TlsAcceptor), and the socket of `connect({ tls })`.
 * Either way a handshake is done before a Conn exists, and the Conn drives
 * node's TLSSocket through the fence's stand-in (src/net/node/
 * duplex-socket.ts), so the direct paths never touch an encrypting handle.
 *
 * Server side: node's own `tls.Server`, never listening, is the handshake
 * engine; our listener hands it each accepted socket with
 * `emit("connection", socket)` (documented for this use). Wrapping each
 * socket with `new tls.TLSSocket(socket, { isServer: true })` would cost
 * the same (that is what node's Server does underneath), but node's
 * Server also applies the server-side rules that a bare TLSSocket leaves
 * out: a client certificate checked when `requestCert` and
 * `rejectUnauthorized` ask for it, SNI contexts, the handshake timeout, and
 * the session and OCSP events. The listener stays ours, so the ownership
 * and closing rules of listen() and the servers hold for TLS too: a socket
 * still in its handshake belongs to the listener and closes with it.
 *
 * node:tls loads on first use (it takes 15 to 30 ms to load here), so a
 * process without TLS never pays for it.
 */
import { createRequire } from "node:module";
import net from "node:net";
import type * as tlsTypes from "node:tls";
import { describeValue } from "../config/options.js";
import { NetErrorCode, TlsError, formatAddress, toTlsError } from "./errors.js";

/**
 * The `tls` option of {@link serve}, {@link serveTcp} and {@link listen}:
 * node:tls's server options (`key`, `cert`, `ca`, `pfx`, `passphrase`,
 * `ALPNProtocols`, `SNICallback`, `requestCert`, `rejectUnauthorized`,
 * `minVersion`, `ciphers`, `sessionTimeout`, `ticketKeys`...), plus a map of
 * certificates by server name and a hook for failed handshakes. The
 * handshake's time limit is not here: it is the `handshakeTimeout` option
 * of listen/serveTcp, and `headersTimeout` for serve.
 *
 * @example
 * // key, cert: PEM strings or Buffers, e.g. readFileSync("key.pem")
 * const server = serve({ port: 8443, tls: { key, cert } }, function* (req, res) {
 *   yield* res.end("Hello over TLS\n");
 * });
 * await server.ready;
 */
export interface TlsServerOptions extends Omit<tlsTypes.TlsOptions, "handshakeTimeout"> {
  /**
   * Certificates by the server name a client asks for (SNI): a host name,
   * or a wildcard such as `"*.example.com"`, mapped to its `key` and `cert`
   * (any `tls.createSecureContext` options). A client that names none of
   * them, or no name at all, gets the top-level `key` and `cert`.
   *
   * @example
   * const server = yield* serveTcp({ port: 8443, tls: { key, cert, sni: { "api.example.com": { key: apiKey, cert: apiCert } } } }, echo);
   */
  sni?: Readonly<Record<string, tlsTypes.SecureContextOptions>>;
  /**
   * Told of each handshake that failed on the server's side (a client that
   * does not trust the certificate and hangs up, a plain-text client on the
   * TLS port, one that said nothing for the handshake timeout) as a
   * {@link TlsError}; the socket is closed already and the server goes on.
   * Default: nothing is said (as node's `tls.Server` without a
   * `tlsClientError` listener).
   *
   * @example
   * const listener = yield* listen({ port: 8443, tls: { key, cert, onClientError: (e) => console.warn(e.message) } });
   */
  onClientError?: (error: TlsError) => void;
}

/**
 * The `tls` option of {@link connect} (or `true` for the defaults: the
 * system's CAs, the host as the server name): node:tls's client options
 * (`ca`, `cert` and `key` for a client certificate, `servername`,
 * `ALPNProtocols`, `rejectUnauthorized`, `checkServerIdentity`,
 * `minVersion`, `session`...). The address, the timeout and Nagle's setting
 * are connect()'s own options.
 *
 * @example
 * const conn = yield* connect({ port: 8443, host: "localhost", tls: { ca } }); // ca: the server's certificate or its CA, PEM
 */
export interface TlsClientOptions extends Omit<tlsTypes.ConnectionOptions, "host" | "port" | "path" | "socket" | "timeout" | "allowHalfOpen" | "noDelay"> {}

/** The longest delay a Node timer takes (2^31-1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options of the client that connect() has its own option for (or that would bypass it). */
const CLIENT_OWN = ["host", "port", "path", "socket", "timeout", "allowHalfOpen", "noDelay"];

type TlsModule = typeof tlsTypes;
let tlsModule: TlsModule | null = null;

/** node:tls, loaded on first use: `process.getBuiltinModule` where there is one (Node 20.16, 22.3), else a require. */
function nodeTls(): TlsModule {
  if (tlsModule === null) {
    const get = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
    tlsModule = (typeof get === "function" ? get("node:tls") : createRequire(`${process.cwd()}/`)("node:tls")) as TlsModule;
  }
  return tlsModule;
}

/** A plain object (what the `tls` options must be); anything else is a TypeError naming `what`. */
function checkObject(fn: string, what: string, v: unknown): asserts v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new TypeError(`${fn}: ${what} must be an object, got ${describeValue(v)}`);
}

/** Node's error on a bad key or certificate, as a TypeError that names the call and the option. */
function badOption(fn: string, what: string, e: unknown): TypeError {
  const m = e instanceof Error ? e.message : String(e);
  return new TypeError(`${fn}: ${what}: ${m}`, { cause: e });
}

/** What a handshake waits on for the acceptor: the raw socket and its peer, until it is secure or fails. */
interface Handshake {
  raw: net.Socket;
  host: string | undefined;
  port: number | undefined;
}

/** What the acceptor does with a socket once its handshake is done. */
export type SecuredSink = (tlsSocket: tlsTypes.TLSSocket, host: string | undefined, port: number | undefined) => void;

/**
 * The server side of TLS for one listener: the handshakes of its accepted
 * sockets (see the file's notes). Made when the server or listen() is
 * called, so a bad key or certificate is a TypeError at once.
 */
export class TlsAcceptor {
  private readonly server: tlsTypes.Server;
  /** Sockets in their handshake, by their TCP 4-tuple (unique among the live connections of one listener). */
  private readonly pending = new Map<string, Handshake>();
  private sink: SecuredSink | null = null;
  private readonly onClientError: ((error: TlsError) => void) | undefined;

  /** `handshakeMs`: the handshake's time limit (Infinity: none). */
  constructor(fn: string, options: unknown, handshakeMs: number) {
    checkObject(fn, "tls", options);
    const { sni, onClientError, ...rest } = options as TlsServerOptions & Record<string, unknown>;
    if ("handshakeTimeout" in rest && rest.handshakeTimeout !== undefined) {
      throw new TypeError(`${fn}: tls.handshakeTimeout: give the handshake's time limit as the handshakeTimeout option of listen() or serveTcp() (serve(): headersTimeout)`);
    }
    if (onClientError !== undefined && typeof onClientError !== "function") throw new TypeError(`${fn}: tls.onClientError must be a function, got ${describeValue(onClientError)}`);
    if (sni !== undefined) checkObject(fn, "tls.sni", sni);
    const hasCert = (rest.key !== undefined && rest.cert !== undefined) || rest.pfx !== undefined || typeof rest.SNICallback === "function" || rest.secureContext !== undefined;
    if (!hasCert) throw new TypeError(`${fn}: tls needs the server's key and cert (or pfx); got ${rest.key === undefined ? "no key" : "a key"} and ${rest.cert === undefined ? "no cert" : "a cert"}`);
    this.onClientError = onClientError;
    const tls = nodeTls();
    let server: tlsTypes.Server;
    try {
      // node reads 0 as its default (120 s), and a timer longer than 2^31-1 ms as 1 ms: "none" is the longest timer.
      server = tls.createServer({ ...rest, handshakeTimeout: Math.max(1, Math.min(handshakeMs, MAX_TIMER_MS)) });
    } catch (e) {
      throw badOption(fn, "tls", e);
    }
    if (sni !== undefined) {
      for (const name of Object.keys(sni)) {
        const o = sni[name];
        checkObject(fn, `tls.sni[${JSON.stringify(name)}]`, o);
        try {
          server.addContext(name, o);
        } catch (e) {
          throw badOption(fn, `tls.sni[${JSON.stringify(name)}]`, e);
        }
      }
    }
    server.on("secureConnection", (s: tlsTypes.TLSSocket) => this.secured(s));
    server.on("tlsClientError", (e: Error, s: tlsTypes.TLSSocket) => this.failed(e, s, handshakeMs));
    this.server = server;
  }

  /** Sockets whose handshake is under way. */
  get handshaking(): number {
    return this.pending.size;
  }

  /** @internal Where sockets go once secure (the listener). */
  _attach(sink: SecuredSink): void {
    this.sink = sink;
  }

  /** Start the handshake of an accepted socket (peer `host`:`port`, read at accept). */
  handshake(raw: net.Socket, host: string | undefined, port: number | undefined): void {
    const key = tupleKey(raw.remoteAddress, raw.remotePort, raw.localAddress, raw.localPort);
    if (key === null) {
      raw.destroy(); // reset before we saw it
      return;
    }
    this.pending.set(key, { raw, host, port });
    raw.once("close", () => {
      if (this.pending.get(key)?.raw === raw) this.pending.delete(key);
    });
    this.server.emit("connection", raw);
  }

  /** Close every socket still in its handshake (the listener closes). */
  closeAll(): void {
    for (const h of this.pending.values()) h.raw.destroy();
    this.pending.clear();
  }

  private take(s: tlsTypes.TLSSocket): Handshake | undefined {
    const key = tupleKey(s.remoteAddress, s.remotePort, s.localAddress, s.localPort);
    if (key === null) return undefined;
    const h = this.pending.get(key);
    if (h !== undefined) this.pending.delete(key);
    return h;
  }

  private secured(s: tlsTypes.TLSSocket): void {
    const h = this.take(s);
    if (h === undefined || this.sink === null) {
      // Its listener closed meanwhile (closeAll forgot it), or it was reset.
      s.destroy();
      return;
    }
    this.sink(s, h.host, h.port);
  }

  private failed(e: Error, s: tlsTypes.TLSSocket, handshakeMs: number): void {
    const h = this.take(s);
    s.destroy(); // node leaves a socket that timed out open (and tells twice): not ours
    if (h === undefined || this.onClientError === undefined) return;
    const addr = formatAddress(h.host ?? s.remoteAddress, h.port ?? s.remotePort);
    const code = (e as { code?: unknown }).code;
    const err =
      code === "ERR_TLS_HANDSHAKE_TIMEOUT"
        ? new TlsError(NetErrorCode.ETIMEDOUT, "TLS handshake", addr, `no handshake within ${handshakeMs} ms`, e)
        : toTlsError(e, addr);
    try {
      this.onClientError(err);
    } catch (x) {
      // Thrown inside node's event: it would take the process down, and the server must go on.
      console.error("tasklet: tls.onClientError threw:", x);
    }
  }
}

function tupleKey(ra: string | undefined, rp: number | undefined, la: string | undefined, lp: number | undefined): string | null {
  return ra === undefined || rp === undefined ? null : `${ra}|${rp}|${la ?? ""}|${lp ?? ""}`;
}

/** Make the acceptor of a listener or server whose options have `tls` (else null). */
export function tlsAcceptor(fn: string, tls: unknown, handshakeMs: number): TlsAcceptor | null {
  return tls === undefined ? null : new TlsAcceptor(fn, tls, handshakeMs);
}

/** The client options of connect({ tls }), checked: `true` is the defaults. */
export function checkClientTls(fn: string, tls: unknown): Readonly<TlsClientOptions> | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  checkObject(fn, "tls", tls);
  for (const k of CLIENT_OWN) {
    if ((tls as Record<string, unknown>)[k] !== undefined) throw new TypeError(`${fn}: tls.${k}: use connect()'s own option${k === "host" || k === "port" || k === "timeout" || k === "noDelay" ? ` ${k}` : ""}, not one inside tls`);
  }
  return tls as TlsClientOptions;
}

/** A TLS client socket to `host`:`port`, connecting (see connect.ts): `connect` on the TCP connection, `secureConnect` once the handshake is done. */
export function tlsClientSocket(host: string, port: number, noDelay: boolean, options: Readonly<TlsClientOptions>): tlsTypes.TLSSocket {
  const tls = nodeTls();
  // allowHalfOpen: node passes it on to the TLSSocket (its types leave it out), so `end()` half-closes as on plain TCP.
  const s = tls.connect({ servername: net.isIP(host) === 0 ? host : undefined, ...options, host, port, allowHalfOpen: true } as tlsTypes.ConnectionOptions);
  if (noDelay) s.setNoDelay(true);
  return s;
}
