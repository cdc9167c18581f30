/**
 * serve() and serveTcp() on a Unix domain socket (`path`), as node:http's
 * listen({ path }): real clients (node:http with socketPath, curl
 * --unix-socket, node:net) get their answers through the green sockets'
 * direct read/write paths on a Pipe handle, the peer address of a Unix
 * socket (none) breaks nothing, and the socket file is gone after close.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { call, run, serve, serveTcp, startTcpServer } from "../../src/index.js";
import { COMBOS, hasCurl } from "../http/http-helpers.js";
import { BACKENDS, pattern } from "../support/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "tasklet-unix-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const sockPath = () => join(dir, `s${seq++}.sock`);


/** A request over the Unix socket with node:http; the body is sent in parts. */
function request(socketPath: string, path: string, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, method: body ? "POST" : "GET", agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, text: Buffer.concat(parts).toString("latin1") }));
    });
    req.on("error", reject);
    if (body) {
      req.setHeader("content-length", body.length);
      // Several writes: the server reads the body in more than one piece.
      for (let i = 0; i < body.length; i += 100_000) req.write(body.subarray(i, i + 100_000));
    }
    req.end();
  });
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe.each(COMBOS)("serve() on a Unix domain socket, $parser parser, $backend backend", ({ parser, backend }) => {
  it("node:http (socketPath) and curl --unix-socket get answers; the file is removed on close", async () => {
    const path = sockPath();
    const remotes: unknown[] = [];
    const server = serve({ path, parser, backend, maxBodySize: 4 << 20 }, function* (req, res) {
      remotes.push(req.remoteAddress);
      if (req.method === "POST") {
        const body = yield* req.body();
        return { body: `${body.length} ${sha(body)}` };
      }
      yield* res.end(`hello ${req.path}`);
    });
    await server.ready;
    expect(server.port).toBe(0);
    expect(server.address).toBe(path);
    expect(existsSync(path)).toBe(true);

    expect(await request(path, "/a")).toEqual({ status: 200, text: "hello /a" });
    const upload = Buffer.from(pattern(3, 1_500_000));
    expect(await request(path, "/up", upload)).toEqual({ status: 200, text: `${upload.length} ${sha(upload)}` });
    if (hasCurl) {
      const { stdout } = await promisify(execFile)("curl", ["-sS", "--unix-socket", path, "http://localhost/via-curl"]);
      expect(stdout).toBe("hello /via-curl");
    }
    // A Unix socket's peer has no address: undefined, not a crash.
    expect(remotes.every((r) => r === undefined)).toBe(true);

    await server.close();
    expect(existsSync(path)).toBe(false);
    await expect(request(path, "/late")).rejects.toThrow(/ENOENT|ECONNREFUSED/);
  });

  it("ends with its scope like a TCP server: the socket file is gone when the run settles", async () => {
    const path = sockPath();
    await run(
      function* () {
        yield* serve({ path, parser }, function* (_req, res) {
          yield* res.end("x");
        });
        expect(existsSync(path)).toBe(true);
      },
      { backend },
    );
    expect(existsSync(path)).toBe(false);
  });
});

describe.each(BACKENDS)("serveTcp() on a Unix domain socket, %s backend", (backend) => {
  it("echoes a large stream byte for byte (direct reads and writes on a Pipe handle), names the path in errors", async () => {
    const path = sockPath();
    const addresses: string[] = [];
    const server = await startTcpServer({ path, backend }, function* (conn) {
      addresses.push(conn.address, String(conn.remoteAddress));
      for (let b = yield* conn.read(); b !== null; b = yield* conn.read()) yield* conn.write(b);
    });
    expect(server.listener.address).toBe(path);
    const data = Buffer.from(pattern(9, 3_000_000));
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const c = net.connect({ path });
      const parts: Buffer[] = [];
      let got = 0;
      c.on("data", (d) => {
        parts.push(d);
        got += d.length;
        if (got >= data.length) c.end();
      });
      c.on("close", () => resolve(Buffer.concat(parts)));
      c.on("error", reject);
      c.on("connect", () => c.write(data));
    });
    expect(sha(echoed)).toBe(sha(data));
    expect(addresses).toEqual([path, "undefined"]);
    await server.close();
    expect(existsSync(path)).toBe(false);
  });

  it("inside run(): serveTcp on a path, then the scope ends and the file is removed", async () => {
    const path = sockPath();
    const got = await run(
      function* () {
        yield* serveTcp({ path }, function* (conn) {
          yield* conn.write("hi\n");
        });
        expect(existsSync(path)).toBe(true);
        return yield* call(
          new Promise<string>((resolve, reject) => {
            const c = net.connect({ path });
            let s = "";
            c.setEncoding("utf8");
            c.on("data", (d) => (s += d));
            c.on("close", () => resolve(s));
            c.on("error", reject);
          }),
        );
      },
      { backend },
    );
    expect(got).toBe("hi\n");
    expect(existsSync(path)).toBe(false);
  });
});

