// An open-loop HTTP load (wrk2's idea, after Gil Tene on coordinated
// omission): requests leave on a fixed schedule, `rate` per second, whether
// or not earlier ones were answered. Each goes on an idle keep-alive
// connection or, when none is idle, on a new one; latency is measured from
// the request's scheduled time, so a stalled server is charged for the
// requests it kept waiting.
//   node bench/clients/open-loop.mjs <port> <rate per s> <seconds> [grace s]
// Prints one JSON line: counts by outcome, latencies (ms) of the 2xx
// answers (all, and those sent in the last second), the p99 with the
// unanswered requests counted as what they waited until the end, and its
// own CPU share.
import net from "node:net";

const [port, rate, seconds, graceArg = "3"] = process.argv.slice(2).map(Number);
const REQUEST = Buffer.from("GET /work HTTP/1.1\r\nHost: bench\r\n\r\n");
const MAX_SOCKETS = 4000;

const idle = [];
let open = 0;
const counts = { sent: 0, ok: 0, shed: 0, other: 0, errors: 0, unanswered: 0, sockets: 0 };
/** [scheduled time, latency ms] of each 2xx answer. */
const okLat = [];
const pending = new Set();

function newSocket() {
  const s = net.connect(port, "127.0.0.1");
  s.setNoDelay(true);
  open++;
  counts.sockets++;
  s.buf = "";
  s.cur = null;
  s.on("data", (d) => {
    s.buf += d.toString("latin1");
    for (;;) {
      const end = s.buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = s.buf.slice(0, end);
      const m = /content-length: *(\d+)/i.exec(head);
      const len = m ? Number(m[1]) : 0;
      if (s.buf.length < end + 4 + len) return;
      s.buf = s.buf.slice(end + 4 + len);
      const status = Number(head.slice(9, 12));
      const req = s.cur;
      s.cur = null;
      if (req === null) continue;
      pending.delete(req);
      const lat = performance.now() - req.at;
      if (status >= 200 && status < 300) {
        counts.ok++;
        okLat.push([req.at, lat]);
      } else if (status === 503) counts.shed++;
      else counts.other++;
      if (/connection: *close/i.test(head)) s.destroy();
      else idle.push(s);
    }
  });
  const gone = () => {
    if (s.gone) return;
    s.gone = true;
    open--;
    const i = idle.indexOf(s);
    if (i >= 0) idle.splice(i, 1);
    if (s.cur !== null) {
      pending.delete(s.cur);
      counts.errors++;
      s.cur = null;
    }
  };
  s.on("error", gone);
  s.on("close", gone);
  return s;
}

function send(at) {
  counts.sent++;
  let s = idle.pop();
  while (s !== undefined && s.gone) s = idle.pop();
  if (s === undefined) {
    if (open >= MAX_SOCKETS) {
      counts.errors++;
      return;
    }
    s = newSocket();
  }
  const req = { at };
  s.cur = req;
  pending.add(req);
  s.write(REQUEST);
}

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const total = Math.round(rate * seconds);
let next = 0;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    while (next < total && t0 + (next * 1000) / rate <= now) {
      send(t0 + (next * 1000) / rate);
      next++;
    }
    if (next < total) setTimeout(tick, Math.max(0, t0 + (next * 1000) / rate - performance.now()));
    else resolve();
  };
  tick();
});
const sentEnd = performance.now();
// Answers to requests already sent may still come during the grace time.
while (pending.size > 0 && performance.now() - sentEnd < graceArg * 1000) await new Promise((r) => setTimeout(r, 10));
counts.unanswered = pending.size;
// What an unanswered request has waited so far: a lower bound of its latency.
const stopAt = performance.now();
const waited = [...pending].map((r) => stopAt - r.at);
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - t0;

function pct(xs, q) {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}
const all = okLat.map((x) => x[1]);
const lastSecond = okLat.filter((x) => x[0] >= t0 + (seconds - 1) * 1000).map((x) => x[1]);
process.stdout.write(
  JSON.stringify({
    ...counts,
    goodput: counts.ok / seconds,
    p50: pct(all, 0.5),
    p99: pct(all, 0.99),
    // Served and unanswered together (an unanswered one counted as what it waited until the end): what a client sees.
    p99all: pct([...all, ...waited], 0.99),
    // Served requests sent in the last second of the run: a queue without bound makes this the largest.
    p99last: pct(lastSecond, 0.99),
    cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
  }) + "\n",
);
process.exit(0);
