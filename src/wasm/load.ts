import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Synchronous loading of the package's Wasm modules, from both builds.
 *
 * The files live in `dist/<name>.wasm`. The bundled ESM and CJS builds sit in
 * `dist/` too, so `./<name>.wasm` next to the running module finds them
 * (tsup shims `import.meta.url` in the CJS build). When the sources run
 * directly (vitest runs `src/`), the module is two levels down, in
 * `src/wasm/`, and the files are found in `../../dist/`.
 */
const CANDIDATES = ["./", "../../dist/"];

const modules = new Map<string, WebAssembly.Module>();

/** Path of a built Wasm module, or an Error that says where it looked. */
export function locateWasm(name: string): string | Error {
  const tried: string[] = [];
  for (const dir of CANDIDATES) {
    const path = fileURLToPath(new URL(`${dir}${name}.wasm`, import.meta.url));
    if (existsSync(path)) return path;
    tried.push(path);
  }
  return new Error(`${name}.wasm not found (looked in ${tried.join(", ")}); run \`npm run build:wasm\``);
}

/** Compile (once per process) a Wasm module of the package, synchronously. */
export function loadWasmModule(name: string): WebAssembly.Module {
  let mod = modules.get(name);
  if (mod === undefined) {
    const path = locateWasm(name);
    if (path instanceof Error) throw path;
    mod = new WebAssembly.Module(readFileSync(path));
    modules.set(name, mod);
  }
  return mod;
}

/** Instantiate a module of the package with the imports AssemblyScript's stub runtime expects. */
export function instantiateWasm(name: string): WebAssembly.Instance {
  return new WebAssembly.Instance(loadWasmModule(name), {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`${name}.wasm aborted at line ${line}:${col}`);
      },
    },
  });
}
