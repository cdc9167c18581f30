import { describe, expect, it } from "vitest";
import { Lock, sleep, spawn, yieldNow } from "../../src/index.js";
import { BACKENDS, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("Lock on the %s backend", (backend) => {
  it("Lock serializes critical sections", async () => {
    const r = await vrun(backend, function* () {
      const lock = new Lock();
      let balance = 0;
      const ts = Array.from({ length: 20 }, () =>
        spawn(function* () {
          yield* lock.withLock(function* () {
            const read = balance;
            yield* sleep(1); // another task would interleave here without the lock
            balance = read + 1;
          });
        }),
      );
      yield* yieldNow();
      const lockedMidway = lock.locked;
      for (const t of ts) yield* t;
      return { balance, lockedMidway, lockedAfter: lock.locked, tried: lock.tryAcquire() };
    });
    expect(r).toEqual({ balance: 20, lockedMidway: true, lockedAfter: false, tried: true });
  });
});
