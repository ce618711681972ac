export * from './deep.ts';
