/** select: wait until exactly one of several channel operations takes effect. */
import { RecvOp, SendOp } from "./channel.js";
import { currentTask } from "../runtime/current.js";
import { wake, wakeThrow } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { Suspend, type WaitList } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { Waiter } from "../runtime/waiter.js";

/** A case of {@link select}: `ch.recv()` or `ch.send(value)`. */
export type SelectCase = RecvOp<any> | SendOp<any>;

/** Which case of a {@link select} took effect, and the value it received (undefined for a send). */
export type SelectResult<C extends readonly SelectCase[]> = {
  [I in keyof C]: { index: I extends `${infer N extends number}` ? N : number; value: C[I] extends RecvOp<infer T> ? T : undefined };
}[number];

class CaseWaiter extends Waiter {
  constructor(
    readonly sel: SelectSuspend,
    readonly index: number,
    /** The channel queue it waits in. */
    readonly list: WaitList,
  ) {
    super();
  }
  fire(ok: boolean, value: unknown): void {
    this.sel.fire(this.index, ok, value);
  }
}

/** The park of one select: a waiter in the queue of every channel it names. */
class SelectSuspend extends Suspend {
  readonly nodes: CaseWaiter[] = [];
  constructor(
    private readonly task: Task,
    private readonly cases: readonly SelectCase[],
  ) {
    super();
  }
  fire(index: number, ok: boolean, value: unknown): void {
    this.abandon();
    if (ok) wake(this.task, { index, value });
    else wakeThrow(this.task, value);
  }
  abandon(): void {
    for (const n of this.nodes) if (n.list.holds(n)) n.list.remove(n);
  }
  describe(): string {
    return `select over ${this.cases.map((c) => (c instanceof RecvOp ? `recv on ${c.channel.name}` : `send on ${c.channel.name}`)).join(", ")}`;
  }
}

class SelectOp<C extends readonly SelectCase[]> extends Op<SelectResult<C>> {
  constructor(private readonly cases: C) {
    super();
  }
  protected begin(): IteratorResult<Instruction, SelectResult<C>> {
    const cases = this.cases;
    // First pass: the first case (in argument order) that can complete now wins.
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const ch = c.channel;
      if (c instanceof RecvOp) {
        if (ch.ready()) return this.ok({ index: i, value: ch.take() } as SelectResult<C>);
        if (ch.closed) throw ch.closedForRecv();
      } else {
        if (ch.closed) throw ch.closedForSend();
        if (ch.offer(c.payload)) return this.ok({ index: i, value: undefined } as SelectResult<C>);
      }
    }
    // None can: wait on all of them; the first to complete removes the others.
    const me = currentTask("select");
    const sel = new SelectSuspend(me, cases);
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const recv = c instanceof RecvOp;
      const node = new CaseWaiter(sel, i, recv ? c.channel.recvq : c.channel.sendq);
      sel.nodes.push(node);
      if (!recv) node._val = c.payload;
      node.list.push(node);
    }
    return this.wait(sel);
  }
  protected clone(): Op<SelectResult<C>> {
    return new SelectOp(this.cases);
  }
}

/**
 * Wait until exactly one of several channel operations takes effect, like
 * Go's `select`, and return which one (`index`, in argument order) and the
 * value received (undefined for a send). The others have no effect. When
 * several can complete at once, the first in argument order wins (Go picks at
 * random; tasklet stays deterministic). A receive on a closed, drained channel
 * or a send on a closed channel throws `ChannelClosedError`.
 *
 * Combine with `withTimeout` for a timeout case.
 *
 * @example
 * const r = yield* select(jobs.recv(), quit.recv());
 * if (r.index === 0) handle(r.value); else return;
 */
export function select<C extends SelectCase[]>(...cases: C): Operation<SelectResult<C>> {
  if (cases.length === 0) throw new TypeError("select() needs at least one case: ch.recv() or ch.send(value)");
  cases.forEach((c, i) => {
    if (!(c instanceof RecvOp) && !(c instanceof SendOp)) {
      throw new TypeError(`select(): case ${i} is not ch.recv() or ch.send(value)`);
    }
  });
  return new SelectOp(cases);
}
