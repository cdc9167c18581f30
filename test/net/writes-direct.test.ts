import { describe, expect, it } from "vitest";
import { DIRECT_CLAIMED } from "./net-paths.js";

// Writes straight to the socket's handle, none gathered for the end of the
// tick (TASKLET_NET_WRITE=direct, a diagnostic switch; where the direct path
// is not offered it changes nothing: the default, the stream with small
// writes gathered, is tested). Read once, when the module loads: so set
// before anything imports it. (Each test file runs in a process of its own.)
process.env.TASKLET_NET_WRITE = "direct";
const lib = await import("../../src/index.js");
const { NODE_PATHS } = await import("../../src/net/node/index.js");
const { GATHER_MAX } = await import("../../src/net/outbox.js");
const { BACKENDS } = await import("../support/helpers.js");
const { writeSuite } = await import("./net-writes.js");

describe("TASKLET_NET_WRITE=direct", () => {
  it(DIRECT_CLAIMED ? "keeps the direct path and gathers nothing" : "changes nothing where the direct path is off", () => {
    expect(NODE_PATHS.directWrites).toBe(DIRECT_CLAIMED);
    expect(GATHER_MAX === 0).toBe(DIRECT_CLAIMED);
  });
});

writeSuite(lib, BACKENDS, { direct: DIRECT_CLAIMED, gather: !DIRECT_CLAIMED });
