/**
 * The field list both modes of the HTTP parser hand out (request heads,
 * response heads, trailers): offsets into the parse buffer, strings made
 * only when read, and the helpers that make them.
 */

/** The owner of the parse buffer views are taken from; `epoch` changes on every execute. */
export interface ViewOwner {
  /** @internal Changes on every execute: views of an older epoch are stale. */
  epoch: number;
}

/** Node's Buffer has a native latin1 decoder; called as a method it is the fastest way to make a short string. */
type Bytes = Buffer & { latin1Slice(start: number, end: number): string };

const fromCharCode = String.fromCharCode;

/**
 * Bytes [s, e) as a latin1 string, as Node does for header bytes. Strings of
 * up to 16 bytes (methods, most targets, many values) are made by one
 * String.fromCharCode call, faster than the native slice, whose fixed cost
 * dominates for short strings.
 */
export function latin1(b: Buffer, s: number, e: number): string {
  switch (e - s) {
    case 0:
      return "";
    case 1:
      return fromCharCode(b[s]);
    case 2:
      return fromCharCode(b[s], b[s + 1]);
    case 3:
      return fromCharCode(b[s], b[s + 1], b[s + 2]);
    case 4:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16:
      return fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    default:
      return (b as Bytes).latin1Slice(s, e);
  }
}

/** A copy of bytes [s, e), as a Buffer (Buffer#slice would be a view, and the Wasm core's bytes are a Buffer). */
export function copyOf(src: Uint8Array, s: number, e: number): Buffer {
  const out = Buffer.allocUnsafe(e - s);
  out.set(src.subarray(s, e), 0);
  return out;
}

export function staleView(): never {
  throw new Error("HTTP parser view used after the next execute() on its parser: call retain() on the head to keep it");
}

/**
 * The header (or trailer) fields of a message, as offsets into the parse
 * buffer. Strings are made only for what is read. Lookup is case-insensitive.
 */
export class HeaderList {
  /** @internal */ _src: Buffer;
  /** @internal */ _tab: Int32Array;
  /** @internal first word of this list in `_tab` */ _at: number;
  /** Number of field lines. */
  readonly length: number;
  /** @internal */ _owner: ViewOwner | null;
  /** @internal */ _epoch: number;

  /** @internal */
  constructor(src: Buffer, tab: Int32Array, at: number, length: number, owner: ViewOwner | null, epoch: number) {
    this._src = src;
    this._tab = tab;
    this._at = at;
    this.length = length;
    this._owner = owner;
    this._epoch = epoch;
  }

  /** @internal The bytes, or a throw if this view went stale. */
  _bytes(): Buffer {
    const o = this._owner;
    if (o !== null && o.epoch !== this._epoch) this._stale();
    return this._src;
  }

  /** @internal The parse buffer moved on: a plain view is unusable (a kept RequestHead gets rows of its own instead). */
  _stale(): void {
    staleView();
  }

  /** Index of the first field named `name` (case-insensitive), or -1. */
  indexOf(name: string): number {
    const src = this._bytes(), tab = this._tab, n = name.length;
    for (let i = 0, w = this._at; i < this.length; i++, w += 4) {
      const s = tab[w];
      if (tab[w + 1] - s !== n) continue;
      let j = 0;
      for (; j < n; j++) {
        const a = src[s + j], b = name.charCodeAt(j);
        if (a !== b && ((a | 0x20) !== (b | 0x20) || (a | 0x20) < 97 || (a | 0x20) > 122)) break;
      }
      if (j === n) return i;
    }
    return -1;
  }

  /** The value of the first field named `name` (case-insensitive, trailing whitespace removed), or null (as the Fetch standard's `Headers.get`). */
  get(name: string): string | null {
    const i = this.indexOf(name);
    return i < 0 ? null : this.value(i);
  }

  /** Every value of the fields named `name`, in order. */
  getAll(name: string): string[] {
    const out: string[] = [];
    const lower = name.toLowerCase();
    for (let i = 0; i < this.length; i++) if (this.name(i).toLowerCase() === lower) out.push(this.value(i));
    return out;
  }

  /** Whether a field named `name` is present. */
  has(name: string): boolean {
    return this.indexOf(name) >= 0;
  }

  /** The name of field `i`, as sent (case kept). */
  name(i: number): string {
    const src = this._bytes(); // first: a kept head read late gets its own rows here
    const w = this._at + 4 * i;
    return latin1(src, this._tab[w], this._tab[w + 1]);
  }

  /** The value of field `i`, latin1-decoded. */
  value(i: number): string {
    const src = this._bytes();
    const w = this._at + 4 * i;
    return latin1(src, this._tab[w + 2], this._tab[w + 3]);
  }

  /** The raw bytes of the value of field `i` (a view). */
  valueBytes(i: number): Uint8Array {
    const src = this._bytes();
    const w = this._at + 4 * i;
    return src.subarray(this._tab[w + 2], this._tab[w + 3]);
  }

  /** `[name, value]` pairs in wire order. */
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.length; i++) yield [this.name(i), this.value(i)];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  /** @internal Own `src` (the bytes from offset `from` of the parse buffer on) and a copy of the rows; offsets become relative to `from`. */
  _retain(src: Buffer, from: number): void {
    const n = this.length * 4, rows = this._tab, at = this._at;
    const tab = new Int32Array(n);
    for (let k = 0; k < n; k++) tab[k] = rows[at + k] - from;
    this._own(src, tab);
  }

  /** @internal Switch to owned bytes and rows (rows start at word 0). */
  _own(src: Buffer, tab: Int32Array): void {
    this._src = src;
    this._tab = tab;
    this._at = 0;
    this._owner = null;
  }
}

