// mcomplete's library API: the numeric core and the experiment runner (no Node APIs below src/cli).
export * from './linalg/index.ts';
export * from './random/index.ts';
export * from './data/index.ts';
export * from './penalty/index.ts';
export * from './model/index.ts';
export * from './optim/index.ts';
export * from './solver/index.ts';
export * from './metrics/index.ts';
export * from './experiment/run.ts';
export * from './experiment/baselines.ts';
