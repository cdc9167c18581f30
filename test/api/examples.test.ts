/**
 * Every `@example` of the public API compiles, and those that start
 * something run. The examples are collected from the JSDoc of every export of
 * src/index.ts (its declaration, its re-export line, and the members of an
 * exported class or interface), so a new export's examples are checked with
 * no change here.
 *
 * Each example becomes a small module: an import of the whole API, the
 * declarations of the inputs examples take for granted (`bytes`, `req`,
 * `conn`...: declared, never stubs of the API), and the example itself as the
 * body of a function — a generator when it uses `yield*`, async when it uses
 * `await`. All of them are type-checked with the project's tsconfig. An
 * example that starts a run, a server or a listener, and whose inputs all
 * have real values below, also runs, with its ports rewritten to 0, for a
 * short while; then what it started is closed or cancelled.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { resetStarted, started } from "./examples-harness.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const INDEX = path.join(ROOT, "src/index.ts");
/** Where the example modules are placed (virtually for the type check; on disk for the runs). */
const EXAMPLES_DIR = path.join(ROOT, "test/.api-examples");
/** How long a runnable example may run before what it started is stopped. */
const RUN_BOUND_MS = 1_500;
/** How long its runs and servers get to finish after that. */
const STOP_BOUND_MS = 3_000;
/** The grace period given to close() of a server an example started. */
const CLOSE_GRACE_MS = 100;

type Example = { where: string; file: string; line: number; text: string };

/**
 * The inputs examples use without defining them. `decl` is what the type
 * check sees; `def`, when present, is a real value for the runs.
 */
const INPUTS: { name: string; decl: string; def?: string }[] = [
  { name: "bytes", decl: "declare const bytes: Uint8Array;", def: 'const bytes = new TextEncoder().encode("GET /a HTTP/1.1\\r\\nHost: example\\r\\n\\r\\n");' },
  { name: "echo", decl: "declare const echo: ConnHandler;", def: "const echo: ConnHandler = function* (conn) { for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b); };" },
  { name: "worker", decl: "declare const worker: Task<number>;" },
  { name: "bigList", decl: "declare const bigList: number[];" },
  { name: "work", decl: "declare function work(item: number): void;\ndeclare function work(): Operation<void>;" },
  { name: "conn", decl: "declare const conn: Conn;" },
  { name: "duplex", decl: 'declare const duplex: import("node:stream").Duplex;' },
  { name: "listener", decl: "declare const listener: Listener;" },
  { name: "server", decl: "declare const server: TcpServer;" },
  { name: "fetchA", decl: "declare function fetchA(): Operation<string>;" },
  { name: "fetchB", decl: "declare function fetchB(): Operation<number>;" },
  { name: "fetchFrom", decl: "declare function fetchFrom(url: string): Operation<string>;" },
  { name: "mirrorA", decl: "declare const mirrorA: string;" },
  { name: "mirrorB", decl: "declare const mirrorB: string;" },
  { name: "inbox", decl: "declare const inbox: Queue<string>;" },
  { name: "jobs", decl: "declare const jobs: Channel<string>;" },
  { name: "quit", decl: "declare const quit: Channel<void>;" },
  { name: "handle", decl: "declare function handle(job: string): void;\ndeclare function handle(conn: Conn): Operation<void>;" },
  { name: "ch", decl: "declare const ch: Channel<string>;" },
  { name: "out", decl: "declare const out: Channel<number>;" },
  { name: "value", decl: "declare const value: number;" },
  { name: "url", decl: "declare const url: string;" },
  { name: "urls", decl: "declare const urls: string[];" },
  { name: "fetchOne", decl: "declare function fetchOne(url: string): Operation<void>;" },
  { name: "fetchPage", decl: "declare function fetchPage(url: string): Operation<string>;" },
  { name: "balance", decl: "declare let balance: number;" },
  { name: "readDelta", decl: "declare function readDelta(): Operation<number>;" },
  { name: "slowOp", decl: "declare function slowOp(): Operation<string>;" },
  { name: "total", decl: "declare let total: number;" },
  { name: "scratch", decl: "declare const scratch: Uint8Array;" },
  { name: "head", decl: "declare const head: Uint8Array;" },
  { name: "body", decl: "declare const body: Uint8Array;" },
  { name: "tooSlow", decl: "declare const tooSlow: boolean;" },
  { name: "reply", decl: "declare function reply(status: number, message: string): void;" },
  { name: "req", decl: "declare const req: HttpRequest;" },
  { name: "res", decl: "declare const res: HttpResponse;" },
  { name: "id", decl: "declare const id: string;" },
  { name: "user", decl: "declare const user: { name: string } | undefined;" },
  { name: "ws", decl: "declare const ws: WsConn;" },
];

/** An example runs when it starts one of these (and all its inputs have values). */
const STARTS = /\b(run|spawn|serve|serveTcp|startTcpServer|listen)\(/;

function compilerOptions(): ts.CompilerOptions {
  const file = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(file.config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true };
}

/** The @example blocks of every export of src/index.ts, each once. */
function collectExamples(): { examples: Example[]; valueNames: string[]; typeNames: string[] } {
  const program = ts.createProgram([INDEX], compilerOptions());
  const checker = program.getTypeChecker();
  const index = program.getSourceFile(INDEX)!;
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(index)!);
  const seen = new Set<ts.JSDocTag>();
  const examples: Example[] = [];
  const add = (where: string, node: ts.Node): void => {
    for (const tag of ts.getJSDocTags(node)) {
      if (tag.tagName.text !== "example" || seen.has(tag)) continue;
      seen.add(tag);
      const text = typeof tag.comment === "string" ? tag.comment : (ts.getTextOfJSDocComment(tag.comment) ?? "");
      const sf = tag.getSourceFile();
      examples.push({ where, file: path.relative(ROOT, sf.fileName), line: sf.getLineAndCharacterOfPosition(tag.getStart()).line + 1, text });
    }
  };
  const valueNames: string[] = [];
  const typeNames: string[] = [];
  for (const sym of exports) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const spec = sym.declarations?.find(ts.isExportSpecifier);
    const typeOnly = spec !== undefined && (spec.isTypeOnly || spec.parent.parent.isTypeOnly);
    (target.flags & ts.SymbolFlags.Value && !typeOnly ? valueNames : typeNames).push(sym.name);
    for (const d of [...(sym.declarations ?? []), ...(target.declarations ?? [])]) {
      add(sym.name, d);
      if (ts.isExportSpecifier(d)) add(sym.name, d.parent.parent);
      if (ts.isClassDeclaration(d) || ts.isInterfaceDeclaration(d)) {
        for (const m of d.members) add(`${sym.name}.${m.name?.getText() ?? "constructor"}`, m);
      }
    }
  }
  return { examples, valueNames, typeNames };
}

/** Whether `code`, as a function body, has an expression of `kind` (yield, await) of its own, not of a function inside it. */
function topLevel(code: string, kind: ts.SyntaxKind): boolean {
  const sf = ts.createSourceFile("probe.ts", `async function* probe() {\n${code}\n}`, ts.ScriptTarget.ES2022, true);
  const wrapper = sf.statements[0]!;
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    // (`for await` counts as an await: it makes the body async too.)
    if (node.kind === kind || (kind === ts.SyntaxKind.AwaitExpression && ts.isForOfStatement(node) && node.awaitModifier !== undefined)) {
      let f: ts.Node = node.parent;
      while (!ts.isFunctionLike(f)) f = f.parent;
      if (f === wrapper) found = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(wrapper);
  return found;
}

/** The module's text; the kind of function the example is the body of; the inputs it uses; the line (1-based) where the example starts. */
/**
 * Names `code` uses without declaring them (as a variable, parameter,
 * function or catch binding): its inputs, if the preamble has them.
 * Property names do not count.
 */
function freeNames(code: string): Set<string> {
  const sf = ts.createSourceFile("probe.ts", `async function* probe() {\n${code}\n}`, ts.ScriptTarget.ES2022, true);
  const declared = new Set<string>();
  const used = new Set<string>();
  const visit = (node: ts.Node): void => {
    const p = node.parent;
    if (ts.isIdentifier(node) && p !== undefined) {
      const isDecl =
        (ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isBindingElement(p) || ts.isFunctionDeclaration(p)) && p.name === node;
      const isProperty =
        (ts.isPropertyAccessExpression(p) && p.name === node) || (ts.isPropertyAssignment(p) && p.name === node) || (ts.isBindingElement(p) && p.propertyName === node);
      if (isDecl) declared.add(node.text);
      else if (!isProperty) used.add(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf.statements[0]!);
  for (const d of declared) used.delete(d);
  return used;
}

type Built = { source: string; kind: "generator" | "async" | "plain"; inputs: string[]; firstLine: number };

/**
 * The module for one example. `api` is the import specifier of the API;
 * `defs` selects real values for the inputs (runs) instead of declarations.
 */
function buildModule(ex: Example, api: string, names: { valueNames: string[]; typeNames: string[] }, mode: "check" | "run"): Built {
  const hoisted: string[] = [];
  const lines: string[] = [];
  for (const line of ex.text.split("\n")) {
    if (/^\s*import\s.*\sfrom\s+["']tasklet["'];?\s*$/.test(line)) continue; // the whole API is imported below
    if (/^\s*import\s/.test(line)) hoisted.push(line);
    else lines.push(line);
  }
  let code = lines.join("\n");
  if (mode === "run") code = code.replace(/\bport: \d+/g, "port: 0");
  const kind = topLevel(code, ts.SyntaxKind.YieldExpression) ? "generator" : topLevel(code, ts.SyntaxKind.AwaitExpression) ? "async" : "plain";
  const free = freeNames(code);
  const inputs = INPUTS.filter((i) => free.has(i.name)).map((i) => i.name);
  const head = [
    `import { ${names.valueNames.join(", ")}, type ${names.typeNames.join(", type ")} } from ${JSON.stringify(api)};`,
    ...hoisted,
  ];
  if (mode === "check") head.push(...INPUTS.map((i) => i.decl));
  else {
    head.push("import { exampleConsole as console } from " + JSON.stringify(api) + ";");
    for (const i of INPUTS) if (i.def !== undefined) head.push(i.def);
  }
  const signature =
    kind === "generator"
      ? "export function* example(): Generator<Instruction, any, any>"
      : kind === "async"
        ? "export async function example()"
        : "export function example()";
  const top = `${head.join("\n")}\n${signature} {\n`;
  return { source: `${top}${code}\n}\n`, kind, inputs, firstLine: top.split("\n").length };
}

const { examples, valueNames, typeNames } = collectExamples();
const names = { valueNames, typeNames };
const label = (ex: Example): string => `${ex.where} (${ex.file}:${ex.line})`;

describe("the @example blocks of the public API", () => {
  it("are found for every export (and the members of exported classes)", () => {
    expect(examples.length).toBeGreaterThan(50);
    expect(examples.map((e) => e.where)).toEqual(expect.arrayContaining(["run", "Task.catch", "Task.finally", "DeadlockError", "serve"]));
  });

  it("all type-check against the public types", () => {
    const options = compilerOptions();
    const files = new Map<string, string>();
    const built = examples.map((ex) => buildModule(ex, "../../src/index.js", names, "check"));
    built.forEach((b, i) => files.set(path.join(EXAMPLES_DIR, `example-${i}.ts`), b.source));
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => {
      const text = files.get(path.resolve(name));
      return text !== undefined ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => files.has(path.resolve(name)) || fileExists(name);
    const readFile = host.readFile.bind(host);
    host.readFile = (name) => files.get(path.resolve(name)) ?? readFile(name);
    const program = ts.createProgram([...files.keys()], options, host);
    const errors: string[] = [];
    examples.forEach((ex, i) => {
      const sf = program.getSourceFile(path.join(EXAMPLES_DIR, `example-${i}.ts`))!;
      for (const d of [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]) {
        const line = d.start === undefined ? -1 : sf.getLineAndCharacterOfPosition(d.start).line + 1;
        const at = line >= built[i]!.firstLine ? `line ${line - built[i]!.firstLine + 1} of the example` : `line ${line} of its module`;
        errors.push(`${label(ex)}, ${at}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}\n${ex.text}`);
      }
    });
    expect(errors).toEqual([]);
  });

  const runnable = examples
    .map((ex) => ({ ex, built: buildModule(ex, path.join(ROOT, "test/api/examples-harness.js"), names, "run") }))
    .filter(({ ex, built }) => STARTS.test(ex.text) && built.inputs.every((n) => INPUTS.find((i) => i.name === n)!.def !== undefined));

  it("include runnable ones: those that start something with no undefined input", () => {
    expect(runnable.map((r) => r.ex.where)).toEqual(expect.arrayContaining(["run", "DeadlockError", "serve", "Server", "startTcpServer", "TcpServer", "Channel"]));
  });

  afterAll(() => fs.rmSync(EXAMPLES_DIR, { recursive: true, force: true }));

  it.each(runnable.map((r, i) => [label(r.ex), r, i] as const))("%s runs", async (_name, { built }, i) => {
    fs.mkdirSync(EXAMPLES_DIR, { recursive: true });
    const file = path.join(EXAMPLES_DIR, `run-${i}.ts`);
    fs.writeFileSync(file, built.source);
    const { run } = await import("./examples-harness.js");
    const mod = (await import(/* @vite-ignore */ file)) as { example: () => unknown };
    resetStarted();
    const sigint = process.listeners("SIGINT");
    try {
      const out = built.kind === "generator" ? run(mod.example as () => Generator<never, unknown, unknown>) : mod.example();
      // The example itself may end (or fail) within the bound; a server goes on and is stopped below.
      const outcome = await within(Promise.resolve(out), RUN_BOUND_MS);
      if (outcome.state === "rejected") throw outcome.error;
      for (const s of started.servers) {
        await s.ready;
        await within(s.close({ timeout: CLOSE_GRACE_MS }), STOP_BOUND_MS);
      }
      for (const p of started.tcpServers) {
        const s = await p;
        await within(s.close({ timeout: CLOSE_GRACE_MS }), STOP_BOUND_MS);
      }
      for (const t of started.roots) {
        // Still running at the bound (an accept loop, say): cancel what it started; else let it finish.
        const r = outcome.state === "pending" ? outcome : await within(Promise.resolve(t), STOP_BOUND_MS);
        if (r.state === "pending") t.cancel("example over");
      }
      for (const t of started.roots) await within(t.then(undefined, () => {}), STOP_BOUND_MS);
      for (const t of started.roots) expect(t.done, `${t.name} is done`).toBe(true);
    } finally {
      for (const l of process.listeners("SIGINT")) if (!sigint.includes(l)) process.off("SIGINT", l);
    }
  });
});

/** Wait for `p` at most `ms`. */
async function within(p: PromiseLike<unknown>, ms: number): Promise<{ state: "fulfilled" | "pending" } | { state: "rejected"; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve(p).then(
        () => ({ state: "fulfilled" as const }),
        (error: unknown) => ({ state: "rejected" as const, error }),
      ),
      new Promise<{ state: "pending" }>((r) => (timer = setTimeout(() => r({ state: "pending" }), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
