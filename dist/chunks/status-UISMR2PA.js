import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-VI45E2AG.js";import"./chunk-JBGZP2SP.js";import"./chunk-QCKPUDE3.js";import"./chunk-UMEXVJO5.js";import"./chunk-LC6DCME4.js";import"./chunk-5Y2N3FFQ.js";import"./chunk-7L35WMXF.js";import"./chunk-EGSSG2OJ.js";import"./chunk-M7YAKOLW.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as FLEET_FLAGS,c as command,b as fleetOptions};
//# sourceMappingURL=status-UISMR2PA.js.map
