/**
 * A FIFO of values for Channel and Queue buffers: an array read from a moving
 * head, compacted when the dead prefix is large, so push and shift are O(1)
 * amortized without a ring's fixed size.
 */
/** A const enum, so that the bundler writes the number into `shift` (see Bits in task.ts). */
const enum Compact {
  /** The dead prefix is dropped once it holds at least this many slots and half the array. */
  At = 1024,
}

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  /** Values held; a field rather than a getter, for the channel's hot paths. */
  length = 0;

  push(v: T): void {
    this.items.push(v);
    this.length++;
  }

  /** The oldest value; the caller checks `length > 0` first. */
  shift(): T {
    const v = this.items[this.head]!;
    this.items[this.head++] = undefined as T; // let it be collected
    this.length--;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= Compact.At && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** Drop every value; returns how many there were. */
  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    this.length = 0;
    return n;
  }
}
