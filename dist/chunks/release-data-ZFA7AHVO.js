import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-H3CCC2GP.js";import"./chunk-45YJL5F3.js";export{c as findAppRelease,b as loadReleaseData,a as releaseDataFrom};
//# sourceMappingURL=release-data-ZFA7AHVO.js.map
