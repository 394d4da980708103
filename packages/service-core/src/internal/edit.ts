import type { EditEntry, EditOutcome, EditStatus, ErrorInfo, ServiceEvent } from '@whis/ipc';
import { HostError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { Clock, Logger, Output, Selection, SelectionSource, TextEditor } from '../ports.js';
import { errorId, type ErrorId } from './error-codes.js';

/** Edit by voice, as the host is given it (ServiceHostOptions.edit). */
export interface EditParts {
  /** Reads the selection when the edit key is pressed. */
  selection: SelectionSource;
  /** The chat model; absent, an edit is refused with `problem`. */
  editor?: TextEditor;
  /** Why edits cannot run (no chat model configured, …) and how to set one up. */
  problem?: string;
  /** The edit key (canonical spec), for `status`; null or absent: none. */
  hotkey?: string | null;
  /** How the selection is read (auto, primary, copy), for `status`. */
  selectionMode?: string;
  /** Whether the edit key works (read at each `status`): why not, or what the desktop bound. */
  key?: () => { problem?: string; binding?: string } | undefined;
}

export interface EditContext {
  parts: EditParts | undefined;
  journal: Journal;
  output: Output;
  logger: Logger;
  clock: Clock;
  emit(event: ServiceEvent): void;
  reportError(error: ErrorId, message: string, recordingId?: string): ErrorInfo;
}

const NOT_SET_UP =
  'Editing by voice is not set up in this service: it needs a chat model (`whis config set llmBaseURL …`, see `whis doctor`).';

/**
 * The edit action of the service: refuses it when no chat model is set, reads the selection at
 * the press, and once the instruction is transcribed asks the model and places its answer where
 * the selection was (or at the cursor when nothing was selected) through the output. The journal
 * keeps the selection, the instruction and the answer, whatever happens: the selection on the
 * screen is only replaced by a checked answer, and can be put back (`whis last --original`).
 */
export class EditFlow {
  // edit recordings from their press until their answer is placed (or given up): their segments
  // are not typed where the cursor is, and their text is not post-processed
  private readonly recordings = new Set<string>();
  private last: EditStatus['last'];

  constructor(private readonly ctx: EditContext) {}

  /** Whether `recordingId` is an edit's (its segments are shown, never typed). */
  has(recordingId: string): boolean {
    return this.recordings.has(recordingId);
  }

  /** Throws (and tells the user) when an edit cannot run now; before anything records. */
  refuseUnlessReady(): void {
    const { parts } = this.ctx;
    if (parts?.editor) return;
    const message = parts?.problem ?? NOT_SET_UP;
    this.ctx.reportError({ domain: 'edit', code: 'edit-unavailable' }, message);
    throw new HostError('edit-unavailable', message);
  }

  /**
   * The edit's recording began: reads the selection now (while the window the user pressed the
   * key in still has it) and keeps it in the journal. Rejects when it cannot be read.
   */
  begin(recordingId: string): Promise<Selection> {
    this.recordings.add(recordingId);
    const read = this.ctx.parts!.selection.read().then(async (selection) => {
      await this.ctx.journal.selected(recordingId, selection).catch((err: unknown) => {
        this.ctx.logger.warn(
          { err, recordingId },
          'the selection could not be kept in the journal',
        );
      });
      return selection;
    });
    read.catch(() => undefined);
    return read;
  }

  /** The edit's recording ended without an instruction to act on (cancelled, failed). */
  drop(recordingId: string): void {
    this.recordings.delete(recordingId);
  }

  /**
   * The instruction is transcribed: asks the model and places the answer (`place`: false for a
   * `retry`, whose selection is no longer on the screen: the answer waits in `whis last`).
   * Resolves with the answer ('' when there is none); never rejects.
   */
  async apply(
    recordingId: string,
    spoken: string,
    selected: Promise<Selection> | undefined,
    signal: AbortSignal,
    place: boolean,
  ): Promise<string> {
    try {
      return await this.run(recordingId, spoken, selected, signal, place);
    } finally {
      this.recordings.delete(recordingId);
    }
  }

  status(): EditStatus {
    const { parts } = this.ctx;
    const key = parts?.key?.();
    return {
      hotkey: parts?.hotkey ?? null,
      ...(key?.problem ? { hotkeyProblem: key.problem } : {}),
      ...(key?.binding ? { hotkeyBinding: key.binding } : {}),
      ...(parts?.editor ? { endpoint: parts.editor.describe } : {}),
      ...(parts?.editor ? {} : { problem: parts?.problem ?? NOT_SET_UP }),
      ...(parts?.selectionMode ? { selection: parts.selectionMode } : {}),
      ...(this.last ? { last: this.last } : {}),
    };
  }

  private async run(
    id: string,
    spoken: string,
    selected: Promise<Selection> | undefined,
    signal: AbortSignal,
    place: boolean,
  ): Promise<string> {
    const { parts, journal, output, emit, reportError } = this.ctx;
    const instruction = spoken.trim();
    let selection = '';
    try {
      selection = (await (selected ?? journal.selection(id)))?.text ?? '';
    } catch (err) {
      // the press ended the recording already; a retry finds no selection: it writes
      this.ctx.logger.debug({ err, recordingId: id }, 'the selection was not read');
    }
    const entry = (outcome: EditOutcome, error?: string): EditEntry => ({
      instruction,
      selection,
      outcome,
      ...(error ? { error } : {}),
    });
    const fail = async (error: ErrorId, why: string) => {
      const message = `${why} The selection is left as it was; \`whis last\` shows the instruction.`;
      await journal
        .transcribed(id, '', { raw: spoken, edit: entry('failed', why) })
        .catch((err: unknown) => this.ctx.logger.warn({ err, recordingId: id }, 'edit not saved'));
      this.remember('failed', id);
      reportError(error, message, id);
      return '';
    };
    if (instruction === '')
      return fail({ domain: 'edit', code: 'no-instruction' }, 'No instruction was heard.');
    let answer: string;
    try {
      if (!parts?.editor) throw new HostError('edit-unavailable', parts?.problem ?? NOT_SET_UP);
      answer = (await parts.editor.edit({ instruction, selection, signal })).text;
    } catch (err) {
      return fail(errorId(err, { domain: 'edit', code: 'edit-failed' }), (err as Error).message);
    }
    const outcome = selection ? 'replaced' : 'written';
    let unsaved: unknown;
    try {
      await journal.transcribed(id, answer, {
        raw: spoken,
        edit: entry(place ? outcome : 'saved'),
      });
    } catch (err) {
      unsaved = err ?? new Error('the journal failed');
    }
    if (!place) {
      this.remember('saved', id);
      return answer;
    }
    emit({
      type: 'transcript',
      recordingId: id,
      text: answer,
      raw: spoken,
      edit: { outcome, instruction },
    });
    try {
      await output.deliver(answer);
    } catch (err) {
      const where =
        unsaved === undefined
          ? 'The answer is saved: `whis last --paste` places it.'
          : `It was not saved either: ${(unsaved as Error).message}`;
      if (unsaved === undefined)
        await journal
          .transcribed(id, answer, { raw: spoken, edit: entry('saved') })
          .catch(() => undefined);
      this.remember('saved', id);
      reportError(
        errorId(err, { domain: 'output', code: 'output-failed' }),
        `Could not ${selection ? 'replace the selection' : 'write at the cursor'}: ${(err as Error).message} ${where}`,
        id,
      );
      return answer;
    }
    this.remember(outcome, id);
    if (unsaved !== undefined)
      reportError(
        errorId(unsaved, { domain: 'journal', code: 'journal-failed' }),
        `The edit was made but not saved: ${(unsaved as Error).message} It will not be in \`whis last\`.`,
        id,
      );
    this.ctx.logger.info({ recordingId: id, outcome, chars: answer.length }, 'edited');
    return answer;
  }

  private remember(outcome: EditOutcome, recordingId: string): void {
    this.last = { outcome, at: new Date(this.ctx.clock.now()).toISOString(), recordingId };
  }
}
