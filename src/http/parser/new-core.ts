/**
 * The one place a parser kind becomes a core: both drivers (requests in
 * parser.ts, responses in response.ts) make their cores here.
 */
import type { ParserCore, ParserKind, ParserLimits } from "./parser-core.js";
import { TsParserCore } from "./ts-core.js";
import { WasmParserCore } from "./wasm-core.js";

/** A core of `kind` with `limits`. */
export function newCore(kind: ParserKind, limits: ParserLimits): ParserCore {
  if (kind === "wasm") return new WasmParserCore(limits);
  if (kind === "ts") return new TsParserCore(limits);
  throw new TypeError(`unknown parser kind ${String(kind)} (use "wasm" or "ts")`);
}
