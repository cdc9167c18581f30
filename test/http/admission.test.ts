/**
 * Admission control of serve(): maxConcurrentRequests handlers at once,
 * maxQueuedRequests waiting (FIFO), the rest answered 503 with Retry-After
 * without their handler running; responses on a connection in request
 * order; a shed request with a small body keeps its connection, a large one
 * closes it. Real clients (node:http, fetch, raw sockets) on 127.0.0.1, on
 * each parser x backend; every wait is bounded.
 */
import { fc } from "@fast-check/vitest";
import diagnostics_channel from "node:diagnostics_channel";
import http from "node:http";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Event, OverloadedError, serve, sleep, type HttpErrorMessage, type Server } from "../../src/index.js";
import { COMBOS, serverPool, statuses } from "./http-helpers.js";

const { start, closeAll } = serverPool();

/** A server this test closes itself. */
async function startServerNoPool(combo: { parser: "wasm" | "ts"; backend: "ts" | "wasm" }, handler: Parameters<typeof serve>[1], options: Parameters<typeof serve>[0]): Promise<Server> {
  const server = serve({ port: 0, parser: combo.parser, backend: combo.backend, ...options }, handler as never);
  await server.ready;
  return server;
}
afterEach(closeAll);

/** Wait until `cond` holds, polling; fail after `ms` with `what`. */
async function until(what: string, cond: () => boolean, ms = 5_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A promise that fails after `ms` with `what`. */
function bounded<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

interface Reply {
  status: number;
  body: string;
  retryAfter: string | undefined;
  connection: string | undefined;
}

/** GET over node:http with `agent` (false: a connection of its own). */
function get(port: number, path: string, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port, path, agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode!, body, retryAfter: res.headers["retry-after"], connection: res.headers.connection }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

/** A raw socket: write to it, read what has come so far, and know when it closed. */
function rawSocket(port: number): Promise<{ write: (s: string) => void; text: () => string; closed: () => boolean; destroy: () => void }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    let got = "";
    let isClosed = false;
    s.setEncoding("latin1");
    s.on("data", (d: string) => (got += d));
    s.on("close", () => (isClosed = true));
    s.on("error", () => {});
    s.once("connect", () =>
      resolve({
        write: (x) => void s.write(x),
        text: () => got,
        closed: () => isClosed,
        destroy: () => s.destroy(),
      }),
    );
    s.once("error", reject);
  });
}

/** A handler that blocks on `gate` for paths under /block, and counts what it ran. */
function blocking(gate: Event, seen: { ran: string[]; now: number; max: number }) {
  return function* (req: { path: string }) {
    seen.ran.push(req.path);
    seen.now++;
    seen.max = Math.max(seen.max, seen.now);
    try {
      if (req.path.startsWith("/block")) yield* gate.wait();
      return { body: `ok ${req.path}` };
    } finally {
      seen.now--;
    }
  };
}

describe.each(COMBOS)("admission control ($parser parser, $backend backend)", (combo) => {
  it("runs maxConcurrentRequests handlers, queues maxQueuedRequests, sheds the rest with 503 + Retry-After", async () => {
    const gate = new Event();
    const seen = { ran: [] as string[], now: 0, max: 0 };
    const s = await start(combo, blocking(gate, seen), { maxConcurrentRequests: 2, maxQueuedRequests: 3, retryAfter: 7 });
    const N = 9;
    const replies = Array.from({ length: N }, (_, i) => (i % 2 === 0 ? get(s.port, `/block/${i}`) : fetchReply(s.port, `/block/${i}`)));
    await until("2 running, 3 queued, 4 shed", () => {
      const st = s.stats();
      return st.running === 2 && st.queued === 3 && st.shed === 4;
    });
    expect(seen.ran.length).toBe(2);
    gate.set();
    const got = await bounded(5_000, "replies", Promise.all(replies));
    const ok = got.filter((r) => r.status === 200);
    const shed = got.filter((r) => r.status === 503);
    expect(ok.length).toBe(5);
    expect(shed.length).toBe(4);
    for (const r of shed) expect(r.retryAfter).toBe("7");
    // Exactly the served requests ran their handler, never more than 2 at once.
    expect(seen.ran.length).toBe(5);
    expect(seen.max).toBe(2);
    expect(ok.map((r) => r.body).sort()).toEqual(seen.ran.map((p) => `ok ${p}`).sort());
    expect(s.stats()).toMatchObject({ running: 0, queued: 0, admitted: 5, shed: 4 });
  });

  it("pipelined requests are answered in request order: queued ones served after release, shed ones 503, the connection kept", async () => {
    const gate = new Event();
    const seen = { ran: [] as string[], now: 0, max: 0 };
    const s = await start(combo, blocking(gate, seen), { maxConcurrentRequests: 1, maxQueuedRequests: 1 });
    const holder = get(s.port, "/block/holder");
    await until("the holder runs", () => s.stats().running === 1);
    const a = await rawSocket(s.port);
    // The first waits in the queue; the next two wait behind it on their connection.
    a.write("GET /a1 HTTP/1.1\r\nHost: x\r\n\r\nGET /a2 HTTP/1.1\r\nHost: x\r\n\r\nGET /a3 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("a1 queued", () => s.stats().queued === 1);
    const b = await rawSocket(s.port);
    // The queue is full: all three of b's are shed, in order, and its connection stays open.
    b.write("GET /b1 HTTP/1.1\r\nHost: x\r\n\r\nGET /b2 HTTP/1.1\r\nHost: x\r\n\r\nGET /b3 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("b's three 503s", () => statuses(b.text()).length === 3);
    expect(statuses(b.text())).toEqual([503, 503, 503]);
    expect(a.text()).toBe("");
    gate.set();
    await until("a's three answers", () => statuses(a.text()).length === 3);
    expect(statuses(a.text())).toEqual([200, 200, 200]);
    expect([...a.text().matchAll(/ok (\/a\d)/g)].map((m) => m[1])).toEqual(["/a1", "/a2", "/a3"]);
    expect((await bounded(5_000, "holder", holder)).status).toBe(200);
    // b's connection is still usable.
    b.write("GET /b4 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("b4 answered", () => statuses(b.text()).length === 4);
    expect(statuses(b.text())).toEqual([503, 503, 503, 200]);
    expect(b.text()).toContain("ok /b4");
    expect(seen.ran).not.toContain("/b1");
    expect(b.closed()).toBe(false);
    a.destroy();
    b.destroy();
  });

  it("on one connection, 200s and 503s interleave as admitted, in request order", async () => {
    const gate = new Event();
    const seen = { ran: [] as string[], now: 0, max: 0 };
    const s = await start(combo, blocking(gate, seen), { maxConcurrentRequests: 1 });
    const a = await rawSocket(s.port);
    a.write("GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("1 answered", () => statuses(a.text()).length === 1);
    const holder = get(s.port, "/block/h");
    await until("the holder runs", () => s.stats().running === 1);
    a.write("GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("2 and 3 shed", () => statuses(a.text()).length === 3);
    gate.set();
    await bounded(5_000, "holder", holder);
    await until("the slot is free", () => s.stats().running === 0);
    a.write("GET /4 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("4 answered", () => statuses(a.text()).length === 4);
    expect(statuses(a.text())).toEqual([200, 503, 503, 200]);
    expect([...a.text().matchAll(/ok (\/\d)/g)].map((m) => m[1])).toEqual(["/1", "/4"]);
    expect(seen.ran).toEqual(["/1", "/block/h", "/4"]);
    a.destroy();
  });

  it("a shed request's small body is read and dropped (the connection serves the next); a large one gets Connection: close", async () => {
    const gate = new Event();
    const seen = { ran: [] as string[], now: 0, max: 0 };
    const s = await start(combo, blocking(gate, seen), { maxConcurrentRequests: 1, maxShedBody: 1024 });
    const holder = get(s.port, "/block/h");
    await until("the holder runs", () => s.stats().running === 1);
    const small = await rawSocket(s.port);
    const large = await rawSocket(s.port);
    const chunked = await rawSocket(s.port);
    // The small body comes in two parts, the second after the 503: it is still read and dropped.
    small.write(`POST /small HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n${"x".repeat(400)}`);
    large.write(`POST /large HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${"y".repeat(500)}`);
    chunked.write("POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    await until("three 503s", () => statuses(small.text()).length + statuses(large.text()).length + statuses(chunked.text()).length === 3);
    await until("the large and chunked connections closed", () => large.closed() && chunked.closed());
    expect(large.text()).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n[^]*Connection: close\r\n/);
    expect(chunked.text()).toMatch(/Connection: close\r\n/);
    expect(small.text()).not.toMatch(/Connection: close/);
    small.write("x".repeat(600));
    gate.set();
    await bounded(5_000, "holder", holder);
    await until("the slot is free", () => s.stats().running === 0);
    small.write("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("next answered", () => statuses(small.text()).length === 2);
    expect(statuses(small.text())).toEqual([503, 200]);
    expect(small.text()).toContain("ok /next");
    expect(seen.ran).toEqual(["/block/h", "/next"]);
    expect(small.closed()).toBe(false);
    for (const c of [small, large, chunked]) c.destroy();
  });

  it("maxQueueDelay sheds the requests that waited behind a handler burning CPU without yielding", async () => {
    const ran: string[] = [];
    const s = await start(
      combo,
      function* (req) {
        ran.push(req.path);
        const end = performance.now() + 40;
        while (performance.now() < end); // a synchronous handler: no slot count could see the others wait
        return { body: `ok ${req.path}` };
      },
      { maxQueueDelay: 20 },
    );
    const socks = await Promise.all([0, 1, 2, 3].map(() => rawSocket(s.port)));
    await until("4 connections accepted", () => s.connections === 4);
    // One JS turn: the four requests are readable at the same poll, so their tasks start together.
    socks.forEach((c, i) => c.write(`GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`));
    await until("4 answers", () => socks.every((c) => statuses(c.text()).length === 1));
    const codes = socks.map((c) => statuses(c.text())[0]);
    expect(codes.filter((c) => c === 200).length).toBe(1);
    expect(codes.filter((c) => c === 503).length).toBe(3);
    expect(ran.length).toBe(1);
    expect(s.stats()).toMatchObject({ shed: 3, admitted: 1 });
    // Unhurried, every connection is served again (the 503s kept them open).
    for (const [i, c] of socks.entries()) {
      c.write(`GET /again${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await until(`again ${i}`, () => statuses(c.text()).length === 2);
      expect(statuses(c.text())[1]).toBe(200);
      c.destroy();
    }
  });

  it("maxQueueDelay does not shed requests pipelined behind a slow one on their own connection", async () => {
    const ran: string[] = [];
    const s = await start(
      combo,
      function* (req) {
        ran.push(req.path);
        const end = performance.now() + (req.path === "/slow" ? 40 : 0);
        while (performance.now() < end);
        return { body: `ok ${req.path}` };
      },
      { maxQueueDelay: 20 },
    );
    const a = await rawSocket(s.port);
    a.write("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("3 answers", () => statuses(a.text()).length === 3);
    expect(statuses(a.text())).toEqual([200, 200, 200]);
    expect(ran).toEqual(["/slow", "/b", "/c"]);
    expect(s.stats().shed).toBe(0);
    a.destroy();
  });

  it("close() with requests running and queued: past its timeout they are cancelled, the queue and the slots are left empty", async () => {
    const gate = new Event();
    const seen = { ran: [] as string[], now: 0, max: 0 };
    const s = await startServerNoPool(combo, blocking(gate, seen), { maxConcurrentRequests: 1, maxQueuedRequests: 2 });
    const socks = await Promise.all([0, 1, 2].map(() => rawSocket(s.port)));
    socks[0]!.write("GET /block/0 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("0 runs", () => s.stats().running === 1);
    socks[1]!.write("GET /block/1 HTTP/1.1\r\nHost: x\r\n\r\n");
    socks[2]!.write("GET /block/2 HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("1 and 2 queued", () => s.stats().queued === 2);
    await bounded(5_000, "close", Promise.resolve(s.close({ timeout: 50 })));
    expect(s.stats()).toMatchObject({ running: 0, queued: 0, admitted: 1, connections: 0 });
    expect(seen.ran).toEqual(["/block/0"]);
    expect(seen.now).toBe(0); // the running handler's finally ran
    await until("the sockets closed", () => socks.every((c) => c.closed()));
  });

  it("shed requests are reported on tasklet:http:error (phase overload) and counted", async () => {
    const gate = new Event();
    const seen = { ran: [] as string[], now: 0, max: 0 };
    const got: HttpErrorMessage[] = [];
    const listener = (m: unknown) => got.push(m as HttpErrorMessage);
    diagnostics_channel.subscribe("tasklet:http:error", listener);
    try {
      const s = await start(combo, blocking(gate, seen), { maxConcurrentRequests: 1 });
      const holder = get(s.port, "/block/h");
      await until("the holder runs", () => s.stats().running === 1);
      const r = await bounded(5_000, "shed", get(s.port, "/x"));
      expect(r.status).toBe(503);
      const mine = got.filter((m) => m.phase === "overload");
      expect(mine.length).toBe(1);
      expect(mine[0]!.error).toBeInstanceOf(OverloadedError);
      expect(mine[0]!.request?.path).toBe("/x");
      expect(s.stats().shed).toBe(1);
      gate.set();
      await bounded(5_000, "holder", holder);
    } finally {
      diagnostics_channel.unsubscribe("tasklet:http:error", listener);
    }
  });

  it("property: under random arrivals, served + shed = sent, handlers run = served, at most maxConcurrentRequests at once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          maxC: fc.integer({ min: 1, max: 3 }),
          maxQ: fc.integer({ min: 0, max: 3 }),
          reqs: fc.array(fc.record({ delay: fc.integer({ min: 0, max: 8 }), hold: fc.integer({ min: 0, max: 8 }), client: fc.constantFrom("http" as const, "kept" as const, "fetch" as const) }), {
            minLength: 1,
            maxLength: 16,
          }),
        }),
        async ({ maxC, maxQ, reqs }) => {
          let now = 0;
          let max = 0;
          let ran = 0;
          const s: Server = serve({ port: 0, parser: combo.parser, backend: combo.backend, maxConcurrentRequests: maxC, maxQueuedRequests: maxQ }, function* (req) {
            ran++;
            now++;
            max = Math.max(max, now);
            try {
              yield* sleep(Number(req.path.slice(1)));
            } finally {
              now--;
            }
            return { body: "ok" };
          });
          await s.ready;
          const agent = new http.Agent({ keepAlive: true, maxSockets: 3 });
          try {
            const replies = await bounded(
              10_000,
              "replies",
              Promise.all(
                reqs.map(async (r) => {
                  await new Promise((res) => setTimeout(res, r.delay));
                  const path = `/${r.hold}`;
                  return r.client === "fetch" ? fetchReply(s.port, path) : get(s.port, path, r.client === "kept" ? agent : false);
                }),
              ),
            );
            const served = replies.filter((r) => r.status === 200).length;
            const shed = replies.filter((r) => r.status === 503);
            expect(served + shed.length).toBe(reqs.length);
            expect(ran).toBe(served);
            expect(max).toBeLessThanOrEqual(maxC);
            for (const r of shed) expect(r.retryAfter).toBe("1");
            // Up to maxC + maxQ requests are never shed.
            expect(served).toBeGreaterThanOrEqual(Math.min(reqs.length, maxC + maxQ));
            expect(s.stats()).toMatchObject({ admitted: served, shed: shed.length, running: 0, queued: 0 });
          } finally {
            agent.destroy();
            await s.close({ timeout: 100 });
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("admission control options", () => {
  it("are checked", () => {
    const h = function* () {};
    expect(() => serve({ maxConcurrentRequests: 0 }, h)).toThrow(/maxConcurrentRequests must be a whole number >= 1, got 0/);
    expect(() => serve({ maxConcurrentRequests: 2, maxQueuedRequests: -1 }, h)).toThrow(RangeError);
    expect(() => serve({ maxConcurrentRequests: 2, retryAfter: 1.5 }, h)).toThrow(/retryAfter must be a whole number of seconds/);
    expect(() => serve({ maxQueuedRequests: 5 }, h)).toThrow(/set maxConcurrentRequests too/);
    expect(() => serve({ retryAfter: 5 }, h)).toThrow(/set maxConcurrentRequests or maxQueueDelay too/);
    expect(() => serve({ maxQueueDelay: -1 }, h)).toThrow(/maxQueueDelay must be a number of ms >= 0/);
  });
});

/** GET with fetch. */
async function fetchReply(port: number, path: string): Promise<Reply> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text(), retryAfter: r.headers.get("retry-after") ?? undefined, connection: r.headers.get("connection") ?? undefined };
}
