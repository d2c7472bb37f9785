import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-OIIPFELM.js";import"./chunk-LV22C2IY.js";import"./chunk-QCKPUDE3.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as FLEET_FLAGS,c as command,b as fleetOptions};
//# sourceMappingURL=status-QJCVWDT2.js.map
