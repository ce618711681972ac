export * from './train.ts';
export * from './biases.ts';
export * from './factored-train.ts';
export * from './soft-impute-als.ts';
export * from './completion-model.ts';
export * from './complete.ts';
