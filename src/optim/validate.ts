// Internal argument checks shared by the transforms and namedOptimizer (not re-exported).

/** Render a bad value for an error message (numbers as-is, anything else JSON-ish). */
export function show(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Throw unless value is a number in [0, 1); `label` names the option, e.g. 'scaleByAdam: b1'. */
export function checkUnitInterval(label: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) {
    throw new RangeError(`${label} must be a number in [0, 1), got ${show(value)}`);
  }
}

/** Throw unless value is a finite number >= 0. */
export function checkNonNegative(label: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${label} must be a finite number >= 0, got ${show(value)}`);
  }
}

/** Throw unless value is a finite number > 0. */
export function checkPositive(label: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${label} must be a finite number > 0, got ${show(value)}`);
  }
}

/** Throw unless value is a finite number. */
export function checkFinite(label: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`${label} must be a finite number, got ${show(value)}`);
  }
}

/** One zero-filled Float64Array per group; validates the sizes. */
export function zeros(label: string, sizes: readonly number[]): Float64Array[] {
  const out: Float64Array[] = new Array(sizes.length);
  for (let g = 0; g < sizes.length; g++) {
    const n = sizes[g];
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`${label}: sizes[${g}] must be an integer >= 0, got ${show(n)}`);
    }
    out[g] = new Float64Array(n);
  }
  return out;
}

/** Throw unless updates has one array per state group, each of the matching length. */
export function checkShapes(label: string, updates: readonly Float64Array[], state: readonly Float64Array[]): void {
  if (updates.length !== state.length) {
    throw new RangeError(`${label}: got ${updates.length} update groups, state was initialised for ${state.length}`);
  }
  for (let g = 0; g < state.length; g++) {
    if (updates[g].length !== state[g].length) {
      throw new RangeError(
        `${label}: update group ${g} has length ${updates[g].length}, state was initialised for ${state[g].length}`,
      );
    }
  }
}
