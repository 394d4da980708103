// The models whis can download, each file pinned by size and SHA-256. No value here was hashed by
// this project: they are the values that public projects pin for the same Hugging Face revision,
// each named below by its source (repository @ commit : path), and agreeing with each other. The
// first download of each model checks them; a value that is not known (`sha256: null`) is recorded
// by the first download, and the user is told that the file was not verified.
//
// Sources:
//   S1 svenons/jarvis-assistant @083f0f5308cfbb94387a9f313b64de1585ff14f0
//      app/src/main/java/dk/foss/jarvis/voice/LocalSttModel.kt (v2, v3, moonshine tiny, base.en)
//   S2 throndir2/Martlet @6748e839c4798702490e034072345204b1559ef2
//      workers/parakeet/host/martlet_parakeet_host.py (v2, v3)
//   S3 VocaHQ/vocaphone @566859f77218b23b4058a5c9a428643afd8f34e5
//      android/app/src/main/java/com/vocahq/vocaphone/local/SherpaModelCatalog.kt (v2, v3, totals);
//      an earlier version of that file has moonshine tiny (S3-old)
//   S4 glmn-ai/neurosquad-cli @d538e9cc9e9001d61b610b602282823bdd7ec2aa
//      packages/dictation/src/models.ts (v3), packages/dictation/src/recognizer.real.test.ts (tiny.en)
//   S5 DevEmperor/DictateKeyboard @7b83d4a2c03173a6825dc27f89a127ea561ffbff
//      app/src/main/kotlin/dev/patrickgold/florisboard/dictate/provider/LocalModelCatalog.kt
//   S6 zaakirio/Incant @19bc0281725b1b82a2a7f3ed82c329d8d78dd536 crates/incant-daemon/src/stt.rs
//   S7 airope/murmur-community @1d49d89c82e318dbc8eb6760833c4910167d3a6e src/shared/constants.ts
//   S8 echo-loop/Echo-Loop @52f7cf32d17f36fa7938d75a259cf650a67b98d0
//      scripts/upload_asr_models_to_r2.sh (hashes only, no sizes)
// tokens.txt is not an LFS file in these repositories, so Hugging Face publishes no SHA-256 for it:
// its value is the one at least three unrelated projects computed from their downloads.

/** Which sherpa-onnx configuration a model needs. */
export type ModelType = 'nemo-transducer' | 'whisper' | 'moonshine';

/** The files each type needs, by the role sherpa-onnx gives them. */
export const MODEL_ROLES = {
  'nemo-transducer': ['encoder', 'decoder', 'joiner', 'tokens'],
  whisper: ['encoder', 'decoder', 'tokens'],
  moonshine: ['preprocessor', 'encoder', 'uncachedDecoder', 'cachedDecoder', 'tokens'],
} as const satisfies Record<ModelType, readonly string[]>;

/** A file's role in its model. */
export type ModelRole = (typeof MODEL_ROLES)[ModelType][number];

/**
 * The longest segment a type decodes, in seconds: Whisper reads at most 30 s of a stream (about
 * 29.5 s of speech once its padding is in), so the service must close segments before that.
 * The others have no such limit; their cost grows with the length.
 */
export const MAX_SEGMENT_SECONDS: Record<ModelType, number> = {
  'nemo-transducer': Infinity,
  whisper: 28,
  moonshine: Infinity,
};

/** One file of a catalogue model. */
export interface ModelFile {
  role: ModelRole;
  /** The file's name in the repository, and on disk. */
  path: string;
  bytes: number;
  /** Null where no public source pins it: the first download records it, unverified. */
  sha256: string | null;
  /** Which of the sources above pin it. */
  source: string;
}

/** A model of the catalogue. */
export interface CatalogueModel {
  name: string;
  title: string;
  type: ModelType;
  /** ISO-639-1 codes of the languages it transcribes. */
  languages: readonly string[];
  licence: string;
  /** The sum of the files. */
  sizeBytes: number;
  /** About how much memory it holds while loaded (MiB); see `memoryNote`. */
  memoryMiB: number;
  memoryNote: string;
  /** Hugging Face repository and the revision the files are pinned at. */
  repo: string;
  revision: string;
  files: readonly ModelFile[];
}

/** Where the files come from unless a mirror is set: `<base>/<repo>/resolve/<revision>/<file>`. */
export const DEFAULT_MODEL_BASE_URL = 'https://huggingface.co';

const EU25 = [
  'bg', 'hr', 'cs', 'da', 'nl', 'en', 'et', 'fi', 'fr', 'de', 'el', 'hu', 'it',
  'lv', 'lt', 'mt', 'pl', 'pt', 'ro', 'sk', 'sl', 'es', 'sv', 'ru', 'uk',
]; // prettier-ignore

const ESTIMATE = 'an estimate from the file sizes, not measured';

/** The catalogue, the default first. */
export const MODELS = [
  {
    name: 'parakeet-tdt-0.6b-v3',
    title: 'NVIDIA Parakeet TDT 0.6B v3 (int8)',
    type: 'nemo-transducer',
    languages: EU25,
    licence: 'CC-BY-4.0',
    sizeBytes: 670_478_772,
    memoryMiB: 1100,
    memoryNote: 'a stand-in of the same matrix sizes held about 1.1 GiB',
    repo: 'csukuangfj/sherpa-onnx-nemo-parakeet-tdt-0.6b-v3-int8',
    revision: '2bda32ec70b097a55adaa07d9a7173915b43cc78',
    files: [
      {
        role: 'encoder',
        path: 'encoder.int8.onnx',
        bytes: 652_184_281,
        sha256: 'acfc2b4456377e15d04f0243af540b7fe7c992f8d898d751cf134c3a55fd2247',
        source: 'S1 S2 S3 S4 S5',
      },
      {
        role: 'decoder',
        path: 'decoder.int8.onnx',
        bytes: 11_845_275,
        sha256: '179e50c43d1a9de79c8a24149a2f9bac6eb5981823f2a2ed88d655b24248db4e',
        source: 'S1 S2 S3 S4 S5',
      },
      {
        role: 'joiner',
        path: 'joiner.int8.onnx',
        bytes: 6_355_277,
        sha256: '3164c13fc2821009440d20fcb5fdc78bff28b4db2f8d0f0b329101719c0948b3',
        source: 'S1 S2 S3 S4 S5',
      },
      {
        role: 'tokens',
        path: 'tokens.txt',
        bytes: 93_939,
        sha256: 'd58544679ea4bc6ac563d1f545eb7d474bd6cfa467f0a6e2c1dc1c7d37e3c35d',
        source: 'S1 S2 S3 S4 S5 (computed from downloads)',
      },
    ],
  },
  {
    name: 'parakeet-tdt-0.6b-v2',
    title: 'NVIDIA Parakeet TDT 0.6B v2 (int8)',
    type: 'nemo-transducer',
    languages: ['en'],
    licence: 'CC-BY-4.0',
    sizeBytes: 661_190_513,
    memoryMiB: 1100,
    memoryNote: 'a stand-in of the same matrix sizes held about 1.1 GiB',
    repo: 'csukuangfj/sherpa-onnx-nemo-parakeet-tdt-0.6b-v2-int8',
    revision: '1ab9323565ddb038682214b292f588070a538ce2',
    files: [
      {
        role: 'encoder',
        path: 'encoder.int8.onnx',
        bytes: 652_184_296,
        sha256: 'a32b12d17bbbc309d0686fbbcc2987b5e9b8333a7da83fa6b089f0a2acd651ab',
        source: 'S1 S2 S3 S6',
      },
      {
        role: 'decoder',
        path: 'decoder.int8.onnx',
        bytes: 7_257_753,
        sha256: 'b6bb64963457237b900e496ee9994b59294526439fbcc1fecf705b31a15c6b4e',
        source: 'S1 S2 S3 S6',
      },
      {
        role: 'joiner',
        path: 'joiner.int8.onnx',
        bytes: 1_739_080,
        sha256: '7946164367946e7f9f29a122407c3252b680dbae9a51343eb2488d057c3c43d2',
        source: 'S1 S2 S3 S6',
      },
      {
        role: 'tokens',
        path: 'tokens.txt',
        bytes: 9_384,
        sha256: 'ec182b70dd42113aff6c5372c75cac58c952443eb22322f57bbd7f53977d497d',
        source: 'S1 S2 S3 S6 (computed from downloads)',
      },
    ],
  },
  {
    name: 'whisper-base.en',
    title: 'OpenAI Whisper base.en (int8)',
    type: 'whisper',
    languages: ['en'],
    licence: 'MIT',
    sizeBytes: 160_626_066,
    memoryMiB: 350,
    memoryNote: ESTIMATE,
    repo: 'csukuangfj/sherpa-onnx-whisper-base.en',
    revision: '59eea950fc76df2453efb57e6c0fd334548e8ffe',
    files: [
      {
        role: 'encoder',
        path: 'base.en-encoder.int8.onnx',
        bytes: 29_120_534,
        sha256: 'ef6b936f4c9b1d90a3b68634b60c4ed8576b26172b33c2535ec0e933c9edb823',
        source: 'S1 S5 S8',
      },
      {
        role: 'decoder',
        path: 'base.en-decoder.int8.onnx',
        bytes: 130_669_978,
        sha256: 'f7162ad6db2dbef16cfaeaa7f945b9d7dd9c1b8d472f6aca82f2273d185e4d41',
        source: 'S1 S5 S8',
      },
      {
        role: 'tokens',
        path: 'base.en-tokens.txt',
        bytes: 835_554,
        sha256: '306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930',
        source: 'S1 S5 S8 (computed from downloads)',
      },
    ],
  },
  {
    name: 'whisper-tiny.en',
    title: 'OpenAI Whisper tiny.en (int8)',
    type: 'whisper',
    languages: ['en'],
    licence: 'MIT',
    sizeBytes: 103_627_191,
    memoryMiB: 250,
    memoryNote: ESTIMATE,
    repo: 'csukuangfj/sherpa-onnx-whisper-tiny.en',
    revision: 'd026532c022fa99fd789d6b32446a1df7b6bfc43',
    files: [
      {
        role: 'encoder',
        path: 'tiny.en-encoder.int8.onnx',
        bytes: 12_937_772,
        sha256: '0ce578b827c94a961aacb8fa14b02f096504b337e5c94be37c36238cbe3e8bc6',
        source: 'S4 S5 S7 S8',
      },
      {
        role: 'decoder',
        path: 'tiny.en-decoder.int8.onnx',
        bytes: 89_853_865,
        sha256: '06c0e6ff6348d427e51839219d1c886c18cfdf411e629e33f5e1679bff9c1527',
        source: 'S4 S5 S7 S8',
      },
      {
        role: 'tokens',
        path: 'tiny.en-tokens.txt',
        bytes: 835_554,
        sha256: '306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930',
        source: 'S4 S5 S7 S8 (computed from downloads)',
      },
    ],
  },
  {
    name: 'moonshine-tiny',
    title: 'Useful Sensors Moonshine tiny (int8)',
    type: 'moonshine',
    languages: ['en'],
    licence: 'MIT',
    sizeBytes: 123_967_539,
    memoryMiB: 250,
    memoryNote: ESTIMATE,
    repo: 'csukuangfj/sherpa-onnx-moonshine-tiny-en-int8',
    revision: 'bf2b762c076d8ea61e2af0b3851c9564fb77552e',
    files: [
      {
        role: 'preprocessor',
        path: 'preprocess.onnx',
        bytes: 6_800_738,
        sha256: 'f33addce61a143460fe753b5ee5b7db255e5140b5b779c065b94f6c83ff0bf4e',
        source: 'S1 S3-old S6',
      },
      {
        role: 'encoder',
        path: 'encode.int8.onnx',
        bytes: 18_249_187,
        sha256: '8774dfba578de027ec6595c2c654a0836434489bc963a0db124a7f181f571acb',
        source: 'S1 S3-old S6',
      },
      {
        role: 'uncachedDecoder',
        path: 'uncached_decode.int8.onnx',
        bytes: 53_216_096,
        sha256: '216737000dd5881a17aa043f6bbd286add33e4c3b0ae257153e2ec15438bdc41',
        source: 'S1 S3-old S6',
      },
      {
        role: 'cachedDecoder',
        path: 'cached_decode.int8.onnx',
        bytes: 45_264_830,
        sha256: '2aff28bba6a03d8dcf5c9feac45462629bae37317442299f28115ad09da773f6',
        source: 'S1 S3-old S6',
      },
      {
        role: 'tokens',
        path: 'tokens.txt',
        bytes: 436_688,
        sha256: '1165c2aeb9f72f457a83be2d459a09054f27490acd9b41bd43794dfd25e296ea',
        source: 'S1 S3-old S6 (computed from downloads)',
      },
    ],
  },
] as const satisfies readonly CatalogueModel[];

/** The model used when the `localModel` setting is not set. */
export const DEFAULT_MODEL = MODELS[0].name;

/** A catalogue model by name, or undefined. */
export function findModel(
  name: string,
  catalogue: readonly CatalogueModel[] = MODELS,
): CatalogueModel | undefined {
  return catalogue.find((m) => m.name === name);
}

/** The URL of one file of a model, from the default host or a mirror with the same paths. */
export function modelFileUrl(model: CatalogueModel, file: ModelFile, baseUrl?: string): string {
  const base = (baseUrl ?? DEFAULT_MODEL_BASE_URL).replace(/\/+$/, '');
  return `${base}/${model.repo}/resolve/${model.revision}/${file.path}`;
}

/** Files by role: what a model's sherpa-onnx configuration is made from. */
export type ModelFiles = Partial<Record<ModelRole, string>>;

/**
 * The sherpa-onnx `OfflineRecognizer` configuration of a model, from its type and the absolute
 * paths of its files.
 */
export function recognizerConfig(
  type: ModelType,
  files: ModelFiles,
  threads: number,
): Record<string, unknown> {
  const model: Record<string, unknown> = { tokens: files.tokens, numThreads: threads, debug: 0 };
  if (type === 'nemo-transducer') {
    model.transducer = { encoder: files.encoder, decoder: files.decoder, joiner: files.joiner };
    model.modelType = 'nemo_transducer';
  } else if (type === 'whisper') {
    model.whisper = {
      encoder: files.encoder,
      decoder: files.decoder,
      language: '',
      task: 'transcribe',
    };
  } else {
    model.moonshine = {
      preprocessor: files.preprocessor,
      encoder: files.encoder,
      uncachedDecoder: files.uncachedDecoder,
      cachedDecoder: files.cachedDecoder,
    };
  }
  return {
    featConfig: { sampleRate: 16_000, featureDim: type === 'nemo-transducer' ? 128 : 80 },
    modelConfig: model,
    decodingMethod: 'greedy_search',
  };
}
