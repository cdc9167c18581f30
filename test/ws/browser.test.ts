/**
 * A real browser against tasklet: Chromium (Debian's package, driven by
 * playwright-core) loads a page tasklet serves at `/`, whose script opens a
 * WebSocket to `/ws` on the same port, sends text (non-ASCII too) and a few
 * hundred KiB of binary, reads the echoes, closes with a code and reason,
 * then has the server close. The test checks every byte both ways and the
 * close codes each side saw, with permessage-deflate off and on (Chromium
 * offers it), on both parsers (so both frame codecs) and both backends,
 * with one browser for the file; and over TLS (an https page and wss://,
 * the certificate made by the test and trusted through the browser
 * context). It skips only when /usr/bin/chromium is missing, and says so.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Handler, upgrade } from "../../src/index.js";
import { pattern } from "../support/helpers.js";
import { COMBOS, serverPool } from "../http/http-helpers.js";
import { type TestCerts, makeTestCerts } from "../support/tls-certs.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/ws/browser.test.ts skipped: ${CHROMIUM} is not installed (.ci/run installs Debian's chromium package)`);

const PAGE = readFileSync(new URL("../fixtures/ws/echo-page.html", import.meta.url), "utf8");
const TEXT = "héllo wörld, κόσμε, 😀 — tasklet";
const SIZE = 300 * 1024;

/** What the page leaves in window.result. */
interface PageResult {
  error?: string;
  extensions: string;
  textEcho: string;
  binEcho: string;
  smallEcho: string;
  clientClose: { code: number; reason: string; wasClean: boolean };
  serverClose: { code: number; reason: string; wasClean: boolean };
}

/** What the WebSocket server saw. */
interface ServerSide {
  /** Each message received: text as is, binary as its sha256. */
  received: string[];
  /** Close code and reason of each connection, as the server saw them. */
  closes: { code: number; reason: string }[];
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/**
 * tasklet's server: the page at `/`, an echo WebSocket at `/ws` on the same
 * port. "close-me" makes the server close with 4002; every connection's
 * close code and reason, as tasklet saw them, go to `side`.
 */
function pageAndSocket(side: ServerSide, deflate: boolean): Handler {
  return function* (req) {
    if (req.path === "/") return { headers: { "content-type": "text/html; charset=utf-8" }, body: PAGE };
    if (req.path !== "/ws" || req.headers.get("upgrade")?.toLowerCase() !== "websocket") return { status: 404, body: "no" };
    const ws = yield* upgrade(req, { maxMessageSize: 1 << 20, perMessageDeflate: deflate ? { threshold: 0 } : false });
    for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) {
      if (m === "close-me") {
        yield* ws.close(4002, "bye from server");
        break;
      }
      side.received.push(typeof m === "string" ? m : sha(m));
      yield* ws.send(m);
    }
    side.closes.push({ code: ws.closeCode ?? -1, reason: ws.closeReason });
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

describe.skipIf(!hasChromium)("a real browser (Chromium) over WebSocket", () => {
  let context: BrowserContext;
  let profile: string;
  let certs: TestCerts;
  const { start, closeAll } = serverPool();

  beforeAll(async () => {
    certs = makeTestCerts();
    profile = mkdtempSync(join(tmpdir(), "tasklet-chromium-"));
    // launchPersistentContext takes the empty profile folder as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      // The TLS rows use a certificate made by the test: this context trusts any (Chromium's own switch, over CDP).
      ignoreHTTPSErrors: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        // Without these Chromium dials out, and this machine's closed network refuses its connections.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Containers often give /dev/shm a few MiB; Chromium then crashes on large pages.
        "--disable-dev-shm-usage",
      ],
    });
  });

  afterAll(async () => {
    await closeAll();
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    certs?.remove();
  });

  const rows = [
    ...COMBOS.flatMap((combo) => [false, true].map((deflate) => ({ combo, deflate, tls: false }))),
    // wss:// from an https page: one row per parser (each parser is its own frame codec).
    ...COMBOS.filter((c) => c.backend === "wasm").map((combo) => ({ combo, deflate: true, tls: true })),
  ];
  for (const { combo, deflate, tls } of rows) {
    {
      it(`${combo.parser} parser, ${combo.backend} backend, permessage-deflate ${deflate ? "on" : "off"}${tls ? ", over TLS (https page, wss://)" : ""}: echoes every byte and closes both ways`, async () => {
        const side: ServerSide = { received: [], closes: [] };
        const server = await start(combo, pageAndSocket(side, deflate), tls ? { tls: { key: certs.main.key, cert: certs.main.cert } } : {});
        const page = await context.newPage();
        try {
          const query = new URLSearchParams({ size: String(SIZE), text: TEXT });
          await page.goto(`${tls ? "https" : "http"}://127.0.0.1:${server.port}/?${query}`, { timeout: 15_000 });
          if (tls) expect(await page.evaluate(() => location.protocol)).toBe("https:");
          const r = await within(page.evaluate(() => (globalThis as unknown as { result: Promise<PageResult> }).result), 20_000, "the page's script");
          expect(r.error).toBeUndefined();
          // What the browser got back, byte for byte.
          expect(r.textEcho).toBe(TEXT);
          expect(Buffer.from(r.binEcho, "base64").equals(Buffer.from(pattern(7, SIZE)))).toBe(true);
          expect(Buffer.from(r.smallEcho, "base64").equals(Buffer.from(pattern(8, 3000)))).toBe(true);
          expect(r.extensions.includes("permessage-deflate")).toBe(deflate);
          // What the server got from the browser.
          expect(side.received).toEqual([TEXT, sha(pattern(7, SIZE)), sha(pattern(8, 3000))]);
          // The browser's close: the server saw its code and reason; the browser saw the answer.
          expect(r.clientClose.wasClean).toBe(true);
          expect([4001, 1000]).toContain(r.clientClose.code);
          // The server's close: the browser saw its code and reason.
          expect(r.serverClose).toEqual({ code: 4002, reason: "bye from server", wasClean: true });
          await within(
            (async () => {
              while (side.closes.length < 2) await new Promise((res) => setTimeout(res, 10));
            })(),
            5000,
            "the server's handlers to end",
          );
          expect(side.closes).toContainEqual({ code: 4001, reason: "bye from chromium" });
          expect(side.closes).toContainEqual({ code: 4002, reason: "bye from server" });
        } finally {
          await page.close();
        }
      });
    }
  }
});
