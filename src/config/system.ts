/**
 * Limits of the system that shape a default option, read once when first
 * needed: the listen backlog.
 */
import { readFileSync } from "node:fs";

/** Node's own default backlog, used where the system's limit cannot be read. */
const NODE_BACKLOG = 511;
/** The largest backlog the kernel takes (its field is 16 bits). */
const MAX_BACKLOG = 65535;

let backlog = 0;

/**
 * The backlog `listen` asks for by default: the kernel's limit
 * (`net.core.somaxconn` on Linux, as Go does), else Node's 511. A burst of
 * connections larger than the queue loses SYNs, and each lost one costs its
 * client a second (the SYN retransmission timer).
 */
export function systemBacklog(): number {
  if (backlog === 0) {
    let n = NaN;
    try {
      n = Number(readFileSync("/proc/sys/net/core/somaxconn", "latin1").trim());
    } catch {
      // not Linux, or no /proc: Node's default
    }
    backlog = Number.isInteger(n) && n >= NODE_BACKLOG ? Math.min(n, MAX_BACKLOG) : NODE_BACKLOG;
  }
  return backlog;
}
