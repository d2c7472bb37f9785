import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-BLYFPZGJ.js";import"./chunk-XAVFXEU2.js";import"./chunk-7L35WMXF.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{f as Kube,a as KubeError,d as isAlreadyExists,c as isConflict,b as isNotFound,g as microTime,e as serverText};
//# sourceMappingURL=kube-JBETFV4T.js.map
