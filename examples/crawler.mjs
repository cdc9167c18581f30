// A gevent-style crawler: a Pool of green threads fetches pages, finds links,
// and queues new ones, with at most POOL_SIZE requests in flight.
//
// To stay self-contained (and off the network) it first serves a small
// generated site on 127.0.0.1 with node:http, then crawls it with tasklet's
// green HTTP client: `request` over a keep-alive pool, so the pages of the
// crawl share a few connections instead of opening one each.
//
//   node examples/crawler.mjs [pages=300] [pool=16]
import { createServer } from "node:http";
import { Pool, Queue, defaultClient, request, run, spawn } from "../dist/index.js";
import { intArg, parseCli } from "../scripts/_args.mjs";

const { positionals } = parseCli({ name: "crawler", usage: "node examples/crawler.mjs [pages=300] [pool=16]", positionals: 2 });
const PAGES = intArg("crawler", "pages", positionals[0] ?? "300", { min: 1 });
const POOL_SIZE = intArg("crawler", "pool", positionals[1] ?? "16", { min: 1 });

// Page i links to a few others; each answer takes 5-20 ms, like a slow backend.
const links = (i) => [(i * 7 + 1) % PAGES, (i * 13 + 5) % PAGES, (i + 1) % PAGES];
const server = createServer((req, res) => {
  const i = Number(req.url.slice("/page/".length));
  setTimeout(() => {
    res.setHeader("content-type", "text/html");
    res.end(`<h1>page ${i}</h1>` + links(i).map((j) => `<a href="/page/${j}">${j}</a>`).join(" "));
  }, 5 + ((i * 31) % 16));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
console.log(`serving ${PAGES} pages at ${base}; crawling with a Pool(${POOL_SIZE})`);

function* fetchPage(url) {
  const res = yield* request(url);
  if (!res.ok) {
    yield* res.discard();
    throw new Error(`${url}: HTTP ${res.status}`);
  }
  return yield* res.text();
}

const started = performance.now();
const stats = await run(function* crawler() {
  const pool = new Pool(POOL_SIZE);
  const found = new Queue();
  const seen = new Set(["/page/0"]);
  let inFlight = 0;
  let maxInFlight = 0;
  let crawled = 0;
  yield* found.put("/page/0");

  // One task reads the queue and hands each new URL to the pool; the pool
  // parks it while all slots are busy.
  const dispatcher = spawn(function* dispatcher() {
    for (;;) {
      const path = yield* found.get();
      yield* pool.spawn(function* worker() {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          const html = yield* fetchPage(base + path);
          crawled++;
          for (const [, href] of html.matchAll(/href="([^"]+)"/g)) {
            if (!seen.has(href)) {
              seen.add(href);
              yield* found.put(href);
            }
          }
        } finally {
          inFlight--;
          found.taskDone();
        }
      });
    }
  });
  yield* found.join(); // every URL found has been crawled
  dispatcher.cancel();
  return { crawled, maxInFlight };
});
const ms = performance.now() - started;
console.log(`crawled ${stats.crawled} pages in ${ms.toFixed(0)} ms with at most ${stats.maxInFlight} requests in flight`);
console.log(`over ${defaultClient().connectionsOpened} connections`);
server.close();
