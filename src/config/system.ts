/**
 * Limits of the system that shape a default option, read once when first
 * needed: the listen backlog; and what the platform and this Node allow:
 * SO_REUSEPORT (the `reusePort` option).
 */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

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

/** Platforms whose kernel spreads connections over SO_REUSEPORT sockets (node:net's own list). */
const REUSEPORT_PLATFORMS: ReadonlySet<string> = new Set(["linux", "freebsd", "sunos", "aix"]);

/**
 * Why `reusePort` cannot be asked for here, or null when it can: node:net
 * takes the option from Node 22.12 and 23.1 (older ones ignore it, so every
 * socket would not get its own queue), and only some kernels balance over
 * such sockets (Linux 3.9+, FreeBSD 12+, Solaris 11.4, AIX 7.2.5; not macOS
 * or Windows).
 */
export function reusePortError(version: string = process.versions.node, platform: string = process.platform): string | null {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const nodeOk = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
  if (!nodeOk) return `reusePort needs Node 22.12 or later (23.1 on the 23 line); this is Node ${version}`;
  if (!REUSEPORT_PLATFORMS.has(platform)) return `reusePort is not available on ${platform} (Linux, FreeBSD, Solaris and AIX have it)`;
  return null;
}

/** The number of processes `workers: "auto"` means: the CPUs this process may run on. */
export function autoWorkers(): number {
  return typeof availableParallelism === "function" ? availableParallelism() : Math.max(1, cpus().length);
}
