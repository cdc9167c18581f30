/**
 * upgrade()'s options: each bad value is refused before the handshake with
 * an error that names the key, what was expected and what was passed; good
 * ones resolve to the documented defaults. Pure (no socket): the options
 * are checked by resolveUpgrade, which upgrade() calls first.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_DEFLATE_THRESHOLD, DEFAULT_MAX_MESSAGE, resolveUpgrade } from "../../src/ws/ws-options.js";
import { boundedReason, validWireCode } from "../../src/ws/frames.js";

describe("upgrade() options", () => {
  it("resolves the defaults: 1 MiB messages, frames as large, 5 s close timeout, no idle limit, no heartbeat, no deflate", () => {
    const c = resolveUpgrade(undefined);
    expect(c).toMatchObject({ maxMessageSize: DEFAULT_MAX_MESSAGE, maxFrameSize: DEFAULT_MAX_MESSAGE, closeTimeout: DEFAULT_CLOSE_TIMEOUT, idleTimeout: Infinity, heartbeat: null, deflate: null });
    expect(DEFAULT_MAX_MESSAGE).toBe(1 << 20);
    expect(Object.isFrozen(c)).toBe(true);
    expect(resolveUpgrade({ maxMessageSize: 0 }).maxFrameSize).toBe(Infinity);
    expect(resolveUpgrade({ maxMessageSize: 500 }).maxFrameSize).toBe(500);
    expect(resolveUpgrade({ perMessageDeflate: true }).deflate).toEqual({ serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, threshold: DEFAULT_DEFLATE_THRESHOLD });
  });

  it("refuses bad values, naming the key", () => {
    const cases: [unknown, RegExp][] = [
      [{ maxMesageSize: 5 }, /unknown option "maxMesageSize" \(did you mean maxMessageSize\?\)/],
      [{ maxMessageSize: -1 }, /maxMessageSize must be a number of bytes >= 0 \(0: no limit\), got -1/],
      [{ closeTimeout: "1s" }, /closeTimeout must be a number of ms >= 0, got "1s" \(a string\)/],
      [{ protocols: "chat" }, /protocols must be an array of subprotocol names or a function/],
      [{ protocols: ["a b"] }, /protocols: "a b" is not a valid subprotocol name/],
      [{ origin: 3 }, /origin must be an array of allowed Origin values or a function/],
      [{ perMessageDeflate: "yes" }, /perMessageDeflate must be true, false or an object of settings/],
      [{ perMessageDeflate: { serverMaxWindowBits: 8 } }, /serverMaxWindowBits must be a whole number from 9 to 15, got 8/],
      [{ perMessageDeflate: { clientMaxWindowBits: 16 } }, /clientMaxWindowBits must be a whole number from 8 to 15, got 16/],
      [{ perMessageDeflate: { level: 9 } }, /unknown option "level"/],
      [{ heartbeat: 1000 }, /heartbeat must be an object \{ interval, timeout \}/],
      [{ heartbeat: { interval: 1000 } }, /timeout must be a number of ms >= 1, got undefined/],
      ["fast", /options must be an object, got "fast" \(a string\)/],
    ];
    for (const [options, message] of cases) {
      expect(() => resolveUpgrade(options as never), JSON.stringify(options)).toThrow(message);
    }
  });
});

describe("close codes and reasons", () => {
  it("a code is valid on the wire exactly in 1000-1003, 1007-1014 and 3000-4999", () => {
    fc.assert(
      fc.property(fc.integer({ min: -10, max: 70_000 }), (code) => {
        const model = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014].includes(code) || (code >= 3000 && code <= 4999);
        expect(validWireCode(code)).toBe(model);
      }),
    );
  });

  it("a reason made by the server is cut to 123 UTF-8 bytes on a character boundary", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (r) => {
        const b = boundedReason(r);
        expect(Buffer.byteLength(b)).toBeLessThanOrEqual(123);
        expect(r.startsWith(b)).toBe(true);
        if (Buffer.byteLength(r) <= 123) expect(b).toBe(r);
      }),
    );
  });
});
