import type { App } from '@slack/bolt';
import type { Logger } from '../../logger.js';
import { HomeTab } from '../home.js';

/**
 * `app_home_opened`: publish the person's Home tab. Slack sends the event for the Messages tab too
 * (`tab: 'messages'`), which has nothing of cosjob's to show; the user id is checked before it is used.
 */
export function registerHome(app: App, home: HomeTab, logger: Logger): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== undefined && event.tab !== 'home') return;
    if (!HomeTab.isUserId(event.user)) {
      logger.warn('app_home_opened without a usable user id; ignored');
      return;
    }
    await home.publish(event.user);
  });
}
