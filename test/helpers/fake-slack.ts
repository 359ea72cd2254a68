// The fake Slack Web API lives in tools/fakes (the demo uses it too); edit it there.
export * from '../../tools/fakes/fake-slack.js';
