// serveFiles against real clients (node:http for raw headers and bytes,
// fetch, curl where installed) on a real server, both parsers: content
// types, whole bodies byte for byte, HEAD, 304 by ETag and by date, 206 for
// any valid range (property), 416, no byte from outside the root whatever
// the path (`..`, encoded, doubled, NUL, backslashes, absolute, symlinks;
// property), dot files, 405, fallthrough, and the file handle closed when a
// client leaves half-way.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { fc } from "@fast-check/vitest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { serveFiles } from "../../src/index.js";
import { parseRange } from "../../src/http/files.js";
import { SECRET, type Site, eventually, get, makeSite, openFds } from "./files-helpers.js";
import { COMBOS, hasCurl, raw, serverPool } from "./http-helpers.js";

const run = promisify(execFile);
const { start, closeAll } = serverPool();
afterEach(closeAll);

let site: Site;
beforeAll(() => {
  site = makeSite();
});
afterAll(() => site.cleanup());

const fixture = (p: string) => readFileSync(path.join(site.root, p));

describe("parseRange", () => {
  it("reads single ranges and ignores what RFC 9110 says to ignore", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-1000", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=50-1000", 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange("Bytes = 5-5", 100)).toEqual({ start: 5, end: 5 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-5", 0)).toBe("unsatisfiable");
    expect(parseRange("bytes=9-1", 100)).toBe("whole");
    expect(parseRange("bytes=0-1,5-6", 100)).toBe("whole");
    expect(parseRange("items=0-1", 100)).toBe("whole");
    expect(parseRange("bytes=a-b", 100)).toBe("whole");
    expect(parseRange("bytes=-", 100)).toBe("whole");
  });
});

describe("serveFiles() options", () => {
  it("rejects bad arguments with messages that name them", () => {
    expect(() => serveFiles("")).toThrow(/serveFiles\(\): root must be a non-empty path/);
    expect(() => serveFiles("x", { dotfiles: "hide" as "deny" })).toThrow(/serveFiles\(\): dotfiles must be/);
    expect(() => serveFiles("x", { maxAge: -1 })).toThrow(RangeError);
    expect(() => serveFiles("x", { index: "../x" })).toThrow(/index must be a file name/);
    expect(() => serveFiles("x", { prefix: "static" })).toThrow(/prefix must start with "\/"/);
    expect(() => serveFiles("x", { compress: { brotliQuality: 12 } })).toThrow(/brotliQuality must be a whole number from 0 to 11/);
    expect(() => serveFiles("x", { fallthru: true } as never)).toThrow(/serveFiles\(\): unknown option "fallthru".*fallthrough/);
  });
});

describe.each(COMBOS)("serveFiles ($parser parser, $backend backend)", (combo) => {
  const startFiles = async (opts: Parameters<typeof serveFiles>[1] = {}) => (await start(combo, serveFiles(site.root, opts))).port;

  it("serves files byte for byte with their content type, length and validators", async () => {
    const port = await startFiles({ compress: false });
    const cases: [string, string, string][] = [
      ["/", "index.html", "text/html; charset=utf-8"],
      ["/index.html", "index.html", "text/html; charset=utf-8"],
      ["/css/site.css", "css/site.css", "text/css; charset=utf-8"],
      ["/data.json", "data.json", "application/json; charset=utf-8"],
      ["/small.txt", "small.txt", "text/plain; charset=utf-8"],
      ["/big.bin", "big.bin", "application/octet-stream"],
      ["/big.txt", "big.txt", "text/plain; charset=utf-8"],
      ["/with%20space.txt", "with space.txt", "text/plain; charset=utf-8"],
      ["/docs/", "docs/index.html", "text/html; charset=utf-8"],
      ["/docs/page.txt", "docs/page.txt", "text/plain; charset=utf-8"],
      ["/link-in.html", "index.html", "text/html; charset=utf-8"],
    ];
    for (const [url, file, type] of cases) {
      const r = await get(port, url);
      expect(r.status, url).toBe(200);
      expect(r.headers["content-type"], url).toBe(type);
      expect(r.headers["content-length"], url).toBe(String(fixture(file).length));
      expect(r.body.equals(fixture(file)), url).toBe(true);
      expect(r.headers["accept-ranges"]).toBe("bytes");
      expect(r.headers["etag"]).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
      expect(Date.parse(r.headers["last-modified"] as string)).not.toBeNaN();
      expect(r.headers["cache-control"]).toBe("public, max-age=0");
    }
    // The same through fetch.
    const f = await fetch(`http://127.0.0.1:${port}/big.bin`);
    expect(Buffer.from(await f.arrayBuffer()).equals(site.bigBin)).toBe(true);
  });

  it("answers HEAD with the GET's headers and no body", async () => {
    const port = await startFiles();
    for (const url of ["/big.bin", "/small.txt", "/css/site.css"]) {
      const g = await get(port, url);
      const h = await raw(port, `HEAD ${url} HTTP/1.1\r\nHost: x\r\n\r\n`, { until: (t) => t.includes("\r\n\r\n") });
      const [head, rest] = h.text.split("\r\n\r\n");
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(rest).toBe("");
      expect(head).toMatch(new RegExp(`\r\ncontent-length: ${g.body.length}\r\n`, "i"));
      expect(head).toContain(`\r\netag: ${g.headers.etag}\r\n`);
    }
  });

  it("sets Cache-Control from maxAge and immutable", async () => {
    const port = await startFiles({ maxAge: 3600.7, immutable: true });
    expect((await get(port, "/small.txt")).headers["cache-control"]).toBe("public, max-age=3600, immutable");
  });

  it("answers 304 to If-None-Match (weak comparison, lists, *) and to If-Modified-Since", async () => {
    const port = await startFiles();
    const first = await get(port, "/css/site.css");
    const etag = first.headers.etag as string;
    const lm = first.headers["last-modified"] as string;
    const strongForm = etag.slice(2);
    for (const inm of [etag, strongForm, `"nope", ${etag}`, "*"]) {
      const r = await get(port, "/css/site.css", { "if-none-match": inm });
      expect(r.status, inm).toBe(304);
      expect(r.body.length).toBe(0);
      expect(r.headers.etag).toBe(etag);
      expect(r.headers["last-modified"]).toBe(lm);
      expect(r.headers["cache-control"]).toBe("public, max-age=0");
      expect(r.headers.vary).toBe("Accept-Encoding");
    }
    expect((await get(port, "/css/site.css", { "if-none-match": '"other"' })).status).toBe(200);
    expect((await get(port, "/css/site.css", { "if-modified-since": lm })).status).toBe(304);
    const later = new Date(Date.parse(lm) + 60_000).toUTCString();
    expect((await get(port, "/css/site.css", { "if-modified-since": later })).status).toBe(304);
    const earlier = new Date(Date.parse(lm) - 1000).toUTCString();
    expect((await get(port, "/css/site.css", { "if-modified-since": earlier })).status).toBe(200);
    expect((await get(port, "/css/site.css", { "if-modified-since": "not a date" })).status).toBe(200);
    // If-None-Match takes precedence: a mismatch there means 200 whatever the date says.
    expect((await get(port, "/css/site.css", { "if-none-match": '"other"', "if-modified-since": later })).status).toBe(200);
    // HEAD too.
    expect((await get(port, "/css/site.css", { "if-none-match": etag }, "HEAD")).status).toBe(304);
    // Preconditions: If-Match with a tag fails against a weak tag; If-Unmodified-Since before the change fails.
    expect((await get(port, "/css/site.css", { "if-match": etag })).status).toBe(412);
    expect((await get(port, "/css/site.css", { "if-match": "*" })).status).toBe(200);
    expect((await get(port, "/css/site.css", { "if-unmodified-since": earlier })).status).toBe(412);
    expect((await get(port, "/css/site.css", { "if-unmodified-since": lm })).status).toBe(200);
  });

  it("answers any valid single range with exactly those bytes (206)", async () => {
    const port = await startFiles();
    // A range as fractions of the file, so one arbitrary fits both files.
    const spec = fc.oneof(
      fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.nat(1 << 20)).map(([a, n]) => ({ kind: "closed" as const, a, n })),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((a) => ({ kind: "open" as const, a, n: 0 })),
      fc.integer({ min: 1, max: 1 << 20 }).map((n) => ({ kind: "suffix" as const, a: 0, n })),
    );
    await fc.assert(
      fc.asyncProperty(spec, fc.constantFrom("/big.bin", "/big.txt", "/data.json"), async ({ kind, a, n }, url) => {
        const whole = url === "/big.bin" ? site.bigBin : url === "/big.txt" ? site.bigTxt : fixture("data.json");
        const size = whole.length;
        const first = Math.floor(a * size);
        const [field, s, e] =
          kind === "closed" ? [`bytes=${first}-${first + n}`, first, Math.min(first + n, size - 1)]
          : kind === "open" ? [`bytes=${first}-`, first, size - 1]
          : [`bytes=-${n}`, Math.max(0, size - n), size - 1];
        const r = await get(port, url, { range: field, "accept-encoding": "gzip, br" });
        expect(r.status).toBe(206);
        expect(r.headers["content-range"]).toBe(`bytes ${s}-${e}/${size}`);
        expect(r.headers["content-length"]).toBe(String(e - s + 1));
        expect(r.headers["content-encoding"]).toBeUndefined(); // ranges are never compressed
        expect(r.body.equals(whole.subarray(s, e + 1))).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it("answers 416 to unsatisfiable ranges, the whole file to several ranges, and honours If-Range", async () => {
    const port = await startFiles();
    const size = site.bigBin.length;
    const bad = await get(port, "/big.bin", { range: `bytes=${size}-` });
    expect(bad.status).toBe(416);
    expect(bad.headers["content-range"]).toBe(`bytes */${size}`);
    expect((await get(port, "/big.bin", { range: "bytes=-0" })).status).toBe(416);
    const multi = await get(port, "/big.bin", { range: "bytes=0-1,10-20" });
    expect(multi.status).toBe(200);
    expect(multi.body.equals(site.bigBin)).toBe(true);
    const first = await get(port, "/big.bin");
    const lm = first.headers["last-modified"] as string;
    expect((await get(port, "/big.bin", { range: "bytes=0-9", "if-range": lm })).status).toBe(206);
    const old = new Date(Date.parse(lm) - 5000).toUTCString();
    expect((await get(port, "/big.bin", { range: "bytes=0-9", "if-range": old })).status).toBe(200);
    // Our tags are weak; If-Range compares strongly, so a tag means the whole file.
    expect((await get(port, "/big.bin", { range: "bytes=0-9", "if-range": first.headers.etag as string })).status).toBe(200);
    // A small file's range.
    const small = await get(port, "/small.txt", { range: "bytes=1-3" });
    expect(small.status).toBe(206);
    expect(small.body.toString()).toBe("mal");
  });

  it("never sends a byte from outside the root, whatever the path", async () => {
    const port = await startFiles();
    const abs = path.join(site.base, "secret.txt");
    const attacks: [string, number[]][] = [
      ["/../secret.txt", [403]],
      ["/%2e%2e/secret.txt", [403]],
      ["/%2E%2E%2Fsecret.txt", [403]],
      ["/..%2fsecret.txt", [403]],
      ["/docs/../../secret.txt", [403]],
      ["/docs/%2e%2e/%2e%2e/secret.txt", [403]],
      ["/%252e%252e/secret.txt", [404]],
      ["/..%5csecret.txt", [403]],
      ["/%5c..%5csecret.txt", [403]],
      ["/..\\secret.txt", [403]],
      ["/small.txt%00.html", [400]],
      ["/%00", [400]],
      ["/%e0%a4%a", [400]],
      [abs, [404]],
      [`/${encodeURIComponent(abs)}`, [404]],
      ["//secret.txt", [404]],
      ["/link-out.txt", [404]],
      ["/dir-out/file.txt", [404]],
      [`http://127.0.0.1/../secret.txt`, [403]],
    ];
    for (const [target, statuses] of attacks) {
      const r = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { idleMs: 2000 });
      expect(r.text, target).not.toContain(SECRET);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(r.text)?.[1]);
      expect(statuses, `${target} answered ${status}`).toContain(status);
    }
  });

  it("never leaks outside the root for paths made of tricky segments (property)", async () => {
    const port = await startFiles({ dotfiles: "allow" });
    const segment = fc.constantFrom("..", ".", "%2e%2e", "%2E%2e", "%2e", "%2f", "%2F", "%5c", "%5C", "\\", "%00", "%252e%252e", "..%2f", "..%5c", "secret.txt", "outside", "file.txt", "docs", "dir-out", "link-out.txt", "", "index.html", "..%c0%af");
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (segs) => {
        const target = "/" + segs.join("/");
        const r = await raw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { idleMs: 2000 });
        expect(r.text, target).not.toContain(SECRET);
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(r.text)?.[1]);
        expect([200, 301, 400, 403, 404], target).toContain(status);
      }),
      { numRuns: 60 },
    );
  });

  it("hides dot files by default, denies or allows them on request", async () => {
    const ignore = await startFiles();
    expect((await get(ignore, "/.hidden")).status).toBe(404);
    expect((await get(ignore, "/.well-known/security.txt")).status).toBe(404);
    expect((await get(ignore, "/%2ehidden")).status).toBe(404);
    const deny = await startFiles({ dotfiles: "deny" });
    expect((await get(deny, "/.hidden")).status).toBe(403);
    const allow = await startFiles({ dotfiles: "allow" });
    const r = await get(allow, "/.well-known/security.txt");
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe("security.txt\n");
  });

  it("redirects a directory to its trailing slash, 404s one without index, 405s other methods", async () => {
    const port = await startFiles();
    const d = await get(port, "/docs?x=1");
    expect(d.status).toBe(301);
    expect(d.headers.location).toBe("/docs/?x=1");
    const evil = await raw(port, "GET //docs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", { idleMs: 2000 });
    expect(evil.text).toMatch(/\r\nlocation: \/docs\/\r\n/i);
    expect((await get(port, "/empty-dir/")).status).toBe(404);
    expect((await get(port, "/nope.txt")).status).toBe(404);
    expect((await get(port, "/small.txt/")).status).toBe(404);
    const post = await get(port, "/small.txt", {}, "POST");
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET, HEAD");
    const noRedirect = await startFiles({ redirect: false, index: false });
    expect((await get(noRedirect, "/docs")).status).toBe(404);
    expect((await get(noRedirect, "/docs/")).status).toBe(404);
  });

  it("mounts under a prefix and falls through for a delegating handler", async () => {
    const files = serveFiles(site.root, { prefix: "/static/", fallthrough: true });
    const server = await start(combo, function* (req, res) {
      const r = yield* files(req, res);
      if (r !== undefined) return r;
      return { status: 404, body: `app: no ${req.method} ${req.path}\n` };
    });
    const port = server.port;
    const ok = await get(port, "/static/small.txt");
    expect(ok.body.toString()).toBe("small text\n");
    expect((await get(port, "/static")).status).toBe(200); // the prefix itself is the root: its index
    expect((await get(port, "/small.txt")).body.toString()).toBe("app: no GET /small.txt\n");
    expect((await get(port, "/staticx/small.txt")).body.toString()).toBe("app: no GET /staticx/small.txt\n");
    expect((await get(port, "/static/nope")).body.toString()).toBe("app: no GET /static/nope\n");
    expect((await get(port, "/static/small.txt", {}, "DELETE")).body.toString()).toBe("app: no DELETE /static/small.txt\n");
  });

  it("closes the file when the client leaves half-way", async () => {
    const before = openFds();
    if (before < 0) return expect(openFds()).toBe(-1); // no /proc here: nothing to count
    const port = await startFiles();
    for (const [url, enc] of [
      ["/large.bin", "identity"],
      ["/large.txt", "gzip"],
      ["/large.txt", "br"],
    ] as const) {
      const base = openFds();
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: url, headers: { "accept-encoding": enc }, agent: false }, (res) => {
          res.once("data", () => {
            // The file is open while the body flows; leave now.
            expect(openFds()).toBeGreaterThan(base);
            req.destroy();
            resolve();
          });
        });
        req.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNRESET" ? resolve() : reject(e)));
        req.end();
      });
      expect(await eventually(() => openFds() <= base), `${url} (${enc}) left a descriptor open`).toBe(true);
    }
  });

  it("closes the file when the server closes under a paused download", async () => {
    const base = openFds();
    if (base < 0) return expect(openFds()).toBe(-1); // no /proc here: nothing to count
    const server = await start(combo, serveFiles(site.root, { compress: false }));
    const before = openFds();
    const req = request({ host: "127.0.0.1", port: server.port, path: "/large.bin", agent: false });
    req.on("error", () => {});
    await new Promise<void>((resolve) => {
      req.on("response", (res) => {
        res.on("error", () => {});
        res.once("data", () => {
          res.pause(); // the server's write waits; the file stays open
          resolve();
        });
      });
      req.end();
    });
    expect(openFds()).toBeGreaterThan(before);
    await server.close({ timeout: 50 });
    req.destroy();
    expect(await eventually(() => openFds() <= base), "the file stayed open after close()").toBe(true);
  });

  it.runIf(hasCurl)("works with curl: ranges, compression and conditional requests", async () => {
    const port = await startFiles();
    const url = `http://127.0.0.1:${port}`;
    // Asynchronous: the server runs in this process.
    const curl = async (...args: string[]) => (await run("curl", ["-s", ...args], { encoding: "buffer", timeout: 10_000 })).stdout;
    expect((await curl("-r", "100-199", `${url}/big.bin`)).equals(site.bigBin.subarray(100, 200))).toBe(true);
    expect((await curl("--compressed", `${url}/big.txt`)).equals(site.bigTxt)).toBe(true);
    const headers = (await curl("-D", "-", "-o", "/dev/null", "-H", "Accept-Encoding: gzip", `${url}/css/site.css`)).toString();
    expect(headers).toMatch(/content-encoding: gzip/i);
    expect(headers).toMatch(/vary: accept-encoding/i);
    const etag = /etag: (.*)\r\n/i.exec(headers)![1]!;
    const code = (await curl("-o", "/dev/null", "-w", "%{http_code}", "-H", `If-None-Match: ${etag}`, `${url}/css/site.css`)).toString();
    expect(code).toBe("304");
  });
});
