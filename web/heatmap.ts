// Heatmaps of n×n matrices on a canvas: one pixel per entry, scaled up by CSS.

/** Colour of value v on a blue–white–red scale saturating at ±scale, as [r, g, b] bytes. */
export function divergingColor(v: number, scale: number): [number, number, number] {
  if (!Number.isFinite(v)) return [0, 0, 0];
  const t = Math.max(-1, Math.min(1, v / scale));
  const fade = Math.round(255 * (1 - Math.abs(t)));
  // Positive: white → red (178, 24, 43)-ish; negative: white → blue (33, 102, 172)-ish.
  if (t >= 0) return [255 - Math.round(77 * t), fade + Math.round(24 * t), fade + Math.round(43 * t)];
  const a = -t;
  return [fade + Math.round(33 * a), fade + Math.round(102 * a), 255 - Math.round(83 * a)];
}

/** Levels per side of the colour table drawHeatmap uses (values are quantized to 1/LEVELS of the scale). */
const LEVELS = 256;
let table: Uint8Array | null = null;

/** divergingColor at t = k/LEVELS − 1, k = 0 … 2·LEVELS, as packed RGB bytes (built once). */
function colourTable(): Uint8Array {
  if (table) return table;
  table = new Uint8Array(3 * (2 * LEVELS + 1));
  for (let k = 0; k <= 2 * LEVELS; k++) table.set(divergingColor(k / LEVELS - 1, 1), 3 * k);
  return table;
}

/** Grey of the entries a mask hides. */
export const HIDDEN_GREY = 96;

/**
 * Draw an n×n row-major matrix on `canvas` (resized to n×n pixels). Where `mask` is given, entries with mask 0 are
 * drawn grey, and non-finite entries black. Cost O(n²), no allocation per entry.
 */
export function drawHeatmap(
  canvas: HTMLCanvasElement,
  values: ArrayLike<number>,
  n: number,
  scale: number,
  mask?: Uint8Array,
): void {
  if (canvas.width !== n) canvas.width = n;
  if (canvas.height !== n) canvas.height = n;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(n, n);
  const px = img.data;
  const lut = colourTable();
  for (let i = 0; i < n * n; i++) {
    const o = 4 * i;
    const v = values[i];
    if (mask && !mask[i]) {
      px[o] = px[o + 1] = px[o + 2] = HIDDEN_GREY;
    } else if (Number.isFinite(v)) {
      const k = 3 * Math.round(LEVELS * (1 + Math.max(-1, Math.min(1, v / scale))));
      px[o] = lut[k];
      px[o + 1] = lut[k + 1];
      px[o + 2] = lut[k + 2];
    } // else: black (the buffer starts at 0)
    px[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
