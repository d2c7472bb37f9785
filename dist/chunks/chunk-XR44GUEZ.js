import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a as e}from"./chunk-45YJL5F3.js";import{rmSync as n}from"node:fs";var r=new Set,o=!1;function d(t){r.add(t),o||(o=!0,process.on("exit",()=>s()))}e(d,"registerTempDir");function f(){return[...r]}e(f,"registeredTempDirs");function s(t=r){for(let i of[...t]){try{n(i,{recursive:!0,force:!0})}catch{}r.delete(i)}}e(s,"removeTempDirs");export{d as a,f as b,s as c};
//# sourceMappingURL=chunk-XR44GUEZ.js.map
