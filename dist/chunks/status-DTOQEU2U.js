import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-UKDL762E.js";import"./chunk-5XAOC6J4.js";import"./chunk-QCKPUDE3.js";import"./chunk-7L35WMXF.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as FLEET_FLAGS,c as command,b as fleetOptions};
//# sourceMappingURL=status-DTOQEU2U.js.map
