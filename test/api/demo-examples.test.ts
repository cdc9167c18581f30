import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

// The examples import the built package (dist/), which `npm test` builds first.
const runExample = (file: string, ...args: string[]) => execFileSync("node", [file, ...args], { encoding: "utf8", timeout: 60_000 });

describe("examples", () => {
  it("pipeline.mjs prints the first primes through a chain of filter tasks", () => {
    const out = runExample("examples/pipeline.mjs", "25");
    const primes = out.split("\n")[0]!.split(" ").map(Number);
    const isPrime = (n: number) => n > 1 && Array.from({ length: Math.floor(Math.sqrt(n)) - 1 }, (_, i) => i + 2).every((d) => n % d !== 0);
    expect(primes).toHaveLength(25);
    expect(primes.every(isPrime)).toBe(true);
    expect(primes[24]).toBe(97);
  });

  it("crawler.mjs crawls every page of its local site with a bounded Pool", () => {
    const out = runExample("examples/crawler.mjs", "120", "8");
    const m = out.match(/crawled (\d+) pages in \d+ ms with at most (\d+) requests in flight/);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(120);
    expect(Number(m![2])).toBeLessThanOrEqual(8);
    expect(Number(m![2])).toBeGreaterThan(1);
  });

  it("abort-fetch.mjs aborts a fetch under withTimeout (the server sees the socket close) and an operation from an AbortController", () => {
    const lines = runExample("examples/abort-fetch.mjs", "200").split("\n"); // 200 ms: time for the request to arrive on a loaded machine
    const find = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const arrived = find(/server: \/slow arrived/);
    expect(arrived).toBeGreaterThanOrEqual(0);
    expect(find(/client \[req-1\]: withTimeout\(200\) timed out after 200 ms; the fetch was aborted/)).toBeGreaterThan(arrived);
    expect(find(/server: the client closed the socket of \/slow/)).toBeGreaterThan(arrived);
    expect(find(/worker \[req-2\]: cancelled, cleaning up/)).toBeGreaterThan(arrived);
    expect(find(/client \[req-2\]: abortable threw "the user pressed Stop"/)).toBeGreaterThan(arrived);
    expect(lines.some((l) => /done$/.test(l))).toBe(true);
  });
});

/** Start an example server with PORT=0; resolves with the port it prints (matched by `re`) and a stop function. */
async function startServerExample(file: string, re: RegExp): Promise<{ port: number; stop: () => void }> {
  const { spawn } = await import("node:child_process");
  const child = spawn("node", [file], { env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = out.match(re);
      if (m) resolve(Number(m[1]));
    });
    child.on("exit", (code) => reject(new Error(`${file} exited with ${code}: ${out}`)));
  });
  return { port, stop: () => child.kill("SIGKILL") };
}

describe("HTTP examples", () => {
  async function startExample(file: string): Promise<{ url: string; stop: () => void }> {
    const { port, stop } = await startServerExample(file, /http:\/\/127\.0\.0\.1:(\d+)\//);
    return { url: `http://127.0.0.1:${port}`, stop };
  }

  it("hello-http.mjs (npm start) says Hello, World", async () => {
    const { url, stop } = await startExample("examples/hello-http.mjs");
    try {
      const r = await fetch(url + "/");
      expect(await r.text()).toBe("Hello, World!\n");
    } finally {
      stop();
    }
  });

  it("json-api.mjs creates, reads, updates and deletes todos", async () => {
    const { url, stop } = await startExample("examples/json-api.mjs");
    try {
      const created = await fetch(url + "/todos", { method: "POST", body: JSON.stringify({ title: "test it" }) });
      expect(created.status).toBe(201);
      const todo = await created.json();
      expect(todo).toEqual({ id: 1, title: "test it", done: false });
      expect(created.headers.get("location")).toBe("/todos/1");
      const patched = await fetch(url + "/todos/1", { method: "PATCH", body: JSON.stringify({ done: true }) });
      expect(await patched.json()).toMatchObject({ done: true });
      expect(await (await fetch(url + "/todos")).json()).toHaveLength(1);
      expect((await fetch(url + "/todos/1", { method: "DELETE" })).status).toBe(204);
      const missing = await fetch(url + "/todos/1");
      expect(missing.status).toBe(404);
      expect(await missing.text()).toBe("no todo 1\n");
      const bad = await fetch(url + "/todos", { method: "POST", body: "{" });
      expect(bad.status).toBe(400);
    } finally {
      stop();
    }
  });

  it("hono.mjs serves a Hono app unchanged: routes, JSON, middleware, a stream", async () => {
    const { url, stop } = await startExample("examples/hono.mjs");
    try {
      const hello = await fetch(url + "/");
      expect(await hello.text()).toBe("Hello from Hono on tasklet!\n");
      expect(hello.headers.get("server-timing")).toMatch(/^app;dur=/);
      expect(await (await fetch(url + "/hello/you")).json()).toEqual({ hello: "you" });
      expect(await (await fetch(url + "/double", { method: "POST", body: JSON.stringify({ n: 21 }) })).json()).toEqual({ n: 21, doubled: 42 });
      expect(await (await fetch(url + "/count")).text()).toBe("1\n2\n3\n4\n5\n");
    } finally {
      stop();
    }
  });

  it("streaming.mjs streams a chunked response and counts a streamed upload", async () => {
    const { url, stop } = await startExample("examples/streaming.mjs");
    try {
      const r = await fetch(url + "/clock");
      expect(r.headers.get("transfer-encoding")).toBe("chunked");
      const lines = (await r.text()).trim().split("\n");
      expect(lines).toHaveLength(11);
      expect(lines.at(-1)).toBe("done");
      const body = new Uint8Array(300_000).fill(7);
      const c = await fetch(url + "/count", { method: "POST", body });
      const counted = await c.json();
      expect(counted.bytes).toBe(300_000);
      expect(counted.chunks).toBeGreaterThan(0);
    } finally {
      stop();
    }
  });
});

describe("static-files example", () => {
  it("static-files.mjs serves its folder with types, ranges, 304s and compression, and falls through to its own routes", async () => {
    const { readFileSync } = await import("node:fs");
    const { gunzipSync } = await import("node:zlib");
    const { port, stop } = await startServerExample("examples/static-files.mjs", /http:\/\/127\.0\.0\.1:(\d+)\//);
    const url = `http://127.0.0.1:${port}`;
    try {
      const own = readFileSync("examples/static-files.mjs");
      const r = await fetch(url + "/static-files.mjs");
      expect(r.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(Buffer.from(await r.arrayBuffer()).equals(own)).toBe(true);
      const etag = r.headers.get("etag")!;
      expect((await fetch(url + "/static-files.mjs", { headers: { "if-none-match": etag } })).status).toBe(304);
      const part = await fetch(url + "/static-files.mjs", { headers: { range: "bytes=0-9", "accept-encoding": "identity" } });
      expect(part.status).toBe(206);
      expect(Buffer.from(await part.arrayBuffer()).equals(own.subarray(0, 10))).toBe(true);
      const { request } = await import("node:http");
      const gz = await new Promise<{ enc: string | undefined; body: Buffer }>((resolve, reject) => {
        request({ host: "127.0.0.1", port, path: "/static-files.mjs", headers: { "accept-encoding": "gzip" } }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ enc: res.headers["content-encoding"], body: Buffer.concat(chunks) }));
        })
          .on("error", reject)
          .end();
      });
      expect(gz.enc).toBe("gzip");
      expect(gunzipSync(gz.body).equals(own)).toBe(true);
      expect(await (await fetch(url + "/_about")).json()).toMatchObject({ server: "tasklet" });
      const missing = await fetch(url + "/nope");
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain("No file for /nope");
    } finally {
      stop();
    }
  });
});

describe("TCP examples", () => {
  const startTcpExample = (file: string) => startServerExample(file, /listening on 127\.0\.0\.1:(\d+)/);

  /** A line-oriented client: `next(pattern)` waits until the received text matches. */
  async function client(port: number) {
    const { connect } = await import("node:net");
    const sock = connect(port, "127.0.0.1");
    let text = "";
    const waiters: (() => void)[] = [];
    sock.on("data", (d) => {
      text += d.toString("utf8");
      for (const w of waiters.splice(0)) w();
    });
    const next = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in ${JSON.stringify(text)}`)), 10_000);
        const check = () => {
          if (re.test(text)) {
            clearTimeout(timer);
            resolve(text);
          } else waiters.push(check);
        };
        check();
      });
    return { sock, next, send: (s: string) => sock.write(s) };
  }

  it("echo-server.mjs echoes what it receives", async () => {
    const { port, stop } = await startTcpExample("examples/echo-server.mjs");
    try {
      const c = await client(port);
      c.send("hello, echo\n");
      expect(await c.next(/hello, echo\n/)).toBe("hello, echo\n");
      c.sock.destroy();
    } finally {
      stop();
    }
  });

  it("chat-server.mjs passes messages between connections through channels", async () => {
    const { port, stop } = await startTcpExample("examples/chat-server.mjs");
    try {
      const alice = await client(port);
      await alice.next(/your name\? /);
      alice.send("alice\n");
      await alice.next(/welcome, alice/);
      const bob = await client(port);
      await bob.next(/your name\? /);
      bob.send("bob\n");
      await alice.next(/\* bob joined/);
      alice.send("hi bob\n");
      expect(await bob.next(/<alice> hi bob/)).toMatch(/<alice> hi bob/);
      alice.sock.destroy();
      await bob.next(/\* alice left/);
      bob.sock.destroy();
    } finally {
      stop();
    }
  });
});

describe("WebSocket examples", () => {
  it("ws-chat.mjs serves its page and passes messages between two WebSocket clients", async () => {
    const { default: WebSocket } = await import("ws");
    const { port, stop } = await startServerExample("examples/ws-chat.mjs", /http:\/\/127\.0\.0\.1:(\d+)\//);
    /** A client of the chat: its messages so far, and a bounded wait for one that matches. */
    const member = async (name: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?name=${name}`);
      const got: string[] = [];
      const waiters: (() => void)[] = [];
      ws.on("message", (d) => {
        got.push(String(d));
        for (const w of waiters.splice(0)) w();
      });
      await new Promise((resolve, reject) => {
        ws.once("open", resolve);
        ws.once("error", reject);
      });
      const next = (re: RegExp) =>
        new Promise<string>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${name} never got ${re}; got ${JSON.stringify(got)}`)), 10_000);
          const check = () => {
            const hit = got.find((m) => re.test(m));
            if (hit !== undefined) {
              clearTimeout(timer);
              resolve(hit);
            } else waiters.push(check);
          };
          check();
        });
      return { ws, next };
    };
    try {
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.headers.get("content-type")).toMatch(/text\/html/);
      expect(await page.text()).toMatch(/new WebSocket\(url\)/);
      const alice = await member("alice");
      await alice.next(/welcome, alice/);
      const bob = await member("bob");
      await bob.next(/welcome, bob; here: alice, bob/);
      await alice.next(/\* bob joined/);
      alice.ws.send("hi bob");
      expect(await bob.next(/<alice>/)).toBe("<alice> hi bob");
      alice.ws.close();
      await bob.next(/\* alice left/);
      bob.ws.close();
    } finally {
      stop();
    }
  });
});

describe("diagnostics examples", () => {
  it("task-dump.mjs prints the live task tree, each task's wait and spawn site, and exits by itself", () => {
    const out = runExample("examples/task-dump.mjs");
    expect(out).toMatch(/^tasklet: 1 run, 6 live tasks\n/);
    expect(out).toMatch(/"ticker#\d+" parked: sleep, deadline in [\d.]+ s/);
    expect(out).toMatch(/"worker#\d+" parked: recv on jobs \(unbuffered\)/);
    expect(out).toMatch(/"client#\d+" parked: read on 127\.0\.0\.1:\d+/);
    expect(out).toMatch(/"supervisor#\d+" parked: join of batch#\d+/);
    expect(out).toMatch(/\n {6}#\d+ "batch#\d+" parked/); // a grandchild, indented under its parent
    expect(out).toMatch(/spawned at .*examples[/\\]task-dump\.mjs:\d+:\d+/);
    expect(out).toContain("5 tasks parked");
  });

  it("access-log.mjs logs each request and each error from the diagnostics channels", () => {
    const lines = runExample("examples/access-log.mjs").trim().split("\n");
    expect(lines.map((l) => l.replace(/^127\.0\.0\.1:\d+ /, "").replace(/ \d+ [\d.]+ms$/, ""))).toEqual([
      '"GET /" 200',
      '"GET /missing" 404',
      "error (handler): the handler failed",
      '"GET /fail" 500',
      '"POST /" 200',
      "error (parse): whitespace between header name and colon (SPACE_BEFORE_COLON at byte 19)",
    ]);
  });
});
