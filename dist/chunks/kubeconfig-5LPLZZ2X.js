import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g,h}from"./chunk-JUWYOTLB.js";import"./chunk-XR44GUEZ.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{g as managementKubeconfig,b as managementTransportWarnings,c as maskKubeconfig,h as readKubeconfigFile,f as removeTempKubeconfigs,a as secretValues,e as tempKubeconfigDirs,d as writeTempKubeconfig};
//# sourceMappingURL=kubeconfig-5LPLZZ2X.js.map
