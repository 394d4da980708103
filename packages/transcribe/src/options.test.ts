import { expect, it } from 'vitest';
import { resolveTranscriberOptions } from './options.js';

it('takes flag over env over settings over default', () => {
  const env = {
    OPENAI_API_KEY: 'env-key',
    OPENAI_BASE_URL: 'http://env/v1',
    WHIS_MODEL: 'env-model',
  };
  const settings = {
    apiKey: 'file-key',
    baseURL: 'http://file/v1',
    model: 'file-model',
    language: 'de',
  };
  expect(resolveTranscriberOptions({ flags: { model: 'flag-model' }, env, settings })).toEqual({
    apiKey: 'env-key',
    baseURL: 'http://env/v1',
    model: 'flag-model',
    language: 'de',
  });
  expect(resolveTranscriberOptions({ env: {}, settings: { apiKey: 'file-key' } })).toEqual({
    apiKey: 'file-key',
    model: 'gpt-transcribe',
  });
});

it('says how to set a key when there is none', () => {
  expect(() => resolveTranscriberOptions({ env: {}, settings: {} })).toThrow(
    /whis config --api-key/,
  );
});

it('takes the upload time scale from the settings or WHIS_UPLOAD_TIMEOUT_SCALE, and refuses one ≤ 0', () => {
  const settings = { apiKey: 'k', uploadTimeoutScale: 2.5 };
  expect(resolveTranscriberOptions({ env: {}, settings }).timeoutScale).toBe(2.5);
  expect(
    resolveTranscriberOptions({ env: { WHIS_UPLOAD_TIMEOUT_SCALE: '4' }, settings }).timeoutScale,
  ).toBe(4);
  expect(resolveTranscriberOptions({ env: {}, settings: { apiKey: 'k' } })).not.toHaveProperty(
    'timeoutScale',
  );
  expect(() =>
    resolveTranscriberOptions({ env: { WHIS_UPLOAD_TIMEOUT_SCALE: 'slow' }, settings }),
  ).toThrow(/uploadTimeoutScale must be a number above 0/);
});
