import { describe, expect, it } from "vitest";

// Every write through node:net's stream, as on a Node without the direct
// path (or with TASKLET_NET_WRITE=stream); small writes of a task still
// gathered for the end of its tick, then written with one socket.write. Read
// once, when the module loads: so set before anything imports it. (Each test
// file runs in a process of its own.)
process.env.TASKLET_NET_WRITE = "stream";
const lib = await import("../../src/index.js");
const { NODE_PATHS } = await import("../../src/net/node/index.js");
const { GATHER_MAX } = await import("../../src/net/outbox.js");
const { BACKENDS } = await import("../support/helpers.js");
const { writeSuite } = await import("./net-writes.js");

describe("TASKLET_NET_WRITE=stream", () => {
  it("switches the direct path off and keeps gathering", () => {
    expect(NODE_PATHS.directWrites).toBe(false);
    expect(GATHER_MAX).toBeGreaterThan(0);
  });
});

writeSuite(lib, BACKENDS, { direct: false, gather: true });
