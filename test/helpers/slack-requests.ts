// Signed Slack requests live in tools/fakes (the demo uses them too); edit them there.
export * from '../../tools/fakes/slack-requests.js';
