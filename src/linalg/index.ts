export * from './matrix.ts';
export * from './qr.ts';
export * from './svd.ts';
export * from './backend.ts';
export * from './spectral.ts';
export * from './sampled.ts';
export * from './sparse.ts';
