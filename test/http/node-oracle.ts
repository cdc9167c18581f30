/**
 * Node's own HTTP parser as an oracle, through a real node:http server on
 * 127.0.0.1 (strict parser: insecureHTTPParser false). `send(bytes)` opens a
 * raw socket, writes the bytes, half-closes, and resolves with what the
 * server saw on that connection: each request's method, url, raw headers,
 * body (as test/http/http-observe.ts shows it) and trailers, the upgrade hand-off
 * if any, and the error node rejected the stream with (its clientError
 * event; without a listener node would answer 400 and close).
 *
 * Host is not required here (requireHostHeader false): tasklet's rule is the
 * same (RFC 9112 §3.2) and is tested elsewhere, so the comparison runs
 * tasklet with requireHost off too and looks at everything else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { bodyText, type ObservedMessage } from "./http-observe.js";

/** One request as node:http parsed it, in the shape our parsers' observations take, so the two compare field by field. */
export type NodeMessage = ObservedMessage;

export interface NodeVerdict {
  messages: NodeMessage[];
  /** node's error code (e.g. HPE_INVALID_HEADER_TOKEN), or null. HPE_INVALID_EOF_STATE means "cut short at the end". */
  error: string | null;
  /** Offset in the input where the other protocol starts, after an upgrade or CONNECT. */
  upgradeAt: number | null;
  /** No verdict within CASE_TIMEOUT_MS (node neither finished nor closed). */
  timedOut: boolean;
}

/** A connection that has not closed by then is reported as timed out (a hang is a finding, not a test stall). */
const CASE_TIMEOUT_MS = 5000;

interface Slot {
  verdict: NodeVerdict;
  done: Promise<void>;
  resolve: () => void;
}

const pairs = (raw: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
};

export class NodeOracle {
  private readonly slots = new Map<number, Slot>();
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  /** Start the oracle's server on a free loopback port. */
  static async start(): Promise<NodeOracle> {
    const server = createServer({ insecureHTTPParser: false, requireHostHeader: false });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const oracle = new NodeOracle(server, (server.address() as AddressInfo).port);
    oracle.wire();
    return oracle;
  }

  /** The slot of the client connection whose local port is `port` (made by whichever side comes first). */
  private slot(port: number): Slot {
    let s = this.slots.get(port);
    if (s === undefined) {
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      s = { verdict: { messages: [], error: null, upgradeAt: null, timedOut: false }, done, resolve };
      this.slots.set(port, s);
    }
    return s;
  }

  private wire(): void {
    const server = this.server;
    server.on("connection", (sock: Socket) => {
      const s = this.slot(sock.remotePort!);
      this.sockets.add(sock);
      sock.on("close", () => {
        this.sockets.delete(sock);
        s.resolve();
      });
    });
    const record = (req: IncomingMessage, upgrade: boolean): NodeMessage => {
      const m: NodeMessage = { method: req.method!, target: req.url!, version: req.httpVersion, headers: pairs(req.rawHeaders), body: "", trailers: null, complete: false, upgrade };
      this.slot(req.socket.remotePort!).verdict.messages.push(m);
      return m;
    };
    const onRequest = (req: IncomingMessage, _res: ServerResponse) => {
      const m = record(req, false);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => {
        // Kept up to date: a message cut short at the end never emits 'end'.
        chunks.push(c);
        m.body = bodyText(Buffer.concat(chunks));
      });
      req.on("end", () => {
        m.trailers = req.rawTrailers.length === 0 ? null : pairs(req.rawTrailers);
        m.complete = true;
      });
      req.on("error", () => {}); // aborted by our half-close: the message stays incomplete
      // No response: what is compared is what node parsed, and the client's half-close ends the connection.
    };
    server.on("request", onRequest);
    // Without these listeners node answers by itself (100/417) or drops the socket; the request was parsed all the same.
    server.on("checkContinue", onRequest);
    server.on("checkExpectation", onRequest);
    const onUpgrade = (req: IncomingMessage, sock: Socket, head: Buffer) => {
      const m = record(req, true);
      m.complete = true;
      // Bytes node read so far, less those it hands over: where the other protocol starts.
      this.slot(sock.remotePort!).verdict.upgradeAt = sock.bytesRead - head.length;
      sock.destroy();
    };
    server.on("upgrade", onUpgrade);
    server.on("connect", onUpgrade);
    server.on("clientError", (err: NodeJS.ErrnoException, sock: Socket) => {
      const code = String(err.code ?? "");
      // Parse errors only; a reset or a write after our half-close is not a verdict on the bytes.
      if (code.startsWith("HPE_")) {
        const v = this.slot(sock.remotePort!).verdict;
        if (v.error === null) v.error = code;
      }
      sock.destroy();
    });
  }

  /** Send `bytes` on a fresh connection, half-close, and wait until node has closed it. */
  async send(bytes: Uint8Array): Promise<NodeVerdict> {
    const sock = connect(this.port, "127.0.0.1");
    sock.on("error", () => {}); // node may reset a connection it rejected
    sock.resume(); // node sends nothing we compare, but its bytes must not block the socket
    const clientClosed = new Promise<void>((r) => sock.once("close", () => r()));
    await new Promise<void>((resolve, reject) => {
      sock.once("connect", resolve);
      sock.once("error", reject);
    });
    const port = sock.localPort!;
    const s = this.slot(port);
    sock.end(bytes);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([s.done.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), CASE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (timedOut) {
      s.verdict.timedOut = true;
      for (const ss of this.sockets) if (ss.remotePort === port) ss.destroy();
    }
    sock.destroy();
    await clientClosed;
    this.slots.delete(port);
    return s.verdict;
  }

  /** Stop the server and every connection it still has. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
