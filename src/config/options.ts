/**
 * Option objects are checked here, against one table per public function:
 * an unknown key (a typo such as `keepAliveTimout`) or a value of the wrong
 * type is a TypeError naming the key, what was expected and what was
 * passed; a number out of its range is a RangeError. `undefined` values
 * count as absent, so `{ port: maybePort }` works.
 */
/** How one option is checked. */
export type OptionSpec =
  | { kind: "number"; /** smallest allowed */ min?: number; /** largest allowed */ max?: number; integer?: boolean; /** Infinity allowed (with `integer`) */ infinite?: boolean; /** text for messages, e.g. "a number of ms >= 0" */ expected: string }
  | { kind: "string"; nonEmpty?: boolean }
  | { kind: "boolean" }
  | { kind: "function" }
  | { kind: "enum"; values: readonly string[] };

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
    case "enum":
      return spec.values.map((v) => JSON.stringify(v)).join(" or ");
  }
}

/**
 * Check `options` against `table`; `fn` names the function in messages
 * (`"serve()"`). Throws TypeError for a non-object, an unknown key or a wrong
 * type, RangeError for a number out of range.
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
    case "enum":
      if (typeof v !== "string" || !spec.values.includes(v)) return bad(TypeError);
      return;
  }
}

// ---------------------------------------------------------------- the tables

const ms: OptionSpec = { kind: "number", min: 0, expected: "a number of ms >= 0" };
const bytes: OptionSpec = { kind: "number", min: 0, expected: "a number of bytes >= 0" };
const count1: OptionSpec = { kind: "number", min: 1, integer: true, infinite: true, expected: "a whole number >= 1" };
const str: OptionSpec = { kind: "string" };
const backend: OptionSpec = { kind: "enum", values: ["ts", "wasm"] };

export const RUN_OPTIONS: OptionTable = {
  backend,
  clock: { kind: "enum", values: ["real", "virtual"] },
  name: str,
};

export const LISTEN_OPTIONS: OptionTable = {
  port: { kind: "number", min: 0, max: 65535, integer: true, expected: "a whole number from 0 to 65535" },
  host: { kind: "string", nonEmpty: true },
  path: { kind: "string", nonEmpty: true },
  backlog: { kind: "number", min: 1, integer: true, expected: "a whole number >= 1" },
  noDelay: { kind: "boolean" },
};

export const CONNECT_OPTIONS: OptionTable = {
  port: { kind: "number", min: 1, max: 65535, integer: true, expected: "a whole number from 1 to 65535" },
  host: { kind: "string", nonEmpty: true },
  timeout: ms,
  noDelay: { kind: "boolean" },
};

export const SERVE_TCP_OPTIONS: OptionTable = {
  ...LISTEN_OPTIONS,
  maxConnections: count1,
  closeTimeout: ms,
  onError: { kind: "function" },
  name: str,
};

export const START_TCP_SERVER_OPTIONS: OptionTable = { ...SERVE_TCP_OPTIONS, backend };

export const SERVE_OPTIONS: OptionTable = {
  port: LISTEN_OPTIONS.port!,
  host: LISTEN_OPTIONS.host!,
  path: LISTEN_OPTIONS.path!,
  backlog: LISTEN_OPTIONS.backlog!,
  parser: { kind: "enum", values: ["wasm", "ts"] },
  backend,
  maxHeaderSize: { kind: "number", min: 0, integer: true, expected: "a whole number of bytes >= 0" },
  maxHeaders: { kind: "number", min: 0, integer: true, expected: "a whole number >= 0" },
  maxBodySize: bytes,
  maxStreamedBodySize: bytes,
  maxRequestLine: { kind: "number", min: 0, integer: true, expected: "a whole number of bytes >= 0" },
  headersTimeout: ms,
  requestTimeout: ms,
  keepAliveTimeout: ms,
  idleTimeout: ms,
  closeTimeout: ms,
  maxConnections: count1,
  maxRequestsPerConnection: count1,
  onError: { kind: "function" },
  name: str,
};

export const CLOSE_OPTIONS: OptionTable = { timeout: ms };
