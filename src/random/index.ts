import prand from 'pure-rand';

/** A seeded stream of random numbers; the same seed gives the same numbers on every platform. */
export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** Standard normal N(0, 1) (Box–Muller on two uniforms). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/**
 * A generator for `seed` (any integer), built on pure-rand's Mersenne Twister MT19937 (integer arithmetic only, so the stream
 * is bit-identical across platforms and engines).
 */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const gen = prand.mersenne(fold32(seed));
  let spare: number | null = null;
  const u32 = (): number => gen.unsafeNext() >>> 0;
  const uniform = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    uniform,
    normal(): number {
      if (spare !== null) {
        const z = spare;
        spare = null;
        return z;
      }
      let u = 0;
      while (u === 0) u = uniform();
      const v = uniform();
      const radius = Math.sqrt(-2 * Math.log(u));
      spare = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    int(n: number): number {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
      return Math.floor(uniform() * n);
    },
  };
}

/**
 * An independent stream for one purpose ("data", "mask", "init") under one seed, so that changing how one part
 * is drawn (say, the depth of the model) leaves the others unchanged. Mixes FNV-1a of the label into the seed.
 */
export function deriveRng(seed: number, label: string): Rng {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return createRng((Math.imul(fold32(seed), 0x9e3779b1) ^ h) | 0);
}

/** Fill `out` with i.i.d. N(0, sigma²) draws. */
export function fillNormal(rng: Rng, out: Float64Array, sigma = 1): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] = sigma * rng.normal();
  return out;
}

/** A safe integer folded to 32 bits (low word XOR high word), so large seeds still differ. */
function fold32(seed: number): number {
  return (seed ^ Math.floor(seed / 0x100000000)) | 0;
}
