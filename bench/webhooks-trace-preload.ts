import { recordTrace } from './webhooks-trace.js'

// `npm run bench -- webhooks --trace FILE` loads this into `moneta start` (NODE_OPTIONS: --import tsx
// --import this file); any other process that inherits the variable records nothing.
const out = process.env.MONETA_BENCH_TRACE_OUT
if (out && process.argv[1]?.endsWith('moneta.js') && process.argv[2] === 'start') recordTrace(out)
