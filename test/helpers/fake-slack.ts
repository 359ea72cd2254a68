// The fake Slack Web API lives in src/devtools (the demo uses it too); edit it there.
export * from '../../src/devtools/fake-slack.js';
