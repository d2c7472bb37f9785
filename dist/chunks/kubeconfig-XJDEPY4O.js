import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-UXRGPKFE.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{f as managementKubeconfig,b as maskKubeconfig,e as removeTempKubeconfigs,a as secretValues,d as tempKubeconfigDirs,c as writeTempKubeconfig};
//# sourceMappingURL=kubeconfig-XJDEPY4O.js.map
