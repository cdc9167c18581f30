/**
 * `serveFiles(root)`: a green handler that serves the files under a folder,
 * as `serve-static` does for Express: Content-Type from mime-db, weak ETag and
 * Last-Modified with 304s, single byte ranges with 206/416, no way out of the
 * root (`..`, encoded or not, NUL, symlinks), and compression through
 * compress.ts. Each file is opened once and fstat'ed through that handle, so
 * what is described is what is sent; the handle is closed on every path,
 * a client that leaves half-way included.
 */
import { constants as fsConstants, promises as fsp, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import mimeTypes from "mime-types";
import { type OptionTable, describeValue, resolveOptions } from "../config/options.js";
import { call } from "../ops/call.js";
import type { Instruction } from "../runtime/types.js";
import { type CompressConfig, type CompressOptions, compressResponse, resolveCompress } from "./compress.js";
import type { HttpRequest } from "./request.js";
import type { HttpResponse, HttpResponseInit } from "./response.js";
import type { Handler } from "./server-config.js";

/** Options of {@link serveFiles}. */
export interface ServeFilesOptions {
  /** The file served for a directory's URL (ending in `/`), or false for none; default "index.html". */
  index?: string | false;
  /** Files and folders whose name starts with a dot: "ignore" (404, the default), "deny" (403) or "allow". */
  dotfiles?: "ignore" | "deny" | "allow";
  /** Cache-Control max-age, in seconds; default 0 (`public, max-age=0`: caches revalidate, with 304s). */
  maxAge?: number;
  /** Add `immutable` to Cache-Control (for fingerprinted file names); default false. */
  immutable?: boolean;
  /** Send a weak ETag made of the file's size and modification time; default true. */
  etag?: boolean;
  /** Send Last-Modified; default true. */
  lastModified?: boolean;
  /** Compress with gzip or brotli when the client accepts it (see {@link compress}); default true. */
  compress?: boolean | CompressOptions;
  /** A URL path the files are mounted under (`"/static"`): stripped from the path; other paths get 404. Default: none. */
  prefix?: string;
  /**
   * Requests it does not answer with a file (no such file, outside the
   * prefix, a method other than GET or HEAD) return `undefined` instead of a
   * 404 or 405, so a handler can delegate and go on. Default false.
   */
  fallthrough?: boolean;
  /** A directory's URL without its trailing slash is redirected (301) to the one with it; default true (else 404). */
  redirect?: boolean;
}

const FILES_OPTIONS: OptionTable = {
  index: { kind: "function" }, // string | false: checked by hand
  compress: { kind: "function" }, // boolean | CompressOptions: checked by hand
  dotfiles: { kind: "enum", values: ["ignore", "deny", "allow"], default: "ignore" },
  maxAge: { kind: "number", min: 0, expected: "a number of seconds >= 0", default: 0 },
  immutable: { kind: "boolean", default: false },
  etag: { kind: "boolean", default: true },
  lastModified: { kind: "boolean", default: true },
  prefix: { kind: "string", default: "" },
  fallthrough: { kind: "boolean", default: false },
  redirect: { kind: "boolean", default: true },
};

interface FilesConfig {
  root: string;
  index: string | null;
  dotfiles: "ignore" | "deny" | "allow";
  cacheControl: string;
  etag: boolean;
  lastModified: boolean;
  compress: CompressConfig | null;
  prefix: string;
  fallthrough: boolean;
  redirect: boolean;
}

function resolveFiles(root: unknown, options: unknown): FilesConfig {
  const fn = "serveFiles()";
  if (typeof root !== "string" || root === "") throw new TypeError(`${fn}: root must be a non-empty path string, got ${describeValue(root)}`);
  let index: string | null = "index.html";
  let comp: CompressConfig | null = resolveCompress(fn, undefined);
  let rest = options;
  if (options !== null && typeof options === "object" && !Array.isArray(options)) {
    const o = options as ServeFilesOptions;
    if (o.index !== undefined) {
      if (o.index === false) index = null;
      else if (typeof o.index !== "string" || o.index === "" || /[/\\\0]/.test(o.index) || o.index.startsWith(".."))
        throw new TypeError(`${fn}: index must be a file name (no slashes) or false, got ${describeValue(o.index)}`);
      else index = o.index;
    }
    if (o.compress !== undefined) {
      if (o.compress === false) comp = null;
      else if (o.compress === true) comp = resolveCompress(fn, undefined);
      else if (typeof o.compress === "object" && o.compress !== null) comp = resolveCompress(`${fn} compress`, o.compress);
      else throw new TypeError(`${fn}: compress must be a boolean or compress options, got ${describeValue(o.compress)}`);
    }
    rest = { ...options, index: undefined, compress: undefined };
  }
  const r = resolveOptions(fn, FILES_OPTIONS, rest);
  let prefix = r.prefix as string;
  if (prefix !== "") {
    if (!prefix.startsWith("/")) throw new TypeError(`${fn}: prefix must start with "/", got ${describeValue(prefix)}`);
    prefix = prefix.replace(/\/+$/, "");
  }
  const maxAge = Math.floor(r.maxAge as number);
  return Object.freeze({
    root: path.resolve(root),
    index,
    dotfiles: r.dotfiles as FilesConfig["dotfiles"],
    cacheControl: `public, max-age=${maxAge}${r.immutable ? ", immutable" : ""}`,
    etag: r.etag as boolean,
    lastModified: r.lastModified as boolean,
    compress: comp,
    prefix,
    fallthrough: r.fallthrough as boolean,
    redirect: r.redirect as boolean,
  });
}

/** Files up to this size are read whole and sent with their head in one write; larger ones are streamed. */
const WHOLE_FILE = 64 * 1024;
/** The read size of a streamed file. */
const STREAM_CHUNK = 64 * 1024;
/** Opening a FIFO must not hang a thread-pool thread: O_NONBLOCK (no effect on regular files; absent on Windows). */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/**
 * A green handler serving the files under `root` for GET and HEAD.
 *
 * - The path is percent-decoded once: malformed `%` or a NUL is a 400, a `..`
 *   segment (or a backslash one) a 403, as `serve-static` does; the
 *   resolved file must lie inside `root`, and so must its real path: a
 *   symlink leading out of `root` is a 404, one that stays inside is
 *   followed.
 * - A directory's URL with a trailing slash serves its `index`; without the
 *   slash it is redirected (301); a directory with no index is a 404.
 * - Headers: Content-Type (mime-types, with charset for text), Content-Length,
 *   Accept-Ranges, a weak ETag (`W/"size-mtime"`), Last-Modified,
 *   Cache-Control. If-None-Match (weak comparison, `*`, lists) or else
 *   If-Modified-Since give a 304; If-Match / If-Unmodified-Since a 412.
 * - `Range: bytes=a-b`, `a-`, `-n` gives a 206 with Content-Range, an
 *   unsatisfiable one a 416 whose Content-Range gives only the size; several
 *   ranges get the whole file (200). If-Range: a date equal to Last-Modified
 *   keeps the range; an entity tag never does (ours are weak, and If-Range
 *   compares strongly, RFC 9110 §13.1.5), so the whole file is sent.
 * - Other methods: 405 with `Allow: GET, HEAD`.
 * - Compressed with {@link compress} unless `compress: false`.
 *
 * With `fallthrough: true`, a request it does not answer returns undefined,
 * so a handler can try the files first: `const r = yield* files(req, res);
 * if (r) return r;`. (Used alone as the server's handler, that would be an
 * empty 200: keep the default there.)
 *
 * @example
 * const files = serveFiles("./public", { maxAge: 3600, fallthrough: true });
 * serve({ port: 3000 }, function* (req, res) {
 *   if (req.path === "/api/hello") return { body: { hello: "world" } };
 *   return (yield* files(req, res)) ?? { status: 404, body: "no such page\n" };
 * });
 */
export function serveFiles(root: string, options?: ServeFilesOptions): Handler {
  const cfg = resolveFiles(root, options);
  const state: RootState = { real: null };
  return function* files(req: HttpRequest, res: HttpResponse): Generator<Instruction, HttpResponseInit | undefined, any> {
    const init = yield* fileResponse(req, cfg, state);
    if (init === undefined || cfg.compress === null) return init;
    return yield* compressResponse(req, res, init, cfg.compress);
  };
}

/** The real path of the root, found on first use. */
interface RootState {
  real: string | null;
}

function plainAnswer(status: number, text: string, extra?: Record<string, string>): HttpResponseInit {
  return { status, headers: { "content-type": "text/plain; charset=utf-8", ...extra }, body: `${text}\n` };
}

/** A 404 or, with fallthrough, nothing. */
function notFound(cfg: FilesConfig): HttpResponseInit | undefined {
  return cfg.fallthrough ? undefined : plainAnswer(404, "Not Found");
}

/** The request path relative to the prefix (still percent-encoded), or null when outside it. */
function underPrefix(raw: string, prefix: string): string | null {
  if (prefix === "") return raw;
  if (raw === prefix) return "/";
  return raw.startsWith(prefix) && raw.charCodeAt(prefix.length) === 0x2f ? raw.slice(prefix.length) : null;
}

/** Whether a file system error means "no such file" to a client. */
function isMissing(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG" || code === "ELOOP" || code === "EISDIR" || code === "ENXIO";
}

function isForbidden(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === "EACCES" || code === "EPERM";
}

/**
 * Open `file` from a task. If the task is cancelled while the open is in
 * flight, the handle it later yields is closed.
 */
function* openFile(file: string): Generator<Instruction, FileHandle, any> {
  const p = fsp.open(file, OPEN_FLAGS);
  let fh: FileHandle | undefined;
  try {
    fh = yield* call(p);
    return fh;
  } finally {
    if (fh === undefined) p.then((h) => h.close(), () => {}).then(undefined, () => {});
  }
}

/** The path the open handle really names (Linux: /proc/self/fd), else the real path of `file`. */
async function realPathOf(fh: FileHandle, file: string): Promise<string> {
  try {
    const p = await fsp.readlink(`/proc/self/fd/${fh.fd}`);
    if (path.isAbsolute(p)) return p;
  } catch {
    // no /proc (macOS, Windows): ask for the real path by name
  }
  return fsp.realpath(file);
}

/** The root's real path, once: the folder may not exist yet when serveFiles is called. */
function realRoot(cfg: FilesConfig, state: RootState): string | Promise<string> {
  return state.real ?? fsp.realpath(cfg.root).then((r) => (state.real = r));
}

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** What was found at a path: an open file and its stats, or why not. */
type Found = { fh: FileHandle; stats: Stats; file: string } | { status: "missing" | "forbidden" | "directory" };

/** Open `file`, fstat it, and check its real path lies inside the root. */
function* find(cfg: FilesConfig, state: RootState, file: string): Generator<Instruction, Found, any> {
  let fh: FileHandle;
  try {
    fh = yield* openFile(file);
  } catch (e) {
    if (isMissing(e)) return { status: "missing" };
    if (isForbidden(e)) return { status: "forbidden" };
    throw e;
  }
  let keep = false;
  try {
    // One wait for the three answers: the handle's stats, its real path, the root's.
    const [stats, real, rootReal] = yield* call(() => Promise.all([fh.stat(), realPathOf(fh, file), realRoot(cfg, state)]));
    if (!inside(real, rootReal)) return { status: "missing" }; // a symlink out of the root: nothing there, as far as clients know
    if (stats.isDirectory()) return { status: "directory" };
    if (!stats.isFile()) return { status: "missing" };
    keep = true;
    return { fh, stats, file };
  } finally {
    if (!keep) closeQuietly(fh);
  }
}

function closeQuietly(fh: FileHandle): void {
  fh.close().then(undefined, () => {});
}

/** The response for `req` under `cfg`, or undefined when it falls through. */
function* fileResponse(req: HttpRequest, cfg: FilesConfig, state: RootState): Generator<Instruction, HttpResponseInit | undefined, any> {
  const method = req.method;
  if (method !== "GET" && method !== "HEAD") {
    return cfg.fallthrough ? undefined : plainAnswer(405, "Method Not Allowed", { allow: "GET, HEAD" });
  }
  const rel = underPrefix(req.path, cfg.prefix);
  if (rel === null) return notFound(cfg);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return plainAnswer(400, "Bad Request: malformed percent-encoding in the path");
  }
  if (decoded.includes("\0")) return plainAnswer(400, "Bad Request: NUL in the path");
  const segments = decoded.split(/[/\\]/);
  if (segments.includes("..")) return plainAnswer(403, "Forbidden");
  let file = path.join(cfg.root, decoded);
  if (!inside(file, cfg.root)) return plainAnswer(403, "Forbidden");
  // Dot files: any segment below the root whose name starts with a dot.
  if (cfg.dotfiles !== "allow" && path.relative(cfg.root, file).split(path.sep).some((s) => s.startsWith("."))) {
    return cfg.dotfiles === "deny" ? plainAnswer(403, "Forbidden") : notFound(cfg);
  }
  const wantsDir = decoded.endsWith("/");
  if (wantsDir) {
    if (cfg.index === null) return notFound(cfg);
    file = path.join(file, cfg.index);
  }
  const found = yield* find(cfg, state, file);
  if ("status" in found) {
    if (found.status === "forbidden") return plainAnswer(403, "Forbidden");
    if (found.status === "directory" && !wantsDir && cfg.redirect) {
      // Collapse leading slashes so that `//evil.example` cannot become a protocol-relative Location.
      const target = req.target.startsWith("/") ? req.target : req.path;
      const q = target.indexOf("?");
      const p = (q < 0 ? target : target.slice(0, q)).replace(/^\/+/, "/");
      return { status: 301, headers: { location: `${p}/${q < 0 ? "" : target.slice(q)}`, "content-type": "text/plain; charset=utf-8" }, body: `Redirecting to ${p}/\n` };
    }
    return notFound(cfg);
  }
  let handed = false;
  try {
    const r = yield* respondWithFile(req, cfg, found.fh, found.stats, found.file);
    handed = r.handed;
    return r.init;
  } finally {
    if (!handed) closeQuietly(found.fh);
  }
}

/** The weak validator of a file: its size and modification time in hex, as `serve-static` makes it. */
function etagOf(stats: Stats): string {
  return `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

/** Entity tags of a field value (a comma-separated list), as written (`W/` kept). */
function tagsOf(field: string): string[] {
  return field.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/** Weak comparison (RFC 9110 §8.8.3.2): the opaque parts are equal, W/ or not. */
function weakMatch(field: string, etag: string): boolean {
  if (field.trim() === "*") return true;
  const mine = etag.replace(/^W\//, "");
  return tagsOf(field).some((t) => t.replace(/^W\//, "") === mine);
}

/** Parse an HTTP-date; NaN when invalid. */
function dateOf(field: string): number {
  return Date.parse(field);
}

/** A satisfiable single range, "whole" (ignore the Range field), or "unsatisfiable". */
type RangeResult = { start: number; end: number } | "whole" | "unsatisfiable";

/**
 * Parse a Range field (RFC 9110 §14.1.2) against a file of `size` bytes.
 * Only a single byte range is honoured; a field that is not valid, not in
 * bytes, or asks for several ranges gets the whole file.
 */
export function parseRange(field: string, size: number): RangeResult {
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(field);
  if (m === null) return "whole";
  const specs = m[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (specs.length !== 1) return "whole";
  const r = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0]!);
  if (r === null || (r[1] === "" && r[2] === "")) return "whole";
  if (r[1] === "") {
    const n = Number(r[2]);
    if (n === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(r[1]);
  if (r[2] !== "" && Number(r[2]) < start) return "whole"; // invalid: ignored, as RFC 9110 says
  if (start >= size) return "unsatisfiable";
  return { start, end: r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1) };
}

/** The answer for an open file; `handed`: the handle now belongs to the body stream. */
function* respondWithFile(
  req: HttpRequest,
  cfg: FilesConfig,
  fh: FileHandle,
  stats: Stats,
  file: string,
): Generator<Instruction, { init: HttpResponseInit; handed: boolean }, any> {
  const size = stats.size;
  const etag = cfg.etag ? etagOf(stats) : null;
  const mtime = Math.floor(stats.mtimeMs / 1000) * 1000; // HTTP dates have whole seconds
  const lastModified = cfg.lastModified ? new Date(mtime).toUTCString() : null;
  const type = mimeTypes.contentType(path.extname(file)) || "application/octet-stream";
  const validators: Record<string, string> = { "cache-control": cfg.cacheControl };
  if (etag !== null) validators.etag = etag;
  if (lastModified !== null) validators["last-modified"] = lastModified;
  const h = req.headers;

  // Preconditions, in the order of RFC 9110 §13.2.2.
  const ifMatch = h.get("if-match");
  if (ifMatch !== null) {
    // Strong comparison: only `*` can match a weak tag.
    if (ifMatch.trim() !== "*") return { init: plainAnswer(412, "Precondition Failed", validators), handed: false };
  } else {
    const ius = h.get("if-unmodified-since");
    if (ius !== null) {
      const d = dateOf(ius);
      if (!Number.isNaN(d) && mtime > d) return { init: plainAnswer(412, "Precondition Failed", validators), handed: false };
    }
  }
  const inm = h.get("if-none-match");
  let fresh = false;
  if (inm !== null) fresh = etag !== null ? weakMatch(inm, etag) : inm.trim() === "*";
  else {
    const ims = h.get("if-modified-since");
    if (ims !== null) {
      const d = dateOf(ims);
      fresh = !Number.isNaN(d) && mtime <= d;
    }
  }
  if (fresh) {
    const headers: Record<string, string> = { ...validators };
    if (cfg.compress !== null && cfg.compress.filter(type)) headers.vary = "Accept-Encoding";
    return { init: { status: 304, headers }, handed: false };
  }

  const headers: Record<string, string> = { "content-type": type, "accept-ranges": "bytes", ...validators };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = h.get("range");
  if (range !== null && rangeStillValid(h.get("if-range"), lastModified)) {
    const r = parseRange(range, size);
    if (r === "unsatisfiable") {
      return { init: plainAnswer(416, "Range Not Satisfiable", { "content-range": `bytes */${size}`, "accept-ranges": "bytes" }), handed: false };
    }
    if (r !== "whole") {
      start = r.start;
      end = r.end;
      status = 206;
      headers["content-range"] = `bytes ${start}-${end}/${size}`;
    }
  }
  const length = end - start + 1;
  headers["content-length"] = String(length);
  if (req.method === "HEAD" || length === 0) return { init: { status, headers, body: "" }, handed: false };
  if (length <= WHOLE_FILE) {
    const bytes = yield* readWhole(fh, start, length);
    if (bytes.length !== length) headers["content-length"] = String(bytes.length); // shrunk under us
    return { init: { status, headers, body: bytes }, handed: false };
  }
  // The stream owns the handle from here: it closes it at the end, or when destroyed.
  const body = fh.createReadStream({ start, end, highWaterMark: STREAM_CHUNK, autoClose: true });
  return { init: { status, headers, body }, handed: true };
}

/** If-Range (RFC 9110 §13.1.5): absent, or a date equal to Last-Modified. An entity tag never matches our weak tags. */
function rangeStillValid(ifRange: string | null, lastModified: string | null): boolean {
  if (ifRange === null) return true;
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith("W/")) return false;
  if (lastModified === null) return false;
  const d = dateOf(v);
  return !Number.isNaN(d) && d === Date.parse(lastModified);
}

/** Read `length` bytes from `start` into a fresh buffer (shorter if the file shrank). */
function* readWhole(fh: FileHandle, start: number, length: number): Generator<Instruction, Uint8Array, any> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = yield* call(() => fh.read(buf, got, length - got, start + got));
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}
