/**
 * The environment step (src/config/env.ts): every TASKLET_* switch parsed
 * once into a frozen object; a value it does not know is reported, never
 * silently taken for something else.
 */
import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ENV, parseEnv } from "../../src/config/env.js";

const SWITCHES = {
  TASKLET_NET_READ: { key: "netRead", values: ["auto", "stream", "data"] },
  TASKLET_NET_WRITE: { key: "netWrite", values: ["auto", "stream", "direct"] },
} as const;

describe("parseEnv", () => {
  it("an empty environment gives the defaults, frozen", () => {
    const e = parseEnv({}, []);
    expect(e).toEqual({ backend: undefined, backendError: undefined, netRead: "auto", netWrite: "auto", netGather: true, pendingDeprecation: false, warnings: [] });
    expect(Object.isFrozen(e)).toBe(true);
    expect(Object.isFrozen(e.warnings)).toBe(true);
    expect(parseEnv({ TASKLET_NET_READ: "", TASKLET_BACKEND: "" }, [])).toEqual(e);
  });

  it("TASKLET_WORKER, set by a primary for its workers: \"<slot>:<port>\" is taken, anything else warned about and ignored", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 0, max: 65535 }), (slot, port) => {
        const e = parseEnv({ TASKLET_WORKER: `${slot}:${port}` }, []);
        expect(e.worker).toEqual({ slot, port });
        expect(e.warnings).toEqual([]);
      }),
      { seed: 21, numRuns: 100 },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 12 }), (v) => {
        fc.pre(!/^(\d{1,6}):(\d{1,5})$/.test(v) || Number(v.split(":")[0]) < 1 || Number(v.split(":")[1]) > 65535);
        const e = parseEnv({ TASKLET_WORKER: v }, []);
        expect(e.worker).toBeUndefined();
        expect(e.warnings).toEqual([`TASKLET_WORKER=${JSON.stringify(v)} is not "<worker number>:<port>" (a tasklet primary sets it for its workers); it is ignored`]);
      }),
      { seed: 22, numRuns: 100 },
    );
  });

  it("known values are taken as they are", () => {
    expect(parseEnv({ TASKLET_BACKEND: "ts", TASKLET_NET_READ: "data", TASKLET_NET_WRITE: "direct", TASKLET_NET_GATHER: "off" }, [])).toMatchObject({
      backend: "ts",
      netRead: "data",
      netWrite: "direct",
      netGather: false,
      warnings: [],
    });
    expect(parseEnv({ TASKLET_BACKEND: "wasm", TASKLET_NET_GATHER: "on" }, []).backend).toBe("wasm");
  });

  it("any unknown value of a socket switch is a warning naming the switch and the value, and the default stands", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(SWITCHES) as (keyof typeof SWITCHES)[])), fc.string({ minLength: 1, maxLength: 12 }), (name, v) => {
        const { key, values } = SWITCHES[name];
        fc.pre(!(values as readonly string[]).includes(v));
        const e = parseEnv({ [name]: v }, []);
        return e[key] === "auto" && e.warnings.length === 1 && e.warnings[0]!.startsWith(`${name}=${JSON.stringify(v)} is not known`);
      }),
      { seed: 18, numRuns: 200 },
    );
    const g = parseEnv({ TASKLET_NET_GATHER: "no" }, []);
    expect(g.netGather).toBe(true);
    expect(g.warnings).toEqual(['TASKLET_NET_GATHER="no" is not known (use "on", "off" or leave it unset); it is ignored']);
  });

  it("an unknown TASKLET_BACKEND is an error kept for the first run, not a warning", () => {
    const e = parseEnv({ TASKLET_BACKEND: "asm" }, []);
    expect(e.backend).toBeUndefined();
    expect(e.backendError).toBe('TASKLET_BACKEND must be "ts" or "wasm", got "asm"');
    expect(e.warnings).toEqual([]);
  });

  it("--pending-deprecation is seen in the arguments, in NODE_OPTIONS and as NODE_PENDING_DEPRECATION=1", () => {
    expect(parseEnv({}, ["--pending-deprecation"]).pendingDeprecation).toBe(true);
    expect(parseEnv({ NODE_OPTIONS: "--max-old-space-size=100 --pending-deprecation" }, []).pendingDeprecation).toBe(true);
    expect(parseEnv({ NODE_PENDING_DEPRECATION: "1" }, []).pendingDeprecation).toBe(true);
    expect(parseEnv({ NODE_PENDING_DEPRECATION: "0" }, ["--trace-warnings"]).pendingDeprecation).toBe(false);
  });
});

describe("ENV, this process", () => {
  it("is frozen", () => {
    expect(Object.isFrozen(ENV)).toBe(true);
  });

  it("a run started with an unknown TASKLET_BACKEND throws naming it; an unknown socket switch warns once on load", () => {
    const script = `
      const { run } = await import(${JSON.stringify(new URL("../../dist/index.js", import.meta.url).href)});
      try { run(function* () {}); console.log("no error"); } catch (e) { console.log(e.name + ": " + e.message); }
    `;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      env: { ...process.env, TASKLET_BACKEND: "asm", TASKLET_NET_READ: "fast" },
      encoding: "utf8",
    });
    expect(r.stdout.trim()).toBe('TypeError: TASKLET_BACKEND must be "ts" or "wasm", got "asm"');
    expect(r.stderr).toContain('TaskletWarning: tasklet: TASKLET_NET_READ="fast" is not known');
    expect(r.stderr.split("TASKLET_NET_READ").length - 1).toBe(1);
  });
});
