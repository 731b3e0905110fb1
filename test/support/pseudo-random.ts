/** pseudoRandom makes `size` deterministic pseudo-random bytes (xorshift32), the same for the same seed. */
export function pseudoRandom(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
