export * from './types.ts';
export * from './logic.ts';
export * from './template.ts';
export * from './retry.ts';
export * from './interpreter.ts';
export * from './dry-run.ts';
export * from './qa.ts';
