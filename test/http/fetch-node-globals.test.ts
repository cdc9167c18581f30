// serve({ overrideGlobalObjects: false }, fetchHandler) leaves Node's own
// Request and Response as the globals (this file runs in a process of its
// own, so no other test installed them); every Response then takes the
// general path: status, fields (two Set-Cookie), and the body read from
// Node's ReadableStream, on each parser and backend.
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { type Server, serve } from "../../src/index.js";
import { COMBOS } from "./http-helpers.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close({ timeout: 100 }).then(undefined, () => {});
});

const NodeResponse = globalThis.Response;
const NodeRequest = globalThis.Request;

describe.each(COMBOS)("fetch-style handlers with Node's own globals (parser $parser, backend $backend)", (combo) => {
  it("serves a Hono app through Node's Response, and installs nothing", async () => {
    const app = new Hono();
    app.get("/", (c) => c.text("plain"));
    app.get("/json/:id", (c) => c.json({ id: c.req.param("id") }, 201));
    app.get("/cookies", (c) => {
      c.header("set-cookie", "a=1", { append: true });
      c.header("set-cookie", "b=2", { append: true });
      return c.body(null, 204);
    });
    app.post("/echo", async (c) => c.text(await c.req.text()));
    const s = serve({ port: 0, parser: combo.parser, backend: combo.backend, overrideGlobalObjects: false }, app);
    servers.push(s);
    await s.ready;
    const url = `http://127.0.0.1:${s.port}`;
    expect(await (await fetch(`${url}/`)).text()).toBe("plain");
    const j = await fetch(`${url}/json/9`);
    expect(j.status).toBe(201);
    expect(await j.json()).toEqual({ id: "9" });
    const c = await fetch(`${url}/cookies`);
    expect(c.status).toBe(204);
    expect(c.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(await (await fetch(`${url}/echo`, { method: "POST", body: "x".repeat(100_000) })).text()).toBe("x".repeat(100_000));
    expect(globalThis.Response).toBe(NodeResponse);
    expect(globalThis.Request).toBe(NodeRequest);
  });
});
