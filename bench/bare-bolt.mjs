/**
 * The baseline of the click storm: a Bolt app with cosjob's Bolt version, HTTP receiver and signing
 * secret, whose listeners for cosjob's action ids only acknowledge. Plain JavaScript started with plain
 * `node`, so its start-up and footprint are Bolt's own. Configured by environment:
 * SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL (the fake Slack Web API), PORT.
 */
import bolt from '@slack/bolt';

const { App, LogLevel } = bolt;

const required = (name) => {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`bare-bolt: ${name} is missing\n`);
    process.exit(2);
  }
  return value;
};

const app = new App({
  signingSecret: required('SLACK_SIGNING_SECRET'),
  token: required('SLACK_BOT_TOKEN'),
  // As cosjob does: one auth.test in init(), cached for every request. (With tokenVerificationEnabled:
  // false, Bolt 5.1 calls auth.test again on every request, which would make the baseline slower.)
  deferInitialization: true,
  clientOptions: { slackApiUrl: required('SLACK_API_URL') },
  logLevel: LogLevel.ERROR,
  customRoutes: [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok');
      },
    },
  ],
});

// The same action ids cosjob routes on (src/slack/blocks/ids.ts).
for (const actionId of ['cosjob_approve', 'cosjob_cancel', 'cosjob_audit']) {
  app.action(actionId, async ({ ack }) => {
    await ack();
  });
}

await app.init();
await app.start(Number(required('PORT')));
process.stdout.write('bare bolt app is running\n');
const stop = () => {
  app.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
