/**
 * tasklet: green threads for Node.js. Tasks are generator functions driven by
 * tasklet's own scheduler, whose core runs in WebAssembly or in TypeScript.
 *
 * This file is the public API and nothing else.
 *
 * @example
 * import { run, spawn, sleep } from "tasklet";
 * await run(function* () {
 *   const child = spawn(function* () { yield* sleep(10); return "hi"; });
 *   console.log(yield* child);
 * });
 */
export { run, spawn, current } from "./run.js";
export { Task } from "./task.js";
export { sleep, yieldNow } from "./sleep.js";
export { call } from "./call.js";
export { withTimeout, all, race } from "./combinators.js";
export { select, type SelectCase, type SelectResult } from "./select.js";
export { Channel, type TryRecvResult, type RecvOp, type SendOp } from "./channel.js";
export { Queue } from "./queue.js";
export { Event } from "./event.js";
export { Semaphore, Lock } from "./semaphore.js";
export { Pool } from "./pool.js";
export { TaskletError, TimeoutError, CancelledError, ChannelClosedError, DeadlockError, type StuckTask } from "./errors.js";
export { defaultBackend } from "./core/backend.js";
export type {
  Operation,
  OperationResult,
  Instruction,
  Body,
  BackendName,
  ClockKind,
  RunOptions,
  SpawnOptions,
  TaskStateName,
} from "./types.js";

// Green sockets
export { listen, Listener, type ListenOptions } from "./net/listener.js";
export { connect, type ConnectOptions } from "./net/connect.js";
export { Conn, READ_HIGH_WATER, CLOSE_LINGER_MS } from "./net/conn.js";
export {
  serveTcp,
  startTcpServer,
  TcpServer,
  type ConnHandler,
  type ServeTcpOptions,
  type StartTcpServerOptions,
  type CloseOptions,
} from "./net/serve-tcp.js";
export { NetError, NetErrorCode, type NetErrorCodeName } from "./net/errors.js";
