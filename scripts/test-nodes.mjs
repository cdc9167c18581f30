#!/usr/bin/env node
// Runs the test suite on every Node major the package claims (20, 22, 24,
// 26), each with a Node binary from the npm registry (node-<os>-<arch>@<major>),
// installed once into a cache folder. Builds once first with the Node that
// runs this script; each run is vitest on the same build. Prints one
// summary line per run and exits non-zero if a run failed, or a Node could
// not be installed (no silent skip).
//
//   npm run test:nodes                 # 20, 22, 24, 26
//   npm run test:nodes -- 24 26        # some majors
//   node scripts/test-nodes.mjs --no-build --verbose 26   # as .ci/run does
//
// --public      also run each major with TASKLET_NET_READ=stream and
//               TASKLET_NET_WRITE=stream (node:net's public path for every socket)
// --no-build    reuse dist/ and the Wasm modules as they are
// --verbose     print vitest's output as it runs (else it goes to a log file)
// TASKLET_NODE_CACHE: where the binaries go (default: <tmpdir>/tasklet-nodes).
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { intArg, parseCli } from "./_args.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const DEFAULT_MAJORS = [20, 22, 24, 26];

const { values, positionals } = parseCli({
  name: "test:nodes",
  usage: "node scripts/test-nodes.mjs [--public] [--no-build] [--verbose] [major...]",
  options: {
    public: { type: "boolean", help: "also run each major on node:net's public socket path" },
    "no-build": { type: "boolean", help: "reuse dist/ and the Wasm modules as they are" },
    verbose: { type: "boolean", help: "print vitest's output as it runs" },
  },
  positionals: 8,
});
const flag = (name) => values[name.slice(2)] === true;
const majors = positionals.map((a) => intArg("test:nodes", "a Node major", a, { min: 20, max: 99 }));
const wanted = majors.length > 0 ? majors : DEFAULT_MAJORS;
const cache = process.env.TASKLET_NODE_CACHE || join(tmpdir(), "tasklet-nodes");

/** The registry package that ships this system's Node binary (the same scheme as npm's `node` package). */
function binaryPackage() {
  const os = process.platform === "win32" ? "win" : process.platform;
  return `node-${os}-${process.arch}`;
}

/** Path of the Node binary of `major`, installed into the cache if missing. Throws with the reason if it cannot be had. */
function nodeBinary(major) {
  const pkg = binaryPackage();
  const prefix = join(cache, String(major));
  const bin = join(prefix, "node_modules", pkg, "bin", process.platform === "win32" ? "node.exe" : "node");
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    console.log(`test:nodes: installing ${pkg}@${major} into ${prefix}`);
    const r = spawnSync("npm", ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund", "--no-package-lock", `${pkg}@${major}`], {
      stdio: ["ignore", "inherit", "inherit"],
      shell: process.platform === "win32",
    });
    if (r.status !== 0 || !existsSync(bin)) throw new Error(`could not install ${pkg}@${major} from the npm registry (npm exited ${r.status ?? r.signal}; no ${bin})`);
  }
  const v = spawnSync(bin, ["--version"], { encoding: "utf8" });
  const version = (v.stdout ?? "").trim();
  if (v.status !== 0 || !version.startsWith(`v${major}.`)) throw new Error(`${bin} does not run as Node ${major} (got ${JSON.stringify(version || v.stderr)})`);
  return { bin, version };
}

/** Run vitest with `bin`; resolves with the counts from its JSON report. */
function runSuite(bin, label, env) {
  const logDir = join(cache, "logs");
  mkdirSync(logDir, { recursive: true });
  const log = join(logDir, `${label}.log`);
  const json = join(logDir, `${label}.json`);
  const started = Date.now();
  const child = spawn(bin, [join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--reporter=default", "--reporter=json", `--outputFile.json=${json}`], {
    cwd: root,
    // The tests start `node` and `npm` themselves: the same Node comes first on the PATH.
    env: { ...process.env, ...env, PATH: `${dirname(bin)}${process.platform === "win32" ? ";" : ":"}${process.env.PATH ?? ""}` },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Stopped (Ctrl-C, a CI timeout): the suite it started stops too.
  const stop = (sig) => {
    child.kill(sig);
    process.exit(1);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const out = createWriteStream(log);
  for (const s of [child.stdout, child.stderr]) {
    s.pipe(out, { end: false });
    if (flag("--verbose")) s.pipe(process.stdout, { end: false });
  }
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      out.end();
      let report = null;
      try {
        report = JSON.parse(readFileSync(json, "utf8"));
      } catch {}
      const passed = report?.numPassedTests ?? 0;
      // A file that fails to load has no failed test of its own: count it as one.
      const unloaded = report ? report.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length : 0;
      let failed = (report?.numFailedTests ?? 0) + unloaded;
      if (failed === 0 && code !== 0) failed = 1; // no report, or vitest failed otherwise
      const failures = report ? report.testResults.flatMap((f) => (f.assertionResults.length === 0 && f.status === "failed" ? [`${f.name}: ${String(f.message).split("\n")[0]}`] : f.assertionResults.filter((a) => a.status === "failed").map((a) => `${f.name.replace(root + "/", "")} > ${a.fullName}`))) : [];
      resolve({ passed, failed, skipped: report?.numPendingTests ?? 0, files: report?.testResults.length ?? 0, seconds: Math.round((Date.now() - started) / 1000), log, failures, code: code ?? signal });
    });
  });
}

if (!flag("--no-build")) {
  const b = spawnSync("npm", ["run", "build"], { cwd: root, stdio: ["ignore", "inherit", "inherit"], shell: process.platform === "win32" });
  if (b.status !== 0) {
    console.error("test:nodes: the build failed");
    process.exit(1);
  }
}

const rows = [];
let bad = false;
for (const major of wanted) {
  let node;
  try {
    node = nodeBinary(major);
  } catch (e) {
    console.error(`test:nodes: ${e.message}`);
    rows.push({ label: `node${major}`, line: `node${major}: 0 passed, 1 failed`, detail: `Node ${major}: not installed: ${e.message}` });
    bad = true;
    continue;
  }
  const runs = [{ label: `node${major}`, env: {}, what: "" }];
  if (flag("--public")) runs.push({ label: `node${major}-public`, env: { TASKLET_NET_READ: "stream", TASKLET_NET_WRITE: "stream" }, what: ", public socket path" });
  for (const run of runs) {
    console.log(`test:nodes: Node ${node.version}${run.what}: running the suite`);
    const r = await runSuite(node.bin, run.label, run.env);
    if (r.failed > 0) bad = true;
    for (const f of r.failures.slice(0, 20)) console.log(`  FAIL ${f}`);
    const skipped = r.skipped > 0 ? `, ${r.skipped} skipped` : "";
    rows.push({ line: `${run.label}: ${r.passed} passed, ${r.failed} failed${skipped}`, detail: `Node ${node.version}${run.what}: ${r.files} files, ${r.seconds} s, log ${r.log}` });
  }
}

console.log("");
for (const r of rows) {
  console.log(r.detail);
  console.log(r.line);
}
process.exit(bad ? 1 : 0);
