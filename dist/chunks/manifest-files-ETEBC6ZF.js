import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-K4EDSN4A.js";import"./chunk-DYP3FRUK.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAVFXEU2.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as MANIFEST_EXTENSIONS,b as MAX_MANIFEST_BYTES,c as listManifestFiles,d as scanManifestPaths};
//# sourceMappingURL=manifest-files-ETEBC6ZF.js.map
