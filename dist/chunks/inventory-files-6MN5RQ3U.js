import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-SZDIRKKN.js";import"./chunk-C7TCIGBG.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import"./chunk-IGXGEVPG.js";import"./chunk-B4ETKEV7.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as loadInventory,b as resolveInventoryFiles,a as splitGlobs};
//# sourceMappingURL=inventory-files-6MN5RQ3U.js.map
