import { defineConfig } from "tsup";

// The Wasm modules are written into dist/ by scripts/build-wasm.mjs before
// tsup runs, so tsup must not wipe the folder.
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  dts: true,
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: false,
  shims: true,
  splitting: false,
  treeshake: true,
});
