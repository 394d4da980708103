// Owner: the @whis/hotkey work. A virtual X server for real key presses and the clipboard.

export interface VirtualDisplay {
  /** e.g. `:99`. */
  display: string;
  /** Environment to give child processes (DISPLAY set, WAYLAND_DISPLAY removed). */
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Stops the Xvfb process this call started. */
  stop(): Promise<void>;
}

/** Starts Xvfb on a free display number (`-displayfd`) and waits until it accepts clients. */
export async function startXvfb(): Promise<VirtualDisplay> {
  throw new Error('startXvfb: not implemented yet');
}

/** Runs `xdotool` with the given arguments against a display. */
export async function xdotool(_display: VirtualDisplay, _args: string[]): Promise<void> {
  throw new Error('xdotool: not implemented yet');
}
