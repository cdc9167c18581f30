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
});
