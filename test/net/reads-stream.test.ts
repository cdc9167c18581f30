import { describe, expect, it } from "vitest";

// Every read handed over by node:net's own onStreamRead, as on a Node without
// the direct path (or with TASKLET_NET_READ=stream). Read once, when the
// module loads: so set before anything imports it. (Each test file runs in a
// process of its own.)
process.env.TASKLET_NET_READ = "stream";
const lib = await import("../../src/index.js");
const { NODE_PATHS } = await import("../../src/net/node/index.js");
const { BACKENDS } = await import("../support/helpers.js");
const { readSuite } = await import("./net-reads.js");

describe("TASKLET_NET_READ=stream", () => {
  it("switches the direct path off", () => {
    expect(NODE_PATHS.directReads).toBe(false);
    expect(NODE_PATHS.sharedReadBuffer).toBe(true);
  });
});

readSuite(lib, BACKENDS, false);
