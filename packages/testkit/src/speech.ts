// Owner: the @whis/audio work. Speech synthesis (flite) and offline recognition (pocketsphinx).

/** Speaks `text` with flite into a 16 kHz mono 16-bit WAV at `wavPath`. */
export async function synthesize(_text: string, _wavPath: string): Promise<void> {
  throw new Error('synthesize: not implemented yet');
}

/** Recognises speech in any audio file ffmpeg can decode; returns lower-case words. */
export async function recognize(_audioPath: string): Promise<string> {
  throw new Error('recognize: not implemented yet');
}
