// The extension points, light enough for the editor's first render (`@flowdesk/schema/specs`): the
// node, action and trigger specs, their tables and the helpers that read them. No validator, no AJV.
export { defineAction, paramPatterns, paramValuesWithRole, type ActionSpec, type ActionSpecInput, type ActionParams, type FieldKind, type ParamField } from './spec/action.ts';
export { defineNode, nodeSchema, commonNodeFields, type NodeSpec, type NodeSpecInput } from './spec/node.ts';
export { defineTrigger, type DedupeDefault, type TriggerSpec, type TriggerSpecInput } from './spec/trigger.ts';
export { role, rolesOf, connectionParam, PARAM_ROLES, pointerMatches, type ParamRole, type ParamPattern } from './spec/params.ts';
export { defineApp, type AppSpec, type AppSpecInput } from './spec/app.ts';
export { APP_SPECS, appSpec, type AnyAppSpec, type AppId } from './app-specs.ts';
export * from './connections.ts';
export { connectorUses, type ConnectorUse } from './connector-uses.ts';
export { literalString, type CheckContext, type PathToken, type StateNames } from './spec/check.ts';
export { placeholderTolerant, deployParamsSchema, PLACEHOLDER_STRING, LOGIC_VALUE } from './spec/placeholders.ts';
export { short, ruleText } from './spec/text.ts';
export { ACTION_SPECS, ACTION_TYPES, actionSpec, specOf, paramPathsByRole, paramsWithRole, type AnyActionSpec, type ActionSpecOf, type ActionType, type ParamsOf } from './action-specs.ts';
export { NODE_SPECS, NODE_SPEC_LIST, nodeSpec, type AnyNodeSpec, type NodeSpecOf } from './nodes/index.ts';
export { TRIGGER_SPECS, TRIGGER_SPEC_LIST, triggerSpec, type AnyTriggerSpec } from './triggers/index.ts';
export { outputPorts, requiredPorts, defaultPortOf, portIsImplicit, TRIGGER_NODE_ID, TRIGGER_PORT } from './ports.ts';
// the webhook trigger's options form reads these (the main package's index re-exports the same bindings)
export { AUTH_LABELS, AUTH_TYPE_NAMES, FILE_LIMITS } from './triggers/webhook.ts';
export { authDedupe } from './triggers/webhook-auth.ts';
