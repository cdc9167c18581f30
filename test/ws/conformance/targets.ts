/**
 * The echo servers the conformance table runs against: tasklet's (each
 * parser, which also picks the frame codec, on each scheduler backend) and,
 * as a control, the `ws` package's WebSocketServer configured the same way.
 * `suite()` turns a table of cases into one test per case and server.
 */
import { afterAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { serve, upgrade } from "../../../src/index.js";
import { COMBOS } from "../../http/http-helpers.js";
import { configOf, playCase, verdict, type ServerConfig, type WsCase } from "./runner.js";

/** A running echo server. */
export interface EchoServer {
  port: number;
  path: string;
  close(): Promise<void>;
}

/** A kind of echo server under test. */
export interface Target {
  name: string;
  start(cfg: ServerConfig): Promise<EchoServer>;
}

/** `ws` as the control: echoes each message as it came (text as text). */
export const wsTarget: Target = {
  name: "ws (control)",
  async start(cfg) {
    const wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      maxPayload: cfg.maxMessageSize,
      // ws 8.23 fails a message of more than 16384 fragments with 1008 (a policy of its own);
      // section 9 sends 4 MiB in 64-byte fragments, which the RFC allows, so lift it.
      maxFragments: 0,
      // threshold 0: ws compresses every message it sends, as a server that always compresses would.
      perMessageDeflate: cfg.deflate ? { threshold: 0 } : false,
      // The server's preference decides, as tasklet's list does.
      ...(cfg.protocols ? { handleProtocols: (offered: Set<string>) => cfg.protocols!.find((p) => offered.has(p)) ?? false } : {}),
    });
    wss.on("connection", (ws) => {
      ws.on("message", (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
      ws.on("error", () => {});
    });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    const port = (wss.address() as { port: number }).port;
    return {
      port,
      path: "/",
      close: () =>
        new Promise<void>((resolve) => {
          for (const c of wss.clients) c.terminate();
          wss.close(() => resolve());
        }),
    };
  },
};

/**
 * tasklet's echo server on one parser (which also picks the Wasm or TS frame
 * codec) and one scheduler backend; permessage-deflate set as for ws
 * (every reply compressed), the frame limit the message limit.
 */
export function taskletTarget(combo: (typeof COMBOS)[number]): Target {
  return {
    name: `tasklet (${combo.parser} parser, ${combo.backend} backend)`,
    async start(cfg) {
      const server = serve({ port: 0, host: "127.0.0.1", parser: combo.parser, backend: combo.backend }, function* (req) {
        if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return { status: 404, body: "no" };
        const ws = yield* upgrade(req, {
          maxMessageSize: cfg.maxMessageSize,
          maxFrameSize: cfg.maxMessageSize,
          perMessageDeflate: cfg.deflate ? { threshold: 0 } : false,
          ...(cfg.protocols ? { protocols: cfg.protocols } : {}),
        });
        for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
      });
      await server.ready;
      return { port: server.port, path: "/", close: () => server.close({ timeout: 100 }).then(undefined, () => {}) };
    },
  };
}

/** Every target the table runs against: tasklet on each parser and backend, then ws. */
export const TARGETS: readonly Target[] = [...COMBOS.map(taskletTarget), wsTarget];

/**
 * One describe per target, one test per case. Servers are started once per
 * distinct config and closed after the file.
 */
export function suite(title: string, cases: readonly WsCase[], targets: readonly Target[] = TARGETS): void {
  for (const target of targets) {
    describe(`${title}: ${target.name}`, () => {
      const servers = serverCache(target);
      afterAll(() => servers.closeAll());
      for (const c of cases) {
        it(`${c.id} ${c.title}`, async () => {
          const server = await servers.get(configOf(c));
          const result = await playCase(c, server.port, server.path);
          expect(verdict(c, result)).toBeNull();
        });
      }
    });
  }
}

/** A started server of a target, for property tests that play many generated cases. */
export function serverCache(target: Target): { get(cfg: ServerConfig): Promise<EchoServer>; closeAll(): Promise<void> } {
  const started = new Map<string, Promise<EchoServer>>();
  return {
    get(cfg) {
      const key = JSON.stringify(cfg);
      let s = started.get(key);
      if (!s) started.set(key, (s = target.start(cfg)));
      return s;
    },
    async closeAll() {
      for (const s of started.values()) await (await s).close();
      started.clear();
    },
  };
}
