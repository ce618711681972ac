import type { LabeledObservations } from './labels.ts';

// SHA-256 (FIPS 180-4) in plain TypeScript, so the browser-safe library can checksum a saved model and fingerprint
// its training data without node:crypto or the asynchronous crypto.subtle.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** An incremental SHA-256: update with byte chunks, then digest once. */
export interface Sha256 {
  update(bytes: Uint8Array): Sha256;
  /** The 32-byte digest (the hash cannot be updated afterwards). */
  digest(): Uint8Array;
}

/** A new SHA-256 (FIPS 180-4). Cost ~64 rounds per 64-byte block. */
export function createSha256(): Sha256 {
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const block = new Uint8Array(64);
  let filled = 0;
  let total = 0;
  let done = false;
  const compress = (b: Uint8Array, off: number): void => {
    for (let t = 0; t < 16; t++) {
      const o = off + 4 * t;
      w[t] = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let a = h[0];
    let bb = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    let f = h[5];
    let g = h[6];
    let hh = h[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & bb) ^ (a & c) ^ (bb & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = bb;
      bb = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  };
  const self: Sha256 = {
    update(bytes) {
      if (done) throw new Error('sha256: update after digest');
      total += bytes.length;
      let i = 0;
      if (filled > 0) {
        const take = Math.min(64 - filled, bytes.length);
        block.set(bytes.subarray(0, take), filled);
        filled += take;
        i = take;
        if (filled < 64) return self;
        compress(block, 0);
        filled = 0;
      }
      for (; i + 64 <= bytes.length; i += 64) compress(bytes, i);
      block.set(bytes.subarray(i), 0);
      filled = bytes.length - i;
      return self;
    },
    digest() {
      if (done) throw new Error('sha256: digest twice');
      done = true;
      const bits = total * 8;
      block[filled++] = 0x80;
      if (filled > 56) {
        block.fill(0, filled);
        compress(block, 0);
        filled = 0;
      }
      block.fill(0, filled, 56);
      const view = new DataView(block.buffer);
      view.setUint32(56, Math.floor(bits / 2 ** 32));
      view.setUint32(60, bits >>> 0);
      compress(block, 0);
      const out = new Uint8Array(32);
      const ov = new DataView(out.buffer);
      for (let t = 0; t < 8; t++) ov.setUint32(4 * t, h[t]);
      return out;
    },
  };
  return self;
}

/** The SHA-256 digest of `bytes` as 64 lowercase hex digits. */
export function sha256Hex(bytes: Uint8Array): string {
  return toHex(createSha256().update(bytes).digest());
}

/** Bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * The fingerprint of labeled training data: SHA-256 over the row ids and column ids (as a UTF-8 JSON array each),
 * then the entries' rows and columns (int32) and values (float64), little-endian, in their order. Two data sets with
 * the same fingerprint hold the same ids and the same entries in the same order. Cost O(|Ω| + labels).
 */
export function dataFingerprint(data: LabeledObservations): string {
  const { observations: obs, rowIds, colIds } = data;
  const hash = createSha256();
  const text = new TextEncoder();
  hash.update(text.encode(JSON.stringify(rowIds)));
  hash.update(text.encode(JSON.stringify(colIds)));
  hash.update(littleEndianBytes(Int32Array.from(obs.rows)));
  hash.update(littleEndianBytes(Int32Array.from(obs.cols)));
  hash.update(littleEndianBytes(Float64Array.from(obs.values)));
  return `sha256:${toHex(hash.digest())}`;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A typed array's bytes in little-endian order (a view on little-endian machines, a swapped copy otherwise). */
export function littleEndianBytes(a: Float64Array | Int32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const size = a.BYTES_PER_ELEMENT;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += size) for (let b = 0; b < size; b++) out[i + b] = bytes[i + size - 1 - b];
  return out;
}

/** A little-endian float64 or int32 array read from `bytes` at `offset` (copied, so any alignment will do). */
export function readLittleEndian(
  bytes: Uint8Array,
  offset: number,
  length: number,
  type: 'f64' | 'i32',
): Float64Array | Int32Array {
  const out = type === 'f64' ? new Float64Array(length) : new Int32Array(length);
  const raw = new Uint8Array(out.buffer);
  raw.set(bytes.subarray(offset, offset + raw.length));
  if (!LITTLE_ENDIAN) {
    const size = out.BYTES_PER_ELEMENT;
    for (let i = 0; i < raw.length; i += size) raw.subarray(i, i + size).reverse();
  }
  return out;
}
