export * from './observations.ts';
export * from './synthetic.ts';
export * from './labels.ts';
export * from './split.ts';
export * from './input-error.ts';
export * from './formats/index.ts';
