import { deriveRng } from '../random/index.ts';
import type { Observations } from './observations.ts';
import { sampleWithoutReplacement } from './synthetic.ts';

/** Observations split in two: the entries to fit and the entries held out. */
export interface ObservationSplit {
  readonly train: Observations;
  readonly heldOut: Observations;
}

/**
 * Hold out round(fraction·|Ω|) entries drawn uniformly without replacement (stream `label` of `seed`, so a
 * validation split and a test split from the same seed differ); both parts keep the full shape and the original
 * entry order. Cost O(|Ω|).
 */
export function splitObservations(
  obs: Observations,
  fraction: number,
  seed: number,
  label = 'validation',
): ObservationSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`held-out fraction must be in [0, 1), got ${fraction}`);
  const count = obs.values.length;
  const held = Math.round(fraction * count);
  const mask = new Uint8Array(count);
  for (const k of sampleWithoutReplacement(count, held, deriveRng(seed, label))) mask[k] = 1;
  return { train: subset(obs, mask, 0), heldOut: subset(obs, mask, 1) };
}

/** The entries k with mask[k] === keep, in order. Cost O(|Ω|). */
function subset(obs: Observations, mask: Uint8Array, keep: number): Observations {
  let size = 0;
  for (let k = 0; k < mask.length; k++) if (mask[k] === keep) size++;
  const rows = new Int32Array(size);
  const cols = new Int32Array(size);
  const values = new Float64Array(size);
  for (let k = 0, t = 0; k < mask.length; k++) {
    if (mask[k] !== keep) continue;
    rows[t] = obs.rows[k];
    cols[t] = obs.cols[k];
    values[t] = obs.values[k];
    t++;
  }
  return { shape: obs.shape, rows, cols, values };
}
