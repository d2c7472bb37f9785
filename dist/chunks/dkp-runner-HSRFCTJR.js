import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-VXFYXRRH.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{e as DkpError,f as DkpRunner,a as TAIL_LINES,b as commandLine,d as displayCommand,c as dkpArgv};
//# sourceMappingURL=dkp-runner-HSRFCTJR.js.map
