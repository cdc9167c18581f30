// The worker side of offload() (src/offload/worker-pool.ts): the one file
// piscina loads in each worker thread of a WorkerPool. It imports the job's
// module, calls the named export with the job's arguments, and answers with
// an envelope, so that the main thread can tell an error the function threw
// (handed back as it is) from a failure of the pool (wrapped in OffloadError).
// Plain JavaScript: worker threads load it without a compile step, from src/
// under the tests and from dist/ (copied there by tsup.config.ts) otherwise.

/** The job's module namespaces, by URL: imported once per thread. */
const modules = new Map();

async function load(url) {
  let m = modules.get(url);
  if (m === undefined) {
    m = import(url);
    modules.set(url, m);
    m.catch(() => modules.delete(url)); // a failed import is retried by the next job
  }
  return m;
}

/**
 * A job: { url, name, args }. Resolves to [0, value] or [1, error]; a module
 * that cannot be loaded, or a name that is not a function, rejects.
 */
export async function runJob(job) {
  const { url, name, args } = job;
  let ns;
  try {
    ns = await load(url);
  } catch (e) {
    throw new Error(`cannot import ${url} in the worker thread: ${e && e.message ? e.message : String(e)}`);
  }
  const fn = ns[name];
  if (typeof fn !== "function") {
    const names = Object.keys(ns).filter((k) => typeof ns[k] === "function");
    throw new TypeError(
      `${url} has no exported function named ${JSON.stringify(name)} (${typeof fn === "undefined" ? "no such export" : `it is a ${typeof fn}`}; its exported functions: ${names.length === 0 ? "none" : names.join(", ")})`,
    );
  }
  try {
    return [0, await fn(...args)];
  } catch (e) {
    return [1, e];
  }
}
