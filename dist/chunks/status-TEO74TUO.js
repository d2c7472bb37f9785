import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-6WEI5SMM.js";import"./chunk-GZIZJFRN.js";import"./chunk-QCKPUDE3.js";import"./chunk-OEBGZVY6.js";import"./chunk-LC6DCME4.js";import"./chunk-YBQ6S5YG.js";import"./chunk-7L35WMXF.js";import"./chunk-NYR5E7AX.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as FLEET_FLAGS,c as command,b as fleetOptions};
//# sourceMappingURL=status-TEO74TUO.js.map
