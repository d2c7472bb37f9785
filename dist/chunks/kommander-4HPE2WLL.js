import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{j as a,k as b,l as c}from"./chunk-OU7I2HQI.js";import"./chunk-KLQ5GJY7.js";import"./chunk-2XV2I37Y.js";import"./chunk-HLN7CUA7.js";import"./chunk-5FTB4K7K.js";import"./chunk-C7TCIGBG.js";import"./chunk-NYR5E7AX.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{a as kommanderCommand,b as kommanderStatus,c as stage};
//# sourceMappingURL=kommander-4HPE2WLL.js.map
