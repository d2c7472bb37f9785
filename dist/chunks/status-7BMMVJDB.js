import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-JNEW5BFX.js";import"./chunk-XADDMHSK.js";import"./chunk-XAQU3542.js";import"./chunk-AWG7WY6W.js";import"./chunk-LC6DCME4.js";import"./chunk-BOCIHU27.js";import"./chunk-C7O636ZA.js";import"./chunk-7L35WMXF.js";import"./chunk-EGSSG2OJ.js";import"./chunk-B4ETKEV7.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{b as STATUS_FORMATS,c as command,a as fleetOptions};
//# sourceMappingURL=status-7BMMVJDB.js.map
