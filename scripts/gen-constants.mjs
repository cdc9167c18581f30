#!/usr/bin/env node
// Writes the constants shared by TypeScript and AssemblyScript from their one
// source, constants/<module>.mjs: an AssemblyScript file (`@inline` constants,
// in namespaces for tables) and a TypeScript file (`as const` tables), each
// with the same names and values and a "do not edit" header. The generated
// files are committed, so a fresh clone typechecks and tests without a build;
// scripts/build-wasm.mjs runs this first, and the tests run `--check`.
//
//   node scripts/gen-constants.mjs                     write the files that changed
//   node scripts/gen-constants.mjs --check [module]    exit 1 if a file (of that module) is not what its source makes
//
// Both files also get LAYOUT_HASH, a hash of every name and value: a built
// module that exports it (`layoutHash()`) can be checked against the
// TypeScript side it is loaded by.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseCli } from "./_args.mjs";

/**
 * @typedef {{ name: string, value: number, doc: string }} Scalar
 * @typedef {{ name: string, doc: string, type?: string, asType?: string, entries: Record<string, [number, string, string?]> }} Table
 *   entries: NAME: [value, doc, AssemblyScript type if not the table's]; `type` names the TS union of its values
 * @typedef {{ name: string, doc: string, names: string[], countName: string }} Names
 *   names get ids from 1 (0 is "none"); countName is the number of ids, 0 included
 * @typedef {{ name: string, as: string, ts: string, doc: string, items: (Scalar | Table | Names)[] }} ConstantsModule
 */

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The sources, one per Wasm module. */
export const SOURCES = ["constants/scheduler.mjs", "constants/http-parser.mjs", "constants/ws-codec.mjs"];

/** FNV-1a, 31 bits (a positive i32 on both sides). */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) & 0x7fffffff;
}

/** A doc comment at `indent`, one line when it fits on one. */
function doc(text, indent) {
  const lines = text.split("\n");
  if (lines.length === 1) return `${indent}/** ${text} */\n`;
  return `${indent}/**\n${lines.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)).join("\n")}\n${indent} */\n`;
}

/** The names and values of a module, in order: what LAYOUT_HASH covers. */
function layoutOf(mod) {
  return JSON.stringify(
    mod.items.map((it) => ("value" in it ? [it.name, it.value] : "names" in it ? [it.name, it.names] : [it.name, Object.entries(it.entries).map(([k, e]) => [k, e[0]])])),
  );
}

function header(mod, source) {
  return `// Generated from ${source} by scripts/gen-constants.mjs; do not edit.\n// ${mod.doc}\n`;
}

function renderAs(mod, source) {
  let out = header(mod, source);
  for (const it of mod.items) {
    out += "\n";
    if ("value" in it) {
      out += doc(it.doc, "") + `@inline export const ${it.name}: i32 = ${it.value};\n`;
    } else if ("names" in it) {
      out += doc(it.doc, "") + `export const ${it.name} = "${it.names.join(" ")}";\n`;
      out += doc(`Ids in ${it.name}, 0 ("none") included.`, "") + `@inline export const ${it.countName}: i32 = ${it.names.length + 1};\n`;
    } else {
      out += doc(it.doc, "") + `export namespace ${it.name} {\n`;
      for (const [key, [value, text, type]] of Object.entries(it.entries)) {
        out += doc(text, "  ") + `  @inline export const ${key}: ${type ?? it.asType ?? "i32"} = ${value};\n`;
      }
      out += "}\n";
    }
  }
  out += `\n${doc("Hash of every name and value above: the module exports it as `layoutHash()`.", "")}@inline export const LAYOUT_HASH: i32 = ${hash(layoutOf(mod))};\n`;
  return out;
}

function renderTs(mod, source) {
  let out = header(mod, source);
  for (const it of mod.items) {
    out += "\n";
    if ("value" in it) {
      out += doc(it.doc, "") + `export const ${it.name} = ${it.value};\n`;
    } else if ("names" in it) {
      const rows = [];
      let row = [];
      for (const n of ["", ...it.names]) {
        row.push(JSON.stringify(n));
        if (row.join(", ").length > 90) rows.push(row.splice(0).join(", "));
      }
      if (row.length > 0) rows.push(row.join(", "));
      out += doc(it.doc, "") + `export const ${it.name} = [\n${rows.map((r) => `  ${r},`).join("\n")}\n] as const;\n`;
      out += doc(`Ids in ${it.name}, 0 ("none") included.`, "") + `export const ${it.countName} = ${it.names.length + 1};\n`;
    } else {
      out += doc(it.doc, "") + `export const ${it.name} = {\n`;
      for (const [key, [value, text]] of Object.entries(it.entries)) out += doc(text, "  ") + `  ${key}: ${value},\n`;
      out += "} as const;\n";
      if (it.type) out += `export type ${it.type} = (typeof ${it.name})[keyof typeof ${it.name}];\n`;
    }
  }
  out += `\n${doc("Hash of every name and value above; the built module's `layoutHash()` must return it.", "")}export const LAYOUT_HASH = ${hash(layoutOf(mod))};\n`;
  return out;
}

/** What the sources (of module `only`, if given) make: file path (relative to the root) -> text. */
export async function render(only) {
  const files = new Map();
  for (const source of SOURCES) {
    const mod = (await import(pathToFileURL(join(root, source)).href)).default;
    if (only !== undefined && mod.name !== only) continue;
    files.set(mod.as, renderAs(mod, source));
    files.set(mod.ts, renderTs(mod, source));
  }
  return files;
}

/** Write the files whose text differs (or, with `check`, only list them); returns the paths that differed. */
export async function generate({ check = false, only = undefined } = {}) {
  const files = await render(only);
  if (files.size === 0) throw new Error(`gen-constants: no module named ${only}`);
  const stale = [];
  for (const [path, text] of files) {
    let now = null;
    try {
      now = readFileSync(join(root, path), "utf8");
    } catch {}
    if (now === text) continue;
    stale.push(path);
    if (!check) writeFileSync(join(root, path), text);
  }
  return stale;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values, positionals } = parseCli({
    name: "gen-constants",
    usage: "node scripts/gen-constants.mjs [--check] [module]",
    options: { check: { type: "boolean", help: "write nothing; exit 1 if a generated file is out of date" } },
    positionals: 1,
  });
  const check = values.check === true;
  const only = positionals[0];
  const stale = await generate({ check, only });
  if (check && stale.length > 0) {
    console.error(`gen-constants: out of date (run \`npm run build:wasm\` or \`node scripts/gen-constants.mjs\`): ${stale.join(", ")}`);
    process.exit(1);
  }
  for (const path of stale) console.log(`gen-constants: wrote ${path}`);
}
