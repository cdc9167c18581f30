// Compaction: dropping the dead entries of every chunk list at once. Dead
// entries (disarmed or re-armed timers) are otherwise dropped only when a
// cascade or a firing reaches them; the wheel compacts when they outnumber
// the live ones (wheel.ts, `armTimer`), so the lists never hold more than
// about twice the timers live at the last arm.

import { tagAt } from "../task-table";
import { NO_CHUNK, giveChunk } from "../chunk-pool";
import { CHUNK_ENTRIES, LISTS, countOf, detach, entryAt, freeChunks, headChunk, liveTag, nextChunk, setChunks, setCount, setNext } from "./lists";

/** Drop every list whole: for when no entry is live (everything was disarmed), so no tag needs reading. */
export function dropLists(): void {
  for (let list = 0; list < LISTS; list++) if (headChunk(list) != NO_CHUNK) freeChunks(detach(list));
}

/** Drop every dead entry from every list, keeping the order of the live ones. */
export function compactLists(): void {
  for (let list = 0; list < LISTS; list++) {
    const head = headChunk(list);
    if (head == NO_CHUNK) continue;
    // Entries move toward the head: the write position never passes the read position.
    let w = head;
    let wi = 0;
    for (let c = head; c != NO_CHUNK; c = nextChunk(c)) {
      const k = countOf(c);
      for (let i = 0; i < k; i++) {
        const e = entryAt(c, i);
        const t = tagAt(load<i32>(e));
        if (load<u32>(t) != liveTag(e)) continue;
        if (wi == CHUNK_ENTRIES) {
          setCount(w, CHUNK_ENTRIES);
          w = nextChunk(w);
          wi = 0;
        }
        const to = entryAt(w, wi);
        store<u64>(to, load<u64>(e));
        store<u32>(t, liveTag(to));
        wi++;
      }
    }
    let rest = nextChunk(w);
    setNext(w, NO_CHUNK);
    setCount(w, wi);
    while (rest != NO_CHUNK) {
      const next = nextChunk(rest);
      giveChunk(rest);
      rest = next;
    }
    if (wi == 0) {
      // w is the head: nothing live is left in this list.
      giveChunk(detach(list));
    } else setChunks(list, head, w);
  }
}
