/**
 * The ports the service host (`@whis/service-core`) composes. The adapters (`@whis/audio`,
 * `@whis/output`, …) take their types from here instead of copying them; each port has an
 * in-memory twin in `@whis/service-core/testing`.
 */

export interface Level {
  /** Root mean square of the last window, 0..1 of full scale. */
  rms: number;
  /** Largest absolute sample of the last window, 0..1 of full scale. */
  peak: number;
}

/** One independently decodable piece of a recording, already encoded on disk. */
export interface AudioChunk {
  path: string;
  /** e.g. `audio/mpeg`. */
  mimeType: string;
  /** Offset of this chunk in the recording. */
  startMs: number;
  durationMs: number;
  bytes: number;
  /**
   * Whether a speech detector heard speech in it; absent when none judged it. A chunk without
   * speech is not uploaded, and the text of one with speech is kept whatever it says (a
   * "Thank you." is a reply, not a silence hallucination).
   */
  speech?: boolean;
}

export interface CaptureOptions {
  /**
   * Directory the capture writes its encoded chunks into, as it records
   * (`<directory>/<n>.<ext>`); it exists and belongs to this recording.
   */
  directory: string;
  /**
   * The audio as it is kept (16 kHz mono PCM16, silence trimmed as in the chunks), with the index of
   * the chunk it goes into, as it is written, from the first frame (the pre-roll included): what a
   * live transcription streams. Optional.
   */
  onPcm?: (pcm: Int16Array, segment: number) => void;
  /** Close a chunk at the first pause after this long (ms), for this recording; default: the source's own. */
  segmentMs?: number;
  /**
   * A sound to play once the recording is live (its first sample is in), so that what the user
   * hears means "speak now"; the source removes the sound's frequencies from what it records until
   * it is over. Optional.
   */
  startCue?: StartCue;
}

/**
 * A short sound made of a few known frequencies (the start cue). The audio source plays it when
 * its first sample is in, never before, so the cue cannot delay the recording; and keeps it out
 * of the recording by filtering those frequencies out while it plays, so that no word spoken
 * over it is lost.
 */
export interface StartCue {
  /** The frequencies (Hz) the sound is made of. */
  readonly frequencies: readonly number[];
  /**
   * Plays the sound; resolves once it is over and back from the speaker (what the microphone can
   * still hear of it). Never rejects.
   */
  play(): Promise<void>;
}

/** What a finished capture left on disk. */
export interface CapturedAudio {
  chunks: AudioChunk[];
  durationMs: number;
  /** False when the recording holds no speech: the host does not send it. */
  speechDetected: boolean;
}

/** A capture in progress. */
export interface Capture {
  /** Level a few times a second. Returns a disposer. */
  onLevel(listener: (level: Level) => void): () => void;
  /**
   * Each chunk once it is closed, a finished and independently decodable file, while recording goes
   * on (cut at pauses; the last one comes from `stop()`), so the host can transcribe it at once. Optional: a
   * capture without it has its chunks transcribed after stop. Returns a disposer.
   */
  onChunk?(listener: (chunk: AudioChunk) => void): () => void;
  /**
   * The device failed mid-recording (unplugged, …). The capture has ended; `stop()`
   * still returns what was captured until then. Returns a disposer.
   */
  onError(listener: (error: Error) => void): () => void;
  /** Ends the capture, keeping the tail (the last word before the hotkey), and finalises the files. */
  stop(): Promise<CapturedAudio>;
  /** Ends the capture and deletes what it wrote. */
  abort(): Promise<void>;
}

export interface AudioSource {
  /** Starts capturing; rejects with a clear error when there is no usable device. */
  start(options: CaptureOptions): Promise<Capture>;
  /**
   * Gets ready ahead of the first recording (loads the audio library, finds the device, or opens a
   * microphone that is kept open). Called once when the service starts; a failure is only logged:
   * `start()` reports it where the user sees it.
   */
  prepare?(): Promise<void>;
  /** Releases what `prepare()` holds; called once when the service has shut down. */
  close?(): Promise<void>;
}

export interface TranscribeOptions {
  signal?: AbortSignal;
  /** What was said just before these chunks (the previous segment's text), as context. */
  context?: string;
  /** Chunk progress for long recordings. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /** Each attempt at uploading a chunk as it begins (the first included), for status and logs. */
  onAttempt?: (attempt: UploadAttempt) => void;
}

/** An attempt at uploading one chunk. */
export interface UploadAttempt {
  /** The chunk's index in the call. */
  chunk: number;
  /** 1 for the first; 2 and on are retries. */
  attempt: number;
  /** The most attempts this upload makes (fewer when its time budget runs out first). */
  attempts: number;
  /** How long this attempt may take (ms); absent where the transcriber does not say. */
  timeoutMs?: number;
  /** Why the attempt before failed, e.g. "no answer in 13 s" or "HTTP 503". */
  previousError?: string;
}

export interface Transcriber {
  /** Transcribes the chunks (in parallel where it can) and returns the merged text. */
  transcribe(chunks: readonly AudioChunk[], options?: TranscribeOptions): Promise<{ text: string }>;
}

export interface LiveSessionOptions {
  /** A piece of a segment's text, as it is recognised. */
  onDelta?(segment: number, delta: string): void;
}

/** One recording streamed to a live transcription service while it is being recorded. */
export interface LiveSession {
  /** How long a segment should last before it is cut at a pause and its text asked for (ms). */
  readonly segmentMs?: number;
  /** Audio of segment `segment` (16 kHz mono PCM16), in order; a new segment number begins the next one. */
  append(pcm: Int16Array, segment: number): void;
  /**
   * The final text of a segment. Rejects when the segment could not be transcribed live (the
   * connection dropped, the session was refused, …): the caller uploads its chunk instead.
   */
  text(segment: number): Promise<string>;
  /** The segment in progress ends (its chunk was closed, or the recording stopped): its text is asked for now. */
  end(): void;
  /** Closes the connection; texts not complete yet reject. */
  close(): void;
}

/** Transcribes while recording (OpenAI's Realtime transcription session, …). */
export interface LiveTranscriber {
  /** A session for one recording, or null when live transcription is not configured. */
  open(options?: LiveSessionOptions): Promise<LiveSession | null>;
}

export interface Output {
  readonly name: string;
  /** Delivers the transcript (clipboard, stdout, a file, …). */
  deliver(text: string): Promise<void>;
}

export interface TextProcessOptions {
  /** The focused window's class (`xterm`, `kitty`, …), for per-application profiles; looked up when absent. */
  windowClass?: string;
  signal?: AbortSignal;
}

/** A transcript after post-processing, with what was done to it. */
export interface ProcessedText {
  text: string;
  /** The steps that ran and changed or kept the text, in order (e.g. `replacements`, `llm`). */
  applied: string[];
  /** Why a step left the text as it was (timed out, rejected, failed), one line each. */
  notes: string[];
}

/**
 * Tidies a transcript between "transcribed" and "delivered" (replacements, spoken punctuation, a
 * language model, …). It never rejects for a step's failure: the text before that step is kept.
 */
export interface TextProcessor {
  process(text: string, options?: TextProcessOptions): Promise<ProcessedText>;
}

/**
 * What a recording is for: words to write where the cursor is (`dictate`, the default), or an
 * instruction that changes the text selected in the focused window (`edit`; with nothing
 * selected, a request to write at the cursor).
 */
export type RecordingAction = 'dictate' | 'edit';

export type TriggerEvent =
  /** `action`: what the recording it starts is for (default `dictate`); ignored when it finishes one. */
  | { type: 'toggle'; action?: RecordingAction }
  | { type: 'start'; action?: RecordingAction }
  | { type: 'finish' }
  | { type: 'cancel' }
  /** The trigger cannot work (no display, Wayland, backend died); the host keeps running. */
  | { type: 'unavailable'; reason: string }
  /** The trigger works (again); `binding`: the key the desktop bound for it, when the desktop chose (the portal). */
  | { type: 'available'; binding?: string };

/** The text selected in the focused window when an edit began. */
export interface Selection {
  /** Empty when nothing is selected. */
  text: string;
  /** Where it was read: the primary selection, or the clipboard after the copy chord. */
  source: 'primary' | 'copy';
}

/** Reads what the user selected (the edit action's input). */
export interface SelectionSource {
  /**
   * The focused window's selection; empty text when nothing is selected. Rejects with a coded
   * error that says what to do when it cannot be read or is too large to send.
   */
  read(options?: { signal?: AbortSignal }): Promise<Selection>;
}

/** An edit asked of a language model: the spoken instruction, applied to the selection. */
export interface EditRequest {
  /** What the user said ("make this more formal"). */
  instruction: string;
  /** The selected text, sent as data, never as instructions; empty: write at the cursor. */
  selection: string;
  signal?: AbortSignal;
}

/** Changes or writes text by an instruction (a chat model). */
export interface TextEditor {
  /** Where the selection is sent (an endpoint and model), for `status` and `whis doctor`. */
  readonly describe: string;
  /**
   * The answer, cleaned and checked. Rejects with a coded error that says why (the model could not
   * be reached, took longer than its budget, refused, or answered nothing usable).
   */
  edit(request: EditRequest): Promise<{ text: string }>;
}

/** A source of user intent: a global hotkey, push-to-talk, Enter on a TTY. */
export interface Trigger {
  /** Human description, e.g. `ctrl+shift+r (toggle)`. */
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Returns a disposer. */
  onEvent(listener: (event: TriggerEvent) => void): () => void;
}

/**
 * What the service does around each recording besides capturing it: pausing the media that play,
 * a start sound once the microphone is live, a stop sound once it is closed. Optional for the host.
 */
export interface RecordingHooks {
  /**
   * Runs when a recording is asked for, before the microphone opens; the capture waits for it, so
   * it must be short (and bounded). It may return a `startCue`, passed on to the capture, which
   * plays it once live. A failure is only logged: the recording starts anyway.
   */
  beforeCapture?(): Promise<CapturePrelude | void>;
  /**
   * The microphone has stopped (the recording finished, was cancelled or failed, or the
   * microphone never started): a sound played from here on cannot be recorded.
   */
  afterCapture?(): void;
}

/** What `beforeCapture` gives the capture. */
export interface CapturePrelude {
  /** The start sound, for the capture to play once live (see CaptureOptions.startCue). */
  startCue?: StartCue;
}

/** A pino-compatible logger; every package takes one optionally and defaults to silence. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface Clock {
  now(): number;
}
