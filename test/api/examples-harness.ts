/**
 * The public API as the runnable copies of the JSDoc examples see it
 * (test/api/examples.test.ts): everything from src/index.ts, with the
 * functions that start something (run, spawn outside a task, serve,
 * startTcpServer) wrapped to record what they started, so that the test can
 * wait for it, then close or cancel what is still going.
 */
import * as api from "../../src/index.js";

export * from "../../src/index.js";

/** What the example now running started. */
export const started = {
  roots: [] as api.Task<unknown>[],
  servers: [] as api.Server[],
  tcpServers: [] as Promise<api.TcpServer>[],
  /** What the example printed with console.log/error (kept out of the test's output). */
  logs: [] as unknown[][],
};

export function resetStarted(): void {
  started.roots.length = 0;
  started.servers.length = 0;
  started.tcpServers.length = 0;
  started.logs.length = 0;
}

export const run: typeof api.run = (body, options) => {
  const t = api.run(body, options);
  started.roots.push(t as api.Task<unknown>);
  return t;
};

export const spawn: typeof api.spawn = (body, options) => {
  const t = api.spawn(body, options);
  if (t.parent === undefined) started.roots.push(t as api.Task<unknown>);
  return t;
};

export const serve: typeof api.serve = (options, handler) => {
  const s = api.serve(options, handler);
  started.servers.push(s);
  return s;
};

export const startTcpServer: typeof api.startTcpServer = (options, handler) => {
  const p = api.startTcpServer(options, handler);
  started.tcpServers.push(p);
  return p;
};

/** Stands in for `console` in a runnable example. */
export const exampleConsole = {
  log: (...args: unknown[]): void => void started.logs.push(args),
  error: (...args: unknown[]): void => void started.logs.push(args),
};
