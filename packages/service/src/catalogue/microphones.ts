import { createMicrophone } from '@whis/audio';
import type { AudioSource } from '@whis/contracts';
import type { PartContext } from './context.js';

/** Where recordings come from. One row today: the system's microphone (PortAudio). */
export const MICROPHONES = {
  microphone: {
    summary: 'the microphone, through PortAudio (naudiodon)',
    create: ({ settings, logger }: PartContext, device = settings.device): AudioSource =>
      createMicrophone({
        device,
        ...(settings.segmentSeconds ? { cutAtPauseMs: settings.segmentSeconds * 1000 } : {}),
        keepOpen: settings.keepMicrophoneOpen ?? false,
        detectSpeech: settings.speechDetection ?? true,
        logger: logger.child({ component: 'audio' }),
      }),
  },
};
