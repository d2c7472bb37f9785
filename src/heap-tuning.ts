// Keeps V8's young generation at its initial size. Both entries are short batch processes;
// left to grow, the young generation reached its maximum while a 10,000-cluster plan was
// built and serialised and added ~80 MB of peak RSS for no speed gain (measured faster
// without it: docs/benchmarks.md, plan scale). V8 reads this flag on every resize, so setting
// it at start-up, before any real allocation, takes effect.
import { setFlagsFromString } from 'node:v8'

setFlagsFromString('--semi-space-growth-factor=1')
