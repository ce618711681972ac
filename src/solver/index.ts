export * from './train.ts';
