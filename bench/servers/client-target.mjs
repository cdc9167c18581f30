// The server bench/client.mjs measures HTTP clients against, in a process
// of its own so that the clients' CPU is measured alone: a raw node:net
// server that answers every request head with a fixed 13-byte response.
//   node bench/servers/client-target.mjs
// Prints "listening <port>". Over IPC it takes {hold: n}: from then on it
// holds the answers until n request heads have arrived, reports {held: n},
// and answers them all when told {release: true}, closing those connections.
import net from "node:net";

const RESPONSE = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!");
let hold = 0;
let held = [];

const server = net.createServer({ noDelay: true }, (s) => {
  s.on("error", () => {});
  let tail = 0; // bytes of "\r\n\r\n" matched at the end of the last read
  s.on("data", (d) => {
    let n = 0;
    for (let i = 0; i < d.length; i++) {
      const c = d[i];
      if (c === (tail & 1 ? 10 : 13)) tail++;
      else tail = c === 13 ? 1 : 0;
      if (tail === 4) {
        n++;
        tail = 0;
      }
    }
    if (n === 0) return;
    if (hold > 0) {
      for (let i = 0; i < n; i++) held.push(s);
      if (held.length === hold) process.send?.({ held: held.length });
      return;
    }
    s.write(n === 1 ? RESPONSE : Buffer.concat(Array(n).fill(RESPONSE)));
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.on("message", (m) => {
  if (m.hold !== undefined) {
    hold = m.hold;
    held = [];
  } else if (m.release) {
    hold = 0;
    // Then closed: the next client's 10,000 sockets must not meet these in the fd limit (fetch keeps its pool open).
    for (const s of new Set(held.splice(0))) if (!s.destroyed) s.end(RESPONSE);
  } else if (m.exit) process.exit(0);
});
// The bench crashed or ended without saying so: do not outlive it.
process.on("disconnect", () => process.exit(0));
