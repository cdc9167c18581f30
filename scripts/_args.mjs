// Command-line flags for the scripts, benchmarks and examples, on
// util.parseArgs: one way to declare flags, `--help`, and one kind of error.
// An unknown flag, a missing value or a stray argument prints a message that
// names it and lists the valid flags, and exits with code 2 before any work.
//
//   const { values, positionals } = parseCli({
//     name: "hello-http",
//     usage: "node examples/hello-http.mjs [--port N]",
//     options: { port: { type: "string", value: "N", help: "port to listen on (default: PORT or 3000)" } },
//   });
//   const port = intArg("hello-http", "port", values.port ?? process.env.PORT ?? 3000, { min: 0, max: 65535 });
import { parseArgs } from "node:util";

/** Exit code for a command line that could not be understood (as getopt tools do). */
export const USAGE_ERROR = 2;

/** Prints `<name>: <message>` and how to get help on stderr, and exits with code 2. */
export function usageError(name, message) {
  process.stderr.write(`${name}: ${message}\n(--help shows the usage)\n`);
  process.exit(USAGE_ERROR);
}

const flagList = (options) =>
  Object.entries(options)
    .map(([k, o]) => `--${k}${o.type === "string" ? `=${o.value ?? "VALUE"}` : ""}`)
    .join(", ");

function helpText(usage, options, description) {
  const lines = [`usage: ${usage}`];
  if (description) lines.push("", description);
  lines.push("", "flags:");
  const rows = Object.entries(options).map(([k, o]) => [`  ${o.short ? `-${o.short}, ` : ""}--${k}${o.type === "string" ? ` ${o.value ?? "VALUE"}` : ""}`, o.help ?? ""]);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  for (const [left, right] of rows) lines.push(left.padEnd(width) + right);
  return lines.join("\n") + "\n";
}

/**
 * Parses `args` (default: the process's arguments after the script) against
 * `options` (util.parseArgs options, each with an optional `help` line and,
 * for strings, a `value` placeholder). `--help`/`-h` is added: it prints the
 * usage and exits 0. `positionals` is how many plain arguments are allowed.
 * Returns `{ values, positionals }`; never returns on a bad command line.
 */
export function parseCli({ name, usage, description, options = {}, positionals = 0, args = process.argv.slice(2) }) {
  const all = { ...options, help: { type: "boolean", short: "h", help: "print this help and exit" } };
  const valid = `valid flags: ${flagList(all)}`;
  // First pass, lenient, to name an unknown flag exactly as it was written.
  const { tokens } = parseArgs({ args, options: all, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === "option" && !Object.hasOwn(all, t.name)) usageError(name, `unknown flag ${t.rawName}; ${valid}`);
  }
  if (tokens.some((t) => t.kind === "option" && t.name === "help")) {
    process.stdout.write(helpText(usage, all, description));
    process.exit(0);
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, strict: true, allowPositionals: positionals > 0 });
  } catch (e) {
    const why = e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" ? `takes no argument like ${JSON.stringify(e.message.match(/'([^']*)'/)?.[1] ?? "")}` : e.message;
    usageError(name, `${why}; ${valid}`);
  }
  if (parsed.positionals.length > positionals) {
    usageError(name, `takes at most ${positionals} argument${positionals === 1 ? "" : "s"}, got ${parsed.positionals.length}: ${parsed.positionals.join(" ")}; usage: ${usage}`);
  }
  delete parsed.values.help;
  return parsed;
}

/**
 * A whole number from a flag or argument (`what` names it in the message),
 * within [min, max]; exits with code 2 otherwise. Undefined stays undefined.
 */
export function intArg(name, what, raw, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}) {
  if (raw === undefined) return undefined;
  const n = typeof raw === "number" ? raw : /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    usageError(name, `${what} must be a whole number ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** A non-negative number (fractions allowed) from a flag; exits with code 2 otherwise. */
export function numberArg(name, what, raw, { min = 0 } = {}) {
  if (raw === undefined) return undefined;
  const n = typeof raw === "number" ? raw : raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < min) usageError(name, `${what} must be a number of at least ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

/** A comma-separated list whose items must each be one of `allowed`; exits with code 2 otherwise. */
export function listArg(name, what, raw, allowed) {
  if (raw === undefined) return undefined;
  const items = raw.split(",").filter((s) => s !== "");
  const bad = items.filter((s) => !allowed.includes(s));
  if (bad.length > 0 || items.length === 0) usageError(name, `${what}: unknown ${bad.join(", ") || "(empty)"}; one or more of ${allowed.join(", ")}`);
  return items;
}

/**
 * The command line of a server example: `--port N` (else the PORT variable,
 * else `fallback`; 0 picks a free port) and `--help`. Returns the port.
 */
export function serverPort(name, fallback) {
  const { values } = parseCli({
    name,
    usage: `node examples/${name}.mjs [--port N]   (or PORT=N)`,
    options: { port: { type: "string", value: "N", help: `port to listen on (default: PORT, else ${fallback}; 0 picks a free one)` } },
  });
  return intArg(name, values.port !== undefined ? "--port" : "PORT", values.port ?? process.env.PORT ?? String(fallback), { max: 65535 });
}
