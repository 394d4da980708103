// Owner: the @whis/audio work. A PulseAudio virtual microphone fed with speech.

export interface VirtualMicrophone {
  /** Environment for processes that capture (XDG_RUNTIME_DIR, PULSE_SERVER, HOME). */
  env: NodeJS.ProcessEnv;
  /** Plays a WAV file into the microphone and resolves when it has been played. */
  play(wavPath: string): Promise<void>;
  /** Stops the PulseAudio server and feeders this call started. */
  stop(): Promise<void>;
}

export async function startVirtualMicrophone(): Promise<VirtualMicrophone> {
  throw new Error('startVirtualMicrophone: not implemented yet');
}
