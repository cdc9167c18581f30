// Helpers of the static-file and compression suites: a node:http GET that
// keeps the raw bytes and headers (node:http never decodes a body), a temp
// copy of the static fixture with what cannot be committed (a big file,
// symlinks, a secret outside the root), and the open file descriptors.
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** GET (or `method`) `target` with `headers`, raw: the body as sent, no decoding. */
export function get(port: number, target: string, headers: Record<string, string> = {}, method = "GET"): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: target, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A marker found only in the secret file outside the root: no response may contain it. */
export const SECRET = "TOP-SECRET-" + "b1f0c2e7";

/** The size of large.bin and large.txt. */
export const LARGE = 24 << 20;

export interface Site {
  /** The temp folder holding root/ and the files outside it. */
  base: string;
  /** The served root: a copy of test/fixtures/static plus big files and symlinks. */
  root: string;
  /** big.bin: random bytes (not compressible). */
  bigBin: Buffer;
  /** big.txt: random base64 text (compressible type, compresses to about 3/4). */
  bigTxt: Buffer;
  cleanup(): void;
}

/** Make the served tree in a temp folder; `bigTxtSize` sets the size of big.txt. */
export function makeSite(bigTxtSize = 512 * 1024): Site {
  const base = mkdtempSync(path.join(tmpdir(), "tasklet-static-"));
  const root = path.join(base, "root");
  cpSync(path.resolve(import.meta.dirname, "../fixtures/static"), root, { recursive: true });
  writeFileSync(path.join(base, "secret.txt"), `${SECRET}\n`);
  mkdirSync(path.join(base, "outside"));
  writeFileSync(path.join(base, "outside", "file.txt"), `${SECRET} in a folder\n`);
  const bigBin = randomBytes(384 * 1024 + 17);
  writeFileSync(path.join(root, "big.bin"), bigBin);
  const bigTxt = Buffer.from(randomBytes(Math.ceil((bigTxtSize * 3) / 4)).toString("base64").slice(0, bigTxtSize), "latin1");
  writeFileSync(path.join(root, "big.txt"), bigTxt);
  // Larger than what loopback socket buffers hold, so a paused download keeps its file open.
  writeFileSync(path.join(root, "large.bin"), Buffer.alloc(LARGE, 7));
  writeFileSync(path.join(root, "large.txt"), randomBytes((LARGE * 3) / 4).toString("base64"));
  symlinkSync(path.join(base, "secret.txt"), path.join(root, "link-out.txt"));
  symlinkSync(path.join(base, "outside"), path.join(root, "dir-out"));
  symlinkSync("index.html", path.join(root, "link-in.html"));
  return { base, root, bigBin, bigTxt, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}

/** How many file descriptors this process has open (Linux), or -1 where /proc is missing. */
export function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

/** Poll `cond` every 10 ms until it holds or `ms` pass; returns whether it held. */
export async function eventually(cond: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}
