import { viewProblems } from '../block-kit.js';
import type { MethodResult, StoredView } from '../types.js';
import { stringParam } from '../wire.js';
import type { Workspace } from '../workspace.js';
import type { MethodTable } from './method.js';

/** views.open (single-use trigger ids, optionally expiring) and views.update (by id or external id, with hash). */

/** Why a trigger id cannot open a view, in Slack's error words; undefined when it can. */
function triggerProblem(workspace: Workspace, triggerId: string): string | undefined {
  if (workspace.usedTriggers.has(triggerId)) return 'exchanged_trigger_id';
  const issuedAt = workspace.issuedTriggers.get(triggerId);
  const ttl = workspace.triggerTtlMs;
  if (ttl !== undefined) {
    if (issuedAt === undefined) return 'invalid_trigger_id';
    if (workspace.clock.now() - issuedAt > ttl) return 'expired_trigger_id';
  }
  return undefined;
}

function viewProblem(workspace: Workspace, view: unknown): MethodResult | undefined {
  if (view === null || typeof view !== 'object' || Array.isArray(view)) {
    return {
      ok: false,
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] missing view'] },
    };
  }
  if (workspace.validateBlocks) {
    const problems = viewProblems(view as Record<string, unknown>);
    if (problems.length > 0) {
      return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
    }
  }
  return undefined;
}

/** A stored view as Slack returns it from views.open, views.update and views.publish. */
export function viewJson(workspace: Workspace, stored: StoredView): Record<string, unknown> {
  return {
    ...stored.view,
    id: stored.id,
    hash: stored.hash,
    team_id: workspace.teamId,
    app_id: 'A0FAKE',
    bot_id: workspace.botId,
    root_view_id: stored.id,
    previous_view_id: null,
    state: { values: {} },
    ...(stored.externalId ? { external_id: stored.externalId } : {}),
  };
}

function viewsOpen(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const triggerId = stringParam(params.trigger_id);
  if (!triggerId) {
    return {
      ok: false,
      error: 'invalid_arguments',
      response_metadata: { messages: ['[ERROR] missing trigger_id'] },
    };
  }
  const refused = triggerProblem(workspace, triggerId);
  if (refused) return { ok: false, error: refused };
  const problem = viewProblem(workspace, params.view);
  if (problem) return problem;
  workspace.usedTriggers.add(triggerId);
  const view = params.view as Record<string, unknown>;
  const stored: StoredView = {
    id: workspace.nextViewId(),
    hash: workspace.newViewHash(),
    triggerId,
    view,
    updates: 0,
  };
  const externalId = stringParam(view.external_id);
  if (externalId) stored.externalId = externalId;
  workspace.views.set(stored.id, stored);
  return { ok: true, view: viewJson(workspace, stored) };
}

function viewsUpdate(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const viewId = stringParam(params.view_id);
  const externalId = stringParam(params.external_id);
  const stored = viewId
    ? workspace.views.get(viewId)
    : externalId
      ? [...workspace.views.values()].find((v) => v.externalId === externalId)
      : undefined;
  if (!stored) return { ok: false, error: 'not_found' };
  const hash = stringParam(params.hash);
  if (hash !== undefined && hash !== stored.hash) return { ok: false, error: 'hash_conflict' };
  const problem = viewProblem(workspace, params.view);
  if (problem) return problem;
  stored.view = params.view as Record<string, unknown>;
  stored.hash = workspace.newViewHash();
  stored.updates++;
  return { ok: true, view: viewJson(workspace, stored) };
}

export const VIEW_METHODS: MethodTable = {
  'views.open': viewsOpen,
  'views.update': viewsUpdate,
};
