/**
 * When each task of a run was born, without a field or a clock read per
 * spawn: task ids only grow, so the run loop notes, at most once per tick,
 * "the ids from here on were first seen at time t" (only when some task was
 * spawned since its last note), and a task's birth is the last note at or
 * below its id. Good to within a tick, which is all a task dump needs.
 *
 * The log is bounded: when full, the older half is thinned by merging pairs
 * of notes (the earlier time is kept), so old tasks' ages grow coarser, in
 * proportion to their age, and never read younger than they are.
 */

/** Notes kept before the older half is thinned. */
const CAPACITY = 512;

export class BirthLog {
  /** First id of each note, increasing. */
  private ids: number[] = [];
  /** Time (ms of the run's clock) of each note. */
  private times: number[] = [];

  /** Tasks with ids from `firstId` on were first seen at `time`. */
  note(firstId: number, time: number): void {
    this.ids.push(firstId);
    this.times.push(time);
    if (this.ids.length > CAPACITY) this.thin();
  }

  /** When the task with id `id` was first seen by its run loop; NaN when the log has no note for it. */
  bornAt(id: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = ids.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! <= id) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? NaN : this.times[found]!;
  }

  /** Notes held (for tests). */
  get size(): number {
    return this.ids.length;
  }

  /** Merge the notes of the older half pairwise: each pair keeps its first id and its earlier time. */
  private thin(): void {
    const half = this.ids.length >> 1;
    const ids: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < half; i += 2) {
      ids.push(this.ids[i]!);
      times.push(this.times[i]!);
    }
    for (let i = half + (half & 1); i < this.ids.length; i++) {
      ids.push(this.ids[i]!);
      times.push(this.times[i]!);
    }
    this.ids = ids;
    this.times = times;
  }
}
