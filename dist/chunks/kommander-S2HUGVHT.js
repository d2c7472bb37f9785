import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c}from"./chunk-VUMNTWRG.js";import"./chunk-ZSJWAGO4.js";import"./chunk-AXW2CQE6.js";import"./chunk-XRQJ7NHC.js";import"./chunk-AGIBFVQB.js";import"./chunk-BSM2UMM5.js";import"./chunk-J3QHF362.js";import"./chunk-C7TCIGBG.js";import"./chunk-NYR5E7AX.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as kommanderCommand,b as kommanderStatus,c as stage};
//# sourceMappingURL=kommander-S2HUGVHT.js.map
