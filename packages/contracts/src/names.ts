// The names a setting may take, for the parts that live in packages the settings cannot load (the
// settings are bundled into the CLI; the parts load native addons, the openai SDK, D-Bus). Each
// list is here, at the bottom of the graph, and its owner's table is typed against it with
// `satisfies Record<Name, Row>`: a row without its name, or a name without its row, does not
// compile. `@whis/config` builds its schema from these lists, so there is no second copy.

/** The engines of `@whis/service`'s catalogue: the values of `mode`. */
export const ENGINE_NAMES = ['file', 'realtime', 'local'] as const;
/**
 * How speech becomes text: each segment uploaded as it closes, streamed to a live session, or
 * decoded on this machine.
 */
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The providers of `@whis/service`'s catalogue: the values of `provider`. */
export const PROVIDER_NAMES = ['openai', 'deepgram', 'elevenlabs'] as const;
/**
 * Whose service transcribes in `mode file` and `realtime`: OpenAI's API (or any endpoint that speaks
 * it, through `baseURL`), Deepgram's or ElevenLabs'.
 */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The triggers of `@whis/service`'s catalogue: the values of `hotkeyBackend`. */
export const TRIGGER_NAMES = ['auto', 'x11', 'portal', 'none'] as const;
/** Where a press of the hotkey comes from (`none`: the desktop binds `whis toggle`). */
export type TriggerName = (typeof TRIGGER_NAMES)[number];

/** The outputs of `@whis/service`'s catalogue: the values of `outputs`. */
export const OUTPUT_NAMES = ['clipboard', 'paste', 'type', 'stdout', 'file', 'command'] as const;
/** Where a transcript goes. */
export type OutputName = (typeof OUTPUT_NAMES)[number];

/** The keyboards of `@whis/output`'s catalogue: the values of `typeTool`. */
export const KEYBOARD_NAMES = [
  'xdotool',
  'wtype',
  'ydotool',
  'dotool',
  'portal',
  'osascript',
  'powershell',
] as const;
/** A keyboard of the catalogue. */
export type KeyboardName = (typeof KEYBOARD_NAMES)[number];

/** The steps of `@whis/postprocess`'s catalogue: the values of `postProcess`. */
export const STEP_NAMES = ['replacements', 'spoken', 'fillers', 'llm', 'command'] as const;
/** A post-processing step. */
export type StepName = (typeof STEP_NAMES)[number];

/** What `@whis/postprocess` does with the end of a transcript: the values of `finalPunctuation`. */
export const FINAL_PUNCTUATIONS = ['keep', 'add', 'remove'] as const;
/** As it came, a period added where none, or a final period (comma, colon, semicolon) removed. */
export type FinalPunctuation = (typeof FINAL_PUNCTUATIONS)[number];

/** The feedback kinds of `@whis/service`'s catalogue: what `notify`, `sounds` and `pauseMedia` turn on. */
export const FEEDBACK_NAMES = ['notifications', 'cues', 'media'] as const;
/** A kind of feedback: desktop notifications, sound cues (`sounds`), media paused while recording. */
export type FeedbackName = (typeof FEEDBACK_NAMES)[number];

/** `@whis/feedback`'s notification levels: the values of `notify`. */
export const NOTIFY_LEVELS = ['errors', 'all', 'off'] as const;
/** Which notifications are shown: failures that need the user, those and every transcript, none. */
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

/** `@whis/feedback`'s sound cues: the values of `sounds`. */
export const CUES = ['start', 'stop', 'error'] as const;
/** A sound cue. */
export type Cue = (typeof CUES)[number];

/** How `@whis/output` reads the selection an edit changes: the values of `editSelection`. */
export const SELECTION_MODES = ['auto', 'primary', 'copy'] as const;
/**
 * `primary`: the primary selection (X11, and Wayland compositors that offer it); `copy`: the copy
 * chord is sent to the focused window and the clipboard read, then put back as it was; `auto`:
 * the primary selection, else the copy chord.
 */
export type SelectionMode = (typeof SELECTION_MODES)[number];
