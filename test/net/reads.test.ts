import { describe, expect, it } from "vitest";
import * as lib from "../../src/index.js";
import { NODE_PATHS } from "../../src/net/node/index.js";
import { BACKENDS } from "../support/helpers.js";
import { readSuite } from "./net-reads.js";
import { DIRECT_READS_EXPECTED, NODE_MAJOR } from "./net-paths.js";

// On Linux with Node 20 to 26 a Conn takes its reads straight from the
// socket's handle (see src/net/node/reads.ts) and this file tests that path;
// elsewhere it tests node's onStreamRead, which is then in use.
// net-reads-stream.test.ts tests node's path everywhere.
const direct = NODE_PATHS.directReads;

describe("the direct read path", () => {
  it(DIRECT_READS_EXPECTED ? `is in use on Node ${NODE_MAJOR} on ${process.platform}` : `is off on Node ${NODE_MAJOR} on ${process.platform}: reads take node's path`, () => {
    expect(direct).toBe(DIRECT_READS_EXPECTED);
  });
});

readSuite(lib, BACKENDS, direct);
