import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{j as a,k as b,l as c}from"./chunk-Q2GW23LI.js";import"./chunk-G3QXDDTS.js";import"./chunk-HLN7CUA7.js";import"./chunk-XCBBH2O4.js";import"./chunk-C7TCIGBG.js";import"./chunk-NYR5E7AX.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as kommanderCommand,b as kommanderStatus,c as stage};
//# sourceMappingURL=kommander-2XPE7WAD.js.map
