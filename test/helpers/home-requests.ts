// Home tab requests live in tools/fakes (beside the other signed Slack requests); edit them there.
export * from '../../tools/fakes/home-requests.js';
