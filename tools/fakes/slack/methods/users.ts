import type { MethodResult } from '../types.js';
import { stringParam } from '../wire.js';
import type { Workspace } from '../workspace.js';
import type { MethodTable } from './method.js';

/** auth.test (who the bot is), users.info and usergroups.users.list. */

function authTest(workspace: Workspace): MethodResult {
  return {
    ok: true,
    url: 'https://fake.slack.test/',
    team: 'Fake Team',
    user: 'cosjob',
    team_id: workspace.teamId,
    user_id: workspace.botUserId,
    bot_id: workspace.botId,
  };
}

function usersInfo(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const user = workspace.users.get(stringParam(params.user) ?? '');
  if (!user) return { ok: false, error: 'user_not_found' };
  return {
    ok: true,
    user: {
      id: user.id,
      team_id: workspace.teamId,
      name: user.name,
      real_name: user.realName ?? user.name,
      deleted: user.deleted ?? false,
      is_bot: user.isBot ?? false,
      profile: { display_name: user.displayName ?? user.name, real_name: user.realName ?? user.name },
    },
  };
}

function usergroupUsers(workspace: Workspace, params: Record<string, unknown>): MethodResult {
  const members = workspace.usergroups.get(stringParam(params.usergroup) ?? '');
  if (!members) return { ok: false, error: 'no_such_subteam' };
  return { ok: true, users: [...members] };
}

export const USER_METHODS: MethodTable = {
  'auth.test': authTest,
  'users.info': usersInfo,
  'usergroups.users.list': usergroupUsers,
};
