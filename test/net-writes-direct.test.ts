import { describe, expect, it } from "vitest";

// Writes straight to the socket's handle, none gathered for the end of the
// tick (TASKLET_NET_WRITE=direct, a diagnostic switch). Read once, when the
// module loads: so set before anything imports it. (Each test file runs in a
// process of its own.)
process.env.TASKLET_NET_WRITE = "direct";
const lib = await import("../src/index.js");
const { directWrite } = await import("../src/net/direct-write.js");
const { GATHER_MAX } = await import("../src/net/outbox.js");
const { BACKENDS } = await import("./helpers.js");
const { writeSuite } = await import("./net-writes.js");

describe("TASKLET_NET_WRITE=direct", () => {
  it("keeps the direct path and gathers nothing", () => {
    expect(directWrite).not.toBeNull();
    expect(GATHER_MAX).toBe(0);
  });
});

writeSuite(lib, BACKENDS, "direct");
