import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-WSVKELLO.js";import"./chunk-C7TCIGBG.js";import"./chunk-HIQNSWCU.js";import"./chunk-NYR5E7AX.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as loadInventory,b as resolveInventoryFiles,a as splitGlobs};
//# sourceMappingURL=inventory-files-YBP53Q65.js.map
