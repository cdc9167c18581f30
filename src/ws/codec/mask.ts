/**
 * Masking in TypeScript (RFC 6455 §5.3): the twin of the Wasm core's SIMD
 * unmasking, and the small-input path of maskBytes. A masking key is kept as
 * one number, its four bytes read little-endian, so that XOR with an aligned
 * little-endian Int32 word masks four bytes at once; rotating it by 8 bits
 * moves on by one byte of payload.
 */

/** True on the little-endian machines Node runs on; a big-endian one takes the byte loops. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The key of `key[0..3]` as one little-endian number. */
export function keyOf(key: Uint8Array, at = 0): number {
  return key[at] | (key[at + 1] << 8) | (key[at + 2] << 16) | (key[at + 3] << 24);
}

/** The key as it stands `phase` payload bytes into a frame (its byte for that offset lowest). */
export function rotateKey(key: number, phase: number): number {
  const r = (phase & 3) * 8;
  return r === 0 ? key : (key >>> r) | (key << (32 - r));
}

/**
 * XOR bytes [s, e) of `bytes` in place with `key` (already rotated so that
 * its low byte masks bytes[s]). `words` is an Int32Array over the same
 * ArrayBuffer from offset 0, or null; `bytes` must start at offset 0 of it.
 */
export function unmaskInPlace(bytes: Uint8Array, words: Int32Array | null, s: number, e: number, key: number): void {
  let i = s, k = key;
  if (words !== null && LITTLE_ENDIAN) {
    while (i < e && (i & 3) !== 0) {
      bytes[i++] ^= k;
      k = (k >>> 8) | (k << 24);
    }
    const we = e >> 2;
    for (let w = i >> 2; w < we; w++) words[w] ^= k;
    if (we << 2 > i) i = we << 2;
  }
  while (i < e) {
    bytes[i++] ^= k;
    k = (k >>> 8) | (k << 24);
  }
}

/** dst[at + i] = src[i] ^ key byte (i mod 4), for i < src.length: the plain loop, unrolled by four. */
export function maskTs(src: Uint8Array, key: Uint8Array, dst: Uint8Array, at: number): void {
  const k0 = key[0], k1 = key[1], k2 = key[2], k3 = key[3];
  const n = src.length, n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    dst[at + i] = src[i] ^ k0;
    dst[at + i + 1] = src[i + 1] ^ k1;
    dst[at + i + 2] = src[i + 2] ^ k2;
    dst[at + i + 3] = src[i + 3] ^ k3;
  }
  for (; i < n; i++) dst[at + i] = src[i] ^ key[i & 3];
}
