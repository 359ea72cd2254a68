// Signed Slack requests live in src/devtools (the demo uses them too); edit them there.
export * from '../../src/devtools/slack-requests.js';
