// The command lines of the benchmarks, scripts and examples (scripts/_args.mjs
// on util.parseArgs): an unknown flag is refused before any work, with a
// message that names it and lists the valid flags, and exit code 2; --help
// prints the usage. Every examples/*.mjs, bench/*.mjs and scripts/*.mjs is
// tried, so a new one that ignores its flags fails here.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node file ...args`; a run that does not end within 10 s is killed (and fails the test: it started working). */
const node = (file: string, ...args: string[]) =>
  new Promise<Exit>((resolve) => {
    execFile(process.execPath, [file, ...args], { encoding: "utf8", timeout: 10_000, killSignal: "SIGKILL", env: { ...process.env, PORT: "0" } }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : null, stdout, stderr }),
    );
  });

// Libraries and child processes of a benchmark, not commands.
const NOT_COMMANDS = new Set(["bench/lib.mjs", "scripts/_args.mjs"]);
const commands = ["examples", "bench", "scripts"].flatMap((dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".mjs"))
    .map((f) => `${dir}/${f}`)
    .filter((f) => !NOT_COMMANDS.has(f)),
);

describe("command lines", () => {
  it("finds the commands", () => {
    expect(commands).toEqual(expect.arrayContaining(["bench/run.mjs", "bench/http.mjs", "examples/hello-http.mjs", "examples/crawler.mjs", "scripts/fuzz.mjs"]));
  });

  it("every example, benchmark and script refuses an unknown flag with exit code 2, naming it", async () => {
    const results = await Promise.all(commands.map(async (file) => [file, await node(file, "--no-such-flag")] as const));
    const wrong = results.filter(([, r]) => r.code !== 2 || !/unknown flag --no-such-flag; valid flags: .*--help/.test(r.stderr)).map(([f, r]) => `${f}: exit ${r.code}: ${r.stderr.slice(0, 200)}`);
    expect(wrong).toEqual([]);
  });

  it("bench/run.mjs refuses an unknown flag of its own and of a suite, listing the valid ones", async () => {
    const own = await node("bench/run.mjs", "--nope");
    expect(own.code).toBe(2);
    expect(own.stderr).toContain("bench: unknown flag --nope; valid flags: --help");
    const suite = await node("bench/run.mjs", "http", "--conns=5");
    expect(suite.code).toBe(2);
    expect(suite.stderr).toContain("bench http: unknown flag --conns; valid flags: --quick, --servers=LIST, --scenarios=LIST, --seconds=N, --rounds=N, --memory, --idle-wait=SECONDS, --help");
    const unknownSuite = await node("bench/run.mjs", "nope");
    expect(unknownSuite.code).toBe(2);
    expect(unknownSuite.stderr).toMatch(/bench: unknown suite "nope"; one of .*\bcontext, http, .*\bscheduler\b/);
  });

  it("refuses bad values: a server name, a number, a stray argument", async () => {
    const servers = await node("bench/run.mjs", "http", "--servers=tasklet-wasm,nginx");
    expect(servers.code).toBe(2);
    expect(servers.stderr).toContain("--servers: unknown nginx; one or more of tasklet-wasm, tasklet-ts, node-http, raw-net");
    const port = await node("examples/hello-http.mjs", "--port", "http");
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('hello-http: --port must be a whole number from 0 to 65535, got "http"');
    const stray = await node("examples/crawler.mjs", "10", "2", "extra");
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain("crawler: takes at most 2 arguments, got 3");
    const missing = await node("scripts/fuzz.mjs", "--seconds");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^fuzz: Option '--seconds <value>' argument missing/);
  });

  it("--help prints the usage and the flags, and exits 0", async () => {
    const r = await node("bench/run.mjs", "scheduler", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run bench -- scheduler \[--quick\]\n/);
    expect(r.stdout).toMatch(/\n {2}--quick +smaller sizes/);
    const ex = await node("examples/echo-server.mjs", "-h");
    expect(ex.code).toBe(0);
    expect(ex.stdout).toContain("usage: node examples/echo-server.mjs [--port N]");
  });
});
