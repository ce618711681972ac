export * from './deep.ts';
export * from './factored.ts';
