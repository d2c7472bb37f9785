import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-6WTHCFQN.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{e as freePort,c as isAlive,g as kubeconfig,a as packageRoot,b as resolveKubeBins,f as startControlPlane,d as stopGroup};
//# sourceMappingURL=control-plane-AAC6C5Q2.js.map
