// Seeing inside a running program: start a few tasks that wait on different
// things (a timer, a channel, a socket read, a child they join), then print
// the live task tree with printTasks(): each task's id, name, state, what it
// waits on, its age, and where it was spawned (the run has traceSpawns on).
// Then everything is stopped and the process exits by itself.
//
//   node examples/task-dump.mjs
//
// In a program of your own, set TASKLET_DUMP_ON to a signal to get the same
// tree on stderr whenever the process receives it (gevent's print_run_info,
// Go's SIGQUIT dump); the listener exists only while a run is active:
//
//   TASKLET_DUMP_ON=SIGUSR2 node examples/task-dump.mjs --wait &
//   kill -USR2 $!        # prints the tree; --wait keeps the tasks up for 30 s
import { Channel, connect, dumpTasks, listen, printTasks, run, sleep, spawn } from "../dist/index.js";
import { parseCli } from "../scripts/_args.mjs";

const { values } = parseCli({
  name: "task-dump",
  usage: "node examples/task-dump.mjs [--wait]",
  options: { wait: { type: "boolean", help: "keep the tasks up for 30 s (to try TASKLET_DUMP_ON)" } },
});
const wait = values.wait === true;

await run(
  function* main() {
    const listener = yield* listen({ port: 0 });
    const jobs = new Channel(0, "jobs");

    const ticker = spawn(function* ticker() {
      for (;;) yield* sleep(wait ? 30_000 : 5_000);
    });
    const worker = spawn(function* worker() {
      for (;;) {
        const job = yield* jobs.recv();
        console.log(`worker got ${job}`);
      }
    });
    const client = spawn(function* client() {
      const conn = yield* connect({ port: listener.port });
      try {
        yield* conn.read(); // the server never writes: parked on the socket
      } finally {
        conn.close();
      }
    });
    const supervisor = spawn(function* supervisor() {
      const batch = spawn(function* batch() {
        yield* sleep(60_000);
      });
      yield* batch;
    });
    const peer = yield* listener.accept();

    // Let every task reach its wait, then look.
    yield* sleep(10);
    if (wait) console.log(`pid ${process.pid}: kill -USR2 ${process.pid} prints the tree (with TASKLET_DUMP_ON=SIGUSR2)`);
    printTasks(process.stdout);
    const parked = dumpTasks()
      .flatMap(function walk(t) {
        return [t, ...t.children.flatMap(walk)];
      })
      .filter((t) => t.state === "parked").length;
    console.log(`${parked} tasks parked`);
    if (wait) yield* sleep(30_000);

    for (const t of [ticker, worker, client, supervisor]) t.cancel();
    peer.close();
    listener.close();
  },
  { traceSpawns: true },
);
