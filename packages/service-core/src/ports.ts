// The ports live in @whis/contracts, at the bottom of the graph, so adapters share them without
// importing the service; this package's index re-exports them as part of its public API.
export type * from '@whis/contracts';
