/** ESM source of a module whose `schemaCheck(name)` returns the precompiled check of that schema file. */
export function schemaChecksModuleSource(root: string): string;
