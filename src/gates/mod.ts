/** Public API of the text gates (PII detectors, phrase lists, linear-time regex, streaming hold-back). */
export { compileGates } from "./compile.ts";
export { RAW_UNITS_PER_UNIT } from "./normalize.ts";
export { GateCompileError, type GateIssue } from "./errors.ts";
export { PII_DETECTORS, type PiiDetector } from "./pii/detectors.ts";
export {
  DEFAULT_REGEX_MAX_LENGTH, GateRuleSchema, MAX_REGEX_MAX_LENGTH,
  type Finding, type GateAction, type GateRule, type GateSet, type GateStep, type TextStream,
} from "./rule.ts";
