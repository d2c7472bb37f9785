import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{b as s}from"./chunk-XAZPVJKA.js";import{a as r}from"./chunk-45YJL5F3.js";import{parseArgs as a}from"node:util";function i(t,e,o=!1){try{return a({args:t,options:e,strict:!0,allowPositionals:o})}catch(n){throw new s(`usage: ${n.message}`)}}r(i,"parseFlags");export{i as a};
//# sourceMappingURL=chunk-LV22C2IY.js.map
