/**
 * Many WebSockets at once: a chat-like broadcast among a few hundred `ws`
 * clients, one task per connection and a writer child per member fed by a
 * Channel, as examples/ws-chat.mjs does. Every client must get every
 * message exactly once, and when they leave, everything the server opened
 * is closed.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Channel, ChannelClosedError, spawn, upgrade } from "../../src/index.js";
import { COMBOS, bounded, inboxOf, openClient, wsPool } from "./ws-helpers.js";

const pool = wsPool();
afterEach(pool.closeAll);

const CLIENTS = 200;

describe.each(COMBOS)("broadcast among many WebSockets, $parser parser, $backend backend", (combo) => {
  it(`delivers every message to each of ${CLIENTS} clients exactly once, and cleans up when they leave`, async () => {
    const members = new Set<Channel<string>>();
    let joined = 0;
    let finished = 0;
    const s = await pool.start(combo, function* (req) {
      const ws = yield* upgrade(req);
      const outbox = new Channel<string>(4 * CLIENTS, "outbox");
      members.add(outbox);
      joined++;
      spawn(function* writer() {
        try {
          for (;;) yield* ws.send(yield* outbox.recv());
        } catch (e) {
          if (!(e instanceof ChannelClosedError)) throw e;
        }
      });
      try {
        for (let m = yield* ws.receive(); m !== null; m = yield* ws.receive()) {
          for (const o of members) if (!o.trySend(String(m))) throw new Error("an outbox overflowed");
        }
      } finally {
        members.delete(outbox);
        outbox.close();
        finished++;
      }
    });
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => openClient(s.url)));
    await bounded(until(() => joined === CLIENTS), "every member to join", 20_000);
    clients.forEach((c, i) => c.send(`hello from ${i}`));
    const expected = Array.from({ length: CLIENTS }, (_, i) => `hello from ${i}`).sort();
    for (const c of clients) {
      const inbox = inboxOf(c);
      await inbox.until(() => inbox.messages.length >= CLIENTS, "every message", 20_000);
      expect(inbox.messages.map((m) => m.data.toString()).sort()).toEqual(expected);
    }
    for (const c of clients) c.close();
    await Promise.all(clients.map((c) => inboxOf(c).closed(20_000)));
    await bounded(until(() => finished === CLIENTS), "every handler to end", 20_000);
    expect(members.size).toBe(0);
    // No message arrived twice, or late.
    for (const c of clients) expect(inboxOf(c).messages.length).toBe(CLIENTS);
  }, 60_000);
});

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}
