// Where the package claims its direct socket paths (src/net/direct-read.ts,
// direct-write.ts): Linux with Node 20 to 26, the majors the suite runs on
// (scripts/test-nodes.mjs). Elsewhere a Conn takes node:net's public path, and
// the net suites check that one instead: so they pass, and test what is in
// use, on every Node.
export const NODE_MAJOR = Number(process.versions.node.split(".")[0]);

/** The direct paths are expected on this runtime (before any TASKLET_NET_* switch). */
export const DIRECT_CLAIMED: boolean = process.platform === "linux" && NODE_MAJOR >= 20 && NODE_MAJOR <= 26;
