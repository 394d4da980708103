// `@whis/transcribe/realtime`: a live transcription session without the rest of the package.
// The resampler and the URL helper stay inside.
export { RealtimeSession, createRealtimeTranscriber, type RealtimeOptions } from './realtime.js';
