// Small shared values that more than one package needs: kept here, at the bottom of the graph, so
// that each is written once.

/** The audio files the transcription endpoints take, by extension, with their MIME types. */
export const AUDIO_MIME_TYPES: Readonly<Record<string, string>> = {
  '.mp3': 'audio/mpeg',
  '.mpga': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.webm': 'audio/webm',
};

/** The MIME type of an audio file by its extension (any case), or undefined when it is not one. */
export function audioMimeType(file: string): string | undefined {
  const dot = file.lastIndexOf('.');
  if (dot <= file.lastIndexOf('/')) return undefined;
  return AUDIO_MIME_TYPES[file.slice(dot).toLowerCase()];
}

/** 16-bit mono PCM as a WAV file (the 44-byte RIFF header, then the samples). */
export function wavFile(pcm: Int16Array, rate: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(pcm.byteLength, 40);
  return Buffer.concat([header, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength)]);
}

type Env = Readonly<Record<string, string | undefined>>;

/** A Wayland session: `WAYLAND_DISPLAY` is set, or the session type says so. */
export function isWaylandSession(env: Env): boolean {
  return Boolean(env.WAYLAND_DISPLAY) || env.XDG_SESSION_TYPE === 'wayland';
}

/** A display server is reachable by its variables (X11's `DISPLAY` or `WAYLAND_DISPLAY`). */
export function hasDisplay(env: Env): boolean {
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}
