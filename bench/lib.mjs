// Shared helpers of the benchmark suites: interleaved rounds, medians,
// a progress line, machine facts, Markdown tables and an SVG bar chart.
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const here = dirname(fileURLToPath(import.meta.url));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One line of the machine: CPU model, cores, memory, Node, load. */
export function machine() {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  let load = "";
  try {
    load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {}
  return `${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load avg ${load} at start`;
}

let lastLen = 0;
/** Overwrite one progress line on stderr. */
export function progress(text) {
  if (!process.stderr.isTTY) {
    process.stderr.write(text + "\n");
    return;
  }
  const pad = Math.max(0, lastLen - text.length);
  process.stderr.write(`\r${text}${" ".repeat(pad)}`);
  lastLen = text.length;
}
export function progressDone() {
  if (process.stderr.isTTY) process.stderr.write("\r" + " ".repeat(lastLen) + "\r");
  lastLen = 0;
}

/**
 * Run every variant once per round after one warm-up round that is not
 * counted. `measure(variant)` returns a number (or an object of numbers).
 * Returns the samples per variant.
 *
 * A run pays for collecting the garbage of the run before it. By default
 * the order is reversed every other round (AB BA AB...), so that cost is
 * shared out evenly instead of always billing one variant for another's
 * garbage. With `{ gc: true }` (for the rows that hold a million tasks, and
 * needing --expose-gc) every run starts after a full GC instead; not the
 * default, because a full GC from `gc()` also throws away optimized code and
 * type feedback, which slows short throughput runs by up to 2-3x (measured:
 * channel ping-pong 435 -> 843 ns at the --quick size).
 */
export async function interleave(label, variants, rounds, measure, { gc = false } = {}) {
  const samples = new Map(variants.map((v) => [v, []]));
  for (let r = -1; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      progress(`${label}: ${r < 0 ? "warm-up" : `round ${r + 1}/${rounds}`}, ${v}`);
      if (gc) globalThis.gc?.();
      const x = await measure(v);
      if (r >= 0) samples.get(v).push(x);
    }
  }
  return samples;
}

/** Median of each numeric field over a list of sample objects. */
export function medianOf(samples, field) {
  return median(samples.map((s) => (typeof s === "number" ? s : s[field])));
}

export function fmt(x, digits = 0) {
  if (x === undefined || x === null || Number.isNaN(x)) return "–";
  if (!Number.isFinite(x)) return String(x);
  return x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * Heap + external bytes after a full GC (needs --expose-gc). External memory
 * holds both ArrayBuffer backing stores (the TS core's typed arrays) and
 * WebAssembly memories (the Wasm core's), so either core is counted once.
 */
export function usedBytes() {
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

export function writeResult(file, text) {
  const path = join(here, "results", file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** Horizontal bar chart of ratios (1.0 marked) as a standalone SVG. */
export function ratioChart(title, items, note) {
  const w = 760;
  const rowH = 28;
  const left = 330;
  const top = 50;
  const h = top + items.length * rowH + 50;
  const max = Math.max(2, ...items.map((i) => i.ratio)) * 1.1;
  const x = (r) => left + ((w - left - 60) * r) / max;
  const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const bars = items
    .map((it, i) => {
      const y = top + i * rowH;
      const color = it.ratio >= 1 ? "#2f855a" : "#c53030";
      return `<text x="${left - 8}" y="${y + 18}" text-anchor="end" font-size="13">${esc(it.label)}</text>
<rect x="${left}" y="${y + 5}" width="${Math.max(1, x(it.ratio) - left)}" height="18" fill="${color}"/>
<text x="${x(it.ratio) + 6}" y="${y + 18}" font-size="13">${it.ratio.toFixed(2)}x</text>`;
    })
    .join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${w / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>
${bars}
<line x1="${x(1)}" y1="${top - 5}" x2="${x(1)}" y2="${top + items.length * rowH + 5}" stroke="#333" stroke-dasharray="4 3"/>
<text x="${x(1)}" y="${top + items.length * rowH + 22}" text-anchor="middle" font-size="12">1.0 = equal</text>
<text x="10" y="${h - 8}" font-size="11" fill="#555">${esc(note)}</text>
</svg>
`;
}

/** Whether a command exists on PATH. */
export function have(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * A keep-alive HTTP client for the hello-world servers: each of `conns`
 * connections sends `batches` batches of `depth` pipelined GETs, each batch
 * once the answers to the one before have arrived (counted by their
 * "Hello, World!" bodies), then closes. Resolves when all are done.
 */
export function sendBatches(port, conns, batches, depth) {
  const batch = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n".repeat(depth);
  return Promise.all(
    Array.from({ length: conns }, () =>
      new Promise((resolve, reject) => {
        const sock = net.connect(port, "127.0.0.1");
        sock.on("error", reject);
        let seen = 0;
        let round = 0;
        let tail = "";
        sock.on("data", (d) => {
          const text = tail + d.toString("latin1");
          seen += text.split("Hello, World!").length - 1;
          tail = text.slice(-12);
          while (seen >= depth) {
            seen -= depth;
            if (++round === batches) {
              sock.destroy();
              resolve();
              return;
            }
            sock.write(batch);
          }
        });
        sock.write(batch);
      }),
    ),
  );
}

/** Open a keep-alive connection to the hello-world server at `port` and resolve with it once its first response has arrived. */
export function openAfterOneRequest(port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    sock.on("error", reject);
    let got = "";
    sock.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("Hello, World!")) resolve(sock);
    });
    sock.write("GET / HTTP/1.1\r\nHost: bench\r\n\r\n");
  });
}
