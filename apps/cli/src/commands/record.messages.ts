// What the one-shot `whis` and its recording worker say to each other over the IPC channel.

/** From the worker: the recording began, it is being transcribed, its text, or why it failed. */
export type WorkerMessage =
  | { type: 'recording'; id: string }
  | { type: 'transcribing' }
  | { type: 'transcript'; text: string }
  | { type: 'failed'; message: string; code?: string };

/** From the parent: end the recording and transcribe it, or throw it away. */
export type ParentMessage = { type: 'finish' } | { type: 'cancel' };
