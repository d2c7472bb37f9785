import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-5YCPVIQK.js";import"./chunk-BLYFPZGJ.js";import"./chunk-XAVFXEU2.js";import"./chunk-7L35WMXF.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as MAX_ENTRIES,d as RunRecord,c as pauseName,b as recordName};
//# sourceMappingURL=run-record-CKT3UXLC.js.map
