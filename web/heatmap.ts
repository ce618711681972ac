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

/** Grey of the entries a mask hides. */
export const HIDDEN_GREY = 96;

/**
 * Draw an n×n row-major matrix on `canvas` (resized to n×n pixels). Where `mask` is given, entries with mask 0 are
 * drawn grey. Cost O(n²).
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
  for (let i = 0; i < n * n; i++) {
    const o = 4 * i;
    if (mask && !mask[i]) {
      px[o] = px[o + 1] = px[o + 2] = HIDDEN_GREY;
    } else {
      const [r, g, b] = divergingColor(values[i], scale);
      px[o] = r;
      px[o + 1] = g;
      px[o + 2] = b;
    }
    px[o + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
