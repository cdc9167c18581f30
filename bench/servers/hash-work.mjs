// The CPU-bound work of bench/offload.mjs, as a module so that offload() can
// run it on a worker thread: SHA-256 over a 1 MiB buffer, `rounds` times
// (each round hashes the buffer with the previous digest mixed in).
import { createHash } from "node:crypto";

export function hashMiB(bytes, rounds) {
  let digest = Buffer.alloc(32);
  for (let r = 0; r < rounds; r++) digest = createHash("sha256").update(digest).update(bytes).digest();
  return digest.toString("hex");
}
