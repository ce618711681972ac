// mcomplete's library API: the numeric core and the experiment runner (no Node APIs below src/cli, except the
// optional native backend's loader src/linalg/native.ts, which the browser build never imports).
import { setBackend } from './linalg/backend.ts';
import { chooseBackend } from './linalg/native.ts';

export * from './linalg/index.ts';
export * from './random/index.ts';
export * from './data/index.ts';
export * from './penalty/index.ts';
export * from './model/index.ts';
export * from './optim/index.ts';
export * from './solver/index.ts';
export * from './metrics/index.ts';
export * from './experiment/run.ts';
export * from './experiment/baselines.ts';
export { chooseBackend, loadNativeBackend, nativeThreads, NATIVE_HOW_TO } from './linalg/native.ts';

// Node users of the library get the native backend automatically when it is built (MCOMPLETE_BACKEND=ts|native
// forces one; forcing a missing native backend throws here, saying how to build it).
setBackend(chooseBackend());
