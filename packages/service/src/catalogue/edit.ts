// Edit by voice: the selection reader and the chat model the settings name, and what `whis doctor`
// and `status` say of them. The selection goes to that model and nowhere else: the row says which
// one, and whether it is on this machine.
import { editHotkeyOf, type Settings } from '@whis/config';
import type { EditParts } from '@whis/service-core';
import { createSelectionSource } from '@whis/output';
import {
  chatModel,
  createLlmEditor,
  DEFAULT_EDIT_BASE_URL,
  DEFAULT_EDIT_TIMEOUT_MS,
} from '@whis/postprocess';
import type { PartContext } from './context.js';
import { optional, type Row } from './row.js';

/** What to do when no chat model is known: one on this machine first. */
export const NO_CHAT_MODEL =
  "Editing by voice needs a chat model. On this machine, nothing sent away: run Ollama (`ollama pull llama3.2`), then `whis config set llmBaseURL http://127.0.0.1:11434/v1` and `whis config set llmModel llama3.2` (llama.cpp's server: `http://127.0.0.1:8080/v1`). Or OpenAI's: `whis config --api-key sk-…`.";

// The endpoint the selection is sent to, or undefined when no chat model is known.
function endpointOf(settings: Settings, env: NodeJS.ProcessEnv) {
  const chat = chatModel(settings, env);
  return chat.apiKey ? chat : undefined;
}

/** Whether `url` names this machine (the selection does not leave it). */
export function isOnThisMachine(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127\./.test(host);
  } catch {
    return false;
  }
}

const where = (chat: { baseURL?: string; model: string }) =>
  `${chat.baseURL ?? DEFAULT_EDIT_BASE_URL} (${chat.model})`;

export interface EditRow extends Row {
  /** The parts the service host's `edit` takes. */
  create(context: Pick<PartContext, 'settings' | 'env' | 'logger'>): EditParts;
}

/** Edit by voice, one row: every setting of it is read here. */
export const EDIT: EditRow = {
  summary:
    'edit by voice: select text, press the edit key (editHotkey), say what to change (editSelection, editPrompt, editTimeoutMs; the chat model of llmBaseURL, llmModel)',
  create({ settings, env, logger }) {
    const chat = endpointOf(settings, env);
    const mode = settings.editSelection ?? 'auto';
    return {
      selection: createSelectionSource({
        mode,
        env,
        // the copy chord goes through the keyboard the type and paste outputs use
        ...(settings.typeTool ? { tool: settings.typeTool } : {}),
        logger: logger.child({ component: 'selection' }),
      }),
      ...(chat
        ? {
            editor: createLlmEditor({
              ...chat,
              ...(settings.editPrompt ? { prompt: settings.editPrompt } : {}),
              timeoutMs: settings.editTimeoutMs || DEFAULT_EDIT_TIMEOUT_MS,
            }),
          }
        : { problem: NO_CHAT_MODEL }),
      hotkey: editHotkeyOf(settings) ?? null,
      selectionMode: mode,
    };
  },
  describe(settings, env) {
    const chat = endpointOf(settings, env);
    return chat ? `the selection goes to ${where(chat)}` : undefined;
  },
  problems: () => [],
  async probe({ settings, env }) {
    const chat = endpointOf(settings, env);
    if (!chat)
      return [
        optional({
          name: 'Edit by voice',
          ok: false,
          detail: 'no chat model: the edit key says how to set one up',
          fix: NO_CHAT_MODEL,
        }),
      ];
    const local = isOnThisMachine(chat.baseURL);
    return [
      optional({
        name: 'Edit by voice',
        ok: true,
        detail: `${editHotkeyOf(settings) ?? 'no key (`whis edit`)'}: the selected text and your instruction go to ${where(chat)}, ${local ? 'on this machine' : 'which is not on this machine'}, and nowhere else`,
      }),
    ];
  },
};
