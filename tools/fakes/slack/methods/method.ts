import type { MethodResult } from '../types.js';
import type { Workspace } from '../workspace.js';

/** One Web API method of the fake: its params (token removed) in, the JSON body out. */
export type SlackMethod = (workspace: Workspace, params: Record<string, unknown>) => MethodResult;

export type MethodTable = Readonly<Record<string, SlackMethod>>;
