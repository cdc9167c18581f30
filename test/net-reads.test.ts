import { describe, expect, it } from "vitest";
import * as lib from "../src/index.js";
import { directReads } from "../src/net/direct-read.js";
import { BACKENDS } from "./helpers.js";
import { readSuite } from "./net-reads.js";

// Node 20 to 24 let a Conn take its reads straight from the socket's handle
// (see src/net/direct-read.ts); this file tests that path,
// net-reads-stream.test.ts the one through node's onStreamRead.
describe("the direct read path", () => {
  it("is available on this Node", () => {
    expect(directReads(() => true)).not.toBeNull();
  });
});

readSuite(lib, BACKENDS, true);
