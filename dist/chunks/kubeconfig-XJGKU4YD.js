import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-437EUS5V.js";import"./chunk-XR44GUEZ.js";import"./chunk-TRDL6NYN.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{f as managementKubeconfig,b as maskKubeconfig,g as readKubeconfigFile,e as removeTempKubeconfigs,a as secretValues,d as tempKubeconfigDirs,c as writeTempKubeconfig};
//# sourceMappingURL=kubeconfig-XJGKU4YD.js.map
