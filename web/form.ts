// The controls form: its input names are the URL keys, so the form, the URL and the state share one encoding.
import { OPTIMIZER_NAMES, PENALTY_NAMES } from '../src/index.ts';
import { decodeState, encodeState, MAX_DEPTH, type DecodedState, type PageState } from './state.ts';

/** Speeds offered (steps per second of each run; 0 = as fast as possible). */
export const SPEEDS = [0, 10, 30, 100, 300, 1000, 3000];

function fill(select: HTMLSelectElement, options: readonly (string | number)[], label?: (v: string) => string): void {
  select.replaceChildren(
    ...options.map((v) => {
      const o = document.createElement('option');
      o.value = String(v);
      o.textContent = label ? label(String(v)) : String(v);
      return o;
    }),
  );
}

/** Put the choices into the form's select elements. */
export function fillChoices(form: HTMLFormElement): void {
  for (const p of ['a', 'b']) {
    fill(
      form.elements.namedItem(`${p}.depth`) as HTMLSelectElement,
      Array.from({ length: MAX_DEPTH }, (_, i) => i + 1),
    );
    fill(form.elements.namedItem(`${p}.pen`) as HTMLSelectElement, PENALTY_NAMES, (v) =>
      v === 'ratio' ? 'ratio (L∗/F)' : v,
    );
    fill(form.elements.namedItem(`${p}.opt`) as HTMLSelectElement, OPTIMIZER_NAMES);
  }
  fill(form.elements.namedItem('speed') as HTMLSelectElement, SPEEDS, (v) => (v === '0' ? 'max' : `${v} steps/s`));
}

/** Show `state` in the form (a speed not offered gets an option of its own). */
export function writeForm(form: HTMLFormElement, state: PageState): void {
  const speed = form.elements.namedItem('speed') as HTMLSelectElement;
  if (!Array.from(speed.options).some((o) => o.value === String(state.speed))) {
    const o = document.createElement('option');
    o.value = String(state.speed);
    o.textContent = `${state.speed} steps/s`;
    speed.append(o);
  }
  for (const [key, value] of new URLSearchParams(encodeState(state))) {
    const el = form.elements.namedItem(key) as HTMLInputElement | HTMLSelectElement | null;
    if (el) el.value = value;
  }
}

/** The state the form shows (bad values fall back or are clamped, and reported, as in decodeState). */
export function readForm(form: HTMLFormElement): DecodedState {
  const q = new URLSearchParams();
  for (const el of Array.from(form.elements)) {
    if ((el instanceof HTMLInputElement || el instanceof HTMLSelectElement) && el.name) q.set(el.name, el.value);
  }
  return decodeState(q.toString());
}
