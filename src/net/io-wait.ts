/**
 * IoWait: how listen and connect park a task until node:net reports that
 * the socket is bound or connected.
 */
import { currentTask } from "../runtime/current.js";
import { wake, wakeThrow } from "../runtime/kernel.js";
import { Suspend } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction } from "../runtime/types.js";

/**
 * A one-shot park on a socket event (listening, connected). External: the
 * virtual clock stays still and no deadlock is declared while it waits.
 * `undo` is the teardown run when the wait ends another way (cancelled, timed
 * out): it closes what was being opened (STYLE item 2).
 */
export class IoWait extends Suspend {
  override external = true;
  private task: Task | null = null;

  constructor(
    private readonly what: string,
    private readonly undo: () => void,
  ) {
    super();
  }

  /** Register the current task; `yield` the result (the resume value is the outcome). */
  park(op: string): Instruction {
    this.task = currentTask(op);
    return this;
  }

  resolve(value: unknown): void {
    const t = this.task;
    if (t === null || t._wait !== this) return; // gave up meanwhile
    this.task = null;
    wake(t, value);
  }

  reject(error: unknown): void {
    const t = this.task;
    if (t === null || t._wait !== this) return;
    this.task = null;
    wakeThrow(t, error);
  }

  abandon(task: Task): void {
    if (this.task !== task) return;
    this.task = null;
    this.undo();
  }

  describe(): string {
    return this.what;
  }
}
