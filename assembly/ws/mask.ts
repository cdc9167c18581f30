// Masking (RFC 6455 §5.3) with v128: the four key bytes are widened to
// sixteen (i32x4.splat of the key read little-endian, already rotated so its
// low byte masks the first byte), XORed 64 and then 16 bytes at a time, with
// a word and a byte loop for the tail. Wasm loads are little-endian and may
// be unaligned, so no alignment prologue is needed.

/** XOR bytes [p, e) in place with `key` (its low byte masks byte p). */
export function unmaskRange(p: usize, e: usize, key: u32): void {
  const kv = i32x4.splat(key);
  while (p + 64 <= e) {
    v128.store(p, v128.xor(v128.load(p), kv));
    v128.store(p, v128.xor(v128.load(p, 16), kv), 16);
    v128.store(p, v128.xor(v128.load(p, 32), kv), 32);
    v128.store(p, v128.xor(v128.load(p, 48), kv), 48);
    p += 64;
  }
  while (p + 16 <= e) {
    v128.store(p, v128.xor(v128.load(p), kv));
    p += 16;
  }
  let k = key;
  if (p + 4 <= e) {
    store<u32>(p, load<u32>(p) ^ k);
    p += 4;
    if (p + 4 <= e) {
      store<u32>(p, load<u32>(p) ^ k);
      p += 4;
      if (p + 4 <= e) {
        store<u32>(p, load<u32>(p) ^ k);
        p += 4;
      }
    }
  }
  while (p < e) {
    store<u8>(p, load<u8>(p) ^ <u8>k);
    k = rotr<u32>(k, 8);
    p++;
  }
}

/** The key as it stands `phase` payload bytes into a frame. */
@inline export function rotateKey(key: u32, phase: i32): u32 {
  return rotr<u32>(key, <u32>((phase & 3) << 3));
}
