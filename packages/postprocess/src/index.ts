export {
  createTextProcessor,
  planChain,
  profileFor,
  chainUses,
  prepareChain,
  applyFinalPunctuation,
  describeChain,
  checkChain,
  type TextProcessorOptions,
  type ChainPlan,
} from './chain.js';
export {
  STEPS,
  STEP_NAMES,
  isStepName,
  DEFAULT_LLM_MODEL,
  DEFAULT_LLM_TIMEOUT_MS,
  COMMAND_TIMEOUT_MS,
  chatModel,
  type StepName,
  type StepDefinition,
  type Step,
  type StepOutcome,
  type StepContext,
  type StepCheck,
  type PostProcessSettings,
  type Profile,
  type FinalPunctuation,
} from './catalogue.js';
export { createReplacer, parseReplacements, type Replacements } from './steps/replacements.js';
export { applySpokenPunctuation } from './steps/spoken.js';
export { removeFillers } from './steps/fillers.js';
export {
  createLlmTidy,
  prepareLlm,
  judgeTidyUp,
  DEFAULT_LLM_PROMPT,
  GUARD,
  type LlmOptions,
  type LlmOutcome,
  type Verdict,
} from './steps/llm.js';
export { runTextCommand, type CommandOptions } from './steps/command.js';
export {
  createLlmEditor,
  buildEditMessages,
  cleanEditAnswer,
  DEFAULT_EDIT_PROMPT,
  DEFAULT_EDIT_BASE_URL,
  DEFAULT_EDIT_TIMEOUT_MS,
  type EditorOptions,
  type EditMessages,
} from './edit.js';
export {
  PostProcessError,
  EditError,
  type PostProcessErrorCode,
  type EditErrorCode,
} from './errors.js';
