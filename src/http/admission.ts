/**
 * Admission control of the HTTP server, SEDA's lesson (Welsh et al., 2001):
 * under overload, refuse early and cheaply instead of slowing every request
 * down. At most `maxConcurrentRequests` handlers run at once across all
 * connections; up to `maxQueuedRequests` more requests wait for a slot in
 * FIFO order; the rest are answered `503 Service Unavailable` with
 * `Retry-After`, without their handler running. A handler that burns CPU
 * without yielding ends within its step, so it never holds a slot while
 * another request is examined: for such servers `maxQueueDelay` sheds by
 * time instead, a request whose connection task started (was woken for its
 * bytes) longer ago than that, i.e. one that sat behind other work in the
 * scheduler's queue (CoDel's idea, on the queueing delay rather than its
 * length). The check sits in the
 * connection task where it takes the next parsed request (connection.ts),
 * so a shed request costs its parse and one prepared answer, and responses
 * on a connection still leave in request order.
 */
import { currentTask } from "../runtime/current.js";
import { wake } from "../runtime/kernel.js";
import { Op } from "../runtime/op.js";
import { WaitList, type WaitNode } from "../runtime/suspend.js";
import type { Task } from "../runtime/task.js";
import type { Instruction, Operation } from "../runtime/types.js";
import { OverloadedError } from "../sync/stage.js";

/**
 * A server's request figures, from `server.stats()`. The request counts are
 * kept only with admission control on (`maxConcurrentRequests` or
 * `maxQueueDelay`); without it they stay 0.
 */
export interface ServerStats {
  /** Connections open now (served or idle). */
  readonly connections: number;
  /** Handlers running now. */
  readonly running: number;
  /** Requests waiting for a handler slot. */
  readonly queued: number;
  /** Requests whose handler was started, since the server started. */
  readonly admitted: number;
  /** Requests answered 503 without their handler running, since the server started. */
  readonly shed: number;
}

/** What the server's options say about admission, resolved. */
export interface AdmissionLimits {
  readonly maxConcurrentRequests: number;
  readonly maxQueuedRequests: number;
  readonly retryAfter: number;
  readonly maxShedBody: number;
  readonly maxQueueDelay: number;
}

/** @internal The admission state shared by a server's connections. */
export class Admission {
  running = 0;
  queued = 0;
  admitted = 0;
  shed = 0;
  readonly maxQueued: number;
  readonly maxShedBody: number;
  /** ms a request may wait for its connection task's turn (see ServeOptions.maxQueueDelay); Infinity: no limit. */
  readonly maxDelay: number;
  private readonly maxRunning: number;
  /** @internal Connection tasks waiting for a slot, oldest first. */
  readonly waiters: AdmissionQueue;
  /** The three answers, made once: closing, keep-alive (HTTP/1.1), keep-alive (HTTP/1.0). */
  readonly closing: string;
  readonly kept11: string;
  readonly kept10: string;

  constructor(
    limits: AdmissionLimits,
    private readonly who: string,
  ) {
    this.maxRunning = limits.maxConcurrentRequests;
    this.waiters = new AdmissionQueue(this);
    this.maxQueued = limits.maxQueuedRequests;
    this.maxShedBody = limits.maxShedBody;
    this.maxDelay = limits.maxQueueDelay;
    const head = `HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${limits.retryAfter}\r\nContent-Length: 0\r\n`;
    this.closing = `${head}Connection: close\r\n\r\n`;
    this.kept11 = `${head}\r\n`;
    this.kept10 = `${head}Connection: keep-alive\r\n\r\n`;
  }

  /** Take a slot if one is free now and nobody waits for one. */
  tryEnter(): boolean {
    // A free slot means nobody waits: a leaving handler hands its slot straight to the oldest waiter.
    if (this.running >= this.maxRunning) return false;
    this.running++;
    this.admitted++;
    return true;
  }

  /** Whether a request that found no slot may wait for one. */
  canQueue(): boolean {
    return this.queued < this.maxQueued;
  }

  /** Wait in the queue for a slot (cancellable: a task cancelled while waiting leaves the queue). */
  enter(): Operation<void> {
    return new EnterOp(this);
  }

  /**
   * A handler is done: its slot goes straight to the oldest waiter (which
   * leaves the queue now, so a request examined next sees the queue as it
   * is), else it is freed.
   */
  leave(): void {
    const next = this.waiters.shift();
    if (next === null) {
      this.running--;
      return;
    }
    this.queued--;
    this.admitted++;
    wake(next as Task, undefined);
  }

  /** What a shed request is reported with on `tasklet:http:error` (phase "overload"). */
  error(): OverloadedError {
    return new OverloadedError(
      `${this.who}: overloaded (${this.running} requests running, ${this.queued} queued); answered 503 without running the handler`,
      this.who,
      this.queued,
      this.running,
    );
  }
}

/** The queue of an Admission: a WaitList whose count is kept, also when a waiter is cancelled. */
class AdmissionQueue extends WaitList {
  constructor(private readonly gate: Admission) {
    super(() => `a request slot (${gate.running} running, ${gate.queued} queued)`);
  }
  override abandon(task: WaitNode): void {
    if (this.holds(task)) {
      this.remove(task);
      this.gate.queued--;
    }
  }
}

class EnterOp extends Op<void> {
  constructor(private readonly gate: Admission) {
    super();
  }
  protected begin(): IteratorResult<Instruction, void> {
    const me = currentTask("admission");
    this.gate.waiters.push(me);
    this.gate.queued++;
    return this.wait(this.gate.waiters);
  }
  protected clone(): Op<void> {
    return new EnterOp(this.gate);
  }
  protected override resumed(): void {}
}
