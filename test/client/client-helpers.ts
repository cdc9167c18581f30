/**
 * Servers for the client suites, on 127.0.0.1 in this process: node:http
 * (a real, independent implementation of the other side) and raw node:net
 * servers that send exactly the bytes a test crafts. Each counts the
 * connections it accepted and how many are still open, so a test can see
 * keep-alive reuse and that a closed client left nothing behind.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { pattern } from "../support/helpers.js";

export interface TestServer {
  port: number;
  url: string;
  /** Connections accepted so far. */
  accepted: number;
  /** Sockets still open. */
  open: Set<net.Socket>;
  /** Resolves when no socket is open (bounded: rejects after `ms`). */
  allClosed(ms?: number): Promise<void>;
  close(): Promise<void>;
}

function track(server: net.Server, t: { accepted: number; open: Set<net.Socket> }): void {
  server.on("connection", (s: net.Socket) => {
    t.accepted++;
    t.open.add(s);
    s.on("close", () => t.open.delete(s));
  });
}

function finish(server: net.Server, t: { accepted: number; open: Set<net.Socket> }, port: number): TestServer {
  return Object.assign(t, {
    port,
    url: `http://127.0.0.1:${port}`,
    allClosed(ms = 3000): Promise<void> {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const check = (): void => {
          if (t.open.size === 0) return resolve();
          if (Date.now() - started > ms) return reject(new Error(`${t.open.size} socket(s) still open after ${ms} ms`));
          setTimeout(check, 5);
        };
        check();
      });
    },
    close(): Promise<void> {
      for (const s of t.open) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  }) as TestServer;
}

/** A node:http server. */
export async function nodeServer(handler: http.RequestListener): Promise<TestServer & { server: http.Server }> {
  const server = http.createServer({ keepAliveTimeout: 10_000 }, handler);
  const t = { accepted: 0, open: new Set<net.Socket>() };
  track(server, t);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return Object.assign(finish(server, t, (server.address() as net.AddressInfo).port), { server });
}

/** A raw TCP server: `onConn` drives each socket. */
export async function rawServer(onConn: (s: net.Socket, index: number) => void): Promise<TestServer> {
  let n = 0;
  const server = net.createServer({ allowHalfOpen: true }, (s) => onConn(s, n++));
  const t = { accepted: 0, open: new Set<net.Socket>() };
  track(server, t);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return finish(server, t, (server.address() as net.AddressInfo).port);
}

/**
 * Feed a raw socket's requests to `answer` one head at a time (bodies are
 * not expected): each complete head (up to CRLFCRLF) gets `answer(head, i)`
 * written back, or nothing when it returns null.
 */
export function eachHead(s: net.Socket, answer: (head: string, i: number) => string | Buffer | null): void {
  let buf = "";
  let i = 0;
  s.on("data", (d) => {
    buf += d.toString("latin1");
    for (let end = buf.indexOf("\r\n\r\n"); end >= 0; end = buf.indexOf("\r\n\r\n")) {
      const head = buf.slice(0, end);
      buf = buf.slice(end + 4);
      const out = answer(head, i++);
      if (out !== null) s.write(out);
    }
  });
  s.on("error", () => {});
  s.on("end", () => s.end()); // the client closed: so does this side (the server is half-open by choice)
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Bytes from a seed (the suite's xorshift `pattern`, as a Buffer): any loss, shift or reordering changes the digest. */
export function randomBytes(seed: number, n: number): Buffer {
  const p = pattern((seed * 2654435761) | 1, n);
  return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}

/** Write `data` in pieces of random sizes with a macrotask between them (the client sees split reads). */
export async function writeSplit(w: { write(b: Uint8Array): unknown }, data: Uint8Array, seed: number): Promise<void> {
  let x = seed | 1;
  for (let at = 0; at < data.length; ) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = 1 + ((x >>> 0) % 70_000);
    w.write(data.subarray(at, at + n));
    at += n;
    if ((x & 3) === 0) await new Promise((r) => setImmediate(r));
  }
}

/** Read a node request's body whole. */
export async function readAll(req: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c);
  return Buffer.concat(parts);
}
