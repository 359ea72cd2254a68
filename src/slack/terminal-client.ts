/**
 * A WebClient for the operator CLI: few retries and a short timeout, because a person is waiting at the
 * terminal, and silent, because failures surface through the command's own message (the client's console
 * logs would not reach the person in a useful form).
 */
import type { WebClient } from '@slack/web-api';

export async function terminalWebClient(botToken: string, apiUrl: string | undefined): Promise<WebClient> {
  const { WebClient, LogLevel } = await import('@slack/web-api');
  const quiet = () => undefined;
  return new WebClient(botToken, {
    ...(apiUrl === undefined ? {} : { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` }),
    retryConfig: { retries: 1, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    timeout: 10_000,
    logger: {
      debug: quiet,
      info: quiet,
      warn: quiet,
      error: quiet,
      setLevel: quiet,
      getLevel: () => LogLevel.ERROR,
      setName: quiet,
    },
  });
}
