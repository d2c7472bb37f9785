import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-2IIKWNYV.js";import"./chunk-BLYFPZGJ.js";import"./chunk-XAVFXEU2.js";import"./chunk-7L35WMXF.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{c as ClusterLock,a as LEASE_API,b as leaseName,d as releaseLease};
//# sourceMappingURL=lease-RJ4IVJRP.js.map
