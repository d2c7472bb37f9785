import { createRequire as __dkpCreateRequire } from 'node:module'; const require = __dkpCreateRequire(import.meta.url);
import{a,b,c,d,e,f,g,h,i,j,k}from"./chunk-6RLZYUEY.js";import"./chunk-G3QXDDTS.js";import"./chunk-HLN7CUA7.js";import"./chunk-XCBBH2O4.js";import"./chunk-NES3XVTG.js";import"./chunk-XAZPVJKA.js";import"./chunk-45YJL5F3.js";export{e as DEFAULT_TTL,b as FLEET_LABEL,a as MANAGED_BY,d as STORAGE_LOCATION_LABEL,c as TARGET_LABEL,g as backupName,h as backupObject,j as backupState,f as formatAge,k as stage,i as veleroCommand};
//# sourceMappingURL=backup-TRTZKM7L.js.map
