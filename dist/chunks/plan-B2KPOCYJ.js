import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g,h,i,j}from"./chunk-B4IAISV3.js";import"./chunk-RVQ4N5R6.js";import"./chunk-IGXGEVPG.js";import"./chunk-EGSSG2OJ.js";import"./chunk-B4ETKEV7.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as ATTACHED_NOTE,b as MAX_WAVE_SIZE,a as PLAN_API_VERSION,j as assertPlanDigest,e as buildPlan,i as clustersInWave,f as groupWaves,g as planDigest,d as resolveTarget,h as stepsFor};
//# sourceMappingURL=plan-B2KPOCYJ.js.map
