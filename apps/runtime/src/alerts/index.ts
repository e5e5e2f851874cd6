export * from './dispatcher.ts';
export * from './fold.ts';
export * from './email-format.ts';
