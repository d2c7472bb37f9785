import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as e}from"./chunk-45YJL5F3.js";var n=e(r=>!r.attached,"isManaged");export{n as a};
//# sourceMappingURL=chunk-K6PI3HTM.js.map
