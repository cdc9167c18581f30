/**
 * The shape of src/, checked on every run (docs/ARCHITECTURE.md draws it):
 * no import loop, type-only imports included; imports go only down the
 * layers; the environment is read only by src/config/; Node's internals are
 * reached only from src/net/node/; Wasm memory is known only to the
 * bindings; no file outside src/runtime/ touches a task's or the scheduler's
 * private fields; no two classes share a name.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".ts")) out.push(relative(ROOT, p).split("\\").join("/"));
  }
  return out;
}

const FILES = walk(SRC).sort();
const TEXT = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), "utf8")]));

/** Source without comments, so that prose naming a field or a path is not taken for a use. */
function code(f: string): string {
  return TEXT.get(f)!.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

/** Every relative import or re-export of a file, type-only ones included, resolved to a file of src/. */
function importsOf(f: string): string[] {
  const deps: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g;
  for (const m of code(f).matchAll(re)) {
    const spec = m[1] ?? m[2];
    const base = relative(ROOT, resolve(ROOT, dirname(f), spec)).split("\\").join("/").replace(/\.js$/, "");
    const hit = [`${base}.ts`, `${base}.d.ts`, `${base}/index.ts`].find((c) => TEXT.has(c));
    if (hit === undefined) throw new Error(`${f}: cannot resolve import ${spec}`);
    deps.push(hit);
  }
  return deps;
}

const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));

/**
 * The layers, lowest first. A file may import files of its own folder and of
 * lower layers. Folders on one rank (sync and ops) do not import each other.
 */
const LAYERS: [prefix: string, rank: number][] = [
  ["src/config/", 0],
  ["src/wasm/", 0],
  ["src/core/", 1],
  ["src/runtime/", 2],
  ["src/sync/", 3],
  ["src/ops/", 3],
  ["src/net/node/", 4],
  ["src/offload/", 4],
  ["src/net/", 5],
  ["src/http/parser/", 6],
  ["src/ws/codec/", 6],
  ["src/http/", 7],
  ["src/ws/", 8],
  ["src/client/", 8],
  ["src/index.ts", 9],
];

function layerOf(f: string): [string, number] {
  // the longest prefix: src/net/node/ before src/net/
  let best: [string, number] | undefined;
  for (const l of LAYERS) if (f.startsWith(l[0]) && (best === undefined || l[0].length > best[0].length)) best = l;
  if (best === undefined) throw new Error(`${f} lies in no layer: add its folder to LAYERS and to docs/ARCHITECTURE.md`);
  return best;
}

/** Strongly connected components with more than one file, or a file importing itself. */
function loops(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Files of `files` whose code matches `re`, with the first match. */
function uses(files: string[], re: RegExp): string[] {
  return files.flatMap((f) => {
    const m = code(f).match(re);
    return m ? [`${f}: ${m[0]}`] : [];
  });
}

describe("architecture of src/", () => {
  it("finds the files and their imports", () => {
    expect(FILES).toContain("src/index.ts");
    expect(GRAPH.get("src/index.ts")!.length).toBeGreaterThan(5);
  });

  it("the loop finder finds a loop, type-only imports included", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(loops(g)).toEqual([["a", "b", "c"]]);
    expect(loops(new Map([["a", ["a"]]]))).toEqual([["a"]]);
  });

  it("has no import loop", () => {
    expect(loops(GRAPH)).toEqual([]);
  });

  it("imports only down the layers", () => {
    const bad: string[] = [];
    for (const [f, deps] of GRAPH) {
      const [folder, rank] = layerOf(f);
      for (const d of deps) {
        const [dFolder, dRank] = layerOf(d);
        if (dFolder === folder) continue;
        if (dRank >= rank) bad.push(`${f} -> ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("reads the environment only in src/config/", () => {
    expect(uses(FILES.filter((f) => !f.startsWith("src/config/")), /process\.env\b/)).toEqual([]);
  });

  it("reaches Node's internals only from src/net/node/", () => {
    const internals = /process\.binding|internalBinding|\b_handle\b|\bonread\b|WriteWrap|streamBaseState|kReadBytesOrError|kArrayBufferOffset|kLastWriteWasAsync/;
    expect(uses(FILES.filter((f) => !f.startsWith("src/net/node/")), internals)).toEqual([]);
  });

  it("knows Wasm memory only in the loader and the bindings", () => {
    const allowed = new Set(["src/wasm/load.ts", "src/core/wasm-core.ts", "src/http/parser/wasm-core.ts", "src/ws/codec/wasm-core.ts"]);
    expect(uses(FILES.filter((f) => !allowed.has(f)), /\bWebAssembly\.|\.memory\.buffer|\bmemory\.grow/)).toEqual([]);
  });

  it("touches the scheduler's and a task's private fields only in src/runtime/", () => {
    const fields = /\._sched\b|\._bits\b|\._flags\b|\.parkDeadline\b|\._gen\b|\._slot\b/;
    expect(uses(FILES.filter((f) => !f.startsWith("src/runtime/")), fields)).toEqual([]);
  });

  it("gives no two classes the same name", () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const f of FILES) {
      for (const m of code(f).matchAll(/\bclass\s+([A-Za-z_$][\w$]*)/g)) {
        const prev = seen.get(m[1]);
        if (prev !== undefined) twice.push(`${m[1]}: ${prev} and ${f}`);
        else seen.set(m[1], f);
      }
    }
    expect(twice).toEqual([]);
  });
});
