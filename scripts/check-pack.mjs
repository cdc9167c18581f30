#!/usr/bin/env node
// Packs the package, installs the tarball into an empty folder, and checks it
// as a user would meet it:
// - `import` and `require` both work there, the Wasm modules ship inside it,
//   and a task runs on every backend that can load; offload() runs a job on
//   a worker thread through each build (dist/offload-worker.mjs ships too);
// - the type declarations compile with `skipLibCheck: false` and `strict`,
//   both resolutions (dist/index.d.ts for ESM, dist/index.d.cts for CJS),
//   under `module` node16 and nodenext, in a `"type": "module"` package and in
//   a CommonJS one (two programs, at once: checking @types/node is most of
//   the time);
// - the ESM and the CJS build loaded in one process (and a second copy of
//   the package at another path, as with two versions) each run their own
//   tasks, and mixing them inside one task fails with a clear error.
// Prints one JSON line with what it saw; exits non-zero on failure.
//
//   node scripts/check-pack.mjs
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCli } from "./_args.mjs";

parseCli({ name: "check-pack", usage: "node scripts/check-pack.mjs", options: {} });

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "tasklet-pack-"));
const npm = (args, cwd) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const node = (file, cwd) => JSON.parse(execFileSync("node", [file], { cwd, encoding: "utf8" }));
const write = (file, text) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
};

// A consumer of the types: uses a few main exports so a broken declaration of
// one of them shows up as an error here, on top of what skipLibCheck: false
// finds in the whole file.
const consumer = (from) => `
import { run, spawn, sleep, Channel, Task, TaskletError, serve, type HttpRequest, type Operation } from "tasklet";
import * as tasklet from "tasklet";
export const root: Task<number> = run(function* () {
  const ch = new Channel<number>(1);
  const child: Task<void> = spawn(function* () { yield* ch.send(21); });
  yield* sleep(1);
  yield* child;
  return 2 * (yield* ch.recv());
});
export const later: PromiseLike<number> = root;
export const op: Operation<number> = root;
export const isError = (e: unknown): boolean => e instanceof TaskletError;
export const start: typeof serve = tasklet.serve;
export const path = (req: HttpRequest): string => req.path;
export const from = ${JSON.stringify(from)};
`;

/**
 * Compiles the consumers of app/types-esm and app/types-cjs as one program
 * under `module` (and `moduleResolution`) `module`; resolves to its
 * diagnostics and to which tasklet declarations it read.
 */
function tsc(app, module) {
  const config = join(app, `tsconfig.${module}.json`);
  write(
    config,
    JSON.stringify({
      compilerOptions: {
        module,
        moduleResolution: module,
        target: "ES2022",
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ["node"],
        typeRoots: [join(root, "node_modules", "@types")],
      },
      include: ["types-esm/*", "types-cjs/*"],
    }),
  );
  const tscBin = join(root, "node_modules", "typescript", "bin", "tsc");
  return new Promise((resolve) => {
    execFile(process.execPath, [tscBin, "-p", config, "--listFiles", "--pretty", "false"], { encoding: "utf8", maxBuffer: 1 << 26 }, (_err, stdout) => {
      const lines = stdout.split("\n");
      resolve({
        diagnostics: lines.filter((l) => / error TS\d+:/.test(l) || (/^\s/.test(l) && l.trim() !== "")),
        declarations: [...new Set(lines.filter((l) => /node_modules\/tasklet\/dist\/.*\.d\.c?ts$/.test(l)).map((l) => l.slice(l.indexOf("dist/"))))].sort(),
      });
    });
  });
}

try {
  const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", work], root));
  const tarball = join(work, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  const app = join(work, "app");
  write(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", private: true }));
  npm(["install", "--no-audit", "--no-fund", "--offline", tarball], app);

  write(
    join(app, "esm.mjs"),
    `
    import { run, spawn, sleep, defaultBackend, offload } from "tasklet";
    import { readFileSync } from "node:fs";
    import { createRequire } from "node:module";
    const dir = createRequire(import.meta.url).resolve("tasklet").replace(/index\\.cjs$/, "");
    const wasmOk = WebAssembly.validate(readFileSync(dir + "scheduler.wasm"));
    const v = await run(function* () { const c = spawn(function* () { yield* sleep(2); return 21; }); return 2 * (yield* c); });
    const off = await run(() => offload("node:path", "join", ["a", "b"]));
    console.log(JSON.stringify({ esm: v, wasmOk, backend: defaultBackend(), offload: off }));`,
  );
  write(
    join(app, "cjs.cjs"),
    `
    const { run, spawn, sleep, defaultBackend, offload } = require("tasklet");
    run(function* () { const c = spawn(function* () { yield* sleep(2); return 21; }); return 2 * (yield* c); }, { backend: defaultBackend() })
      .then(async (v) => {
        const off = await run(() => offload("node:path", "join", ["a", "b"]));
        console.log(JSON.stringify({ cjs: v, backend: defaultBackend(), offload: off }));
      });`,
  );

  // Two copies in one process: A is the ESM build, B the CJS build (or, for
  // "versions", a copy of the package at another path, as npm installs two
  // versions). Each case runs inside one of A's tasks and records what B did.
  cpSync(join(app, "node_modules", "tasklet"), join(app, "node_modules", "tasklet-other"), { recursive: true });
  write(
    join(app, "copies.mjs"),
    `
    import * as A from "tasklet";
    import { createRequire } from "node:module";
    const B = createRequire(import.meta.url)("tasklet");
    const V = await import("tasklet-other");
    const outcome = async (body) => {
      try { return { ok: await A.run(body) }; } catch (e) { return { name: e?.name, message: String(e?.message) }; }
    };
    const out = {
      // Each copy on its own, one after the other and at once: both work.
      alone: await Promise.all([A.run(function* () { yield* A.sleep(1); return 1; }), B.run(function* () { yield* B.sleep(1); return 2; })]),
      spawn: await outcome(function* () { B.spawn(function* () {}); return "no error"; }),
      sleep: await outcome(function* () { yield* B.sleep(1); return "no error"; }),
      current: await outcome(function* () { B.current(); return "no error"; }),
      channel: await outcome(function* () { const ch = new B.Channel(0); yield* ch.recv(); return "no error"; }),
      join: await outcome(function* () { return yield* B.run(function* () { return 1; }); }),
      versions: await outcome(function* () { yield* V.sleep(1); return "no error"; }),
      // A's own tasks still work after all that.
      after: await A.run(function* () { const c = A.spawn(function* () { yield* A.sleep(1); return 3; }); return yield* c; }),
    };
    console.log(JSON.stringify(out));`,
  );

  // Type declarations: "type": "module" (.ts is ESM, .cts is CJS) and CommonJS (.ts is CJS, .mts is ESM).
  write(join(app, "types-esm", "package.json"), JSON.stringify({ name: "types-esm", private: true, type: "module" }));
  write(join(app, "types-esm", "esm.ts"), consumer("esm"));
  write(join(app, "types-esm", "cjs.cts"), consumer("cjs"));
  write(join(app, "types-cjs", "package.json"), JSON.stringify({ name: "types-cjs", private: true }));
  write(join(app, "types-cjs", "cjs.ts"), consumer("cjs"));
  write(join(app, "types-cjs", "esm.mts"), consumer("esm"));

  const out = {
    files,
    installed: readdirSync(join(app, "node_modules", "tasklet", "dist")).sort(),
    esm: node("esm.mjs", app),
    cjs: node("cjs.cjs", app),
    copies: node("copies.mjs", app),
    types: Object.fromEntries(await Promise.all(["node16", "nodenext"].map(async (m) => [m, await tsc(app, m)]))),
  };
  console.log(JSON.stringify(out));
} finally {
  rmSync(work, { recursive: true, force: true });
}
