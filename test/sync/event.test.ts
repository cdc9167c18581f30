import { describe, expect, it } from "vitest";
import { Event, sleep, spawn } from "../../src/index.js";
import { BACKENDS, makeLog, vrun } from "../support/helpers.js";

describe.each(BACKENDS)("Event on the %s backend", (backend) => {
  it("wakes every waiter on set; wait returns at once while set; clear resets", async () => {
    const log = makeLog();
    await vrun(backend, function* () {
      const ev = new Event();
      const ws = [1, 2, 3].map((i) =>
        spawn(function* () {
          yield* ev.wait();
          log.add(`w${i}`);
        }),
      );
      yield* sleep(5);
      log.add(`isSet ${ev.isSet()}`);
      ev.set();
      for (const w of ws) yield* w;
      yield* ev.wait(); // already set
      log.add("passed while set");
      ev.clear();
      log.add(`isSet ${ev.isSet()}`);
    });
    expect(log).toEqual(["isSet false", "w1", "w2", "w3", "passed while set", "isSet false"]);
  });
});
