// Test helpers for raw HTTP/1.1 exchanges: a parser of the server's response
// stream (status, fields, body by Content-Length or chunked) and a client
// that writes its parts at chosen moments and reads until the server closes.
import { type Socket, connect } from "node:net";

/** One response read off the wire. */
export interface WireResponse {
  status: number;
  /** Field names lower-cased; the last value wins. */
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Split `bytes` into complete responses. Returns them and how many bytes
 * they used (the rest is an incomplete response, or garbage).
 */
export function parseResponses(bytes: Buffer): { responses: WireResponse[]; used: number } {
  const responses: WireResponse[] = [];
  let at = 0;
  for (;;) {
    const end = bytes.indexOf("\r\n\r\n", at);
    if (end < 0) break;
    const lines = bytes.subarray(at, end).toString("latin1").split("\r\n");
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]!);
    if (m === null) break;
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(":");
      headers.set(l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim());
    }
    let p = end + 4;
    let body: Buffer;
    if (headers.get("transfer-encoding") === "chunked") {
      const parts: Buffer[] = [];
      for (;;) {
        const le = bytes.indexOf("\r\n", p);
        if (le < 0) return { responses, used: at };
        const size = Number.parseInt(bytes.subarray(p, le).toString("latin1"), 16);
        if (le + 2 + size + 2 > bytes.length) return { responses, used: at };
        parts.push(bytes.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const n = Number(headers.get("content-length") ?? 0);
      if (p + n > bytes.length) break;
      body = bytes.subarray(p, p + n);
      p += n;
    }
    responses.push({ status: Number(m[1]), headers, body });
    at = p;
  }
  return { responses, used: at };
}

/** What {@link exchange} saw. */
export interface Exchange {
  responses: WireResponse[];
  /** Bytes after the last complete response (should be none). */
  leftover: number;
  /** The server closed the connection (rather than the wait running out). */
  closed: boolean;
}

/**
 * Connect; write `first`; then, for each of `later`, wait until `after[i]`
 * responses have arrived and write it; read until the server closes (or
 * `waitMs` pass with nothing new, then `closed` is false).
 */
export function exchange(port: number, first: Buffer | string, later: { after: number; bytes: Buffer | string }[] = [], waitMs = 2000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(port, "127.0.0.1");
    const got: Buffer[] = [];
    let queue = later.slice();
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const all = Buffer.concat(got);
      const { responses, used } = parseResponses(all);
      resolve({ responses, leftover: all.length - used, closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), waitMs);
    };
    const sendDue = () => {
      if (queue.length === 0) return;
      const n = parseResponses(Buffer.concat(got)).responses.length;
      while (queue.length > 0 && queue[0]!.after <= n) {
        sock.write(queue[0]!.bytes);
        queue = queue.slice(1);
      }
    };
    sock.on("data", (d) => {
      got.push(d);
      arm();
      sendDue();
    });
    sock.on("close", () => finish(true));
    sock.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ECONNRESET" || e.code === "EPIPE") finish(true);
      else reject(e);
    });
    sock.on("connect", () => {
      sock.write(first);
      sendDue();
      arm();
    });
  });
}
