import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-KCSORYMI.js";import"./chunk-C7TCIGBG.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import"./chunk-YMW4MV6D.js";import"./chunk-M7YAKOLW.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as loadInventory,b as resolveInventoryFiles,a as splitGlobs};
//# sourceMappingURL=inventory-files-LBDXLAQU.js.map
