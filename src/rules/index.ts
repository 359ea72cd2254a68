/** Approval rules: types, the default from the environment, the matcher, the hash and the wording. */
export { defaultRule } from './default-rule.js';
export { describeMatch, describeRule, type RuleWording } from './describe.js';
export { bucketGlobProblem, globMatches } from './glob.js';
export { canonicalJson, RULE_HASH_LENGTH, ruleHash } from './hash.js';
export { bucketOfResourceName, type JobFacts, jobFacts } from './job-facts.js';
export {
  chooseRule,
  evaluateRule,
  type KeyVerdict,
  type MatchKey,
  type RuleChoice,
  type RuleEvaluation,
} from './matcher.js';
export {
  type Approvers,
  DEFAULT_RULE_NAME,
  RULE_OPERATIONS,
  type Rule,
  type RuleMatch,
  type RuleOperation,
  type RuleRequirements,
  type RuleSet,
} from './types.js';
