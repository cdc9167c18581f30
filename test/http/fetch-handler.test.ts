// Fetch-style handlers: a real Hono app served unchanged (routing, params,
// JSON, middleware, a streamed response, a multi-MiB upload checked byte for
// byte, two Set-Cookie fields, HEAD, 404, a handler that throws), a plain
// `(request) => Response` function and an object with a fetch method, on
// each parser and backend, driven by global fetch and node:http. Also the
// rule that tells the two kinds of handler apart, and the errors of a wrong
// kind or a handler that returns something other than a Response.
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import net from "node:net";
import { Hono } from "hono";
import { streamText } from "hono/streaming";
import { afterEach, describe, expect, it } from "vitest";
import { type FetchApp, type FetchHandler, type Handler, type HttpRequest, type HttpResponse, type Server, serve } from "../../src/index.js";
import { COMBOS, raw } from "./http-helpers.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close({ timeout: 100 }).then(undefined, () => {});
});

type Combo = (typeof COMBOS)[number];
async function start(combo: Combo, handler: Handler | FetchHandler | FetchApp, onError?: (e: unknown, req: HttpRequest) => void): Promise<string> {
  const s = serve({ port: 0, parser: combo.parser, backend: combo.backend, ...(onError ? { onError } : {}) }, handler);
  servers.push(s);
  await s.ready;
  return `http://127.0.0.1:${s.port}`;
}

/** A GET through node:http: status, headers (raw pairs), body. */
function nodeGet(url: string, method = "GET"): Promise<{ status: number; raw: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest(url, { method, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, raw: res.rawHeaders, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end();
  });
}

/** Polls `cond` every 5 ms; fails after 5 s with what it waited for. */
async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** The Hono app under test. */
function honoApp(seen: string[]) {
  const app = new Hono();
  app.use("*", async (c, next) => {
    seen.push(`${c.req.method} ${c.req.path}`);
    await next();
    c.header("x-served-by", "hono-on-tasklet");
  });
  app.get("/", (c) => c.text("Hello, Hono!"));
  app.get("/users/:id", (c) => c.json({ id: c.req.param("id"), sort: c.req.query("sort") ?? null, agent: c.req.header("x-agent") ?? null }));
  app.post("/echo", async (c) => c.json({ got: await c.req.json() }, 201));
  app.post("/upload", async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    return c.json({ length: body.length, sha256: sha(body) });
  });
  app.get("/cookies", (c) => {
    c.header("set-cookie", "a=1; Path=/", { append: true });
    c.header("set-cookie", "b=2; HttpOnly", { append: true });
    return c.text("two cookies");
  });
  app.get("/stream", (c) =>
    streamText(c, async (s) => {
      for (let i = 0; i < 5; i++) {
        await s.write(`line ${i}\n`);
        await s.sleep(2);
      }
    }),
  );
  app.get("/boom", () => {
    throw new Error("hono handler failed");
  });
  app.onError((e, c) => c.text(`caught: ${e.message}`, 500));
  return app;
}

describe.each(COMBOS)("a Hono app on tasklet (parser $parser, backend $backend)", (combo) => {
  it("routes, reads params, query and headers, runs middleware, answers JSON (fetch and node:http)", async () => {
    const seen: string[] = [];
    const url = await start(combo, honoApp(seen));
    const r = await fetch(`${url}/users/42?sort=asc`, { headers: { "x-agent": "vitest" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(r.headers.get("x-served-by")).toBe("hono-on-tasklet");
    expect(await r.json()).toEqual({ id: "42", sort: "asc", agent: "vitest" });
    const hello = await nodeGet(`${url}/`);
    expect(hello.status).toBe(200);
    expect(hello.body.toString()).toBe("Hello, Hono!");
    expect(hello.raw).toContain("x-served-by");
    // The middleware changed the fields of a finished text response: it is still sent whole, with its length.
    expect(hello.raw[hello.raw.findIndex((v, i) => i % 2 === 0 && v.toLowerCase() === "content-length") + 1]).toBe("12");
    const posted = await fetch(`${url}/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ a: [1, 2], b: "ü" }) });
    expect(posted.status).toBe(201);
    expect(await posted.json()).toEqual({ got: { a: [1, 2], b: "ü" } });
    expect(seen).toEqual(["GET /users/42", "GET /", "POST /echo"]);
  });

  it("keeps two Set-Cookie fields apart, answers HEAD without a body, 404 for no route", async () => {
    const url = await start(combo, honoApp([]));
    const c = await fetch(`${url}/cookies`);
    expect(c.headers.getSetCookie()).toEqual(["a=1; Path=/", "b=2; HttpOnly"]);
    expect(await c.text()).toBe("two cookies");
    const viaNode = await nodeGet(`${url}/cookies`);
    expect(viaNode.raw.filter((_, i) => i % 2 === 0 && viaNode.raw[i]!.toLowerCase() === "set-cookie")).toHaveLength(2);
    const head = await nodeGet(`${url}/`, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.raw).toContain("x-served-by");
    const missing = await fetch(`${url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("404 Not Found");
  });

  it("streams a response as it is written (chunked, one framing)", async () => {
    const url = await start(combo, honoApp([]));
    const r = await nodeGet(`${url}/stream`);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe("line 0\nline 1\nline 2\nline 3\nline 4\n");
    const te = r.raw.filter((_, i) => i % 2 === 1 && r.raw[i - 1]!.toLowerCase() === "transfer-encoding");
    expect(te).toEqual(["chunked"]);
  });

  it("receives a multi-MiB upload byte for byte (fetch and node:http)", async () => {
    const url = await start(combo, honoApp([]));
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const r = await fetch(`${url}/upload`, { method: "POST", body });
    expect(await r.json()).toEqual({ length: body.length, sha256: sha(body) });
    const viaNode = await new Promise<string>((resolve, reject) => {
      const q = httpRequest(`${url}/upload`, { method: "POST", agent: false, headers: { "transfer-encoding": "chunked" } }, (res) => {
        let s = "";
        res.on("data", (d) => (s += d));
        res.on("end", () => resolve(s));
      });
      q.on("error", reject);
      for (let at = 0; at < body.length; at += 100_000) q.write(body.subarray(at, at + 100_000));
      q.end();
    });
    expect(JSON.parse(viaNode)).toEqual({ length: body.length, sha256: sha(body) });
  });

  it("a Hono error handler answers a throwing route; an error it does not catch is a 500 for onError", async () => {
    const url = await start(combo, honoApp([]));
    const r = await fetch(`${url}/boom`);
    expect(r.status).toBe(500);
    expect(await r.text()).toBe("caught: hono handler failed");
    const errors: unknown[] = [];
    const bare = new Hono();
    bare.get("/", () => {
      throw new Error("uncaught");
    });
    bare.onError((e) => {
      throw e;
    });
    const url2 = await start(combo, bare, (e) => errors.push(e));
    const r2 = await fetch(`${url2}/`);
    expect(r2.status).toBe(500);
    expect(errors.map((e) => (e as Error).message)).toEqual(["uncaught"]);
  });

  it("serve(options, app.fetch) works the same as serve(options, app)", async () => {
    const app = honoApp([]);
    const url = await start(combo, app.fetch);
    expect(await (await fetch(`${url}/users/7`)).json()).toEqual({ id: "7", sort: null, agent: null });
  });
});

describe.each(COMBOS)("plain fetch-style handlers (parser $parser, backend $backend)", (combo) => {
  it("a function (request) => Response sees method, URL, headers and body", async () => {
    const url = await start(combo, async (request: Request) => {
      const body = request.method === "POST" ? await request.text() : "";
      return new Response(`${request.method} ${request.url} ${request.headers.get("x-a")} ${body}`, { status: 202, headers: { "x-b": "2" } });
    });
    const r = await fetch(`${url}/p/q?x=1`, { method: "POST", headers: { "x-a": "1" }, body: "payload" });
    expect(r.status).toBe(202);
    expect(r.headers.get("x-b")).toBe("2");
    expect(r.headers.get("content-type")).toBe("text/plain;charset=UTF-8");
    expect(await r.text()).toBe(`POST ${url}/p/q?x=1 1 payload`);
  });

  it("echoes a request body streamed straight into the response (new Response(request.body))", async () => {
    const url = await start(combo, (request: Request) => new Response(request.body, { headers: { "content-type": "application/octet-stream" } }));
    const body = randomBytes(1024 * 1024 + 5);
    const r = await fetch(`${url}/echo`, { method: "PUT", body });
    expect(sha(new Uint8Array(await r.arrayBuffer()))).toBe(sha(body));
    const kept: Request[] = [];
    const url2 = await start(combo, (request: Request) => {
      kept.push(request);
      return new Response("not read");
    });
    // Answered without reading: the body is dropped, and a read after the answer fails.
    const first = await fetch(`${url2}/a`, { method: "POST", body: randomBytes(300_000) });
    expect(await first.text()).toBe("not read");
    expect(await (await fetch(`${url2}/b`)).text()).toBe("not read");
    await expect(kept[0]!.arrayBuffer()).rejects.toThrow();
  });

  it("request.signal aborts when the server stops before the response is sent", async () => {
    let aborted: unknown = null;
    let began: () => void = () => {};
    const inHandler = new Promise<void>((r) => (began = r));
    const s = serve({ port: 0, parser: combo.parser, backend: combo.backend }, (request: Request) => {
      request.signal.addEventListener("abort", () => (aborted = request.signal.reason));
      began();
      return new Promise<Response>(() => {}); // never answers
    });
    await s.ready;
    const answer = fetch(`http://127.0.0.1:${s.port}/`).then(
      () => "answered",
      () => "failed",
    );
    await inHandler;
    await s.close({ timeout: 50 });
    expect(aborted).toBeInstanceOf(Error);
    expect(await answer).toBe("failed");
  });

  it("request.signal aborts when the client half-closes or aborts before the response is sent", async () => {
    const reasons: unknown[] = [];
    let began: () => void = () => {};
    let inHandler = new Promise<void>((r) => (began = r));
    const url = await start(combo, (request: Request) => {
      const signal = request.signal;
      return new Promise<Response>((resolve) => {
        signal.addEventListener("abort", () => {
          reasons.push(signal.reason);
          resolve(new Response("too late"));
        });
        began();
      });
    });
    const port = Number(new URL(url).port);
    // A raw client that sends its request, then its FIN.
    const sock = net.connect(port, "127.0.0.1");
    sock.on("error", () => {});
    sock.write("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    await inHandler;
    sock.end();
    await waitFor(() => reasons.length === 1, "the signal to abort after the client's FIN");
    expect(String((reasons[0] as Error).message)).toMatch(/client closed the connection/);
    sock.destroy();
    // fetch with an AbortController: undici closes its socket.
    inHandler = new Promise<void>((r) => (began = r));
    const ac = new AbortController();
    const answer = fetch(`${url}/wait`, { signal: ac.signal }).then(
      () => "answered",
      (e: Error) => e.name,
    );
    await inHandler;
    ac.abort();
    expect(await answer).toBe("AbortError");
    await waitFor(() => reasons.length === 2, "the signal to abort after fetch was aborted");
  });

  it("request.signal stays quiet after the response, over many keep-alive requests on one socket", async () => {
    const signals: AbortSignal[] = [];
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const url = await start(combo, (request: Request) => {
        signals.push(request.signal);
        return new Response(`n=${signals.length}`);
      });
      const port = Number(new URL(url).port);
      const n = 25; // more than a socket's default of 10 listeners per event, were they left behind
      const sock = net.connect(port, "127.0.0.1");
      sock.on("error", () => {});
      let got = "";
      sock.on("data", (d: Buffer) => (got += d.toString("latin1")));
      for (let i = 0; i < n; i++) {
        sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await waitFor(() => (got.match(/HTTP\/1\.1 200/g) ?? []).length === i + 1, `answer ${i + 1}`);
      }
      const closed = new Promise<void>((r) => sock.on("close", () => r()));
      sock.end();
      await closed;
      await new Promise((r) => setTimeout(r, 20)); // the server side sees the FIN
      expect(signals).toHaveLength(n);
      expect(signals.filter((s) => s.aborted)).toHaveLength(0);
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("an object with a fetch method is called with itself as this", async () => {
    const app = {
      greeting: "hi from an object",
      fetch(this: { greeting: string }, _request: Request) {
        return Response.json({ said: this.greeting });
      },
    };
    const url = await start(combo, app);
    const r = await fetch(`${url}/`);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await r.json()).toEqual({ said: "hi from an object" });
  });

  it("bytes, an empty body, a 204 and a ReadableStream body", async () => {
    const url = await start(combo, (request: Request) => {
      const p = new URL(request.url).pathname;
      if (p === "/bytes") return new Response(new Uint8Array([1, 2, 3]));
      if (p === "/none") return new Response(null, { status: 204 });
      if (p === "/blob") return new Response(new Blob(["blob body"], { type: "text/x-blob" }));
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("a"));
            c.enqueue(new TextEncoder().encode("b"));
            c.close();
          },
        }),
        { headers: { "content-type": "text/x-stream" } },
      );
    });
    expect([...new Uint8Array(await (await fetch(`${url}/bytes`)).arrayBuffer())]).toEqual([1, 2, 3]);
    const none = await fetch(`${url}/none`);
    expect(none.status).toBe(204);
    expect(await none.text()).toBe("");
    const blob = await fetch(`${url}/blob`);
    expect(blob.headers.get("content-type")).toBe("text/x-blob");
    expect(await blob.text()).toBe("blob body");
    const s = await fetch(`${url}/stream`);
    expect(s.headers.get("content-type")).toBe("text/x-stream");
    expect(await s.text()).toBe("ab");
  });

  it("a handler that throws, rejects, or returns a non-Response gets a 500 and onError", async () => {
    const errors: unknown[] = [];
    const url = await start(
      combo,
      async (request: Request) => {
        const p = new URL(request.url).pathname;
        if (p === "/throw") throw new Error("thrown");
        if (p === "/reject") return Promise.reject(new Error("rejected"));
        return { not: "a response" } as unknown as Response;
      },
      (e) => errors.push(e),
    );
    for (const p of ["/throw", "/reject", "/object"]) {
      const r = await fetch(`${url}${p}`);
      expect(r.status).toBe(500);
      expect(await r.text()).toBe("Internal Server Error\n");
    }
    expect(errors.map((e) => (e as Error).message)).toEqual(["thrown", "rejected", expect.stringMatching(/the fetch handler returned .*it must return a Response/)]);
  });

  it("an absolute-form target gives its own authority to the URL; keep-alive and pipelining still hold", async () => {
    const url = await start(combo, (request: Request) => new Response(request.url));
    const got = await raw(Number(new URL(url).port), "GET http://example.com:8080/a?b=1 HTTP/1.1\r\nHost: ignored\r\n\r\nGET /second HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
    expect(got.text).toContain("http://example.com:8080/a?b=1");
    expect(got.text).toContain("http://h/second");
    expect(got.text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    // HTTP/1.0 with no Host: the server's own address.
    const noHost = await raw(Number(new URL(url).port), "GET /old?x HTTP/1.0\r\n\r\n");
    expect(noHost.text).toContain(`${url}/old?x`);
  });

  it("the Request is a Request: instanceof, clone, new Request(request), signal", async () => {
    const url = await start(combo, async (request: Request) => {
      const copy = new Request(request, { headers: { "x-copied": "yes" } });
      return Response.json({
        isRequest: request instanceof Request,
        copyUrl: copy.url,
        copied: copy.headers.get("x-copied"),
        aborted: request.signal.aborted,
        cloneMethod: request.clone().method,
      });
    });
    expect(await (await fetch(`${url}/x`)).json()).toEqual({ isRequest: true, copyUrl: `${url}/x`, copied: "yes", aborted: false, cloneMethod: "GET" });
  });
});

describe("which kind of handler serve() takes", () => {
  it("a generator function is a green handler; a plain or async function is fetch-style", async () => {
    const green = await start(COMBOS[0]!, function* (req: HttpRequest, res: HttpResponse) {
      yield* res.end(`green ${req.path}`);
    });
    expect(await (await fetch(`${green}/g`)).text()).toBe("green /g");
    const plain = await start(COMBOS[0]!, () => new Response("plain"));
    expect(await (await fetch(plain)).text()).toBe("plain");
    const asyncFn = await start(COMBOS[0]!, async () => new Response("async"));
    expect(await (await fetch(asyncFn)).text()).toBe("async");
  });

  it("anything else is a TypeError at serve() time that says what was given", () => {
    expect(() => serve({ port: 0 }, 42 as never)).toThrow(/handler must be a generator function .* or an object with a fetch method; got 42/);
    expect(() => serve({ port: 0 }, { handle() {} } as never)).toThrow(/or an object with a fetch method; got/);
    expect(() => serve({ port: 0 }, (async function* () {}) as never)).toThrow(/got an async generator function/);
  });
});

describe("the Response installed as the global one", () => {
  it("behaves as Node's: bodies read back, clone, statics, instanceof both ways, a taken body errors", async () => {
    await start(COMBOS[0]!, () => new Response("installs the globals"));
    const NodeResponse = Object.getPrototypeOf(Response) as typeof Response;
    expect(NodeResponse.name).toBe("Response");
    expect(Response).not.toBe(NodeResponse);
    const r = new Response("text body", { status: 201, headers: { "x-a": "1" } });
    expect(r instanceof Response && r instanceof NodeResponse).toBe(true);
    expect(new NodeResponse("x") instanceof Response).toBe(true);
    expect([r.status, r.ok, r.statusText, r.headers.get("x-a"), r.headers.get("content-type")]).toEqual([201, true, "", "1", "text/plain;charset=UTF-8"]);
    expect(await r.clone().text()).toBe("text body");
    expect(await r.text()).toBe("text body");
    expect(r.bodyUsed).toBe(true);
    expect(await new Response(new Uint8Array([104, 105])).text()).toBe("hi");
    expect(await Response.json({ a: 1 }).json()).toEqual({ a: 1 });
    expect(() => new Response("x", { status: 99 })).toThrow(RangeError);
    expect(() => new Response("x", { status: 204 })).toThrow(TypeError);
    // A new Response from an unread body takes its text; the old body is then used up.
    const first = new Response("moved");
    const second = new Response(first.body, first);
    expect(await second.text()).toBe("moved");
    await expect(first.text()).rejects.toThrow();
  });
});
