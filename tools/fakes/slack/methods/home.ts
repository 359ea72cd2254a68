import { blockKitProblems } from '../block-kit.js';
import type { MethodResult, StoredHomeView } from '../types.js';
import { stringParam } from '../wire.js';
import type { Workspace } from '../workspace.js';
import type { MethodTable } from './method.js';
import { viewJson } from './views.js';

/**
 * views.publish: one Home tab per user, replaced by each publish. Refused as Slack documents it: a missing
 * user_id or view, a view that is not `type: home`, Block Kit limits (100 blocks on a Home tab), a view over
 * 250 kB (`view_too_large`), a stale `hash` (`hash_conflict`).
 */

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
const MAX_VIEW_BYTES = 250 * 1024;

export function homeViewProblems(view: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (view.type !== 'home') problems.push('view.type must be "home"');
  for (const field of ['private_metadata', 'callback_id', 'external_id'] as const) {
    const value = view[field];
    const max = field === 'private_metadata' ? 3000 : 255;
    if (value !== undefined && (typeof value !== 'string' || value.length > max)) {
      problems.push(`view.${field}: a string of at most ${max} characters`);
    }
  }
  problems.push(...blockKitProblems(view.blocks, 'home'));
  return problems;
}

function invalid(message: string): MethodResult {
  return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [`[ERROR] ${message}`] } };
}

function viewsPublish(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const userId = stringParam(params.user_id);
  if (!userId) return invalid('missing user_id');
  if (!USER_ID.test(userId)) return { ok: false, error: 'invalid_arguments' };
  const view = params.view;
  if (view === null || typeof view !== 'object' || Array.isArray(view)) return invalid('missing view');
  const record = view as Record<string, unknown>;
  if (Buffer.byteLength(JSON.stringify(record)) > MAX_VIEW_BYTES)
    return { ok: false, error: 'view_too_large' };
  if (workspace.validateBlocks) {
    const problems = homeViewProblems(record);
    if (problems.length > 0) {
      return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
    }
  }
  const previous = workspace.homeViews.get(userId);
  const hash = stringParam(params.hash);
  if (hash !== undefined && previous && hash !== previous.hash) return { ok: false, error: 'hash_conflict' };
  const stored: StoredHomeView = {
    userId,
    id: previous?.id ?? workspace.nextViewId(),
    hash: workspace.newViewHash(),
    view: record,
    publishes: (previous?.publishes ?? 0) + 1,
  };
  workspace.homeViews.set(userId, stored);
  return {
    ok: true,
    view: viewJson(workspace, { id: stored.id, hash: stored.hash, view: record, updates: 0 }),
  };
}

export const HOME_METHODS: MethodTable = { 'views.publish': viewsPublish };
