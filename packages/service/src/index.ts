export { runService } from './run.js';
export { composeService, type Composition, type CompositionOptions } from './compose.js';
export {
  OUTPUTS,
  TRIGGERS,
  ENGINES,
  MICROPHONES,
  isOutputName,
  outputNeeds,
  describeOutputs,
  describeTranscription,
  type OutputRow,
  type OutputNeeds,
  type OutputName,
  type TriggerRow,
  type TriggerName,
  type TriggerOptions,
  type PartContext,
  type SettingsSource,
} from './catalogue/index.js';
