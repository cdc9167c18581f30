/**
 * Differential fuzz against node:http (a real server on 127.0.0.1, strict
 * parser, see test/http/node-oracle.ts): generated request streams must get the
 * same verdict from node and from both tasklet parsers, save for the known
 * differences listed, each with its RFC clause, in KNOWN_DIFFERENCES
 * (test/http/node-differential.ts) and docs/http-conformance.md. A seeded run of
 * a few seconds here; `npm run fuzz -- --seconds N [--seed S]` runs longer.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeOracle } from "./node-oracle.js";
import { compare, explain, KNOWN_DIFFERENCES, runCase, runDifferential } from "./node-differential.js";

const SEED = Number(process.env.NODE_FUZZ_SEED ?? 0x0de5eed);
/**
 * In `npm test` the run is a fixed number of cases (the same inputs on every
 * machine, however fast), bounded in time only as a guard; `npm run fuzz`
 * sets NODE_FUZZ_SECONDS and runs as many cases as fit.
 */
const LONG_RUN = process.env.NODE_FUZZ_SECONDS !== undefined;
const SECONDS = LONG_RUN ? Number(process.env.NODE_FUZZ_SECONDS) : 60;
const CASES = LONG_RUN ? undefined : 4000;
/** Enough cases that both verdicts are well represented (a few hundred per second are run on a loaded machine). */
const MIN_CASES = 200;

/** One input per known difference: it must still differ, and be explained by exactly that entry. */
const EXAMPLES: Record<keyof typeof KNOWN_DIFFERENCES, string> = {
  "absolute-form that llhttp's URL parser refuses (`http:/x`, `example.com:443`)": "GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n",
  "an http or https absolute-form with an empty host (`http:///x`)": "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n",
  "HTTP/2.0 or HTTP/0.9 in an HTTP/1 request-line": "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
  "a transfer coding other than chunked": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
  "a chunk extension with an empty value (`;a=`)": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;a=\r\nx\r\n0\r\n\r\n",
  "Connection: close in a trailer section": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "asterisk-form followed by more bytes (`*(`)": "OPTIONS *( HTTP/1.1\r\nHost: a\r\n\r\n",
  "more than one SP between the parts of the request-line": "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
  "empty elements in the Transfer-Encoding list (`chunked , `)": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked , \r\n\r\n0\r\n\r\n",
  "an Upgrade request with content": "POST / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabcXYZ",
  "a method llhttp knows only from RTSP (`FLUSH`, `PLAY`, …)": "GET / HTTP/1.1\r\nHost: a\r\n\r\nFLU",
  "a CONNECT target that is not authority-form (`CONNECT foo`, `CONNECT http://h/`)": "CONNECT http://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n",
  "a malformed Transfer-Encoding on CONNECT": "CONNECT a:1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
  "Transfer-Encoding in an HTTP/1.0 request": "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "Upgrade in an HTTP/1.0 request": "GET / HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
  "llhttp 9.3 misreads a Connection option followed by whitespace": "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\t\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
};

/** The one difference that is a defect of older llhttp (Node 20 has 9.3; Node 24 and later are fixed). */
const LLHTTP_WHITESPACE = "llhttp 9.3 misreads a Connection option followed by whitespace";

/** The running Node's llhttp is older than major.minor.patch. */
function llhttpBefore(major: number, minor: number, patch: number): boolean {
  const [a = 0, b = 0, c = 0] = (process.versions.llhttp ?? "0").split(".").map(Number);
  return a !== major ? a < major : b !== minor ? b < minor : c < patch;
}

/** Disagreements the fuzz found where tasklet was wrong, fixed in both parsers: node and tasklet now agree. */
const FIXED: Record<string, string> = {
  "an empty Upgrade list is no upgrade (RFC 9110 §7.8: Upgrade = #protocol)": "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: \r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
  "a byte outside RFC 3986 §3.2 in an absolute-form authority is rejected": "GET http://exa\\mple.com/ HTTP/1.1\r\nHost: a\r\n\r\n",
  "…and `{` there too": "GET http://a{b/ HTTP/1.1\r\nHost: a\r\n\r\n",
  "a target that cannot become valid is refused when its bad byte arrives, even if the input ends there": "PATCH (%41",
};

describe("differential against node:http", () => {
  let oracle: NodeOracle;
  beforeAll(async () => {
    oracle = await NodeOracle.start();
  });
  afterAll(async () => {
    await oracle.close();
  });

  it.each(Object.entries(EXAMPLES))("known difference, still there and explained: %s", async (name, input) => {
    const c = await runCase(oracle, Buffer.from(input, "latin1"));
    if (name === LLHTTP_WHITESPACE && !llhttpBefore(9, 4, 2)) {
      // Fixed in the llhttp of this Node: the two agree here.
      expect(compare(c)).toBeNull();
      return;
    }
    expect(compare(c), "the difference is gone: drop it from the list and the doc").not.toBeNull();
    expect(await explain(oracle, c)).toEqual([name]);
  });

  it.each(Object.entries(FIXED))("fixed, now agrees with node: %s", async (_name, input) => {
    const c = await runCase(oracle, Buffer.from(input, "latin1"));
    expect(compare(c)).toBeNull();
  });

  it("every known difference has its clause, and docs/http-conformance.md lists it", () => {
    const doc = readFileSync(new URL("../../docs/http-conformance.md", import.meta.url), "utf8");
    for (const [name, k] of Object.entries(KNOWN_DIFFERENCES)) {
      expect(k.clause, name).toMatch(/RFC 9(110|112) §\d/);
      expect(doc, name).toContain(name);
    }
  });

  it(`generated streams: node and both parsers agree save for the known differences (seed ${SEED}, ${CASES === undefined ? `${SECONDS} s` : `${CASES} cases`})`, async () => {
    const stats = await runDifferential(oracle, { seed: SEED, ms: SECONDS * 1000, maxCases: CASES });
    // One line for the log, and for scripts/fuzz.mjs, which reads it.
    console.log(`node-differential ${JSON.stringify({ seed: SEED, ...stats })}`);
    expect(stats.disagreements).toEqual({});
    expect(stats.cases).toBeGreaterThanOrEqual(CASES ?? MIN_CASES);
    expect(stats.bothAccepted).toBeGreaterThan(stats.cases / 10);
    expect(stats.bothRejected).toBeGreaterThan(stats.cases / 10);
  }, SECONDS * 1000 + 60_000);
});
