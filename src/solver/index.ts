export * from './train.ts';
export * from './shrink.ts';
export * from './nuclear-min.ts';
export * from './soft-impute.ts';
