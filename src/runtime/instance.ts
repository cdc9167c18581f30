/**
 * The other copies of tasklet loaded in this process: the ESM and the CJS
 * build both loaded (one through `import`, one through `require`), or two
 * versions installed side by side. Each copy has its own scheduler state and
 * its own classes (Task, Suspend, the errors), so a task of one copy cannot
 * run the operations of another. Rather than share state between mismatched
 * classes, each copy registers itself in a registry on `globalThis`, and the
 * error paths that such a mix reaches (an operation finding no current task,
 * spawn outside a task, a task yielding an unknown instruction) ask here
 * whether another copy's task is running, to say so plainly. Nothing here
 * runs on a hot path.
 *
 * The registry is `globalThis[Symbol.for("tasklet.copies")]`, an array of
 * `CopyRecord`: other versions read it, so its shape only ever grows.
 */
import { TaskletError } from "./errors.js";
import { YIELD } from "./instruction.js";
import { Suspend } from "./suspend.js";

/** What one copy tells the others about itself (version 1 of the shape). */
interface CopyRecord {
  readonly v: 1;
  /** The module URL of the copy (its dist/index.js or dist/index.cjs). */
  readonly url: string;
  readonly version: string;
  /** The name of the task this copy is running right now, or null. */
  running(): string | null;
  /** Whether `x` is an instruction of this copy (something its operations yield). */
  owns(x: unknown): boolean;
}

/** Set by the build (tsup `define`); undefined when the sources run as they are (tests). */
declare const __TASKLET_VERSION__: string | undefined;

const KEY = Symbol.for("tasklet.copies");
let self: CopyRecord | null = null;

/** @internal Adds this copy to the registry; `running` gives the task this copy runs now. Called once, by current.ts. */
export function registerCopy(running: () => { readonly name: string } | null): void {
  if (self !== null) return;
  const g = globalThis as unknown as Record<symbol, CopyRecord[] | undefined>;
  const list = (g[KEY] ??= []);
  self = {
    v: 1,
    url: import.meta.url,
    version: typeof __TASKLET_VERSION__ === "string" ? __TASKLET_VERSION__ : "source",
    running: () => running()?.name ?? null,
    owns: (x) => x === YIELD || x instanceof Suspend,
  };
  list.push(self);
}

function others(): CopyRecord[] {
  const list = (globalThis as unknown as Record<symbol, CopyRecord[] | undefined>)[KEY];
  if (list === undefined || list.length < 2) return [];
  return list.filter((r) => r !== self && typeof r?.running === "function" && typeof r.owns === "function");
}

function describeCopy(r: CopyRecord): string {
  const kind = r.url.endsWith(".cjs") ? "the CommonJS build" : /\.m?js$/.test(r.url) ? "the ESM build" : "the sources";
  return `${kind} at ${r.url} (version ${r.version})`;
}

function mixError(first: string): TaskletError {
  return new TaskletError(
    `${first}: two copies of tasklet are loaded in this process ` +
      `(usually the ESM build through \`import\` and the CommonJS build through \`require\`, or two versions installed side by side). ` +
      `Each copy has its own scheduler, and its tasks, channels and operations work only in its own tasks: ` +
      `load tasklet one way (only \`import\` or only \`require\`), and keep one version (\`npm ls tasklet\`).`,
  );
}

/**
 * @internal The error for `what` (e.g. "sleep()") called while a task of
 * another copy is running, or null when no other copy is running a task.
 */
export function otherCopyError(what: string): TaskletError | null {
  for (const r of others()) {
    const task = r.running();
    if (task !== null) return mixError(`${what} of ${describeCopy(self!)} was called inside task ${task} of ${describeCopy(r)}`);
  }
  return null;
}

/**
 * @internal The error for task `task` of this copy yielding `ins`, an
 * instruction of another copy (it joined a task of that copy or ran one of
 * its operations), or null when `ins` belongs to no other copy.
 */
export function foreignInstructionError(task: string, ins: unknown): TaskletError | null {
  for (const r of others()) {
    if (r.owns(ins)) return mixError(`task ${task} of ${describeCopy(self!)} used an operation or joined a task of ${describeCopy(r)}`);
  }
  return null;
}
