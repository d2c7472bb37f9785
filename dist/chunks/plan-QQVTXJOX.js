import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g,h,i}from"./chunk-2XUSDXFE.js";import"./chunk-YBQ6S5YG.js";import"./chunk-E5X2UBXR.js";import"./chunk-HIQNSWCU.js";import"./chunk-NYR5E7AX.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as ATTACHED_NOTE,b as MAX_WAVE_SIZE,a as PLAN_API_VERSION,e as buildPlan,i as clustersInWave,f as groupWaves,g as planDigest,d as resolveTarget,h as stepsFor};
//# sourceMappingURL=plan-QQVTXJOX.js.map
