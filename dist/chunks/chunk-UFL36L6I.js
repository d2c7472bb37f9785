import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{setFlagsFromString as r}from"node:v8";r("--semi-space-growth-factor=1");
//# sourceMappingURL=chunk-UFL36L6I.js.map
