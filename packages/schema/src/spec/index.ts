// The authoring API of the specs: what a node, action or trigger spec file imports (and nothing that
// imports the spec tables back, so a spec file can never close an import cycle).
export { defineAction, type ActionSpec, type ActionSpecInput, type FieldKind, type ParamField } from './action.ts';
export { defineNode, nodeSchema, commonNodeFields, type NodeSpec, type NodeSpecInput } from './node.ts';
export { defineTrigger, type DedupeDefault, type TriggerSpec, type TriggerSpecInput } from './trigger.ts';
export { role, connectionParam, type ParamRole } from './params.ts';
export { defineApp, type AppSpec, type AppSpecInput } from './app.ts';
export { literalString, type CheckContext } from './check.ts';
export { short, ruleText, portNames } from './text.ts';
