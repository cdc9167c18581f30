/**
 * The opening handshake over real sockets: every refusal with its status
 * and fields, the accept key, subprotocols, the Origin hook, what happens to
 * an upgrade request the handler does not upgrade, CONNECT, and frames the
 * client sends in the same packet as its handshake. The pure parts
 * (extension parsing, permessage-deflate negotiation) are checked as
 * properties at the end.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import { fc } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import { WsHandshakeError, upgrade } from "../../src/index.js";
import { acceptKey, negotiateDeflate, parseExtensions } from "../../src/ws/handshake.js";
import { COMBOS, RawClient, bounded, clientFrame, echoHandler, handshakeRequest, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);

/** Send a handshake with `extra` fields (null removes one) and return the server's whole answer (it closes after a refusal). */
async function refusal(port: number, extra: Record<string, string | null>, requestLine?: string): Promise<{ status: number; head: string; body: string }> {
  const c = await RawClient.connect(port);
  c.write(handshakeRequest(port, extra, requestLine));
  const text = await c.rest();
  c.destroy();
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const at = text.indexOf("\r\n\r\n");
  return { status, head: text.slice(0, at), body: text.slice(at + 4) };
}

describe.each(COMBOS)("WebSocket handshake, $parser parser, $backend backend", (combo) => {
  it("answers 101 with the accept key of RFC 6455 §1.3 and the fields of §4.2.2", async () => {
    const s = await pool.start(combo, echoHandler());
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    const c = await RawClient.connect(s.port);
    c.write(handshakeRequest(s.port, { "Sec-WebSocket-Key": key }));
    const head = await c.head();
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    expect(head).toMatch(/\r\nUpgrade: websocket\r\n/i);
    expect(head).toMatch(/\r\nConnection: Upgrade\r\n/i);
    expect(head).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n");
    expect(head).not.toMatch(/Sec-WebSocket-Protocol|Sec-WebSocket-Extensions|Content-Length|Transfer-Encoding/i);
    c.destroy();
  });

  it("refuses each malformed handshake with its status, and closes", async () => {
    const s = await pool.start(combo, echoHandler());
    const cases: [string, Record<string, string | null>, number, RegExp, string?][] = [
      ["no version", { "Sec-WebSocket-Version": null }, 426, /Sec-WebSocket-Version must be 13, got none/],
      ["version 8", { "Sec-WebSocket-Version": "8" }, 426, /got "8"/],
      ["no key", { "Sec-WebSocket-Key": null }, 400, /Sec-WebSocket-Key is missing/],
      ["a key of 15 bytes", { "Sec-WebSocket-Key": Buffer.alloc(15, 1).toString("base64") }, 400, /16 bytes in base64/],
      ["a key of 17 bytes", { "Sec-WebSocket-Key": Buffer.alloc(17, 1).toString("base64") }, 400, /16 bytes in base64/],
      ["a key that is not base64", { "Sec-WebSocket-Key": "!!!!!!!!!!!!!!!!!!!!!!==" }, 400, /16 bytes in base64/],
      ["Upgrade of another protocol", { Upgrade: "h2c" }, 400, /Upgrade must name websocket/],
      ["POST", {}, 400, /method must be GET/, "POST / HTTP/1.1"],
      ["a bad subprotocol token", { "Sec-WebSocket-Protocol": "a b" }, 400, /not a token/],
    ];
    for (const [what, extra, status, message, line] of cases) {
      const r = await refusal(s.port, extra, line);
      expect(r.status, what).toBe(status);
      expect(r.body, what).toMatch(message);
      expect(r.head, what).toMatch(/\r\nConnection: close/i);
      if (status === 426) expect(r.head, what).toMatch(/\r\nSec-WebSocket-Version: 13\r?$/im);
    }
  });

  it("throws WsHandshakeError to a handler that catches it", async () => {
    const errors: unknown[] = [];
    const s = await pool.start(combo, function* (req) {
      try {
        yield* upgrade(req);
      } catch (e) {
        errors.push(e);
        return { status: 418, body: "caught" };
      }
    });
    const r = await refusal(s.port, { "Sec-WebSocket-Version": "7" });
    expect(r.status).toBe(418);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WsHandshakeError);
    expect((errors[0] as WsHandshakeError).status).toBe(426);
  });

  it("answers an upgrade request normally when the handler does not upgrade, then closes", async () => {
    const s = await pool.start(combo, function* (req) {
      return { status: 404, body: `no socket at ${req.path}` };
    });
    const r = await refusal(s.port, {}, "GET /nowhere HTTP/1.1");
    expect(r.status).toBe(404);
    expect(r.body).toBe("no socket at /nowhere");
    expect(r.head).toMatch(/\r\nConnection: close/i);
  });

  it("refuses upgrade() on a request that asked for none (400), and a second upgrade() of one request", async () => {
    const errors: string[] = [];
    const s = await pool.start(combo, function* (req) {
      if (req.path === "/plain") {
        try {
          yield* upgrade(req);
        } catch (e) {
          errors.push(`${(e as Error).name} ${(e as WsHandshakeError).status}`);
        }
        return { body: "plain" };
      }
      const ws = yield* upgrade(req);
      try {
        yield* upgrade(req);
      } catch (e) {
        errors.push((e as Error).message);
      }
      yield* ws.send("still fine");
      yield* ws.receive();
    });
    const r = await fetch(`http://127.0.0.1:${s.port}/plain`);
    expect(await r.text()).toBe("plain");
    const c = await openClient(s.url);
    expect((await inboxOf(c).nth(1)).data.toString()).toBe("still fine");
    c.close();
    expect(errors).toEqual(["WsHandshakeError 400", "upgrade(req): this request was upgraded already"]);
  });

  it("reports the upgrade request on the tasklet:http:request channels with status 101, ending with the handler", async () => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    const ends: { status: number; path: string }[] = [];
    const onEnd = (m: unknown): void => {
      const e = m as { status: number; request: { path: string } };
      ends.push({ status: e.status, path: e.request.path });
    };
    subscribe("tasklet:http:request:end", onEnd);
    try {
      const s = await pool.start(combo, echoHandler());
      const c = await openClient(`${s.url}chat`);
      c.send("x");
      await inboxOf(c).nth(1);
      expect(ends).toEqual([]); // the handler still runs
      c.close();
      await inboxOf(c).closed();
      await bounded(
        (async () => {
          while (ends.length === 0) await new Promise((r) => setTimeout(r, 5));
        })(),
        "the request's end",
      );
      expect(ends).toEqual([{ status: 101, path: "/chat" }]);
    } finally {
      unsubscribe("tasklet:http:request:end", onEnd);
    }
  });

  it("still answers CONNECT with 501", async () => {
    const s = await pool.start(combo, echoHandler());
    const c = await RawClient.connect(s.port);
    c.write("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    expect(await c.rest()).toMatch(/^HTTP\/1\.1 501 /);
  });

  it("answers a plain request and an upgrade on one connection, in order (node:http client, then the upgrade)", async () => {
    const s = await pool.start(combo, function* (req) {
      if (req.headers.get("upgrade") === null) return { body: "plain" };
      const ws = yield* upgrade(req);
      yield* ws.send("upgraded");
      yield* ws.receive();
    });
    const c = await RawClient.connect(s.port);
    c.write(`GET /a HTTP/1.1\r\nHost: x\r\n\r\n${handshakeRequest(s.port)}`);
    const first = await c.head();
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    const len = Number(/content-length: (\d+)/i.exec(first)![1]);
    expect(len).toBe(5);
    // The body, then the 101.
    const rest = await c.head();
    expect(rest.slice(0, 5)).toBe("plain");
    expect(rest.slice(5)).toMatch(/^HTTP\/1\.1 101 /);
    const f = await c.frame();
    expect(f!.payload.toString()).toBe("upgraded");
    c.destroy();
  });

  it("decodes frames sent in the same packet as the handshake", async () => {
    const s = await pool.start(combo, echoHandler());
    const first = Buffer.concat([clientFrame(1, "early"), clientFrame(2, Buffer.from([9, 8, 7]))]);
    const c = await RawClient.open(s.port, {}, first);
    const a = await c.frame();
    const b = await c.frame();
    expect([a!.opcode, a!.payload.toString()]).toEqual([1, "early"]);
    expect([b!.opcode, [...b!.payload]]).toEqual([2, [9, 8, 7]]);
    c.destroy();
  });

  it("chooses the first of the server's subprotocols that the client offers; none in common selects none", async () => {
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { protocols: ["v2.chat", "v1.chat"] });
      yield* ws.send(`protocol=${ws.protocol}`);
      yield* ws.receive();
    });
    const a = await openClient(s.url, ["v1.chat", "v2.chat"]);
    expect(a.protocol).toBe("v2.chat");
    expect((await inboxOf(a).nth(1)).data.toString()).toBe("protocol=v2.chat");
    a.close();
    const b = await openClient(s.url, ["v1.chat"]);
    expect(b.protocol).toBe("v1.chat");
    b.close();
    // No protocol in common: no Sec-WebSocket-Protocol in the 101 (the client gives up, as RFC 6455 lets it).
    const c = await RawClient.connect(s.port);
    c.write(handshakeRequest(s.port, { "Sec-WebSocket-Protocol": "mqtt, stomp" }));
    const head = await c.head();
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).not.toMatch(/Sec-WebSocket-Protocol/i);
    c.destroy();
  });

  it("lets a function choose the subprotocol from the offers", async () => {
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req, { protocols: (offered) => offered.find((p) => p.startsWith("json")) ?? null });
      yield* ws.send(ws.protocol);
      yield* ws.receive();
    });
    const a = await openClient(s.url, ["xml", "json.v3", "json.v2"]);
    expect(a.protocol).toBe("json.v3");
    a.close();
  });

  it("checks Origin against a list (403 otherwise) or a function", async () => {
    const s = await pool.start(combo, function* (req) {
      const rule = req.path === "/fn" ? (o: string | null) => o !== null && o.endsWith(".example.org") : ["https://good.example"];
      const ws = yield* upgrade(req, { origin: rule });
      yield* ws.send("in");
      yield* ws.receive();
    });
    const good = await openClient(s.url, undefined, { origin: "https://GOOD.example" });
    good.close();
    const bad = await refusal(s.port, { Origin: "https://evil.example" });
    expect(bad.status).toBe(403);
    expect(bad.body).toMatch(/Origin "https:\/\/evil.example" is not allowed/);
    // No Origin (not a browser): allowed by a list.
    const none = await openClient(s.url);
    none.close();
    const fnGood = await openClient(`${s.url}fn`, undefined, { origin: "https://a.example.org" });
    fnGood.close();
    expect((await refusal(s.port, { Origin: "https://example.com" }, "GET /fn HTTP/1.1")).status).toBe(403);
    expect((await refusal(s.port, {}, "GET /fn HTTP/1.1")).status).toBe(403);
  });

  it("is refused by node:http's client with the status the server chose", async () => {
    const s = await pool.start(combo, echoHandler());
    const status = await new Promise<number>((resolve, reject) => {
      const r = http.request({ host: "127.0.0.1", port: s.port, headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "short" } });
      r.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on("upgrade", () => reject(new Error("upgraded with a bad key")));
      r.on("error", reject);
      r.end();
    });
    expect(status).toBe(400);
  });
});

describe("handshake pieces", () => {
  it("acceptKey is base64(SHA-1(key + GUID)) for any key", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const key = Buffer.from(bytes).toString("base64");
        const expected = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
        expect(acceptKey(key)).toBe(expected);
      }),
    );
  });

  const param = fc.oneof(
    fc.constant(["server_no_context_takeover", null] as [string, string | null]),
    fc.constant(["client_no_context_takeover", null] as [string, string | null]),
    fc.tuple(fc.constant("server_max_window_bits"), fc.integer({ min: 7, max: 16 }).map(String)),
    fc.tuple(fc.constant("client_max_window_bits"), fc.option(fc.integer({ min: 7, max: 16 }).map(String), { nil: null })),
    fc.tuple(fc.constantFrom("x_unknown", "mux"), fc.option(fc.constant("1"), { nil: null })),
  );
  const offer = fc.record({ name: fc.constantFrom("permessage-deflate", "x-webkit-deflate-frame", "foo"), params: fc.array(param, { maxLength: 4 }) });
  const render = (o: { name: string; params: [string, string | null][] }, quote: boolean): string =>
    [o.name, ...o.params.map(([k, v]) => (v === null ? k : quote ? `${k}="${v}"` : `${k}=${v}`))].join("; ");

  it("parses what it renders, tokens or quoted strings", () => {
    fc.assert(
      fc.property(fc.array(offer, { minLength: 1, maxLength: 3 }), fc.boolean(), (offers, quote) => {
        expect(parseExtensions(offers.map((o) => render(o, quote)).join(", "))).toEqual(offers);
      }),
    );
  });

  it("accepts the first valid permessage-deflate offer and answers only what RFC 7692 §7 allows", () => {
    const cfg = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, threshold: 0 };
    fc.assert(
      fc.property(fc.array(offer, { minLength: 1, maxLength: 3 }), (offers) => {
        const got = negotiateDeflate(offers.map((o) => render(o, false)).join(", "), cfg);
        // The model: an offer is valid when it is permessage-deflate with known, unrepeated parameters and good values.
        const valid = offers.find((o) => {
          if (o.name !== "permessage-deflate") return false;
          const names = o.params.map(([k]) => k);
          if (new Set(names).size !== names.length) return false;
          return o.params.every(([k, v]) => {
            if (k.endsWith("no_context_takeover")) return v === null;
            if (k === "server_max_window_bits") return v !== null && Number(v) >= 9 && Number(v) <= 15;
            if (k === "client_max_window_bits") return v === null || (Number(v) >= 8 && Number(v) <= 15);
            return false;
          });
        });
        if (valid === undefined) {
          expect(got).toBeNull();
          return;
        }
        expect(got).not.toBeNull();
        const answer = parseExtensions(got!.header)[0]!;
        expect(answer.name).toBe("permessage-deflate");
        const offered = new Map(valid.params);
        for (const [k, v] of answer.params) {
          // A window parameter is answered only when offered, and never above the offer.
          if (k.endsWith("max_window_bits")) {
            expect(offered.has(k)).toBe(true);
            const o = offered.get(k);
            if (o !== null && o !== undefined) expect(Number(v)).toBeLessThanOrEqual(Number(o));
          }
        }
        expect(got!.deflate.serverNoContextTakeover).toBe(offered.has("server_no_context_takeover"));
        expect(got!.deflate.serverWindowBits).toBe(Number(offered.get("server_max_window_bits") ?? 15));
      }),
    );
  });
});
