/**
 * The HTTP server's diagnostics channels: a start and an end per request
 * (status, bytes, duration), in order for pipelined requests, with the bytes
 * the client really received; tasklet:http:error for a malformed request and
 * a failing handler; nothing published while nobody subscribes. And the
 * connection's task, seen in a dump, is named after its peer.
 */
import diagnostics_channel from "node:diagnostics_channel";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  Event,
  HttpParseError,
  dumpTasks,
  type HttpErrorMessage,
  type HttpRequestEndMessage,
  type HttpRequestStartMessage,
  type TaskDump,
} from "../../src/index.js";
import { httpErrorChannel, httpRequestEndChannel, httpRequestStartChannel } from "../../src/http/diagnostics.js";
import { COMBOS, raw, serverPool, statuses } from "./http-helpers.js";

const { start, closeAll } = serverPool();

type Seen = { kind: "start"; m: HttpRequestStartMessage } | { kind: "end"; m: HttpRequestEndMessage } | { kind: "error"; m: HttpErrorMessage };

/** Subscribe to the three HTTP channels for one test. */
function record(): Seen[] {
  const seen: Seen[] = [];
  const subs: [string, (m: unknown) => void][] = [
    ["tasklet:http:request:start", (m) => seen.push({ kind: "start", m: m as HttpRequestStartMessage })],
    ["tasklet:http:request:end", (m) => seen.push({ kind: "end", m: m as HttpRequestEndMessage })],
    ["tasklet:http:error", (m) => seen.push({ kind: "error", m: m as HttpErrorMessage })],
  ];
  for (const [name, fn] of subs) diagnostics_channel.subscribe(name, fn);
  cleanups.push(() => {
    for (const [name, fn] of subs) diagnostics_channel.unsubscribe(name, fn);
  });
  return seen;
}

const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0)) f();
  vi.restoreAllMocks();
  await closeAll();
});

const summary = (seen: Seen[]) =>
  seen.map((s) =>
    s.kind === "start" ? `start ${s.m.request.method} ${s.m.request.target}` : s.kind === "end" ? `end ${s.m.request.target} ${s.m.status}` : `error ${s.m.phase}`,
  );

describe.each(COMBOS)("HTTP diagnostics channels, $parser parser, $backend backend", (combo) => {
  it("publishes a start and an end per request, with status, bytes and duration", async () => {
    const seen = record();
    const s = await start(combo, function* (req) {
      if (req.path === "/missing") return { status: 404, body: "no such thing" };
      return { body: `hello ${req.path}` };
    });
    const a = await fetch(`http://127.0.0.1:${s.port}/a`);
    expect(await a.text()).toBe("hello /a");
    const b = await fetch(`http://127.0.0.1:${s.port}/missing`, { method: "POST", body: "x" });
    expect(b.status).toBe(404);
    await b.text();
    expect(summary(seen)).toEqual(["start GET /a", "end /a 200", "start POST /missing", "end /missing 404"]);
    const ends = seen.filter((x) => x.kind === "end").map((x) => x.m as HttpRequestEndMessage);
    const starts = seen.filter((x) => x.kind === "start").map((x) => x.m as HttpRequestStartMessage);
    for (let i = 0; i < 2; i++) {
      expect(ends[i]!.request).toBe(starts[i]!.request);
      expect(ends[i]!.response).toBe(starts[i]!.response);
      expect(ends[i]!.durationMs).toBeGreaterThanOrEqual(0);
      expect(ends[i]!.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    // Head and body: more than the body, and the body is in it.
    expect(ends[0]!.bytesWritten).toBeGreaterThan("hello /a".length + "HTTP/1.1 200 OK\r\n".length);
    expect(ends[1]!.bytesWritten).toBeGreaterThan("no such thing".length);
  });

  it("pipelined requests: in order, and their bytes add up to what the client received", async () => {
    const seen = record();
    const s = await start(combo, function* (req) {
      return { body: "x".repeat(Number(req.query.get("n"))) };
    });
    const reqs = [1, 200, 3].map((n) => `GET /p?n=${n} HTTP/1.1\r\nHost: x\r\n\r\n`).join("");
    const r = await raw(s.port, reqs, { until: (t) => statuses(t).length === 3 && t.endsWith("xxx") });
    expect(statuses(r.text)).toEqual([200, 200, 200]);
    expect(summary(seen)).toEqual(["start GET /p?n=1", "end /p?n=1 200", "start GET /p?n=200", "end /p?n=200 200", "start GET /p?n=3", "end /p?n=3 200"]);
    const total = seen.filter((x) => x.kind === "end").reduce((n, x) => n + (x.m as HttpRequestEndMessage).bytesWritten, 0);
    expect(total).toBe(Buffer.byteLength(r.text, "latin1"));
  });

  it("a malformed request is a tasklet:http:error of phase parse, with no start", async () => {
    const seen = record();
    const s = await start(combo, function* () {
      return { body: "never" };
    });
    const r = await raw(s.port, "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", { until: (t) => statuses(t).length === 1 });
    expect(statuses(r.text)).toEqual([400]);
    expect(summary(seen)).toEqual(["error parse"]);
    const e = seen[0]!.m as HttpErrorMessage;
    expect(e.error).toBeInstanceOf(HttpParseError);
    expect(e.request).toBeNull();
    expect(e.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("a handler that throws: tasklet:http:error of phase handler, then the end with status 500", async () => {
    const seen = record();
    const boom = new Error("boom");
    const s = await start(
      combo,
      function* () {
        throw boom;
      },
      { onError: () => {} },
    );
    const r = await fetch(`http://127.0.0.1:${s.port}/fail`);
    expect(r.status).toBe(500);
    await r.text();
    expect(summary(seen)).toEqual(["start GET /fail", "error handler", "end /fail 500"]);
    const e = seen[1]!.m as HttpErrorMessage;
    expect(e.error).toBe(boom);
    expect(e.request).toBe((seen[0]!.m as HttpRequestStartMessage).request);
  });

  it("publishes nothing while nobody subscribes", async () => {
    const spies = [httpRequestStartChannel, httpRequestEndChannel, httpErrorChannel].map((ch) => vi.spyOn(ch, "publish"));
    const s = await start(combo, function* (req) {
      if (req.path === "/fail") throw new Error("no");
      return { body: "ok" };
    }, { onError: () => {} });
    expect((await fetch(`http://127.0.0.1:${s.port}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${s.port}/fail`)).status).toBe(500);
    await raw(s.port, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", { until: (t) => statuses(t).length === 1 });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it("a connection's task is named after its peer in dumps", async () => {
    const inHandler = new Event("in handler");
    const release = new Event("release");
    const s = await start(combo, function* () {
      inHandler.set();
      yield* release.wait();
      return { body: "done" };
    });
    const pending = fetch(`http://127.0.0.1:${s.port}/slow`);
    try {
      for (let i = 0; i < 2000 && !inHandler.isSet(); i++) await new Promise((r) => setTimeout(r, 1));
      const flat: TaskDump[] = [];
      const walk = (d: TaskDump) => {
        flat.push(d);
        d.children.forEach(walk);
      };
      dumpTasks().forEach(walk);
      const conn = flat.find((d) => d.name.startsWith("http 127.0.0.1:"));
      expect(conn).toBeDefined();
      expect(conn!.name).toMatch(/^http 127\.0\.0\.1:\d+#\d+$/);
      expect(conn!.waitingOn).toBe("wait on release");
      // The server task is its parent.
      expect(flat.find((d) => d.children.includes(conn!))!.name).toBe("http server");
    } finally {
      release.set();
    }
    expect((await pending).status).toBe(200);
  });
});
