export * from './observations.ts';
export * from './synthetic.ts';
