export * from './train.ts';
export * from './shrink.ts';
export * from './nuclear-min.ts';
export * from './soft-impute.ts';
export * from './factored-train.ts';
export * from './soft-impute-als.ts';
