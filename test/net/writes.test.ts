import { describe, expect, it } from "vitest";
import * as lib from "../../src/index.js";
import { NODE_PATHS } from "../../src/net/node/index.js";
import { BACKENDS } from "../support/helpers.js";
import { writeSuite } from "./net-writes.js";
import { DIRECT_WRITES_EXPECTED, NODE_MAJOR } from "./net-paths.js";

// On Linux with Node 20 to 26 a Conn writes straight to the socket's handle
// (see src/net/node/direct-write.ts) and this file tests that path; elsewhere it
// tests node:net's stream, which is then in use. Small writes of a task are
// gathered for the end of its tick on either path (outbox.ts).
// net-writes-stream.test.ts tests the stream everywhere.
describe("the direct write path", () => {
  it(DIRECT_WRITES_EXPECTED ? `is in use on Node ${NODE_MAJOR} on ${process.platform}` : `is off on Node ${NODE_MAJOR} on ${process.platform}: writes take the stream`, () => {
    expect(NODE_PATHS.directWrites).toBe(DIRECT_WRITES_EXPECTED);
  });
});

writeSuite(lib, BACKENDS, { direct: DIRECT_WRITES_EXPECTED, gather: true });
