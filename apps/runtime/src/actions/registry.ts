// The action registry: one entry per action type. validateFlow refuses types not listed here.
import type { ActionType } from '@flowdesk/schema';
import type { ActionExecutor } from './types.ts';
import { httpRequest } from './http-request.ts';
import { alertRaise, flowEmit, recordSetState } from './internal.ts';
import { emailSend } from './email.ts';
import { taskCreate } from './task-create.ts';
import { textGenerate } from './text-generate.ts';
import { reportWeekly } from './report-weekly.ts';

export const ACTION_EXECUTORS: Partial<Record<ActionType, ActionExecutor>> = {
  'http.request': httpRequest,
  'record.setState': recordSetState,
  'alert.raise': alertRaise,
  'flow.emit': flowEmit,
  'email.send': emailSend,
  'task.create': taskCreate,
  'text.generate': textGenerate,
  'report.weekly': reportWeekly,
};

export const implementedActions = (): ActionType[] => Object.keys(ACTION_EXECUTORS) as ActionType[];
