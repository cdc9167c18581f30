// `npm run docs` builds the API site with typedoc (typedoc.json) without a
// warning (treatWarningsAsErrors: a public signature that names a type the
// package does not export fails here: export the type from src/index.ts, or,
// for plumbing users never name, list it in intentionallyNotExported), and
// the site has a page for every export of src/index.ts and none of the
// @internal members. One typedoc run, 15-30 s.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const out = mkdtempSync(join(tmpdir(), "tasklet-typedoc-"));
let run: { code: number | null; output: string };
beforeAll(async () => {
  run = await new Promise((resolve) => {
    execFile(process.execPath, ["node_modules/typedoc/bin/typedoc", "--out", out], { encoding: "utf8", maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : 1, output: stdout + stderr }),
    );
  });
}, 180_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The names src/index.ts exports (it holds re-exports only). */
function exportNames(): string[] {
  const src = ts.createSourceFile("index.ts", readFileSync("src/index.ts", "utf8"), ts.ScriptTarget.ES2022);
  const names: string[] = [];
  for (const st of src.statements) {
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) names.push(...st.exportClause.elements.map((e) => e.name.text));
  }
  return names;
}

describe("npm run docs", () => {
  it("builds the API site without a warning", () => {
    expect(run.output).not.toMatch(/\[warning\]|\[error\]/);
    expect(run.code).toBe(0);
    expect(existsSync(join(out, "index.html"))).toBe(true);
  });

  it("has a page for every export of src/index.ts", () => {
    const names = exportNames();
    expect(names).toEqual(expect.arrayContaining(["Task", "Channel", "serve", "HttpRequest", "HttpResponse", "Conn", "run", "spawn", "Operation", "Handler"]));
    const missing = names.filter((n) => !["classes", "functions", "interfaces", "types", "variables", "enums"].some((d) => existsSync(join(out, d, `${n}.html`))));
    expect(missing).toEqual([]);
  });

  it("leaves out @internal members", () => {
    const task = readFileSync(join(out, "classes", "Task.html"), "utf8");
    expect(task).toContain("cancel");
    expect(task).not.toMatch(/_wnext|_sched|_bits|_val\b/);
  });
});
