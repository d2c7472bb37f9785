import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-PHCZHA55.js";import"./chunk-C7TCIGBG.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import"./chunk-NYR5E7AX.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as loadInventory,b as resolveInventoryFiles,a as splitGlobs};
//# sourceMappingURL=inventory-files-RCM25DCH.js.map
