// The npm package as a user installs it: scripts/check-pack.mjs packs it,
// installs the tarball into an empty folder and reports what it saw there
// (one run, ~10-30 s: most of it is tsc checking @types/node twice).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";

interface Outcome {
  ok?: unknown;
  name?: string;
  message?: string;
}
interface Report {
  files: string[];
  installed: string[];
  esm: { esm: number; wasmOk: boolean; backend: string };
  cjs: { cjs: number; backend: string };
  copies: Record<"spawn" | "sleep" | "current" | "channel" | "join" | "versions", Outcome> & { alone: number[]; after: number };
  types: Record<"node16" | "nodenext", { diagnostics: string[]; declarations: string[] }>;
}

let out: Report;
beforeAll(async () => {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile("node", ["scripts/check-pack.mjs"], { encoding: "utf8", maxBuffer: 1 << 26 }, (err, so, se) => (err ? reject(new Error(`${err.message}\n${se}`)) : resolve(so))),
  );
  out = JSON.parse(stdout) as Report;
}, 180_000);

describe("the npm package", () => {
  it("packs, installs into an empty folder, and works through import and require", () => {
    expect(out.files).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts", "dist/scheduler.wasm", "dist/http-parser.wasm", "dist/ws-codec.wasm", "dist/offload-worker.mjs", "package.json", "README.md"]));
    expect(out.installed).toEqual(expect.arrayContaining(["index.js", "index.cjs", "scheduler.wasm", "http-parser.wasm", "ws-codec.wasm"]));
    expect(out.esm).toMatchObject({ esm: 42, wasmOk: true, offload: "a/b" });
    expect(out.cjs).toMatchObject({ cjs: 42, offload: "a/b" });
    expect(["ts", "wasm"]).toContain(out.esm.backend);
  });

  it("ships LICENSE and CHANGELOG.md, and says where the project lives", () => {
    expect(out.files).toEqual(expect.arrayContaining(["LICENSE", "CHANGELOG.md"]));
    expect(readFileSync("LICENSE", "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the tasklet authors\n/);
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as Record<string, unknown>;
    expect(pkg.license).toBe("MIT");
    expect(pkg.repository).toEqual({ type: "git", url: "git+https://github.com/tasklet-dev/tasklet.git" });
    expect(pkg.bugs).toEqual({ url: "https://github.com/tasklet-dev/tasklet/issues" });
    expect(pkg.homepage).toBe("https://github.com/tasklet-dev/tasklet#readme");
    expect(pkg.keywords).toEqual(expect.arrayContaining(["green-threads", "webassembly", "http-server"]));
  });

  // A class whose @internal member implements an interface member loses that
  // member to stripInternal while the interface keeps it: the .d.ts then fails
  // to compile for every user with skipLibCheck: false.
  it.each(["node16", "nodenext"] as const)("has declarations that compile with skipLibCheck: false, strict, module %s (ESM and CJS)", (module) => {
    const r = out.types[module];
    expect(r.diagnostics).toEqual([]);
    // Both resolutions were checked: .ts/.mts importers read index.d.ts, .cts and CJS .ts ones index.d.cts.
    expect(r.declarations).toEqual(["dist/index.d.cts", "dist/index.d.ts"]);
  });

  it("keeps @internal (underscore) members out of the declarations", () => {
    // A `_` member without @internal (or a setter whose getter alone is
    // @internal) would show in every user's completions.
    const dts = readFileSync("dist/index.d.ts", "utf8");
    const leaks = dts.split("\n").filter((l) => /^\s+(readonly |static |get |set |protected )*_[A-Za-z]\w*\??[:(;]/.test(l));
    expect(leaks).toEqual([]);
  });

  describe("loaded twice in one process", () => {
    const mixed = /^\w+\(\) of the (CommonJS|ESM) build at file:\S+ \(version 0\.\d+\.\d+\S*\) was called inside task \S+ of the ESM build at file:\S+\/node_modules\/tasklet\/dist\/index\.js \(version [^)]+\): two copies of tasklet are loaded in this process/;

    it("runs each copy's own tasks, alone and at once", () => {
      expect(out.copies.alone).toEqual([1, 2]);
      expect(out.copies.after).toBe(3);
    });

    it.each(["spawn", "sleep", "current", "channel", "join"] as const)("fails clearly when a task of the ESM build uses %s of the CJS build", (what) => {
      const r = out.copies[what];
      expect(r.name).toBe("TaskletError");
      expect(r.message).toMatch(mixed);
      expect(r.message).toMatch(/^\w+\(\) of the CommonJS build at file:\S+\/node_modules\/tasklet\/dist\/index\.cjs /);
      expect(r.message).toContain("load tasklet one way");
    });

    it("fails the same way with a second copy installed at another path (two versions)", () => {
      const r = out.copies.versions;
      expect(r.name).toBe("TaskletError");
      expect(r.message).toMatch(mixed);
      expect(r.message).toMatch(/^sleep\(\) of the ESM build at file:\S+\/node_modules\/tasklet-other\/dist\/index\.js /);
    });
  });
});
