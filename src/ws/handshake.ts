/**
 * The opening handshake, server side (RFC 6455 §4.2): check the client's
 * request, choose a subprotocol, negotiate permessage-deflate (RFC 7692
 * §7), and make the `101 Switching Protocols` head. Pure functions of the
 * request and the resolved options; a refusal is a WsHandshakeError whose
 * status the HTTP server answers with.
 */
import { createHash } from "node:crypto";
import type { HttpRequest } from "../http/request.js";
import { WsHandshakeError } from "./errors.js";
import type { DeflateConfig, UpgradeConfig } from "./ws-options.js";

/** The GUID every server appends to the client's key (§1.3). */
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/** A key is 16 bytes in base64: 22 characters and "==" (§4.1, item 7). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;
/** An HTTP token (RFC 9110 §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What a successful handshake settled. */
export interface Accepted {
  /** The whole `101` head, ready to write. */
  readonly head: string;
  /** The chosen subprotocol, "" for none. */
  readonly protocol: string;
  /** The Sec-WebSocket-Extensions value sent back, "" for none. */
  readonly extensions: string;
  /** permessage-deflate as negotiated, or null. */
  readonly deflate: NegotiatedDeflate | null;
}

/** permessage-deflate as both sides will use it on this connection. */
export interface NegotiatedDeflate {
  /** The server resets its compressor after each message. */
  readonly serverNoContextTakeover: boolean;
  /** The client resets its compressor after each message, so the server's inflater resets too. */
  readonly clientNoContextTakeover: boolean;
  /** Window bits of the server's compressor. */
  readonly serverWindowBits: number;
  /** Messages smaller than this are sent uncompressed. */
  readonly threshold: number;
}

/** `Sec-WebSocket-Accept` for a client's key: base64 of SHA-1 of key + GUID (§4.2.2). */
export function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** The comma-separated elements of every line of a field, trimmed, empty ones dropped. */
function listOf(req: HttpRequest, name: string): string[] {
  const out: string[] = [];
  for (const line of req.headers.getAll(name)) {
    for (const part of line.split(",")) {
      const t = part.trim();
      if (t !== "") out.push(t);
    }
  }
  return out;
}

function refuse(status: number, why: string, headers?: Record<string, string>): never {
  throw new WsHandshakeError(status, `WebSocket handshake refused: ${why}`, headers);
}

/**
 * Check `req` as a WebSocket opening handshake under `cfg`: the refusals in
 * the order of §4.2.1, then the Origin, then the negotiations.
 */
export function checkHandshake(req: HttpRequest, cfg: UpgradeConfig): Accepted {
  if (req.method !== "GET") refuse(400, `the method must be GET, got ${req.method}`);
  if (req.version !== "1.1") refuse(400, `the request must be HTTP/1.1, got HTTP/${req.version}`);
  if (!listOf(req, "upgrade").some((p) => p.toLowerCase() === "websocket")) {
    refuse(400, `Upgrade must name websocket, got ${JSON.stringify(req.headers.get("upgrade") ?? "")}`);
  }
  if (!listOf(req, "connection").some((p) => p.toLowerCase() === "upgrade")) refuse(400, "Connection must contain the upgrade option");
  const versions = req.headers.getAll("sec-websocket-version");
  if (versions.length !== 1 || versions[0]!.trim() !== "13") {
    const got = versions.length === 0 ? "none" : JSON.stringify(versions.join(", "));
    refuse(426, `Sec-WebSocket-Version must be 13, got ${got}`, { "Sec-WebSocket-Version": "13" });
  }
  const keys = req.headers.getAll("sec-websocket-key");
  if (keys.length !== 1) refuse(400, keys.length === 0 ? "Sec-WebSocket-Key is missing" : "Sec-WebSocket-Key is sent more than once");
  const key = keys[0]!.trim();
  if (!KEY.test(key)) refuse(400, `Sec-WebSocket-Key must be 16 bytes in base64, got ${JSON.stringify(key.slice(0, 40))}`);
  checkOrigin(req, cfg);
  const protocol = chooseProtocol(req, cfg);
  const negotiated = cfg.deflate === null ? null : negotiateDeflate(listOf(req, "sec-websocket-extensions").join(","), cfg.deflate);
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n`;
  if (protocol !== "") head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  const extensions = negotiated === null ? "" : negotiated.header;
  if (extensions !== "") head += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  head += "\r\n";
  return { head, protocol, extensions, deflate: negotiated === null ? null : negotiated.deflate };
}

function checkOrigin(req: HttpRequest, cfg: UpgradeConfig): void {
  const rule = cfg.origin;
  if (rule === undefined) return;
  const origin = req.headers.get("origin");
  if (typeof rule === "function") {
    if (rule(origin, req) !== true) refuse(403, `Origin ${origin === null ? "(none)" : JSON.stringify(origin)} is not allowed`);
    return;
  }
  // A client that is not a browser sends no Origin: it is not a page of another site.
  if (origin === null) return;
  const o = origin.toLowerCase();
  if (!rule.some((allowed) => allowed.toLowerCase() === o)) refuse(403, `Origin ${JSON.stringify(origin)} is not allowed`);
}

function chooseProtocol(req: HttpRequest, cfg: UpgradeConfig): string {
  const rule = cfg.protocols;
  const offered = listOf(req, "sec-websocket-protocol");
  for (const p of offered) if (!TOKEN.test(p)) refuse(400, `Sec-WebSocket-Protocol offers ${JSON.stringify(p)}, which is not a token`);
  if (rule === undefined || offered.length === 0) return "";
  if (typeof rule === "function") {
    const pick = rule(offered, req);
    if (pick === null || pick === undefined) return "";
    if (!offered.includes(pick)) throw new TypeError(`upgrade(): the protocols function chose ${JSON.stringify(pick)}, which the client did not offer (${offered.join(", ")})`);
    return pick;
  }
  for (const p of rule) if (offered.includes(p)) return p;
  return "";
}

// ------------------------------------------------------ permessage-deflate

/** One extension offer: its name and parameters in order (a parameter without a value has value null). */
interface Offer {
  name: string;
  params: [string, string | null][];
}

/**
 * The offers of a Sec-WebSocket-Extensions value (RFC 6455 §9.1): `name;
 * param; param=value; param="quoted"`, comma-separated. A malformed value
 * yields no offers (the extensions are then declined, not the handshake).
 */
export function parseExtensions(value: string): Offer[] {
  const out: Offer[] = [];
  let i = 0;
  const n = value.length;
  const ws = (): void => {
    while (i < n && (value[i] === " " || value[i] === "\t")) i++;
  };
  const token = (): string => {
    const s = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(value[i]!)) i++;
    return value.slice(s, i);
  };
  while (i < n) {
    ws();
    if (value[i] === ",") {
      i++;
      continue;
    }
    const name = token();
    if (name === "") return [];
    const offer: Offer = { name, params: [] };
    ws();
    while (value[i] === ";") {
      i++;
      ws();
      const p = token();
      if (p === "") return [];
      ws();
      let v: string | null = null;
      if (value[i] === "=") {
        i++;
        ws();
        if (value[i] === '"') {
          i++;
          let s = "";
          while (i < n && value[i] !== '"') {
            if (value[i] === "\\") i++;
            s += value[i] ?? "";
            i++;
          }
          if (value[i] !== '"') return [];
          i++;
          v = s;
        } else {
          v = token();
          if (v === "") return [];
        }
        ws();
      }
      offer.params.push([p, v]);
    }
    out.push(offer);
    ws();
    if (i < n && value[i] !== ",") return [];
  }
  return out;
}

/** A window-bits value: "8" to "15", no sign, no leading zero (RFC 7692 §7.1.2). */
function windowBits(v: string | null): number {
  return v !== null && /^(?:[89]|1[0-5])$/.test(v) ? Number(v) : -1;
}

/**
 * Accept the first permessage-deflate offer the server can honour (RFC 7692
 * §7): an offer with an unknown or repeated parameter, or a bad value, is
 * declined and the next one tried. Null: none accepted.
 */
export function negotiateDeflate(value: string, cfg: DeflateConfig): { header: string; deflate: NegotiatedDeflate } | null {
  offers: for (const offer of parseExtensions(value)) {
    if (offer.name.toLowerCase() !== "permessage-deflate") continue; // other extensions are ignored
    const seen = new Set<string>();
    let serverNoContext = false, clientNoContext = false;
    let serverBits = -1; // -1: not offered
    let clientBits = -1; // -1: not offered; 0: offered without a value
    for (const [rawName, v] of offer.params) {
      const p = rawName.toLowerCase();
      if (seen.has(p)) continue offers;
      seen.add(p);
      switch (p) {
        case "server_no_context_takeover":
          if (v !== null) continue offers;
          serverNoContext = true;
          break;
        case "client_no_context_takeover":
          if (v !== null) continue offers;
          clientNoContext = true;
          break;
        case "server_max_window_bits":
          serverBits = windowBits(v);
          // zlib cannot make an 8-bit-window raw stream (see ws-options.ts): decline rather than break the promise.
          if (serverBits < 9) continue offers;
          break;
        case "client_max_window_bits":
          if (v === null) clientBits = 0;
          else {
            clientBits = windowBits(v);
            if (clientBits < 0) continue offers;
          }
          break;
        default:
          continue offers;
      }
    }
    const parts = ["permessage-deflate"];
    const sNoCtx = serverNoContext || cfg.serverNoContextTakeover;
    const cNoCtx = clientNoContext || cfg.clientNoContextTakeover;
    if (sNoCtx) parts.push("server_no_context_takeover");
    if (cNoCtx) parts.push("client_no_context_takeover");
    let bits = cfg.serverMaxWindowBits;
    if (serverBits > 0) {
      bits = Math.min(bits, serverBits);
      parts.push(`server_max_window_bits=${bits}`);
    }
    // The client's window can be limited only if it offered the parameter.
    if (clientBits >= 0) {
      const c = Math.min(clientBits === 0 ? 15 : clientBits, cfg.clientMaxWindowBits);
      if (c < 15 || clientBits > 0) parts.push(`client_max_window_bits=${c}`);
    }
    return {
      header: parts.join("; "),
      deflate: { serverNoContextTakeover: sNoCtx, clientNoContextTakeover: cNoCtx, serverWindowBits: bits, threshold: cfg.threshold },
    };
  }
  return null;
}
