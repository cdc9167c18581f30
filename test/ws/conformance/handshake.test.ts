/**
 * The opening handshake (RFC 6455 §4.2), as data: requests broken on
 * purpose get a 4xx and no upgrade; a good one gets 101 with the right
 * Sec-WebSocket-Accept; a subprotocol is chosen among the client's offers
 * or none is named; frames sent in the same TCP write as the request are
 * not lost across the hand-over from HTTP to WebSocket.
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { acceptFor, encodeFrame, Op, rawHandshake, WireClient } from "../../support/ws-wire.js";
import { DEFAULT_CONFIG } from "./runner.js";
import { serverCache, TARGETS } from "./targets.js";

interface HandshakeCase {
  id: string;
  title: string;
  /** Header changes from a good request (null drops one); `method` replaces GET. */
  headers?: Record<string, string | null>;
  method?: string;
  /** Statuses the RFC allows. */
  status: number[];
  /** The refusal must name the versions spoken (§4.4: Sec-WebSocket-Version). */
  versions?: boolean;
  note?: string;
}

const CASES: HandshakeCase[] = [
  { id: "h.1", title: "no Sec-WebSocket-Key", headers: { "sec-websocket-key": null }, status: [400] },
  { id: "h.2", title: "a key that is not 16 bytes in base64", headers: { "sec-websocket-key": "c2hvcnQ=" }, status: [400] },
  {
    id: "h.3",
    title: "no Sec-WebSocket-Version",
    headers: { "sec-websocket-version": null },
    status: [400, 426],
    versions: true,
    note: "§4.4 asks for an error such as 426 with Sec-WebSocket-Version; ws answers 400 (with the header)",
  },
  { id: "h.4", title: "version 12", headers: { "sec-websocket-version": "12" }, status: [400, 426], versions: true, note: "as h.3" },
  { id: "h.5", title: "a POST", method: "POST", status: [400, 405], note: "§4.1: the method MUST be GET; ws answers 405" },
  { id: "h.6", title: "Upgrade: h2c instead of websocket", headers: { upgrade: "h2c" }, status: [400, 404, 426], note: "not a WebSocket request: the echo handler may answer it as plain HTTP (404) or refuse it" },
];

function request(port: number, key: string, c: HandshakeCase): string {
  const h: Record<string, string | null> = {
    host: `127.0.0.1:${port}`,
    upgrade: "websocket",
    connection: "Upgrade",
    "sec-websocket-key": key,
    "sec-websocket-version": "13",
    ...c.headers,
  };
  let s = `${c.method ?? "GET"} / HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null) s += `${k}: ${v}\r\n`;
  if (c.method === "POST") s += "content-length: 0\r\n";
  return s + "\r\n";
}

for (const target of TARGETS) {
  describe(`opening handshake: ${target.name}`, () => {
    const servers = serverCache(target);
    afterAll(() => servers.closeAll());

    for (const c of CASES) {
      it(`${c.id} ${c.title}: refused with ${c.status.join(" or ")}`, async () => {
        const server = await servers.get(DEFAULT_CONFIG);
        const a = await rawHandshake(server.port, request(server.port, randomBytes(16).toString("base64"), c), 5000, 3000);
        expect(c.status).toContain(a.status);
        expect(a.headers.has("sec-websocket-accept")).toBe(false);
        if (c.versions) expect(a.headers.get("sec-websocket-version")?.split(/\s*,\s*/)).toContain("13");
        // Refused, the connection is not left half-upgraded: the server closes it.
        expect(a.closed).toBe(true);
      });
    }

    it("h.10 a good request gets 101 with the right accept value", async () => {
      const server = await servers.get(DEFAULT_CONFIG);
      const key = randomBytes(16).toString("base64");
      const a = await rawHandshake(server.port, request(server.port, key, { id: "", title: "", status: [] }));
      expect(a.status).toBe(101);
      expect(a.headers.get("sec-websocket-accept")).toBe(acceptFor(key));
      expect(a.headers.get("connection")?.toLowerCase()).toBe("upgrade");
    });

    const PROTOCOLS = { ...DEFAULT_CONFIG, protocols: ["chat", "superchat"] };
    for (const [id, offer, chosen] of [
      ["h.20", "superchat, chat", "chat"],
      ["h.21", "superchat", "superchat"],
      ["h.22", "other, another", undefined],
      ["h.23", undefined, undefined],
    ] as const) {
      it(`${id} subprotocols offered ${offer === undefined ? "none" : JSON.stringify(offer)}: the server's choice is ${chosen ?? "none"}`, async () => {
        const server = await servers.get(PROTOCOLS);
        // §4.2.2: the server picks one of the offers (here by its own preference) or answers without the header.
        const client = await WireClient.open({ port: server.port, path: server.path, protocols: offer });
        try {
          expect(client.answer.headers.get("sec-websocket-protocol")).toBe(chosen);
          await client.send({ opcode: Op.TEXT, payload: "after the handshake" });
          expect(await client.message(5000)).toMatchObject({ type: "text", data: "after the handshake" });
        } finally {
          client.destroy();
        }
      });
    }

    it("h.11 frames sent in the same write as the request are not lost in the hand-over", async () => {
      const server = await servers.get(DEFAULT_CONFIG);
      const early = Buffer.concat([encodeFrame({ opcode: Op.TEXT, payload: "in the same write" }), encodeFrame({ opcode: Op.PING, payload: "early ping" })]);
      const client = await WireClient.open({ port: server.port, path: server.path, early });
      try {
        const got = [await client.message(5000), await client.message(5000)];
        expect(got).toContainEqual(expect.objectContaining({ type: "text", data: "in the same write" }));
        expect(got).toContainEqual({ type: "pong", data: Buffer.from("early ping") });
      } finally {
        client.destroy();
      }
    });
  });
}
