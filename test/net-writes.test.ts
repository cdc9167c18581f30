import { describe, expect, it } from "vitest";
import * as lib from "../src/index.js";
import { directWrite } from "../src/net/direct-write.js";
import { BACKENDS } from "./helpers.js";
import { writeSuite } from "./net-writes.js";

// Node 20 to 24 let a Conn write straight to the socket's handle (see
// src/net/direct-write.ts); this file tests that path, net-writes-stream
// the one through node:net's stream.
describe("the direct write path", () => {
  it("is available on this Node", () => {
    expect(directWrite).not.toBeNull();
  });
});

writeSuite(lib, BACKENDS, "gather");
