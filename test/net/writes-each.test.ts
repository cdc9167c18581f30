import { describe, expect, it } from "vitest";

// Every write through node:net's stream at once, none gathered
// (TASKLET_NET_WRITE=stream with TASKLET_NET_GATHER=off). Read once, when the
// module loads: so set before anything imports it. (Each test file runs in a
// process of its own.)
process.env.TASKLET_NET_WRITE = "stream";
process.env.TASKLET_NET_GATHER = "off";
const lib = await import("../../src/index.js");
const { NODE_PATHS } = await import("../../src/net/node/index.js");
const { GATHER_MAX } = await import("../../src/net/outbox.js");
const { BACKENDS } = await import("../support/helpers.js");
const { writeSuite } = await import("./net-writes.js");

describe("TASKLET_NET_WRITE=stream, TASKLET_NET_GATHER=off", () => {
  it("switches the direct path and gathering off", () => {
    expect(NODE_PATHS.directWrites).toBe(false);
    expect(GATHER_MAX).toBe(0);
  });
});

writeSuite(lib, BACKENDS, { direct: false, gather: false });
