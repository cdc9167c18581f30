// Request bodies as streams: `req.readable()` (a Node Readable) and
// `req.stream()` (a Web ReadableStream) deliver every byte, in order, for
// random bodies split at random by the client (fast-check), with
// Content-Length and chunked framing; piped into a real file they give the
// same file. They are pulled: a slow consumer of a large upload keeps the
// server's buffered bytes bounded and makes the client wait. A stream read
// after its request was answered fails with a clear error, and the
// connection goes on to its next request.
import { createHash } from "node:crypto";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fc, test as fcTest } from "@fast-check/vitest";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type HttpRequest, call, sleep } from "../../src/index.js";
import { COMBOS, raw, serverPool } from "./http-helpers.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);
const dir = mkdtempSync(join(tmpdir(), "tasklet-request-streams-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const MiB = 1 << 20;

/** Send `body` as a request in the given pieces (Content-Length or chunked framing), each piece its own write; the answer's text. */
async function upload(port: number, path: string, body: Uint8Array, cuts: number[], chunked: boolean): Promise<string> {
  const head = `POST ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n${chunked ? "Transfer-Encoding: chunked" : `Content-Length: ${body.length}`}\r\n\r\n`;
  const parts: Buffer[] = [Buffer.from(head)];
  const bounds = [...new Set([0, ...cuts.filter((c) => c > 0 && c < body.length), body.length])].sort((a, b) => a - b);
  for (let i = 0; i + 1 < bounds.length; i++) {
    const piece = Buffer.from(body.subarray(bounds[i], bounds[i + 1]));
    parts.push(chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from("\r\n")]) : piece);
  }
  if (chunked) parts.push(Buffer.from("0\r\n\r\n"));
  const r = await raw(port, parts, { gapMs: 1, idleMs: 2000, until: (t) => /\r\n\r\n[0-9a-f]{64} \d+$/.test(t) });
  return r.text;
}

const answer = (text: string) => text.slice(text.indexOf("\r\n\r\n") + 4);

describe.each(COMBOS)("request body streams (parser $parser, backend $backend)", (combo) => {
  fcTest.prop([fc.uint8Array({ minLength: 0, maxLength: 200_000 }), fc.array(fc.nat(200_000), { maxLength: 8 }), fc.boolean(), fc.boolean()], { numRuns: 12 })(
    "random bodies split at random arrive whole through readable() and stream()",
    async (body, cuts, chunked, web) => {
      const server = await start(combo, function* (req) {
        const parts: Uint8Array[] = [];
        if (web) {
          const reader = req.stream().getReader();
          for (;;) {
            const r = yield* call(reader.read());
            if (r.done) break;
            parts.push(r.value);
          }
        } else {
          const readable = req.readable();
          yield* call(
            (async () => {
              for await (const c of readable) parts.push(c as Uint8Array);
            })(),
          );
        }
        const all = Buffer.concat(parts);
        return { body: `${sha(all)} ${all.length}` };
      });
      const text = await upload(server.port, "/", body, cuts, chunked);
      expect(answer(text)).toBe(`${sha(body)} ${body.length}`);
    },
  );

  it("pipeline(req.readable(), file) and req.stream().pipeTo(file) write the same file as was sent", async () => {
    const body = Buffer.alloc(5 * MiB + 3);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 11)) & 0xff;
    let n = 0;
    const server = await start(combo, function* (req) {
      const file = join(dir, `${combo.parser}-${combo.backend}-${n++}.bin`);
      if (req.path === "/node") yield* call(pipeline(req.readable(), createWriteStream(file)));
      else {
        const out = createWriteStream(file);
        yield* call(
          req.stream().pipeTo(
            new WritableStream({
              write: (c) => new Promise<void>((resolve, reject) => out.write(c, (e) => (e ? reject(e) : resolve()))),
              close: () => new Promise<void>((resolve) => out.end(resolve)),
            }),
          ),
        );
      }
      const got = readFileSync(file);
      return { body: `${sha(got)} ${got.length}` };
    });
    for (const path of ["/node", "/web"]) {
      const r = await fetch(`http://127.0.0.1:${server.port}${path}`, { method: "POST", body });
      expect(await r.text()).toBe(`${sha(body)} ${body.length}`);
    }
  });

  it("a stream read after the request was answered fails, and the connection serves its next request", async () => {
    let late: ReadableStream<Uint8Array> | null = null;
    const server = await start(combo, function* (req) {
      if (req.path === "/first") {
        late = req.stream();
        return { body: "answered without reading" };
      }
      return { body: "second" };
    });
    const sock = connect(server.port, "127.0.0.1");
    let reply = "";
    sock.on("data", (d) => (reply += d));
    await new Promise<void>((r) => sock.once("connect", () => r()));
    // Half the body: the handler answers at once; the server then reads and drops the rest.
    sock.write("POST /first HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabcde");
    for (let i = 0; i < 200 && late === null; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    await expect(late!.getReader().read()).rejects.toThrow(/read after the request was answered|stopped/);
    sock.write("fghijGET /second HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    await new Promise<void>((r) => sock.once("close", () => r()));
    expect(reply).toContain("answered without reading");
    expect(reply).toContain("second");
  });
});

/** The largest a TCP socket buffer may grow to (autotuning), from /proc; a generous guess where it cannot be read. */
function kernelMax(name: "tcp_rmem" | "tcp_wmem", guess: number): number {
  try {
    const max = Number(readFileSync(`/proc/sys/net/ipv4/${name}`, "utf8").trim().split(/\s+/)[2]);
    return Number.isFinite(max) && max > 0 ? max : guess;
  } catch {
    return guess;
  }
}

describe.each(COMBOS)("a slow consumer holds the client back (parser $parser, backend $backend)", (combo) => {
  it.each(["readable", "stream"] as const)("via req.%s(): the server buffers a bounded amount while the client waits", async (kind) => {
    const TOTAL = 64 * MiB;
    const SLOW = 2 * MiB; // read this much slowly, then stop and look
    let maxHeld = 0;
    let consumed = 0;
    let paused: () => void = () => {};
    const pausedAt = new Promise<void>((r) => (paused = r));
    let resume: () => void = () => {};
    const resumed = new Promise<void>((r) => (resume = r));
    const held = (req: HttpRequest) => {
      // What the server holds of the body: parsed chunks not yet read, and socket bytes not yet parsed.
      const parsed = req._chunks.reduce((n, c) => n + c.length, 0);
      maxHeld = Math.max(maxHeld, parsed + req._conn.conn.bufferedLength);
    };
    const server = await start(combo, function* (req) {
      const reader = kind === "stream" ? req.stream().getReader() : null;
      const it = kind === "readable" ? req.readable()[Symbol.asyncIterator]() : null;
      const next = () => (reader !== null ? reader.read() : (it!.next() as Promise<ReadableStreamReadResult<Uint8Array>>));
      for (;;) {
        held(req);
        const r = yield* call(next());
        if (r.done) break;
        consumed += r.value.length;
        if (consumed < SLOW) yield* sleep(1);
        else if (consumed - r.value.length < SLOW) {
          paused();
          yield* call(resumed);
        }
      }
      return { body: String(consumed) };
    });
    // The client writes as fast as the kernel takes it, and counts what it took.
    const sock = connect(server.port, "127.0.0.1");
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.write(`POST / HTTP/1.1\r\nHost: t\r\nContent-Length: ${TOTAL}\r\nConnection: close\r\n\r\n`);
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let accepted = 0;
    const writer = (async () => {
      while (accepted < TOTAL) {
        const more = sock.write(piece);
        accepted += piece.length;
        if (!more) await new Promise<void>((r) => sock.once("drain", () => r()));
      }
    })();
    let reply = "";
    sock.on("data", (d) => (reply += d));
    await pausedAt;
    await new Promise((r) => setTimeout(r, 300)); // the client writes on while the consumer is stopped
    const acceptedWhilePaused = accepted;
    // Bounded: what the consumer read, plus the kernel's buffers on both sides, plus the server's read buffer.
    const bound = SLOW + 64 * 1024 + kernelMax("tcp_rmem", 32 * MiB) + kernelMax("tcp_wmem", 32 * MiB) + 4 * MiB;
    expect(acceptedWhilePaused).toBeLessThan(Math.min(bound, TOTAL));
    expect(maxHeld).toBeLessThanOrEqual(256 * 1024);
    resume();
    await writer;
    await new Promise<void>((r) => sock.once("close", () => r()));
    expect(reply).toContain(`\r\n\r\n${TOTAL}`);
    expect(maxHeld).toBeLessThanOrEqual(256 * 1024);
  }, 60_000);
});
