/**
 * The options of `upgrade(req, options)`, checked and resolved once into a
 * frozen config (the project's rule: code downstream reads the config,
 * never the caller's object). Flat keys go through the shared option
 * tables of src/config; the nested ones (`heartbeat`, `perMessageDeflate`)
 * and the list-or-function ones (`protocols`, `origin`) are checked here.
 */
import { type OptionTable, checkOptions, describeValue, resolveOptions } from "../config/options.js";
import type { HttpRequest } from "../http/request.js";

/** Default `maxMessageSize`: 1 MiB. */
export const DEFAULT_MAX_MESSAGE = 1 << 20;
/** Default `closeTimeout`: how long `close()` waits for the peer's close frame. */
export const DEFAULT_CLOSE_TIMEOUT = 5_000;
/** Default `perMessageDeflate.threshold`: smaller messages are sent uncompressed. */
export const DEFAULT_DEFLATE_THRESHOLD = 1024;

/**
 * permessage-deflate (RFC 7692) settings. Each parameter is offered to the
 * client only as the RFC allows: the `server*` ones are the server's own
 * compressor, the `client*` ones ask the client to limit its compressor.
 *
 * @example
 * const deflate: PerMessageDeflateOptions = { serverNoContextTakeover: true, threshold: 256 };
 * const ws = yield* upgrade(req, { perMessageDeflate: deflate });
 */
export interface PerMessageDeflateOptions {
  /** Reset the server's compressor after every message (less memory, worse ratio). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client to reset its compressor after every message (the server's inflater resets too). Default false. */
  clientNoContextTakeover?: boolean;
  /** LZ77 window of the server's compressor, 9 to 15 bits (a client's request may lower it). Default 15. */
  serverMaxWindowBits?: number;
  /** Largest LZ77 window the client may use, 8 to 15 bits; only sent when the client offers the parameter. Default 15. */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
}

/**
 * The `heartbeat` option: ping a silent peer, and close one that stays silent.
 *
 * @example
 * const ws = yield* upgrade(req, { heartbeat: { interval: 30_000, timeout: 10_000 } });
 */
export interface HeartbeatOptions {
  /** Ms of silence from the peer after which a ping is sent. */
  interval: number;
  /** Ms after that ping within which something (its pong, any frame) must arrive; else the TCP connection is closed (close code 1006). */
  timeout: number;
}

/**
 * Options of {@link upgrade}. Sizes in bytes, times in ms.
 *
 * @example
 * const options: UpgradeOptions = { maxMessageSize: 64 * 1024, protocols: ["chat.v2", "chat.v1"], origin: ["https://example.com"], idleTimeout: 60_000 };
 * const ws = yield* upgrade(req, options);
 */
export interface UpgradeOptions {
  /**
   * Largest message received, in bytes (after inflating, with
   * permessage-deflate); a larger one closes the WebSocket with 1009 as soon
   * as its size is known (a frame header announcing it, or the inflater
   * producing it). 0: no limit. Default 1 MiB.
   */
  maxMessageSize?: number;
  /** Largest frame received (its payload as sent); larger closes with 1009 before its payload is read. 0: no limit. Default: `maxMessageSize`. */
  maxFrameSize?: number;
  /**
   * Subprotocols the server speaks, in its order of preference: the first
   * one the client also offers (Sec-WebSocket-Protocol) is chosen; none in
   * common selects none (the client decides whether to go on). Or a
   * function of the client's offers (and the request) that returns the one
   * to use, or null for none.
   */
  protocols?: readonly string[] | ((offered: readonly string[], req: HttpRequest) => string | null | undefined);
  /**
   * Which pages may open the WebSocket: a list of allowed Origin values
   * (`"https://example.com"`; a request without Origin, from a non-browser
   * client, is allowed), or a function of the Origin (null when absent) that
   * returns whether to accept. Refused: 403. Default: every origin.
   */
  origin?: readonly string[] | ((origin: string | null, req: HttpRequest) => boolean);
  /** Negotiate permessage-deflate when the client offers it (true, or settings). Default false. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** How long `close()` (and the end of the handler) waits for the peer's close frame before closing TCP. Default 5 s. */
  closeTimeout?: number;
  /** Longest silence from the peer while a task waits in `receive()`; then close 1001 ("idle"). 0 (default): none. */
  idleTimeout?: number;
  /** Ping a silent peer and drop one that does not answer; runs while a task waits in `receive()`. Default: off. */
  heartbeat?: HeartbeatOptions;
}

/** permessage-deflate as configured (the negotiation may narrow it per connection). */
export interface DeflateConfig {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
  readonly threshold: number;
}

/** @internal The resolved options of upgrade(). */
export interface UpgradeConfig {
  readonly maxMessageSize: number;
  readonly maxFrameSize: number;
  readonly protocols: UpgradeOptions["protocols"] | undefined;
  readonly origin: UpgradeOptions["origin"] | undefined;
  readonly deflate: DeflateConfig | null;
  readonly closeTimeout: number;
  readonly idleTimeout: number;
  readonly heartbeat: Readonly<HeartbeatOptions> | null;
}

const size = { kind: "number", min: 0, expected: "a number of bytes >= 0 (0: no limit)", zeroIsNone: true } as const;
const ms = { kind: "number", min: 0, expected: "a number of ms >= 0" } as const;

const UPGRADE_FLAT: OptionTable = {
  maxMessageSize: { ...size, default: DEFAULT_MAX_MESSAGE },
  maxFrameSize: size,
  closeTimeout: { ...ms, default: DEFAULT_CLOSE_TIMEOUT },
  idleTimeout: { ...ms, zeroIsNone: true, default: Infinity },
};
/** Every key: the flat ones and those checked by hand below (listed so that a typo near them gets a hint). */
const UPGRADE_KEYS: OptionTable = { ...UPGRADE_FLAT, protocols: { kind: "function" }, origin: { kind: "function" }, perMessageDeflate: { kind: "boolean" }, heartbeat: { kind: "function" } };

const DEFLATE_TABLE: OptionTable = {
  serverNoContextTakeover: { kind: "boolean", default: false },
  clientNoContextTakeover: { kind: "boolean", default: false },
  // 9, not 8: zlib makes a raw deflate stream with an 8-bit window as a 9-bit one, which a client held to 8 could not read.
  serverMaxWindowBits: { kind: "number", min: 9, max: 15, integer: true, expected: "a whole number from 9 to 15", default: 15 },
  clientMaxWindowBits: { kind: "number", min: 8, max: 15, integer: true, expected: "a whole number from 8 to 15", default: 15 },
  threshold: { kind: "number", min: 0, expected: "a number of bytes >= 0", default: DEFAULT_DEFLATE_THRESHOLD },
};

const HEARTBEAT_TABLE: OptionTable = {
  interval: { kind: "number", min: 1, expected: "a number of ms >= 1", required: true },
  timeout: { kind: "number", min: 1, expected: "a number of ms >= 1", required: true },
};

const FN = "upgrade()";

function listOrFunction(key: string, v: unknown, what: string): void {
  if (typeof v === "function") return;
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return;
  throw new TypeError(`${FN}: ${key} must be ${what}, got ${describeValue(v)}`);
}

/** A subprotocol name is an HTTP token (RFC 6455 §4.1, RFC 9110 §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Check and resolve the options of upgrade(). */
export function resolveUpgrade(options: UpgradeOptions | undefined): UpgradeConfig {
  if (options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))) {
    throw new TypeError(`${FN}: options must be an object, got ${describeValue(options)}`);
  }
  const given = (options ?? {}) as Record<string, unknown>;
  // Unknown keys and the flat ones through the shared table check; the others are checked below.
  checkOptions(FN, UPGRADE_KEYS, { ...given, protocols: undefined, origin: undefined, perMessageDeflate: undefined, heartbeat: undefined });
  const r = resolveOptions(FN, UPGRADE_FLAT, { maxMessageSize: given.maxMessageSize, maxFrameSize: given.maxFrameSize, closeTimeout: given.closeTimeout, idleTimeout: given.idleTimeout });
  const maxMessageSize = r.maxMessageSize as number;
  const maxFrameSize = (r.maxFrameSize as number | undefined) ?? maxMessageSize;

  const protocols = given.protocols as UpgradeOptions["protocols"];
  if (protocols !== undefined) {
    listOrFunction("protocols", protocols, "an array of subprotocol names or a function (offered, req) => name | null");
    if (Array.isArray(protocols)) {
      for (const p of protocols) if (!TOKEN.test(p)) throw new TypeError(`${FN}: protocols: ${JSON.stringify(p)} is not a valid subprotocol name (an HTTP token)`);
    }
  }
  const origin = given.origin as UpgradeOptions["origin"];
  if (origin !== undefined) listOrFunction("origin", origin, "an array of allowed Origin values or a function (origin, req) => boolean");

  let deflate: DeflateConfig | null = null;
  const pmd = given.perMessageDeflate;
  if (pmd !== undefined && pmd !== false) {
    if (pmd === true) deflate = Object.freeze(resolveOptions(`${FN} perMessageDeflate`, DEFLATE_TABLE, {})) as unknown as DeflateConfig;
    else if (pmd !== null && typeof pmd === "object" && !Array.isArray(pmd)) deflate = Object.freeze(resolveOptions(`${FN} perMessageDeflate`, DEFLATE_TABLE, pmd)) as unknown as DeflateConfig;
    else throw new TypeError(`${FN}: perMessageDeflate must be true, false or an object of settings, got ${describeValue(pmd)}`);
  }

  let heartbeat: Readonly<HeartbeatOptions> | null = null;
  const hb = given.heartbeat;
  if (hb !== undefined) {
    if (hb === null || typeof hb !== "object" || Array.isArray(hb)) throw new TypeError(`${FN}: heartbeat must be an object { interval, timeout } (ms), got ${describeValue(hb)}`);
    heartbeat = Object.freeze(resolveOptions(`${FN} heartbeat`, HEARTBEAT_TABLE, hb)) as unknown as HeartbeatOptions;
  }

  return Object.freeze({
    maxMessageSize,
    maxFrameSize,
    protocols,
    origin,
    deflate,
    closeTimeout: r.closeTimeout as number,
    idleTimeout: r.idleTimeout as number,
    heartbeat,
  });
}
