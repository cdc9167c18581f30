/**
 * ClientHeaders: the header (or trailer) fields of a response as the
 * client's user sees them. Over the parser's retained head, strings are
 * made only for the fields read (the parser's lazy HeaderList); trailers,
 * which arrive in a view valid for one parse call, are copied into pairs.
 */
import type { HeaderList } from "../http/parser/parser.js";

/** What ClientHeaders reads: the parser's HeaderList, or pairs copied from one. */
interface FieldSource {
  readonly length: number;
  name(i: number): string;
  value(i: number): string;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string): boolean;
}

/** Fields copied out of a HeaderList view (trailers). */
class FieldPairs implements FieldSource {
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  constructor(src: HeaderList) {
    for (let i = 0; i < src.length; i++) {
      this.names.push(src.name(i));
      this.values.push(src.value(i));
    }
  }
  get length(): number {
    return this.names.length;
  }
  name(i: number): string {
    return this.names[i]!;
  }
  value(i: number): string {
    return this.values[i]!;
  }
  private indexOf(name: string): number {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.names.length; i++) if (this.names[i]!.toLowerCase() === lower) return i;
    return -1;
  }
  get(name: string): string | null {
    const i = this.indexOf(name);
    return i < 0 ? null : this.values[i]!;
  }
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.names[i]!.toLowerCase() === lower) out.push(this.values[i]!);
    return out;
  }
  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }
}

/**
 * The fields of a response head or of its trailers. Lookup is
 * case-insensitive; `get` returns the first value (or null), `getAll`
 * every value in order (Set-Cookie); iteration gives `[name, value]` pairs
 * in the order received, names lower-cased.
 *
 * @example
 * const res = yield* request("http://127.0.0.1:8080/");
 * console.log(res.headers.get("content-type"), res.headers.getAll("set-cookie"));
 * for (const [name, value] of res.headers) console.log(name, value);
 */
export class ClientHeaders implements Iterable<[string, string]> {
  /** @internal */
  private readonly src: FieldSource;

  /** @internal Over a retained head (fields read lazily), or `copy` a view's fields now. */
  constructor(src: HeaderList, copy: boolean) {
    this.src = copy ? new FieldPairs(src) : src;
  }

  /** Number of field lines. */
  get size(): number {
    return this.src.length;
  }

  /** The first value of `name`, or null. */
  get(name: string): string | null {
    return this.src.get(name);
  }

  /** Every value of `name`, in the order received. */
  getAll(name: string): string[] {
    return this.src.getAll(name);
  }

  /** Whether a field `name` was received. */
  has(name: string): boolean {
    return this.src.has(name);
  }

  /** `[name, value]` pairs in the order received, names lower-cased. */
  *entries(): IterableIterator<[string, string]> {
    const s = this.src;
    for (let i = 0; i < s.length; i++) yield [s.name(i).toLowerCase(), s.value(i)];
  }

  /** Field names (lower-cased), one per field line. */
  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** A plain object: one key per name (lower-cased), values of repeated fields joined with ", " (Set-Cookie with "\n"). */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.entries()) {
      const had = out[k];
      out[k] = had === undefined ? v : `${had}${k === "set-cookie" ? "\n" : ", "}${v}`;
    }
    return out;
  }
}
