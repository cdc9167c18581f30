// Absolute-form request targets (RFC 9112 §3.2.2), as a client sends them to
// a proxy: the path and query come from the target, `req.target` stays as
// sent, and the target's authority replaces the Host field.
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { COMBOS, serverPool } from "./http-helpers.js";
import { exchange } from "./http-wire.js";

const { start, closeAll } = serverPool();
afterEach(closeAll);

interface Seen {
  target: string;
  path: string;
  query: [string, string][];
  host: string | undefined;
  header: string | null;
  all: string[];
  has: boolean;
  entries: [string, string][];
  length: number;
}

/** The handler reports what the request looks like from inside. */
function* report(req: import("../../src/http/request.js").HttpRequest) {
  const seen: Seen = {
    target: req.target,
    path: req.path,
    query: [...req.query.entries()],
    host: req.host,
    header: req.headers.get("HOST"),
    all: req.headers.getAll("host"),
    has: req.headers.has("Host"),
    entries: [...req.headers.entries()],
    length: req.headers.length,
  };
  return { body: JSON.stringify(seen) };
}

/** Send the requests pipelined in one write; what the handler saw for each. */
async function ask(port: number, requests: string[]): Promise<Seen[]> {
  const ex = await exchange(port, requests.join("") + "GET /end HTTP/1.1\r\nHost: z\r\nConnection: close\r\n\r\n");
  expect(ex.responses.map((r) => r.status)).toEqual([...requests.map(() => 200), 200]);
  return ex.responses.slice(0, -1).map((r) => JSON.parse(r.body.toString()) as Seen);
}

describe.each(COMBOS)("absolute-form targets, $parser parser, $backend backend", (combo) => {
  it("take path and query from the target and Host from its authority", async () => {
    const s = await start(combo, report);
    const [a, b, c, d, e] = await ask(s.port, [
      "GET http://example.com/x?a=1 HTTP/1.1\r\nHost: other.test\r\nX-Y: z\r\n\r\n",
      "GET http://example.com HTTP/1.1\r\nHost: other.test\r\n\r\n",
      "GET HTTPS://user:pw@Example.com:8080?q=2 HTTP/1.1\r\nX-Only: 1\r\nHost: wrong\r\n\r\n",
      "GET /y?b=2 HTTP/1.1\r\nHost: origin.test\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: star.test\r\n\r\n",
    ]);
    expect(a).toEqual({
      target: "http://example.com/x?a=1",
      path: "/x",
      query: [["a", "1"]],
      host: "example.com",
      header: "example.com",
      all: ["example.com"],
      has: true,
      entries: [["Host", "example.com"], ["X-Y", "z"]],
      length: 2,
    });
    expect([b!.path, b!.host, b!.header, b!.target]).toEqual(["/", "example.com", "example.com", "http://example.com"]);
    expect([c!.path, c!.query, c!.host, c!.header, c!.entries]).toEqual(["/", [["q", "2"]], "Example.com:8080", "Example.com:8080", [["X-Only", "1"], ["Host", "Example.com:8080"]]]);
    // Other forms are untouched.
    expect([d!.path, d!.query, d!.host, d!.header]).toEqual(["/y", [["b", "2"]], "origin.test", "origin.test"]);
    expect([e!.path, e!.host, e!.header]).toEqual(["*", "star.test", "star.test"]);
  });

  it("an HTTP/1.0 absolute-form request without a Host field still has one (HTTP/1.1 requires the field)", async () => {
    const s = await start(combo, report);
    const [a] = await ask(s.port, ["GET http://h.test:81/p/q HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"]);
    expect(a!.path).toBe("/p/q");
    expect(a!.header).toBe("h.test:81");
    expect(a!.entries).toEqual([["Connection", "keep-alive"], ["Host", "h.test:81"]]);
    expect(a!.length).toBe(2);
  });

  it("random absolute-form targets: path, query and host as built", async () => {
    const s = await start(combo, report);
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
    const segment = fc.stringMatching(/^[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,6}$/);
    const word = fc.stringMatching(/^[a-z0-9]{1,5}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("http", "https", "HTTP"),
        fc.array(label, { minLength: 1, maxLength: 3 }),
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        fc.array(segment, { maxLength: 4 }),
        fc.option(fc.array(fc.tuple(word, word), { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fc.boolean(),
        async (scheme, labels, port, segments, query, http10) => {
          const authority = labels.join(".") + (port === undefined ? "" : `:${port}`);
          const path = segments.length === 0 ? "" : `/${segments.join("/")}`;
          const qs = query === undefined ? "" : `?${query.map(([k, v]) => `${k}=${v}`).join("&")}`;
          const target = `${scheme}://${authority}${path}${qs}`;
          // HTTP/1.1 must send a Host field (any value: the authority wins); HTTP/1.0 may omit it.
          const head = http10 ? `GET ${target} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n` : `GET ${target} HTTP/1.1\r\nHost: decoy.test\r\n\r\n`;
          const [got] = await ask(s.port, [head]);
          expect(got!.target).toBe(target);
          expect(got!.path).toBe(path === "" ? "/" : path);
          expect(got!.query).toEqual(query ?? []);
          expect(got!.host).toBe(authority);
          expect(got!.header).toBe(authority);
          expect(got!.all).toEqual([authority]);
        },
      ),
      { seed: 3922, numRuns: 25 },
    );
  });

  it.each(["http:///x", "http://:80/", "https://user@/", "HTTP://?q=1"])("an http(s) target with an empty host (%s) gets a 400 and a close (RFC 9110 §4.2.1)", async (target) => {
    const s = await start(combo, report);
    const ex = await exchange(s.port, `GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET ${target} HTTP/1.1\r\nHost: a\r\n\r\nGET /never HTTP/1.1\r\nHost: a\r\n\r\n`);
    expect(ex.responses.map((r) => r.status)).toEqual([200, 400]);
    expect(ex.responses[1]!.headers.get("connection")).toBe("close");
    expect(ex.closed).toBe(true);
  });
});
