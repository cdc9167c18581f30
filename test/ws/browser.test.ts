/**
 * A real browser as the client: Chromium (Debian's package, which .ci/run
 * installs) driven by playwright-core opens a page served by tasklet, whose
 * script opens a WebSocket to the same server, sends text and binary,
 * checks the echoes, and closes with a code and a reason the server sees.
 * One browser for the file, one server per parser and backend. When no
 * Chromium can be found the suite is skipped, and says why.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upgrade } from "../../src/index.js";
import { COMBOS, bounded, wsPool } from "./ws-helpers.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) => existsSync(p));
if (CHROMIUM === undefined) console.warn("test/ws/browser.test.ts: skipped, no Chromium found (install Debian's chromium package)");

const pool = wsPool();
afterAll(pool.closeAll);

/** The page: echo round trips of text and binary, then a close with 4000 "page done"; the outcome in window.result. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>ws test</title><script>
  window.result = null;
  const ws = new WebSocket(location.href.replace(/^http/, "ws") + "ws");
  ws.binaryType = "arraybuffer";
  const got = [];
  const bytes = new Uint8Array(70000).map((_, i) => (i * 7) & 255);
  ws.onopen = () => { ws.send("héllo from the browser 😀"); ws.send(bytes); };
  ws.onmessage = (e) => {
    if (typeof e.data === "string") got.push(e.data);
    else {
      const b = new Uint8Array(e.data);
      got.push(b.length === bytes.length && b.every((v, i) => v === bytes[i]) ? "binary ok" : "binary differs");
      ws.close(4000, "page done");
    }
  };
  ws.onclose = (e) => { window.result = { got, code: e.code, reason: e.reason }; };
  ws.onerror = () => { window.result = { error: true }; };
</script>`;

type Browser = import("playwright-core").Browser;
let browser: Browser | null = null;

beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"], headless: true, timeout: 60_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
});

describe.skipIf(CHROMIUM === undefined).each(COMBOS)("Chromium as the client, $parser parser, $backend backend", (combo) => {
  it("echoes text and binary, and closes with the page's code and reason", async () => {
    const closes: { code: number | null; reason: string }[] = [];
    const s = await pool.start(combo, function* (req) {
      if (req.path !== "/ws") return { headers: { "content-type": "text/html; charset=utf-8" }, body: PAGE };
      const ws = yield* upgrade(req);
      for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) yield* ws.send(m);
      closes.push({ code: ws.closeCode, reason: ws.closeReason });
    });
    const page = await browser!.newPage();
    try {
      await page.goto(`http://127.0.0.1:${s.port}/`);
      await page.waitForFunction(() => (window as unknown as { result: unknown }).result !== null, undefined, { timeout: 30_000 });
      const result = await page.evaluate(() => (window as unknown as { result: unknown }).result);
      expect(result).toEqual({ got: ["héllo from the browser 😀", "binary ok"], code: 4000, reason: "page done" });
      await bounded(
        (async () => {
          while (closes.length === 0) await new Promise((r) => setTimeout(r, 5));
        })(),
        "the server to see the close",
      );
      expect(closes).toEqual([{ code: 4000, reason: "page done" }]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
