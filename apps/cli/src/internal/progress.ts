const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  /** Replaces what is being done. */
  update(label: string): void;
  /** Clears the line; `final`, when given, stays printed. */
  stop(final?: string): void;
}

/**
 * A spinner with the elapsed time on stderr, for work that takes seconds: only on a terminal; piped
 * or redirected, nothing is written (stdout holds only the result either way).
 */
export function startProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = performance.now();
  let frame = 0;
  let current = label;
  const draw = () => {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current} ${seconds} s`);
  };
  draw();
  const timer = setInterval(draw, 100);
  timer.unref();
  let stopped = false;
  return {
    update(next) {
      if (stopped) return;
      current = next;
      draw();
    },
    stop(final) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(`\r\x1b[2K${final ? `${final}\n` : ''}`);
    },
  };
}
