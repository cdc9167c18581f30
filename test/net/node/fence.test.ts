/**
 * The fence around Node's internals (src/net/node/), through its index:
 * each path on its own, below Conn. The suites of test/net run Conn on both
 * sides of every switch (reads*.test.ts, writes*.test.ts).
 */
import net from "node:net";
import { describe, expect, it } from "vitest";
import {
  NODE_PATHS,
  QUEUED,
  WROTE,
  errnoError,
  readPeerAddress,
  socketReads,
  writeDirect,
  writeHandle,
  type PeerAddress,
} from "../../../src/net/node/index.js";
import { DIRECT_CLAIMED, DIRECT_READS_EXPECTED, DIRECT_WRITES_EXPECTED } from "../net-paths.js";

/** A connected pair of plain sockets: `server` is the accepted one, created paused (not reading). */
async function pair(): Promise<{ client: net.Socket; server: net.Socket; close: () => void }> {
  const srv = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const accepted = new Promise<net.Socket>((r) => srv.once("connection", r));
  const client = net.connect({ port: (srv.address() as net.AddressInfo).port, host: "127.0.0.1" });
  await new Promise<void>((r) => client.once("connect", () => r()));
  const server = await accepted;
  return {
    client,
    server,
    close: () => {
      client.destroy();
      server.destroy();
      srv.close();
    },
  };
}

describe("what the fence offers", () => {
  it("NODE_PATHS says which paths this process takes, frozen", () => {
    expect(Object.isFrozen(NODE_PATHS)).toBe(true);
    expect(NODE_PATHS).toEqual({ binding: DIRECT_CLAIMED, sharedReadBuffer: true, directReads: DIRECT_READS_EXPECTED, directWrites: DIRECT_WRITES_EXPECTED });
  });

  it("errnoError: a libuv number as node:net's Error", () => {
    const e = errnoError(-104, "read") as Error & { code: string; errno: number; syscall: string };
    expect(e.message).toBe("read ECONNRESET");
    expect([e.code, e.errno, e.syscall]).toEqual(["ECONNRESET", -104, "read"]);
  });

  it("readPeerAddress: from the handle of an accepted socket; from the public fields without a handle", async () => {
    const p = await pair();
    try {
      const out: PeerAddress = {};
      readPeerAddress(p.server, out);
      expect(out).toMatchObject({ address: "127.0.0.1", port: p.client.localPort });
      const fake = { remoteAddress: "10.0.0.1", remotePort: 7 } as unknown as net.Socket;
      readPeerAddress(fake, out);
      expect(out).toMatchObject({ address: "10.0.0.1", port: 7 });
    } finally {
      p.close();
    }
  });

  it("socketReads: an adopted socket's reads land in the shared buffer and go to the sink; a reading socket is not adopted", async () => {
    const buffer = new Uint8Array(64 * 1024);
    const got: string[] = [];
    let arrived!: () => void;
    const done = new Promise<void>((r) => (arrived = r));
    const reads = socketReads(buffer, (socket, n) => {
      got.push(Buffer.from(buffer.subarray(0, n)).toString());
      arrived();
      return true;
    });
    expect([reads.shared, reads.direct]).toEqual([NODE_PATHS.sharedReadBuffer, NODE_PATHS.directReads]);
    const p = await pair();
    try {
      expect(reads.adopt(p.server)).toBe(true);
      p.server.resume();
      p.client.write("hello");
      await done;
      expect(got).toEqual(["hello"]);
      expect(reads.adopt(p.server)).toBe(false); // already in onread mode
    } finally {
      p.close();
    }
  });

  it.runIf(NODE_PATHS.directWrites)("writeDirect: WROTE when the kernel takes it all; QUEUED behind a peer that does not read, then the owner hears it done", async () => {
    const p = await pair();
    try {
      const h = writeHandle(p.client)!;
      expect(h).not.toBeNull();
      expect(writeDirect(h, Buffer.from("x"), { _directDone: () => {} })).toBe(WROTE);
      // The peer does not read: fill the kernel's buffers until a write waits.
      const big = Buffer.alloc(1 << 20, 0x61);
      let result = WROTE;
      let done: [number, number] | null = null;
      const owner = { _directDone: (bytes: number, status: number) => void (done = [bytes, status]) };
      for (let i = 0; i < 64 && result === WROTE; i++) result = writeDirect(h, big, owner);
      expect(result).toBe(QUEUED);
      expect(done).toBeNull();
      p.server.resume(); // now it reads: the queued write completes
      p.server.on("data", () => {});
      while (done === null) await new Promise((r) => setTimeout(r, 5));
      expect(done).toEqual([big.length, 0]);
      p.client.destroy();
      expect(writeHandle(p.client)).toBeNull();
    } finally {
      p.close();
    }
  });
});
