import { execFileSync } from "node:child_process";
import { connect } from "node:net";
import { type Handler, type ServeOptions, type Server, serve } from "../../src/index.js";
import { BACKENDS } from "../support/helpers.js";

/** Whether curl, the real client some suites use, is installed (.ci/run installs it). */
export const hasCurl = (() => {
  try {
    execFileSync("curl", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Every server suite runs on each parser and each scheduler backend. */
export const COMBOS: readonly { parser: "wasm" | "ts"; backend: (typeof BACKENDS)[number] }[] = (["wasm", "ts"] as const).flatMap((parser) =>
  BACKENDS.map((backend) => ({ parser, backend })),
);

/**
 * For a test file: `start()` starts a server like startServer and closes it
 * after the test (register `afterEach(closeAll)`).
 */
export function serverPool(): { start: typeof startServer; closeAll: () => Promise<void> } {
  const servers: Server[] = [];
  return {
    async start(...args) {
      const s = await startServer(...args);
      servers.push(s);
      return s;
    },
    async closeAll() {
      for (const s of servers.splice(0)) await s.close({ timeout: 100 }).then(undefined, () => {});
    },
  };
}

/** Start a server on a free port and wait until it listens. */
export async function startServer(combo: { parser: "wasm" | "ts"; backend: "ts" | "wasm" }, handler: Handler, options: ServeOptions = {}): Promise<Server> {
  const server = serve({ port: 0, parser: combo.parser, backend: combo.backend, ...options }, handler);
  await server.ready;
  return server;
}

/** What a raw socket exchange got back. */
export interface RawResult {
  /** Everything received, as latin1. */
  text: string;
  /** The server closed the connection. */
  closed: boolean;
  /** How many of the parts had been written when the exchange ended. */
  sent: number;
}

/**
 * Send raw bytes (in one write, or in parts with a pause between) and collect
 * the answer until the server closes or `idleMs` passes with nothing new.
 * With `until`, once it holds for the text so far, only `settleMs` more of
 * silence is waited for (anything extra still arrives in that time): a test
 * that knows what to expect need not guess a short idle time on a loaded
 * machine.
 */
export function raw(
  port: number,
  parts: string | Buffer | (string | Buffer)[],
  opts: { idleMs?: number; gapMs?: number; until?: (text: string) => boolean; settleMs?: number } = {},
): Promise<RawResult> {
  const { idleMs = 300, gapMs = 0, until, settleMs = 50 } = opts;
  const list = Array.isArray(parts) ? parts : [parts];
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let sent = 0;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(chunks).toString("latin1"), closed, sent });
    };
    const arm = () => {
      clearTimeout(timer);
      const enough = until !== undefined && until(Buffer.concat(chunks).toString("latin1"));
      timer = setTimeout(() => finish(false), enough ? settleMs : idleMs);
    };
    sock.on("data", (d) => {
      chunks.push(d);
      arm();
    });
    sock.on("end", () => finish(true));
    sock.on("close", () => finish(true));
    sock.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNRESET" || e.code === "EPIPE") finish(true);
      else reject(e);
    });
    sock.on("connect", async () => {
      for (let i = 0; i < list.length; i++) {
        if (done) return;
        sock.write(list[i]!);
        sent++;
        if (gapMs > 0 && i < list.length - 1) await new Promise((r) => setTimeout(r, gapMs));
      }
      arm();
    });
  });
}

/** Split a raw HTTP/1.1 response stream into status codes, in order (bodies are Content-Length framed or chunked). */
export function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
