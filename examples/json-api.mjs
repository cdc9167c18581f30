// A small JSON API: an in-memory todo list. Handlers are plain sequential
// code; `return { status, body }` sends JSON, `throw new HttpError(404)`
// answers with that status.
//
//   node examples/json-api.mjs            # 127.0.0.1:3001, or PORT
//   curl -s localhost:3001/todos
//   curl -s -X POST localhost:3001/todos -d '{"title":"write docs"}'
//   curl -s -X PATCH localhost:3001/todos/1 -d '{"done":true}'
//   curl -s -X DELETE localhost:3001/todos/1
import { HttpError, serve } from "../dist/index.js";
import { serverPort } from "../scripts/_args.mjs";

const todos = new Map();
let nextId = 1;

function* api(req) {
  const m = req.path.match(/^\/todos(?:\/(\d+))?$/);
  if (!m) throw new HttpError(404, `no route for ${req.path}`);
  const id = m[1] === undefined ? undefined : Number(m[1]);
  if (id === undefined) {
    if (req.method === "GET") return { body: [...todos.values()] };
    if (req.method === "POST") {
      const input = yield* req.json();
      if (typeof input?.title !== "string" || input.title === "") throw new HttpError(422, "title must be a non-empty string");
      const todo = { id: nextId++, title: input.title, done: false };
      todos.set(todo.id, todo);
      return { status: 201, headers: { location: `/todos/${todo.id}` }, body: todo };
    }
    throw new HttpError(405, `${req.method} is not allowed on /todos`);
  }
  const todo = todos.get(id);
  if (todo === undefined) throw new HttpError(404, `no todo ${id}`);
  if (req.method === "GET") return { body: todo };
  if (req.method === "PATCH") {
    const input = yield* req.json();
    if ("title" in input) todo.title = String(input.title);
    if ("done" in input) todo.done = Boolean(input.done);
    return { body: todo };
  }
  if (req.method === "DELETE") {
    todos.delete(id);
    return { status: 204 };
  }
  throw new HttpError(405, `${req.method} is not allowed on /todos/${id}`);
}

const server = serve({ port: serverPort("json-api", 3001) }, api);
await server.ready;
console.log(`JSON API on http://127.0.0.1:${server.port}/todos`);
process.once("SIGINT", () => server.close({ timeout: 1000 }).then(() => process.exit(0)));
