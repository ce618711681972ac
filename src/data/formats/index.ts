export * from './csv.ts';
export * from './triplets.ts';
export * from './dense.ts';
export * from './matrix-market.ts';
export * from './query.ts';
export * from './write.ts';
