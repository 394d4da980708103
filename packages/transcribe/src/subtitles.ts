import type { PieceResult } from './pieces.js';

export type SubtitleFormat = 'srt' | 'vtt';

function timestamp(ms: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(total % 1000, 3)}`;
}

/**
 * Subtitles from the pieces of a recording: one cue per piece that has text, over the piece's
 * time range (SubRip `.srt`, or WebVTT `.vtt`). Skipped and empty pieces have no cue.
 */
export function formatSubtitles(pieces: readonly PieceResult[], format: SubtitleFormat): string {
  const separator = format === 'srt' ? ',' : '.';
  const cues = pieces
    .filter((piece) => piece.text.trim() !== '')
    .map((piece, i) => {
      const times = `${timestamp(piece.startMs, separator)} --> ${timestamp(piece.endMs, separator)}`;
      // a blank line ends a cue: the text keeps none
      const text = piece.text.trim().replace(/\n\s*\n/g, '\n');
      return format === 'srt' ? `${i + 1}\n${times}\n${text}\n` : `${times}\n${text}\n`;
    });
  return format === 'srt' ? cues.join('\n') : `WEBVTT\n\n${cues.join('\n')}`;
}
