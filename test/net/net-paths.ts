// Where the package claims its direct socket paths (src/net/node/reads.ts,
// direct-write.ts): Linux with Node 20 to 26, the majors the suite runs on
// (scripts/test-nodes.mjs). Elsewhere, or switched off with
// TASKLET_NET_READ=stream / TASKLET_NET_WRITE=stream, a Conn takes node:net's
// public path, and the net suites check that one instead: so they pass, and
// test what is in use, on every Node.
export const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** The direct paths are offered on this runtime (before any switch). */
export const DIRECT_CLAIMED: boolean = process.platform === "linux" && NODE_MAJOR >= 20 && NODE_MAJOR <= 26;

/** Reads are expected to be taken straight from the handle in this process. */
export const DIRECT_READS_EXPECTED: boolean = DIRECT_CLAIMED && process.env.TASKLET_NET_READ !== "stream";

/** Writes are expected to go straight to the handle in this process. */
export const DIRECT_WRITES_EXPECTED: boolean = DIRECT_CLAIMED && process.env.TASKLET_NET_WRITE !== "stream";
