// A Stackless/Go-style channel pipeline: the concurrent prime sieve.
// A generator task sends 2, 3, 4, ... down a channel; each prime found adds a
// filter task to the chain that drops the multiples of that prime. Every
// stage is plain sequential code talking over unbuffered channels.
//
//   node examples/pipeline.mjs [count=100]
import { Channel, run, spawn } from "../dist/index.js";
import { intArg, parseCli } from "../scripts/_args.mjs";

const { positionals } = parseCli({ name: "pipeline", usage: "node examples/pipeline.mjs [count=100]", positionals: 1 });
const COUNT = intArg("pipeline", "count", positionals[0] ?? "100", { min: 1 });

function* generate(out) {
  for (let i = 2; ; i++) yield* out.send(i);
}

function* filter(input, out, prime) {
  for (;;) {
    const n = yield* input.recv();
    if (n % prime !== 0) yield* out.send(n);
  }
}

const started = performance.now();
const primes = await run(function* sieve() {
  let ch = new Channel();
  const first = ch;
  spawn(() => generate(first), { name: "generate" });
  const found = [];
  for (let i = 0; i < COUNT; i++) {
    const prime = yield* ch.recv();
    found.push(prime);
    // A body runs when its task first does, so give it the channels as they
    // are now (a const), not the variable `ch` that the loop moves on.
    const input = ch;
    const output = new Channel();
    spawn(() => filter(input, output, prime), { name: `filter(${prime})` });
    ch = output;
  }
  return found; // returning cancels the generator and every filter
});
console.log(primes.join(" "));
console.log(`${COUNT} primes through a chain of ${COUNT} filter tasks in ${(performance.now() - started).toFixed(0)} ms`);
