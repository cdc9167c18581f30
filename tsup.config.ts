import { copyFileSync, readFileSync } from "node:fs";
import { defineConfig } from "tsup";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8")) as { version: string };

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
  // Named in the error that a second copy of tasklet in the process gets (src/runtime/instance.ts).
  define: { __TASKLET_VERSION__: JSON.stringify(version) },
  // The worker side of offload(): plain JavaScript that each worker thread
  // loads by URL, beside dist/index.js as it is beside src/offload/worker-pool.ts.
  onSuccess: async () => {
    copyFileSync("src/offload/offload-worker.mjs", "dist/offload-worker.mjs");
  },
});
