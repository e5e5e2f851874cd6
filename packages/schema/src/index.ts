export * from './dsl.ts';
export * from './run.ts';
export * from './duration.ts';
export * from './validate.ts';
