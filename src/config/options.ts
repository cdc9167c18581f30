/**
 * Option objects are checked and resolved here, in one pass, against one
 * table per public function: an unknown key (a typo such as
 * `keepAliveTimout`) or a value of the wrong type is a TypeError naming the
 * key, what was expected and what was passed; a number out of its range is
 * a RangeError. `undefined` values count as absent, so `{ port: maybePort }`
 * works. What comes out is a frozen config with every key of the table:
 * defaults filled in, "0 means no limit" turned into Infinity, and the few
 * values that depend on others (see the `resolve*` functions at the end)
 * derived. The code behind a public function reads that config, never the
 * caller's object.
 */
import { autoWorkers, reusePortError, systemBacklog } from "./system.js";

/** How one option is checked, and what it resolves to when absent. */
export type OptionSpec =
  | {
      kind: "number";
      /** smallest allowed */ min?: number;
      /** largest allowed */ max?: number;
      integer?: boolean;
      /** Infinity allowed (with `integer`) */ infinite?: boolean;
      /** text for messages, e.g. "a number of ms >= 0" */ expected: string;
      /** 0 resolves to Infinity: a limit of 0 means no limit */ zeroIsNone?: boolean;
      /** the value when absent (else undefined) */ default?: number;
      /** absent is an error */ required?: boolean;
    }
  | { kind: "string"; nonEmpty?: boolean; default?: string }
  | { kind: "boolean"; default?: boolean }
  | { kind: "function" }
  /** A plain object (its own contents are checked by the code that uses it); `orTrue`: `true` is allowed too. */
  | { kind: "object"; orTrue?: boolean }
  | { kind: "enum"; values: readonly string[]; default?: string }
  /** A whole number >= 0 or the string "auto" (`workers`); absent: 0. */
  | { kind: "countOrAuto" };

export type OptionTable = Readonly<Record<string, OptionSpec>>;

/**
 * A value as an error message names it: `"80" (a string)`, `-1`, `null`,
 * `an array`, `an object` (a plain one), `an instance of Readable`,
 * `a function (f)`, `a symbol (s)`, `a bigint (12n)`. Shared by every
 * message that says what a caller passed.
 */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "undefined":
      return "undefined";
    case "string":
      return `${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)} (a string)`;
    case "number":
      return String(v);
    case "function":
      return `a function${v.name ? ` (${v.name})` : ""}`;
    case "symbol":
      return `a symbol (${String(v.description)})`;
    case "bigint":
      return `a bigint (${v}n)`;
    case "object": {
      if (Array.isArray(v)) return "an array";
      const proto = Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null;
      if (proto === null || proto === Object.prototype) return "an object";
      const name = proto.constructor?.name;
      return name ? `an instance of ${name}` : "an object";
    }
    default:
      return `${String(v)} (a ${typeof v})`;
  }
}

/** Edit distance, for the "did you mean" hint. */
function distance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  let prev = Array.from({ length: bl.length + 1 }, (_, j) => j);
  for (let i = 1; i <= al.length; i++) {
    const cur = [i];
    for (let j = 1; j <= bl.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (al[i - 1] === bl[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[bl.length]!;
}

/** The known key closest to `key`, if it is close enough to be a typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  // A third of the key's length (at least 2 edits): close enough to be a slip, not a different word.
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function expectedOf(spec: OptionSpec): string {
  switch (spec.kind) {
    case "number":
      return spec.expected;
    case "string":
      return spec.nonEmpty ? "a non-empty string" : "a string";
    case "boolean":
      return "true or false";
    case "function":
      return "a function";
    case "object":
      return spec.orTrue ? "an object or true" : "an object";
    case "enum":
      return spec.values.map((v) => JSON.stringify(v)).join(" or ");
    case "countOrAuto":
      return `a whole number >= 0 or "auto"`;
  }
}

/**
 * Check `options` against `table`; `fn` names the function in messages
 * (`"serve()"`). Throws TypeError for a non-object, an unknown key or a wrong
 * type, RangeError for a number out of range. ({@link resolveOptions} checks
 * and resolves; this only checks.)
 */
export function checkOptions(fn: string, table: OptionTable, options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`${fn}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    const spec = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
    if (spec === undefined) {
      const known = Object.keys(table);
      const near = closestKey(key, known);
      const hint = near === undefined ? "" : ` (did you mean ${near}?)`;
      throw new TypeError(`${fn}: unknown option ${JSON.stringify(key)}${hint}; known options: ${known.join(", ")}`);
    }
    const v = (options as Record<string, unknown>)[key];
    if (v === undefined) continue;
    checkValue(fn, key, spec, v);
  }
}

function checkValue(fn: string, key: string, spec: OptionSpec, v: unknown): void {
  const bad = (E: typeof TypeError): never => {
    throw new E(`${fn}: ${key} must be ${expectedOf(spec)}, got ${describeValue(v)}`);
  };
  switch (spec.kind) {
    case "number": {
      if (typeof v !== "number" || Number.isNaN(v)) return bad(TypeError);
      if (v === Infinity && spec.integer && !spec.infinite) return bad(RangeError);
      if (spec.integer && v !== Infinity && !Number.isInteger(v)) return bad(RangeError);
      if ((spec.min !== undefined && v < spec.min) || (spec.max !== undefined && v > spec.max)) return bad(RangeError);
      return;
    }
    case "string":
      if (typeof v !== "string") return bad(TypeError);
      if (spec.nonEmpty && v.length === 0) return bad(TypeError);
      return;
    case "boolean":
      if (typeof v !== "boolean") return bad(TypeError);
      return;
    case "function":
      if (typeof v !== "function") return bad(TypeError);
      return;
    case "object":
      if (v === true && spec.orTrue) return;
      if (v === null || typeof v !== "object" || Array.isArray(v)) return bad(TypeError);
      return;
    case "enum":
      if (typeof v !== "string" || !spec.values.includes(v)) return bad(TypeError);
      return;
    case "countOrAuto":
      if (v === "auto") return;
      if (typeof v !== "number" || Number.isNaN(v)) return bad(TypeError);
      if (!Number.isInteger(v) || v < 0) return bad(RangeError);
      return;
  }
}

/** The value of an option as resolved: its own if given, else its default; "0 means none" applied. */
function resolvedValue(spec: OptionSpec, v: unknown): unknown {
  if (v === undefined) return "default" in spec ? spec.default : undefined;
  if (spec.kind === "number" && spec.zeroIsNone === true && v === 0) return Infinity;
  return v;
}

/**
 * Check `options` against `table` (as {@link checkOptions}) and resolve it:
 * a new object with every key of the table, its default where the caller
 * gave none. A required option that is missing is a RangeError naming it.
 * Not frozen: the `resolve*` functions below add derived keys, then freeze.
 */
export function resolveOptions(fn: string, table: OptionTable, options: unknown): Record<string, unknown> {
  checkOptions(fn, table, options);
  const given = (options ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const spec = table[key]!;
    const v = Object.prototype.hasOwnProperty.call(given, key) ? given[key] : undefined;
    if (v === undefined && spec.kind === "number" && spec.required === true) {
      throw new RangeError(`${fn}: ${key} must be ${spec.expected}, got undefined`);
    }
    out[key] = resolvedValue(spec, v);
  }
  return out;
}

// ---------------------------------------------------------------- the tables

/** Grace of in-flight work when a server stops because its scope ended (no `close()`, no `closeTimeout`). */
export const SCOPE_END_GRACE_MS = 10_000;
/** Default `maxBodySize` of serve: 1 MiB. */
export const DEFAULT_MAX_BODY = 1 << 20;
/** The HTTP parser's default limits (DEFAULT_LIMITS of src/http/parser; a test checks they agree). */
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
export const DEFAULT_MAX_HEADERS = 100;
export const DEFAULT_MAX_REQUEST_LINE = 8 * 1024;
/** `Retry-After` of a 503 from admission control, in seconds. */
export const DEFAULT_RETRY_AFTER_S = 1;
/** Largest body of a request shed with 503 that is read and dropped to keep the connection: 64 KiB. */
export const DEFAULT_MAX_SHED_BODY = 64 * 1024;
/** Latency samples a stage keeps for its percentiles. */
export const DEFAULT_STAGE_WINDOW = 1024;
/** Default host of listen, connect and the servers. */
export const DEFAULT_HOST = "127.0.0.1";
/** Default time a TLS client has to finish its handshake on listen/serveTcp (serve: headersTimeout). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

const ms: OptionSpec = { kind: "number", min: 0, expected: "a number of ms >= 0" };
const bytes: OptionSpec = { kind: "number", min: 0, expected: "a number of bytes >= 0" };
const count1: OptionSpec = { kind: "number", min: 1, integer: true, infinite: true, expected: "a whole number >= 1", default: Infinity };
const str: OptionSpec = { kind: "string" };
const backend: OptionSpec = { kind: "enum", values: ["ts", "wasm"] };
/** A time limit of serve: 0 means none. */
const limitMs = (dflt: number): OptionSpec => ({ ...ms, zeroIsNone: true, default: dflt });

export const RUN_OPTIONS: OptionTable = {
  backend,
  clock: { kind: "enum", values: ["real", "virtual"], default: "real" },
  name: str,
  traceSpawns: { kind: "boolean", default: false },
  asyncContext: { kind: "boolean", default: false },
};

export const LISTEN_OPTIONS: OptionTable = {
  port: { kind: "number", min: 0, max: 65535, integer: true, expected: "a whole number from 0 to 65535", default: 0 },
  host: { kind: "string", nonEmpty: true, default: DEFAULT_HOST },
  path: { kind: "string", nonEmpty: true },
  /** Default: the system's limit (systemBacklog), filled by resolveListen. */
  backlog: { kind: "number", min: 1, integer: true, expected: "a whole number >= 1" },
  noDelay: { kind: "boolean", default: true },
  /** node:tls's server options; src/net/tls.ts checks what is inside. */
  tls: { kind: "object" },
  handshakeTimeout: limitMs(DEFAULT_HANDSHAKE_TIMEOUT_MS),
  /** SO_REUSEPORT; refused where this Node or platform cannot (reusePortError). */
  reusePort: { kind: "boolean", default: false },
};

/** The multi-core options of both servers (src/net/workers.ts). */
const WORKER_OPTIONS: OptionTable = {
  workers: { kind: "countOrAuto" },
  onWorkerExit: { kind: "function" },
};

export const CONNECT_OPTIONS: OptionTable = {
  port: { kind: "number", min: 1, max: 65535, integer: true, expected: "a whole number from 1 to 65535", required: true },
  host: { kind: "string", nonEmpty: true, default: DEFAULT_HOST },
  timeout: { ...ms, default: Infinity },
  noDelay: { kind: "boolean", default: true },
  /** node:tls's client options, or true; src/net/tls.ts checks what is inside. */
  tls: { kind: "object", orTrue: true },
};

export const SERVE_TCP_OPTIONS: OptionTable = {
  ...LISTEN_OPTIONS,
  maxConnections: count1,
  /** close()'s default timeout when given (else Infinity); the scope-end grace is derived (resolveServeTcp). */
  closeTimeout: ms,
  onError: { kind: "function" },
  name: str,
  ...WORKER_OPTIONS,
};

export const START_TCP_SERVER_OPTIONS: OptionTable = { ...SERVE_TCP_OPTIONS, backend };

export const SERVE_OPTIONS: OptionTable = {
  port: LISTEN_OPTIONS.port!,
  host: LISTEN_OPTIONS.host!,
  path: LISTEN_OPTIONS.path!,
  backlog: LISTEN_OPTIONS.backlog!,
  tls: LISTEN_OPTIONS.tls!,
  reusePort: LISTEN_OPTIONS.reusePort!,
  ...WORKER_OPTIONS,
  parser: { kind: "enum", values: ["wasm", "ts"], default: "wasm" },
  backend,
  maxHeaderSize: { kind: "number", min: 0, integer: true, expected: "a whole number of bytes >= 0", default: DEFAULT_MAX_HEADER_SIZE },
  maxHeaders: { kind: "number", min: 0, integer: true, expected: "a whole number >= 0", default: DEFAULT_MAX_HEADERS },
  maxBodySize: { ...bytes, default: DEFAULT_MAX_BODY },
  maxStreamedBodySize: { ...bytes, default: Infinity },
  maxRequestLine: { kind: "number", min: 0, integer: true, expected: "a whole number of bytes >= 0", default: DEFAULT_MAX_REQUEST_LINE },
  headersTimeout: limitMs(60_000),
  requestTimeout: limitMs(300_000),
  keepAliveTimeout: limitMs(5_000),
  idleTimeout: limitMs(Infinity),
  closeTimeout: { ...ms, default: SCOPE_END_GRACE_MS },
  maxConnections: count1,
  maxRequestsPerConnection: count1,
  onError: { kind: "function" },
  name: str,
  overrideGlobalObjects: { kind: "boolean", default: true },
  // Admission control (src/http/admission.ts): no limit unless given.
  maxConcurrentRequests: count1,
  maxQueuedRequests: { kind: "number", min: 0, integer: true, infinite: true, expected: "a whole number >= 0", default: 0 },
  retryAfter: { kind: "number", min: 0, integer: true, expected: "a whole number of seconds >= 0", default: DEFAULT_RETRY_AFTER_S },
  maxShedBody: { kind: "number", min: 0, integer: true, infinite: true, expected: "a whole number of bytes >= 0", default: DEFAULT_MAX_SHED_BODY },
  maxQueueDelay: { ...ms, default: Infinity },
};

export const CLOSE_OPTIONS: OptionTable = { timeout: ms };

export const STAGE_OPTIONS: OptionTable = {
  concurrency: { kind: "number", min: 1, integer: true, expected: "a whole number >= 1", default: 1 },
  queue: { kind: "number", min: 0, integer: true, infinite: true, expected: "a whole number >= 0 or Infinity", default: 0 },
  overflow: { kind: "enum", values: ["shed", "wait"], default: "wait" },
  window: { kind: "number", min: 1, max: 1 << 20, integer: true, expected: "a whole number from 1 to 1048576", default: DEFAULT_STAGE_WINDOW },
  name: str,
};

// ------------------------------------------------------ resolved configs

/** Scheduler cores and HTTP parsers, by name (as BackendName and ParserKind, which live above this layer). */
export type BackendChoice = "ts" | "wasm";
export type ParserChoice = "wasm" | "ts";

/** `run` and `spawn`, resolved. */
export interface RunConfig {
  /** undefined: env `TASKLET_BACKEND`, else the best available (the core decides). */
  readonly backend: BackendChoice | undefined;
  readonly clock: "real" | "virtual";
  readonly name: string | undefined;
  /** Record each task's spawn site for dumpTasks (a stack capture per spawn). */
  readonly traceSpawns: boolean;
  /** Each task's steps run in the async context it was spawned in (src/runtime/context.ts). */
  readonly asyncContext: boolean;
}

/** `listen`, resolved (and the listening part of every server). */
export interface ListenConfig {
  /** 0 picks a free port. Unused with `path`. */
  readonly port: number;
  /** Unused with `path`. */
  readonly host: string;
  /** A Unix domain socket instead of a TCP port. */
  readonly path: string | undefined;
  /** The system's limit when not given (see system.ts). */
  readonly backlog: number;
  /** Nagle off on accepted sockets; always false with `path` (no TCP). */
  readonly noDelay: boolean;
  /** node:tls's server options as given (checked by src/net/tls.ts); undefined: plain TCP. */
  readonly tls: object | undefined;
  /** Time limit of a TLS handshake in ms; Infinity: none (serve: its headersTimeout). */
  readonly handshakeTimeout: number;
  /** SO_REUSEPORT on the listening socket (checked to be available). */
  readonly reusePort: boolean;
}

/** `connect`, resolved. */
export interface ConnectConfig {
  readonly port: number;
  readonly host: string;
  /** ms of the run's clock; Infinity: no limit of our own. */
  readonly timeout: number;
  readonly noDelay: boolean;
  /** node:tls's client options, `true` for the defaults, or undefined: plain TCP. */
  readonly tls: object | true | undefined;
}

/** What every server shares, resolved (serveTcp and serve). `S` is what `onError` is told about (a Conn, a Request). */
export interface ServerConfig<S> extends ListenConfig {
  /** Connections served at once; Infinity: no limit. */
  readonly maxConnections: number;
  /** The default timeout of `close()`, in ms. */
  readonly closeTimeout: number;
  /** How long work in flight may go on when the server stops because its task ends without `close()`. */
  readonly scopeEndGrace: number;
  /** undefined: the server's own default (it lives with the code it reports on). */
  readonly onError: ((error: unknown, subject: S) => void) | undefined;
  /** Name of the server task; undefined: the server's default. */
  readonly name: string | undefined;
  /** Worker processes (`"auto"` resolved to the CPU count); 0: one process, no workers. */
  readonly workers: number;
  /** Told of each worker that exits (src/net/workers.ts says with what); undefined: a line on stderr. */
  readonly onWorkerExit: ((info: never) => void) | undefined;
}

/** `serveTcp`, resolved. */
export interface ServeTcpConfig<C> extends ServerConfig<C> {}

/** `startTcpServer`, resolved. */
export interface StartTcpServerConfig<C> extends ServeTcpConfig<C> {
  readonly backend: BackendChoice | undefined;
}

/** `serve`, resolved. Every time limit is in ms, Infinity for none. */
export interface ServeConfig<R> extends ServerConfig<R> {
  readonly parser: ParserChoice;
  /** Only when serve() starts a run of its own. */
  readonly backend: BackendChoice | undefined;
  readonly maxHeaderSize: number;
  readonly maxHeaders: number;
  /** Largest body a buffered read (`req.body()`...) gathers. */
  readonly maxBodySize: number;
  /** Largest body however read; the parser enforces it. */
  readonly maxStreamedBodySize: number;
  readonly maxRequestLine: number;
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly idleTimeout: number;
  readonly maxRequestsPerConnection: number;
  /** A fetch-style handler installs the light global Response/Request (src/http/fetch-response.ts). */
  readonly overrideGlobalObjects: boolean;
  /** Handlers running at once across all connections; Infinity: no admission control. */
  readonly maxConcurrentRequests: number;
  /** Requests waiting for a handler slot beyond those; more get 503. */
  readonly maxQueuedRequests: number;
  /** Seconds of the 503's `Retry-After`. */
  readonly retryAfter: number;
  /** Largest body of a shed request read and dropped to keep the connection open. */
  readonly maxShedBody: number;
  /** A request examined later than this (ms) after its connection's task started gets 503; Infinity: no such limit. */
  readonly maxQueueDelay: number;
}

/** `stage()`, resolved. */
export interface StageConfig {
  readonly concurrency: number;
  readonly queue: number;
  readonly overflow: "shed" | "wait";
  /** Latency samples kept (the newest). */
  readonly window: number;
  readonly name: string | undefined;
}

/** `close()` of a server, resolved. */
export interface CloseConfig {
  readonly timeout: number;
}

// ---------------------------------------------------- the resolvers

/** Throws a TypeError when options name a socket path and a port or host too. */
export function checkPathOptions(fn: string, given: unknown): void {
  const o = (given ?? {}) as { path?: string; port?: number; host?: string };
  if (o.path !== undefined && (o.port !== undefined || o.host !== undefined)) {
    const both = o.port !== undefined ? "port" : "host";
    throw new TypeError(`${fn}: path (a Unix domain socket) and ${both} exclude each other; got path ${JSON.stringify(o.path)} and ${both} ${JSON.stringify(o[both])}`);
  }
}

/** The listening part: backlog from the system when not given; no Nagle setting without TCP. */
function deriveListen(fn: string, given: unknown, r: Record<string, unknown>): void {
  checkPathOptions(fn, given);
  // A socket in its TLS handshake is known by its TCP addresses (src/net/tls.ts); a Unix socket has none.
  if (r.path !== undefined && r.tls !== undefined) throw new TypeError(`${fn}: tls is for TCP listeners; a Unix domain socket (path) cannot take it (put TLS in front, or listen on a port)`);
  if (r.backlog === undefined) r.backlog = systemBacklog();
  if (r.reusePort === true) {
    if (r.path !== undefined) throw new TypeError(`${fn}: reusePort is for TCP ports; a Unix domain socket (path) cannot take it`);
    const why = reusePortError();
    if (why !== null) throw new Error(`${fn}: ${why}; leave reusePort out (with workers, the primary then hands connections round-robin)`);
  }
  if (r.noDelay === undefined) r.noDelay = true;
  if (r.path !== undefined) r.noDelay = false;
}

/** The server part: close()'s default and the scope-end grace both come from `closeTimeout`; `workers` as a count. */
function deriveServer(fn: string, r: Record<string, unknown>, closeDefault: number): void {
  if (r.workers === undefined) r.workers = 0;
  else if (r.workers === "auto") r.workers = autoWorkers();
  if ((r.workers as number) > 0 && r.path !== undefined) {
    throw new TypeError(`${fn}: workers share a TCP port; a Unix domain socket (path) cannot take them (run one process per socket, or listen on a port)`);
  }
  const t = r.closeTimeout as number | undefined;
  r.closeTimeout = t ?? closeDefault;
  r.scopeEndGrace = t ?? SCOPE_END_GRACE_MS;
}

/** What a run or spawn without options resolves to, made once: spawning allocates nothing for it. */
const RUN_DEFAULTS = Object.freeze(resolveOptions("run()", RUN_OPTIONS, undefined)) as unknown as RunConfig;

/**
 * `run()`'s options. With `insideTask` (a `spawn` from a task), `backend`,
 * `clock`, `traceSpawns` and `asyncContext` are refused: they apply to a whole run.
 */
export function resolveRun(fn: string, options: unknown, insideTask = false): RunConfig {
  if (options === undefined) return RUN_DEFAULTS;
  const r = resolveOptions(fn, RUN_OPTIONS, options);
  const given = options as { clock?: unknown };
  if (insideTask && (r.backend !== undefined || given.clock !== undefined)) {
    throw new TypeError(`${fn}: \`backend\` and \`clock\` apply to a whole run; pass them to run() or to a spawn outside any task`);
  }
  for (const key of ["traceSpawns", "asyncContext"] as const) {
    if (insideTask && (options as Record<string, unknown>)[key] !== undefined) {
      throw new TypeError(`${fn}: \`${key}\` applies to a whole run; pass it to run() or to a spawn outside any task`);
    }
  }
  return Object.freeze(r) as unknown as RunConfig;
}

export function resolveListen(fn: string, options: unknown): ListenConfig {
  const r = resolveOptions(fn, LISTEN_OPTIONS, options);
  deriveListen(fn, options, r);
  return Object.freeze(r) as unknown as ListenConfig;
}

export function resolveConnect(fn: string, options: unknown): ConnectConfig {
  if (options === undefined) throw new TypeError(`${fn}: options with a port are required, got undefined`);
  return Object.freeze(resolveOptions(fn, CONNECT_OPTIONS, options)) as unknown as ConnectConfig;
}

/** `serveTcp()`'s options; `close()` waits without limit by default. */
export function resolveServeTcp<C>(fn: string, options: unknown): ServeTcpConfig<C> {
  const r = resolveOptions(fn, SERVE_TCP_OPTIONS, options);
  deriveListen(fn, options, r);
  deriveServer(fn, r, Infinity);
  return Object.freeze(r) as unknown as ServeTcpConfig<C>;
}

export function resolveStartTcpServer<C>(fn: string, options: unknown): StartTcpServerConfig<C> {
  const r = resolveOptions(fn, START_TCP_SERVER_OPTIONS, options);
  deriveListen(fn, options, r);
  deriveServer(fn, r, Infinity);
  return Object.freeze(r) as unknown as StartTcpServerConfig<C>;
}

/**
 * `serve()`'s options; `close()` waits `closeTimeout` by default (10 s).
 * With `insideTask`, `backend` is refused: it applies only when serve()
 * starts a run of its own.
 */
export function resolveServe<R>(fn: string, options: unknown, insideTask = false): ServeConfig<R> {
  const r = resolveOptions(fn, SERVE_OPTIONS, options);
  deriveListen(fn, options, r);
  deriveServer(fn, r, SCOPE_END_GRACE_MS);
  // The TLS handshake runs under the time a request head has (a client
  // that opens TLS and says nothing is cut), and offers HTTP/1.1 by ALPN.
  r.handshakeTimeout = Math.min(r.headersTimeout as number, r.idleTimeout as number);
  if (r.tls !== undefined) r.tls = { ALPNProtocols: ["http/1.1"], ...(r.tls as object) };
  if (insideTask && r.backend !== undefined) throw new TypeError(`${fn}: \`backend\` applies only when serve() starts its own run (outside a task)`);
  return Object.freeze(r) as unknown as ServeConfig<R>;
}

/** A server's `close()` options; `dflt` is the server's `closeTimeout`. */
export function resolveClose(fn: string, options: unknown, dflt: number): CloseConfig {
  const r = resolveOptions(fn, CLOSE_OPTIONS, options);
  if (r.timeout === undefined) r.timeout = dflt;
  return Object.freeze(r) as unknown as CloseConfig;
}

/** `stage()`'s options. */
export function resolveStage(fn: string, options: unknown): StageConfig {
  return Object.freeze(resolveOptions(fn, STAGE_OPTIONS, options)) as unknown as StageConfig;
}
